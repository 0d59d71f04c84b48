#include "cli/app.hpp"

#include <sys/prctl.h>

#include <iostream>

// Not dumpable: a module (same user, but given a minimal environment) cannot read homeboy's
// own environment or memory through /proc/<pid>/environ or ptrace. The standard streams stay
// in step with stdio (no sync_with_stdio(false)): unsyncing them allocates new buffers for
// eight streams on every start, and homeboy writes its output in large pieces anyway.
int main(int argc, char** argv) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return homeboy::cli::run(argc, argv, std::cout, std::cerr);
}
