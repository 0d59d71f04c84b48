#include "homeboy/transport/interrupt.hpp"

#include "homeboy/transport/fd.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <string_view>

namespace homeboy {

namespace {

constexpr std::array<int, 3> handled_signals{SIGINT, SIGTERM, SIGHUP};

// Written by the handlers, so lock-free atomics and plain descriptors only.
std::atomic<int> first_signal{0};
std::atomic<int> hard_exit_fd{STDOUT_FILENO};
int wake_read = -1, wake_write = -1;
std::array<std::string, NSIG> hard_exit_texts;  // filled before the handlers are installed

static_assert(std::atomic<int>::is_always_lock_free, "the signal handlers need lock-free atomics");

std::string_view signal_label(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal";
  }
}

[[noreturn]] void exit_from_handler(int signal) noexcept {
  write_all(hard_exit_fd.load(), hard_exit_texts[static_cast<std::size_t>(signal)]);
  ::_exit(128 + signal);
}

extern "C" void on_interrupt(int signal) {
  int saved_errno = errno;
  int expected = 0;
  if (!first_signal.compare_exchange_strong(expected, signal)) exit_from_handler(expected);  // the second one
  char byte = 0;
  [[maybe_unused]] ssize_t ignored = ::write(wake_write, &byte, 1);
  ::alarm(static_cast<unsigned>(interrupt_deadline.count()));
  errno = saved_errno;
}

extern "C" void on_deadline(int) { exit_from_handler(first_signal.load()); }

}  // namespace

int interrupting_signal() noexcept { return first_signal.load(); }

int interrupt_fd() noexcept { return wake_read; }

Error interrupted_error(int signal) {
  std::string label(signal_label(signal));
  return Error(Errc::cli_interrupted,
               "homeboy was interrupted by " + label +
                   " and stopped, with every module process it had started. "
                   "Operations that had finished stay done; the one in progress may or may not have taken effect",
               {{"signal", label}, {"signal_number", signal}})
      .with_exit_code(static_cast<ExitCode>(128 + signal));
}

void throw_if_interrupted() {
  if (int signal = interrupting_signal()) throw interrupted_error(signal);
}

void install_interrupt_handlers(const std::function<std::string(int)>& hard_exit_text) {
  if (wake_read >= 0) return;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return;  // no interruption then: the default actions stay
  for (int signal : handled_signals) hard_exit_texts[static_cast<std::size_t>(signal)] = hard_exit_text(signal);
  wake_read = fds[0];
  wake_write = fds[1];

  struct sigaction deadline {};
  deadline.sa_handler = on_deadline;
  sigemptyset(&deadline.sa_mask);
  ::sigaction(SIGALRM, &deadline, nullptr);
  for (int signal : handled_signals) {
    struct sigaction previous {};
    if (::sigaction(signal, nullptr, &previous) == 0 && previous.sa_handler == SIG_IGN) continue;
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    action.sa_flags = SA_RESTART;  // file I/O in progress is not disturbed; waits on modules poll the pipe
    sigemptyset(&action.sa_mask);
    ::sigaction(signal, &action, nullptr);
  }
}

void set_hard_exit_fd(int fd) noexcept { hard_exit_fd.store(fd); }

void hold_interrupts() noexcept {
  sigset_t held;
  sigemptyset(&held);
  for (int signal : handled_signals) sigaddset(&held, signal);
  sigaddset(&held, SIGALRM);
  ::pthread_sigmask(SIG_BLOCK, &held, nullptr);
}

}  // namespace homeboy
