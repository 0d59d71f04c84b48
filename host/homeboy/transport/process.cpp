#include "homeboy/transport/process.hpp"

#include "homeboy/transport/fd.hpp"
#include "homeboy/transport/interrupt.hpp"

// Process v2 is used header-only, in this translation unit only.
#define BOOST_PROCESS_V2_HEADER_ONLY 1
#define BOOST_PROCESS_USE_STD_FS 1
// Boost 1.81's process v2 config uses boost::optional and std and Boost traits without
// including them when BOOST_PROCESS_USE_STD_FS is set.
#include <boost/optional.hpp>
#include <boost/type_traits/decay.hpp>
#include <boost/type_traits/remove_pointer.hpp>
#include <type_traits>
#include <boost/asio/io_context.hpp>
#include <boost/process/v2/environment.hpp>
// In header-only mode Boost 1.81 defines process_environment::on_setup only in src.hpp.
#include <boost/process/v2/impl/environment.ipp>
#include <boost/process/v2/posix/bind_fd.hpp>
#include <boost/process/v2/posix/vfork_launcher.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "homeboy/platform.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <utility>

extern char** environ;

namespace homeboy {

namespace {

namespace bp = boost::process::v2;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds drain_grace{1000};  // after exit, for stdout/stderr to reach EOF
// How long the supervisor may take to kill the module's tree when asked. It takes
// milliseconds; only a process stuck in the kernel (uninterruptible sleep) holds it longer.
constexpr std::chrono::milliseconds supervisor_grace{2000};

// homeboy-reaper (host/reaper/reaper.c): the supervisor every module runs under. It reports
// a failure to start the module on this descriptor, as two int32: stage and errno.
constexpr int supervisor_status_fd = 3;
constexpr std::int32_t stage_exec = 2;
constexpr std::string_view supervisor_name = "homeboy-reaper";

struct PipePair {
  Fd read, write;
};

// Moves a descriptor above the numbers the child's file actions write to (0 to 3), so a
// host started with a standard stream closed cannot have one pipe end overwrite another.
Fd above_child_fds(int fd) {
  if (fd > supervisor_status_fd) return Fd(fd);
  Fd low(fd);
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, supervisor_status_fd + 1);
  if (moved < 0) throw std::system_error(errno, std::generic_category(), "fcntl");
  return Fd(moved);
}

PipePair make_pipe() {
  int fds[2];
  // O_CLOEXEC: a child started concurrently from another thread must not inherit our ends.
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  Fd read(fds[0]), write(fds[1]);
  return {above_child_fds(read.release()), above_child_fds(write.release())};
}

void ignore_sigpipe_once() {
  // Writing to a module that exited early must be an EPIPE error, not the host's death.
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

std::vector<std::string> build_environment(const Launch& command) {
  std::vector<std::string> env;
  for (char** e = environ; command.inherit_environment && e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    std::string_view key = entry.substr(0, eq);
    bool overridden = std::any_of(command.env.begin(), command.env.end(),
                                  [&](const auto& kv) { return kv.first == key; });
    if (!overridden) env.emplace_back(entry);
  }
  for (const auto& [k, v] : command.env) env.push_back(k + "=" + v);
  return env;
}

}  // namespace

// The supervisor is installed next to the homeboy binary (bin/ of an install and of the
// build tree); test binaries, one folder down in the build tree, find it in ../bin.
const fs::path& supervisor_path() {
  static const fs::path found = [] {
    std::error_code ec;
    fs::path dir = platform::own_executable(ec).parent_path();
    for (const fs::path& candidate : {dir / supervisor_name, dir.parent_path() / "bin" / supervisor_name})
      if (!ec && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    return fs::path();
  }();
  if (found.empty())
    throw std::system_error(ENOENT, std::generic_category(),
                            "cannot find " + std::string(supervisor_name) +
                                ", which runs every module; it belongs next to the homeboy executable");
  return found;
}

namespace {

// --- Launching: Boost.Process v2's vfork launcher and the initializers it is given -----------
//
// The launch is bp::posix::vfork_launcher (vfork, then execve: no copy of homeboy's memory)
// with Boost's own initializers for the environment (process_environment), the working
// folder (process_start_dir), stdio (process_stdio) and the supervisor's further descriptors
// (bind_fd). What Boost 1.81 has no initializer for is OwnGroup below, an initializer of
// ours (Boost's documented extension point: on_setup in the parent, on_exec_setup in the
// child). A child of vfork shares homeboy's memory until its exec; everything done there
// touches only the child's own kernel state (descriptors, signal dispositions, mask, group).

// bind_fd as Boost 1.81 has it, with its on_setup completed: there it falls off its end
// without returning the error_code it declares (undefined behaviour).
struct BindFd : bp::posix::bind_fd {
  using bp::posix::bind_fd::bind_fd;
  bp::error_code on_setup(bp::posix::default_launcher& launcher, const fs::path&, const char* const*) {
    launcher.fd_whitelist.push_back(target);
    return {};
  }
};

// The descriptors beyond stdio, each a bind_fd. Boost 1.81's close_all, run in the child
// before exec, closes only below the lowest and above the highest kept descriptor: the
// targets must follow 0, 1, 2 without a gap (3, 4, 5...), as the supervisor's protocol has them.
struct BindFds {
  std::vector<BindFd> fds;
  bp::error_code on_setup(bp::posix::default_launcher& launcher, const fs::path& exe, const char* const* argv) {
    int expected = STDERR_FILENO + 1;
    for (auto& fd : fds) {
      if (fd.target != expected++) return {EINVAL, bp::system_category()};
      fd.on_setup(launcher, exe, argv);
    }
    return {};
  }
  bp::error_code on_exec_setup(bp::posix::default_launcher& launcher, const fs::path& exe, const char* const* argv) {
    for (auto& fd : fds)
      if (auto ec = fd.on_exec_setup(launcher, exe, argv)) return ec;
    return {};
  }
};

// The signals the child gets with their default action even when homeboy ignores them
// (SIGPIPE is ignored in homeboy, and an ignored signal stays ignored across exec).
constexpr std::array defaulted_signals{SIGPIPE, SIGINT,  SIGQUIT, SIGTERM, SIGHUP,
                                       SIGCHLD, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2};

// What posix_spawn's attributes did and Boost 1.81 has no initializer for, and what makes
// its vfork launcher safe here:
// - in the parent, every signal is blocked from before the vfork until the launch returned,
//   so no handler of homeboy's (or of a native plugin loaded in it) runs in the child, which
//   shares homeboy's memory: the child never unblocks them, and exec resets every handler;
// - in the child: a process group of its own (setpgid) and the default action for
//   defaulted_signals, ten calls (probing all 64 signals cost ~110 us in the child, while
//   homeboy waits for it). The program it execs is always homeboy-reaper, which starts with
//   every signal blocked, sets the mask it needs, and gives the module an empty one;
// - a failed exec ends the child with _exit: the launcher's own exit() would run homeboy's
//   atexit handlers and flush its stdio buffers, in memory the child shares with homeboy;
// - when the launch fails after the vfork, the child is reaped.
class OwnGroup {
 public:
  OwnGroup() = default;
  OwnGroup(const OwnGroup&) = delete;
  OwnGroup& operator=(const OwnGroup&) = delete;
  ~OwnGroup() {
    if (blocked_) ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
  }

  bp::error_code on_setup(bp::posix::default_launcher&, const fs::path&, const char* const*) {
    sigset_t all;
    ::sigfillset(&all);
    if (int rc = ::pthread_sigmask(SIG_SETMASK, &all, &saved_); rc != 0) return {rc, bp::system_category()};
    blocked_ = true;
    return {};
  }

  bp::error_code on_exec_setup(bp::posix::default_launcher&, const fs::path&, const char* const*) {
    if (::setpgid(0, 0) != 0) return {errno, bp::system_category()};
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int sig : defaulted_signals) ::sigaction(sig, &default_action, nullptr);
    return {};
  }

  // Boost 1.81 looks for on_exec_error and on_error with one signature and calls them with
  // another (an error_code more in the first): a template answers both.
  template <class... Arguments>
  void on_exec_error(bp::posix::default_launcher&, Arguments&&...) {
    ::_exit(127);
  }

  template <class... Arguments>
  void on_error(bp::posix::default_launcher& launcher, Arguments&&...) {
    if (launcher.pid > 0)
      while (::waitpid(launcher.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
  }

 private:
  sigset_t saved_{};
  bool blocked_ = false;
};

using LaunchedProcess = bp::basic_process<boost::asio::io_context::executor_type>;

// Starts argv[0] (a path, not looked up) under the vfork launcher, with exactly the
// environment `env`, stdio from `in`, `out` and `err`, each of `extra` as descriptor 3, 4...,
// in `working_dir` (unless empty), in a process group of its own. `context` must have no I/O
// object yet: Boost 1.81's launcher calls its notify_fork(fork_child) in the vfork child,
// which would rebuild a reactor in memory shared with homeboy. Throws std::system_error.
LaunchedProcess launch(boost::asio::io_context& context, const std::vector<std::string>& argv,
                       const std::vector<std::string>& env, int in, int out, int err, const std::vector<int>& extra,
                       const fs::path& working_dir) {
  if (argv.empty()) throw std::system_error(EINVAL, std::generic_category(), "empty command");
  // OwnGroup leaves every signal blocked for the program: only homeboy-reaper unblocks them.
  if (fs::path(argv.front()) != supervisor_path())
    throw std::logic_error("launch: only homeboy-reaper is started this way, not " + argv.front());
  if (boost::asio::has_service<boost::asio::detail::reactor>(context))
    throw std::logic_error("launch: the io_context already has I/O objects");
  BindFds bound;
  bound.fds.reserve(extra.size());
  for (std::size_t i = 0; i < extra.size(); ++i) bound.fds.emplace_back(STDERR_FILENO + 1 + static_cast<int>(i), extra[i]);
  bp::process_environment environment(env);
  bp::process_start_dir start_dir(working_dir.empty() ? fs::path(".") : working_dir);
  bp::process_stdio stdio{in, out, err};
  OwnGroup own_group;
  bp::error_code ec;
  LaunchedProcess process = bp::posix::vfork_launcher()(context.get_executor(), ec, fs::path(argv.front()),
                                                        std::vector<std::string>(argv.begin() + 1, argv.end()),
                                                        environment, start_dir, stdio, bound, own_group);
  if (ec) throw std::system_error(ec.value(), std::generic_category(), "cannot start " + argv.front());
  return process;
}

}  // namespace

pid_t launch_in_own_group(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                          const LaunchDescriptors& fds, const fs::path& working_dir) {
  boost::asio::io_context context(1);
  LaunchedProcess process = launch(context, argv, env, fds.in, fds.out, fds.err, fds.extra, working_dir);
  pid_t pid = process.id();
  process.detach();  // the caller reaps it
  return pid;
}

namespace {

// The supervisor, which starts the command: the supervisor in a new process group of its
// own (the command gets one of its own too), the status pipe as its descriptor 3.
LaunchedProcess start_supervised(boost::asio::io_context& context, const Launch& command, int in_fd, int out_fd,
                                 int err_fd, int status_fd) {
  if (command.argv.empty()) throw std::system_error(EINVAL, std::generic_category(), "empty command");
  const fs::path& supervisor = supervisor_path();
  std::vector<std::string> argv{supervisor.string(), std::to_string(::getpid())};
  argv.insert(argv.end(), command.argv.begin(), command.argv.end());
  static_assert(supervisor_status_fd == STDERR_FILENO + 1);
  return launch(context, argv, build_environment(command), in_fd, out_fd, err_fd, {status_fd}, command.working_dir);
}

// Waits until the supervisor has started the command (the status pipe reaches end of file)
// or says why it could not; throws then, as a launch of the command itself would have.
void check_started(pid_t supervisor, int status_fd, const Launch& command) {
  std::array<std::int32_t, 2> failure{};
  std::size_t got = 0;
  while (got < sizeof failure) {
    ssize_t n = ::read(status_fd, reinterpret_cast<char*>(failure.data()) + got, sizeof failure - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got == 0) return;
  ::waitpid(supervisor, nullptr, 0);
  int error = got == sizeof failure ? failure[1] : EPROTO;
  if (got == sizeof failure && failure[0] == stage_exec)
    throw std::system_error(error, std::generic_category(), "cannot start " + command.argv[0]);
  throw std::system_error(error, std::generic_category(), "cannot start " + supervisor_path().string());
}

std::string signal_name(int sig) {
  const char* d = ::strsignal(sig);
  return d ? d : "unknown";
}

// One started child: the supervisor and the command under it, their pipes, the
// supervisor's Boost.Process handle (it launched it, and reaps it), and an I/O pump on the
// Asio io_context that launched it: stdin written, stdout and stderr read and a pidfd of the
// supervisor watched together, so no stream can block another.
// Everything is said of the supervisor: it exits when the command has ended and nothing the
// command started is left, with the command's status. A Child can also be a copy of homeboy
// (Copy): no supervisor then; the pidfd, the stop and the reaping are the copy's own, and its
// process group is killed before it is reaped.
//
// The completion handlers only record what completed (bytes read, writable, exited); pump()
// acts on it between two handlers. So nothing a handler does can throw through Asio, the
// sink that takes stdout runs in pump()'s own frame, and kill() (noexcept) can run the
// context to see the supervisor's exit without handing output over.
class Child {
 public:
  // A command, under its supervisor.
  explicit Child(const Launch& command) : supervised_(true) {
    Pipes pipes = open_pipes();
    PipePair status = make_pipe();
    process_.emplace(start_supervised(context_, command, pipes.in.read.get(), pipes.out.write.get(),
                                      pipes.err.write.get(), status.write.get()));
    pid_ = process_->id();
    // Our copies of the child's ends are closed at once, or EOF would never come.
    pipes.close_child_ends();
    status.write.reset();
    check_started(pid_, status.read.get(), command);
    watch(pipes);
  }

  // A copy of homeboy (platform::start_copy): its own process group, which homeboy kills
  // when it stops it and once it has ended, before reaping it.
  explicit Child(const Copy& copy) : supervised_(false) {
    Pipes pipes = open_pipes();
    pid_t pid = platform::start_copy({pipes.in.read.get(), pipes.out.write.get(), pipes.err.write.get()},
                                     copy.working_dir, copy.name, copy.body);
    if (pid < 0) throw std::system_error(errno, std::generic_category(), "cannot start a helper process (fork)");
    pid_ = pid;
    pipes.close_child_ends();
    try {
      watch(pipes);
    } catch (...) {
      exit_seen_ = true;
      reap();
      throw;
    }
  }

  ~Child() {
    kill();
    if (wake_ && wake_->is_open()) wake_->release();
  }

  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool exited() const noexcept { return exited_; }
  bool supervised() const noexcept { return supervised_; }
  bool out_open() const noexcept { return out_.pipe->is_open(); }
  bool streams_open() const noexcept { return out_.pipe->is_open() || err_.pipe->is_open(); }
  int status() const noexcept { return status_; }
  const std::string& err_tail() const noexcept { return err_tail_; }
  std::string& out_buffer() noexcept { return out_buf_; }
  std::size_t out_size() const noexcept { return out_size_; }
  bool overflow() const noexcept { return overflow_; }

  // From now on stdout goes to `sink` as it arrives; out_buffer() keeps only its start.
  void send_output_to(const OutputSink* sink) noexcept { sink_ = sink; }

  // Queues `data` then `then` for stdin (both must outlive the pump that writes them). Only a
  // readiness wait is ever pending on stdin, never a write into these buffers.
  void queue_input(std::string_view data, bool close_after, std::string_view then = {}) {
    pending_ = data.empty() ? then : data;
    pending_next_ = data.empty() ? std::string_view() : then;
    close_after_input_ = close_after;
    if (pending_.empty() && close_after) close_input();
    // The pipe usually has room: write now and save the wait a request would cost.
    if (!pending_.empty() && in_->is_open()) write_input();
  }

  enum class Interruptible { no, yes };

  // Pumps I/O until `done()` holds, the streams are all closed, or the deadline passes
  // (returns false then). When interruptible, a signal to homeboy ends it by throwing
  // `cli.interrupted` (the destructor then kills the command's tree).
  template <class Done>
  bool pump(Clock::time_point deadline, Done done, Interruptible interruptible) {
    bool wake = interruptible == Interruptible::yes && wake_;
    if (interruptible == Interruptible::yes) throw_if_interrupted();
    for (;;) {
      settle();
      if (woken_ && interruptible == Interruptible::yes) throw_if_interrupted();
      if (done()) return true;
      bool writing = in_->is_open() && !pending_.empty();
      if (!writing && !streams_open() && exited_) return true;
      if (Clock::now() >= deadline) return false;
      arm(wake);
      run_one_until(deadline);
    }
  }

  // Asks the supervisor to kill the command's whole tree and waits for it. Should it not
  // answer in time, it is killed itself, and the command with it (PR_SET_PDEATHSIG).
  void kill() noexcept {
    if (exited_ || pid_ <= 0) return;
    request_stop();
    auto deadline = Clock::now() + supervisor_grace;
    try {
      while (!exit_seen_) {
        if (!exit_armed_) arm_exit();
        if (run_one_until(deadline) == 0 && Clock::now() >= deadline) {
          ::kill(pid_, SIGKILL);
          break;
        }
      }
    } catch (...) {  // not from a handler of ours; the wait below reaps the supervisor anyway
    }
    reap();
  }

  // A new answer: the output cap counts its bytes, not those of every answer before it.
  void begin_answer() noexcept { out_size_ = out_buf_.size(); }

  void close_input() noexcept {
    pending_ = pending_next_ = {};
    shut(*in_);
  }

  void close_streams() noexcept {
    shut(*out_.pipe);
    shut(*err_.pipe);
  }

 private:
  using Descriptor = boost::asio::posix::stream_descriptor;

  // A pipe homeboy reads (stdout, stderr): the read pending on it into `chunk`, and what it
  // completed with, until settle() takes it.
  template <std::size_t Size>
  struct Reader {
    std::optional<Descriptor> pipe;
    std::array<char, Size> chunk;
    bool armed = false, ended = false;  // ended: end of file, or an error that ends it the same way
    std::size_t got = 0;                // bytes read into the chunk, not taken yet

    void arm() {
      if (!pipe->is_open() || armed || got || ended) return;
      armed = true;
      pipe->async_read_some(boost::asio::buffer(chunk), [this](const boost::system::error_code& ec, std::size_t n) {
        armed = false;
        if (ec == boost::asio::error::operation_aborted) return;  // closed by us meanwhile
        if (ec || n == 0)
          ended = true;
        else
          got = n;
      });
    }

    // Hands what was read to `take`, and closes the pipe once it has ended.
    template <class Take>
    void settle(Take take) {
      if (got) take(std::string_view(chunk.data(), std::exchange(got, 0)));
      if (ended) {
        ended = false;
        shut(*pipe);
      }
    }
  };

  static void shut(Descriptor& descriptor) noexcept {
    boost::system::error_code ignored;
    descriptor.close(ignored);
  }

  // Starts the operations that are not pending yet: a read on stdout and on stderr (each
  // tried at once, as Asio does, then left to the reactor), a readiness wait on stdin while
  // input waits, a wait on the supervisor's pidfd, and on the interrupt pipe when `wake`.
  void arm(bool wake) {
    out_.arm();
    err_.arm();
    if (in_->is_open() && !pending_.empty() && !in_armed_) {
      in_armed_ = true;
      in_->async_wait(Descriptor::wait_write, [this](const boost::system::error_code& ec) {
        in_armed_ = false;
        if (ec != boost::asio::error::operation_aborted) in_writable_ = true;
      });
    }
    if (!exit_armed_ && !exit_seen_) arm_exit();
    if (wake && !wake_armed_) {
      wake_armed_ = true;
      wake_->async_wait(Descriptor::wait_read, [this](const boost::system::error_code& ec) {
        wake_armed_ = false;
        if (ec != boost::asio::error::operation_aborted) woken_ = true;
      });
    }
  }

  // One completion, or none by the deadline. A context whose work once ran out stops, and
  // would return at once from then on: it is restarted first.
  std::size_t run_one_until(Clock::time_point deadline) {
    if (context_.stopped()) context_.restart();
    return context_.run_one_until(deadline);
  }

  struct Pipes {
    PipePair in, out, err;
    void close_child_ends() noexcept {
      in.read.reset();
      out.write.reset();
      err.write.reset();
    }
  };

  static Pipes open_pipes() {
    throw_if_interrupted();  // nothing new starts once homeboy is being interrupted
    ignore_sigpipe_once();
    return {make_pipe(), make_pipe(), make_pipe()};
  }

  // Once the process runs: homeboy's ends of its pipes and a pidfd of it, on the context.
  void watch(Pipes& pipes) {
    // Large content crosses stdin and stdout in 1 MiB steps rather than the default 64 KiB:
    // a sixteenth of the switches between the two processes (it stays 64 KiB where the
    // system allows less: /proc/sys/fs/pipe-max-size).
    for (int fd : {pipes.in.write.get(), pipes.out.read.get()}) platform::widen_pipe(fd, 1 << 20);
    // Boost.Process keeps a pidfd of its own, for its waits; this one is the pump's.
    // Should it fail, process_ kills the process and reaps it.
    Fd exit_fd(platform::open_process_fd(pid_));
    if (!exit_fd) throw std::system_error(errno, std::generic_category(), "pidfd_open");
    // The I/O objects come after the launch (see launch()); they own the descriptors once
    // registered (until then an Fd does, so a failure to register closes them).
    own(in_, pipes.in.write);
    own(out_.pipe, pipes.out.read);
    own(err_.pipe, pipes.err.read);
    own(exit_, exit_fd);
    for (auto* pipe : {&*in_, &*out_.pipe, &*err_.pipe}) pipe->non_blocking(true);
    if (int wake = interrupt_fd(); wake >= 0) {  // homeboy's, released and never closed
      wake_.emplace(context_);
      boost::system::error_code ec;
      wake_->assign(wake, ec);
      if (ec) throw std::system_error(ec.value(), std::generic_category(), "cannot watch the interrupt pipe");
    }
  }

  void own(std::optional<Descriptor>& descriptor, Fd& fd) {
    descriptor.emplace(context_);
    boost::system::error_code ec;
    descriptor->assign(fd.get(), ec);
    if (ec) throw std::system_error(ec.value(), std::generic_category(), "cannot watch a module's pipe");
    fd.release();
  }

  void arm_exit() {
    exit_armed_ = true;
    exit_->async_wait(Descriptor::wait_read, [this](const boost::system::error_code& ec) {
      exit_armed_ = false;
      if (ec != boost::asio::error::operation_aborted) exit_seen_ = true;
    });
  }

  // Acts on what the handlers recorded.
  void settle() {
    if (in_writable_) {
      in_writable_ = false;
      if (in_->is_open() && !pending_.empty()) write_input();
    }
    out_.settle([this](std::string_view got) { take_output(got); });
    err_.settle([this](std::string_view got) { take_error(got); });
    if (exit_seen_ && !exited_) reap();
  }

  void write_input() {
    boost::system::error_code ec;
    std::size_t n = in_->write_some(boost::asio::buffer(pending_.data(), pending_.size()), ec);
    if (ec) {
      if (ec == boost::asio::error::would_block || ec == boost::asio::error::interrupted) return;
      close_input();  // EPIPE: the child stopped reading; its answer (or exit) tells the rest
      return;
    }
    pending_.remove_prefix(n);
    if (pending_.empty()) pending_ = std::exchange(pending_next_, {});
    if (pending_.empty() && close_after_input_) close_input();
  }

  void take_output(std::string_view got) {
    if (!out_.pipe->is_open()) return;  // closed after an overflow: the rest is not wanted
    if (out_size_ + got.size() > max_output_bytes) {
      overflow_ = true;
      request_stop();
      shut(*out_.pipe);
      return;
    }
    out_size_ += got.size();
    if (!sink_) {
      out_buf_.append(got);
      return;
    }
    if (out_buf_.size() < kept_output_bytes) out_buf_.append(got.substr(0, kept_output_bytes - out_buf_.size()));
    (*sink_)(got);
  }

  void take_error(std::string_view got) {
    err_tail_.append(got);
    if (err_tail_.size() > 2 * stderr_tail_bytes) err_tail_.erase(0, err_tail_.size() - stderr_tail_bytes);
  }

  // The supervisor kills the command's tree: everything, whatever process group or session
  // it moved to. It is told by the signal; until it has exited, its pid cannot be reused.
  // A copy of homeboy is killed with its process group.
  void request_stop() noexcept { supervised_ ? ::kill(pid_, SIGTERM) : ::kill(-pid_, SIGKILL); }

  // The supervisor has exited (or was killed): the command ended and nothing it started is
  // left. A copy has ended: what is left of its process group goes, while the copy (not
  // reaped yet) still holds the group's number.
  void reap() noexcept {
    if (supervised_) {
      boost::system::error_code ec;
      process_->wait(ec);
      status_ = process_->native_exit_code();
    } else {
      ::kill(-pid_, SIGKILL);
      while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
    }
    exited_ = exit_seen_ = true;
  }

  boost::asio::io_context context_{1};
  bool supervised_;                          // false: a copy of homeboy, no supervisor
  std::optional<LaunchedProcess> process_;  // the supervisor (a copy is reaped by waitpid)
  pid_t pid_ = -1;
  std::optional<Descriptor> in_, exit_, wake_;  // exit_: a pidfd of the supervisor (or the copy)
  Reader<65536> out_;
  Reader<16384> err_;
  bool in_armed_ = false, exit_armed_ = false, wake_armed_ = false;
  bool in_writable_ = false, exit_seen_ = false, woken_ = false;
  std::string_view pending_, pending_next_;
  bool close_after_input_ = false;
  std::string out_buf_, err_tail_;
  std::size_t out_size_ = 0;
  const OutputSink* sink_ = nullptr;
  bool exited_ = false, overflow_ = false;
  int status_ = 0;
};

void fill_end(ProcessOutcome& outcome, int status) {
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.term_signal = WTERMSIG(status);
}

std::string trimmed_tail(const std::string& tail) {
  std::string t = tail.size() > stderr_tail_bytes ? tail.substr(tail.size() - stderr_tail_bytes) : tail;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t;
}

std::string describe_status(bool timed_out, int exit_code, int term_signal) {
  if (timed_out) return "timed out and was killed";
  if (term_signal) return "was killed by signal " + std::to_string(term_signal) + " (" + signal_name(term_signal) + ")";
  return "exited with status " + std::to_string(exit_code);
}

}  // namespace

std::string ProcessOutcome::describe_end() const { return describe_status(timed_out, exit_code, term_signal); }

ProcessOutcome run_once(const Launch& command, std::string_view input, std::chrono::milliseconds timeout,
                        const OutputSink& on_output) {
  Child child(command);
  if (on_output) child.send_output_to(&on_output);
  child.queue_input(input, true);
  ProcessOutcome outcome;
  auto deadline = Clock::now() + timeout;
  bool in_time = child.pump(deadline, [&] { return child.exited(); }, Child::Interruptible::yes);
  if (!in_time) {
    outcome.timed_out = true;
    child.kill();
  }
  // Exited, with its whole tree: what is left in the pipes arrives promptly.
  child.pump(Clock::now() + drain_grace, [&] { return !child.streams_open(); }, Child::Interruptible::no);
  child.close_streams();
  fill_end(outcome, child.status());
  outcome.output_overflow = child.overflow();
  outcome.out = std::move(child.out_buffer());
  outcome.out_size = child.out_size();
  outcome.err_tail = trimmed_tail(child.err_tail());
  return outcome;
}

struct PersistentProcess::Impl {
  explicit Impl(const Launch& command) : child(command) {}
  explicit Impl(const Copy& copy) : child(copy) {}
  Reply exchange(std::string_view line, std::string_view payload, std::chrono::milliseconds timeout,
                 const OutputSink& on_line, const PayloadSize& payload_size);
  Child child;
  bool timed_out = false;
};

PersistentProcess::PersistentProcess(const Launch& command) : impl_(std::make_unique<Impl>(command)) {}
PersistentProcess::PersistentProcess(const Copy& copy) : impl_(std::make_unique<Impl>(copy)) {}

PersistentProcess::~PersistentProcess() {
  auto& child = impl_->child;
  if (!interrupting_signal()) {  // interrupted: no grace, the tree goes at once
    child.close_input();         // EOF: a well-behaved module exits now
    // A copy of homeboy ignores SIGPIPE and has nothing more to say: its output is not read
    // from here on, so the wait wakes once, at its exit, not at each stream's end.
    if (!child.supervised()) child.close_streams();
    child.pump(Clock::now() + grace, [&] { return child.exited(); }, Child::Interruptible::no);
  }
  child.kill();
}

PersistentProcess::Reply PersistentProcess::exchange(std::string_view line, std::chrono::milliseconds timeout,
                                                      const OutputSink& on_line) {
  return impl_->exchange(line, {}, timeout, on_line, {});
}

PersistentProcess::Reply PersistentProcess::exchange(std::string_view line, std::string_view payload,
                                                      std::chrono::milliseconds timeout, const PayloadSize& payload_size) {
  return impl_->exchange(line, payload, timeout, {}, payload_size);
}

PersistentProcess::Reply PersistentProcess::Impl::exchange(std::string_view line, std::string_view payload,
                                                            std::chrono::milliseconds timeout, const OutputSink& on_line,
                                                            const PayloadSize& payload_size) {
  throw_if_interrupted();
  Reply reply;
  if (child.exited()) {
    reply.exited = true;
    return reply;
  }
  std::string framed;
  framed.reserve(line.size() + 1);
  framed.append(line).push_back('\n');
  child.begin_answer();
  child.queue_input(framed, false, payload);
  auto& buf = child.out_buffer();
  auto deadline = Clock::now() + timeout;
  // Without a sink the answer collects in `buf`; with one, what arrived before the newline
  // is handed over and dropped at each step.
  std::size_t scanned = 0;
  bool complete = false;
  auto has_line = [&] {
    auto pos = buf.find('\n', scanned);
    if (on_line) {
      on_line(std::string_view(buf).substr(0, pos));
      buf.erase(0, pos == std::string::npos ? buf.size() : pos + 1);
    } else {
      scanned = pos == std::string::npos ? buf.size() : pos;
    }
    complete = pos != std::string::npos;
    return complete || !child.out_open();
  };
  struct Unqueue {  // never leave a pointer into `framed` behind, even when interrupted
    Child& child;
    ~Unqueue() { child.queue_input({}, false); }
  };
  bool in_time;
  {
    Unqueue unqueue{child};
    in_time = child.pump(deadline, has_line, Child::Interruptible::yes);
    if (complete && !on_line) {
      reply.line = buf.substr(0, scanned);
      buf.erase(0, scanned + 1);
      // The raw bytes the line announces follow it.
      std::size_t size = payload_size ? payload_size(*reply.line) : 0;
      if (size > max_output_bytes) {  // as an answer that grew past it: stopped, never allocated
        reply.line.reset();
        reply.too_large = true;
        child.kill();
        return reply;
      }
      if (size) {
        buf.reserve(size);
        complete = false;
        auto has_payload = [&] { return (complete = buf.size() >= size) || !child.out_open(); };
        in_time = child.pump(deadline, has_payload, Child::Interruptible::yes);
        if (complete && buf.size() == size) {
          reply.payload = std::move(buf);
          buf.clear();
        } else if (complete) {
          reply.payload = buf.substr(0, size);
          buf.erase(0, size);
        } else {
          reply.line.reset();
        }
      }
    }
  }
  if (complete) {
    if (on_line) reply.line.emplace();
    return reply;
  }
  if (!in_time) {
    reply.timed_out = true;
    timed_out = true;
    child.kill();
    return reply;
  }
  // stdout closed without a full answer: the process is gone or going.
  child.pump(Clock::now() + grace, [&] { return child.exited(); }, Child::Interruptible::no);
  child.kill();
  reply.exited = true;
  return reply;
}

void PersistentProcess::kill() noexcept { impl_->child.kill(); }

std::string PersistentProcess::stderr_tail() const { return trimmed_tail(impl_->child.err_tail()); }

std::string PersistentProcess::describe_end() {
  int status = impl_->child.status();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return describe_status(impl_->timed_out, code, sig);
}

int PersistentProcess::term_signal() const noexcept {
  int status = impl_->child.status();
  return impl_->child.exited() && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}


}  // namespace homeboy
