// The Linux implementation of homeboy/platform.hpp.
#include "homeboy/platform.hpp"

#if !defined(__linux__)
#error "homeboy's host runs on Linux only: homeboy/platform.hpp lists what a port provides (docs/security.md, \"Linux-only parts\")"
#endif

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
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

namespace {

// The copy's watch: once the process it was copied from has ended, its whole process group
// goes (the copy and anything it started there).
void* end_with_parent(void* pidfd) {
  pollfd parent{static_cast<int>(reinterpret_cast<std::intptr_t>(pidfd)), POLLIN, 0};
  while (::poll(&parent, 1, -1) < 0 && errno == EINTR) {
  }
  ::kill(0, SIGKILL);
  return nullptr;
}

[[noreturn]] void copy_failed(const char* step) {
  char text[160];
  int n = std::snprintf(text, sizeof text, "homeboy: the helper process could not %s: %s\n", step, std::strerror(errno));
  if (n > 0) [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, text, static_cast<std::size_t>(n));
  ::_exit(127);
}

}  // namespace

pid_t start_copy(const int (&fds)[3], const std::filesystem::path& dir, const char* name, int (*body)()) {
  pid_t parent = ::getpid();
  bool from_main_thread = ::gettid() == parent;
  // No handler of this process runs in the copy: every signal stays blocked across the fork
  // until the copy has given each its default action.
  sigset_t all, saved;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  std::fflush(nullptr);  // what stdio holds is written once, by this process
  pid_t pid = ::fork();
  if (pid != 0) {
    int saved_errno = errno;
    // Here as well as in the copy, so that a kill of the group cannot come before it exists.
    if (pid > 0) ::setpgid(pid, pid);
    ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    errno = saved_errno;
    return pid;
  }
  // The copy. Its descriptors first, so that anything said from here on goes to its stderr.
  ::setpgid(0, 0);
  for (int target = 0; target < 3; ++target)
    if (::dup2(fds[target], target) < 0) ::_exit(127);
  if (::close_range(3, ~0U, 0) != 0)
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < SIGRTMIN; ++sig)  // the real-time signals are no handler's of homeboy's
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &default_action, nullptr);
  ::prctl(PR_SET_NAME, name, 0, 0, 0);
  if (!dir.empty() && ::chdir(dir.c_str()) != 0) copy_failed("enter its folder");
  // The watch. Forked from the main thread, the kernel's parent-death signal is enough: it
  // follows the thread that forked, which is the process's life then. Forked from another
  // thread, which may end first, a thread of the copy waits on a pidfd of the process; it is
  // created with every signal blocked, so that signals meant for the copy reach `body`'s.
  // Either is set up while the parent is known to be alive (the copy is still its child
  // afterwards).
  if (from_main_thread) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) copy_failed("follow homeboy (PR_SET_PDEATHSIG)");
    if (::getppid() != parent) ::_exit(127);  // homeboy is gone already
  } else {
    int pidfd = open_process_fd(parent);
    if (pidfd < 0) copy_failed("follow homeboy (pidfd_open)");
    if (::getppid() != parent) ::_exit(127);
    pthread_attr_t attributes;
    pthread_t watcher;
    ::pthread_attr_init(&attributes);
    ::pthread_attr_setstacksize(&attributes, 64 * 1024);
    ::pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    int rc = ::pthread_create(&watcher, &attributes, end_with_parent,
                              reinterpret_cast<void*>(static_cast<std::intptr_t>(pidfd)));
    ::pthread_attr_destroy(&attributes);
    if (rc != 0) {
      errno = rc;
      copy_failed("follow homeboy (a thread)");
    }
  }
  sigset_t none;
  ::sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
  int code = 127;
  try {
    code = body();
  } catch (...) {  // never unwinds into the frames of the process it was copied from
  }
  ::_exit(code);
}

void forbid_inspection() noexcept { ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

}  // namespace homeboy::platform
