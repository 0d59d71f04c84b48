#include "cli/app.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include <iostream>

// Not dumpable: a module (same user, but given a minimal environment) cannot read homeboy's
// own environment or memory through /proc/<pid>/environ or ptrace. stdout is written through
// an OutputStream, which keeps why a write failed; std::cerr stays in step with stdio (no
// sync_with_stdio(false): unsyncing allocates new buffers for eight streams on every start).
int main(int argc, char** argv) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  homeboy::cli::OutputStream out(STDOUT_FILENO);
  return homeboy::cli::run(argc, argv, out, std::cerr);
}
