#include "cli/app.hpp"

#include <sys/prctl.h>

#include <iostream>

int main(int argc, char** argv) {
  // Not dumpable: a module (same user, but given a minimal environment) cannot read homeboy's
  // own environment or memory through /proc/<pid>/environ or ptrace.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  std::ios::sync_with_stdio(false);
  return homeboy::cli::run(argc, argv, std::cout, std::cerr);
}
