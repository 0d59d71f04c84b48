// The Linux implementation of homeboy/platform.hpp.
#include "homeboy/platform.hpp"

#if !defined(__linux__)
#error "homeboy's host runs on Linux only: homeboy/platform.hpp lists what a port provides (docs/security.md, \"Linux-only parts\")"
#endif

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434  // the same number on every architecture
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

namespace homeboy::platform {

std::filesystem::path own_executable(std::error_code& ec) {
  return std::filesystem::read_symlink("/proc/self/exe", ec);
}

int open_process_fd(pid_t pid) noexcept {
  // pidfd_open(2) gives close-on-exec descriptors.
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

bool signal_process_fd(int pidfd, int sig) noexcept {
  return ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0;
}

namespace {

// The fields of /proc/PID/stat after the name (which may hold spaces and parentheses), from
// field 3 (the state) on; nothing for a process that has ended or is a zombie.
std::optional<std::istringstream> stat_fields(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size()) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string state;
  if (!(fields >> state) || state == "Z" || state == "X") return std::nullopt;
  return fields;
}

}  // namespace

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  auto fields = stat_fields(pid);
  if (!fields) return std::nullopt;
  std::string skipped;
  for (int field = 4; field < 22 && *fields >> skipped; ++field) {
  }
  std::uint64_t ticks = 0;  // field 22
  if (!(*fields >> ticks)) return std::nullopt;
  return ticks;
}

std::optional<pid_t> parent_process(pid_t pid) {
  auto fields = stat_fields(pid);
  pid_t parent = 0;  // field 4
  if (!fields || !(*fields >> parent)) return std::nullopt;
  return parent;
}

std::string process_name(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

std::optional<uid_t> process_owner(pid_t pid) {
  struct stat st {};
  if (::stat(("/proc/" + std::to_string(pid)).c_str(), &st) != 0) return std::nullopt;
  return st.st_uid;
}

std::optional<Peer> socket_peer(int fd) {
  ucred cred{};
  socklen_t size = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0) return std::nullopt;
  return Peer{cred.uid, cred.pid};
}

int open_folder_handle(const std::filesystem::path& dir) noexcept {
  return ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

std::string path_through_descriptor(int folder, const std::string& name) {
  return "/proc/self/fd/" + std::to_string(folder) + "/" + name;
}

int reopen_for_waiting(int fd) noexcept {
  char link[32];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  return ::open(link, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
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
