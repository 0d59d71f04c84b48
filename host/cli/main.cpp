#include "cli/app.hpp"
#include "homeboy/platform.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <iostream>

// Not dumpable: a module (same user, but given a minimal environment) cannot read homeboy's
// own environment or memory through /proc/<pid>/environ or ptrace. stdout is written through
// an OutputStream, which keeps why a write failed; std::cerr stays in step with stdio (no
// sync_with_stdio(false): unsyncing allocates new buffers for eight streams on every start).
//
// The answer goes to a copy of stdout, and descriptor 1 itself is pointed at stderr: a native
// plugin running inside homeboy that prints (printf in a constructor, a debug line) then
// prints to stderr, and the envelope on stdout stays whole.
int main(int argc, char** argv) {
  homeboy::platform::forbid_inspection();
  int answer = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (answer >= 0 && ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    ::close(answer);
    answer = -1;
  }
  homeboy::cli::OutputStream out(answer >= 0 ? answer : STDOUT_FILENO);
  return homeboy::cli::run(argc, argv, out, std::cerr);
}
