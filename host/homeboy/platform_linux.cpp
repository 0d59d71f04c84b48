// The Linux implementation of homeboy/platform.hpp.
#include "homeboy/platform.hpp"

#if !defined(__linux__)
#error "homeboy's host runs on Linux only: homeboy/platform.hpp lists what a port provides (docs/security.md, \"Linux-only parts\")"
#endif

#include <fcntl.h>
#include <limits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434  // the same number on every architecture
#endif

namespace homeboy::platform {

std::filesystem::path own_executable(std::error_code& ec) {
  return std::filesystem::read_symlink("/proc/self/exe", ec);
}

int open_process_fd(pid_t pid) noexcept {
  // pidfd_open(2) gives close-on-exec descriptors.
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

std::filesystem::path path_of_descriptor(int fd) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  char target[PATH_MAX];
  ssize_t n = ::readlink(link.c_str(), target, sizeof target);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof target || target[0] != '/') return {};
  return std::filesystem::path(std::string(target, static_cast<std::size_t>(n)));
}

void widen_pipe(int fd, int bytes) noexcept { ::fcntl(fd, F_SETPIPE_SZ, bytes); }

void forbid_inspection() noexcept { ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

}  // namespace homeboy::platform
