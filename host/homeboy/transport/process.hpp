#pragma once
// Child processes for subprocess modules and homeboy-plugin-host (and copies of homeboy, for
// an isolated native plugin: see Copy below). Programs are launched by Boost.Process
// v2's vfork launcher (posix::vfork_launcher, with its environment, working-folder, stdio and
// bind_fd initializers and one of ours for the process group and signals), which Boost.Process
// then reaps. Their stdin, stdout and stderr are driven by Asio on the io_context the process
// was launched into: reads of stdout and stderr and a readiness wait on stdin, with a wait on a
// pidfd of the process, all pending at once, and io_context::run_one_until for the deadline.
// process.cpp is the only file that includes Process v2; Asio is in it and in io.cpp (the
// waits of the daemon transport and the CLI).
//
// Every command runs under homeboy-reaper (host/reaper/reaper.c), a small supervisor that
// is its parent and a child subreaper: when the command ends, times out, is killed, or
// homeboy itself dies (even by SIGKILL), the command and everything it started are killed,
// also what moved to another process group or session. The command gets a process group
// of its own. docs/security.md ("Process lifetime") gives the reasons and the measurements.
//
// Waiting on a command is interruptible: once a signal handler of homeboy/transport/interrupt.hpp has
// fired, the wait ends, the command's tree is killed and `cli.interrupted` is thrown.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace homeboy {

// What to start (always under homeboy-reaper): its arguments, working folder and environment.
struct Launch {
  std::vector<std::string> argv;  // argv[0] is an absolute or relative-to-cwd path, not looked up on PATH
  std::filesystem::path working_dir;
  std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) the host's environment
  bool inherit_environment = true;  // false: `env` is the child's whole environment
};

// A copy of homeboy itself as the process (no program is started: see platform::start_copy),
// for homeboy's own helpers: it runs `body` with the pipes as its stdin, stdout and stderr,
// in `working_dir`, named `name`, and ends with what `body` returns. It is no module: it runs
// homeboy's code, so it needs no supervisor. When it ends (or is stopped), homeboy kills
// its process group, so what it started there ends with it; it ends when homeboy does.
struct Copy {
  int (*body)() = nullptr;
  std::filesystem::path working_dir;
  const char* name = "homeboy-helper";  // at most 15 bytes are kept
};

struct ProcessOutcome {
  int exit_code = -1;         // when the child exited normally
  int term_signal = 0;        // when a signal ended it
  bool timed_out = false;     // the deadline passed and the process group was killed
  bool output_overflow = false;
  std::string out;            // what was written to stdout (up to the cap); only its start with a sink
  std::size_t out_size = 0;   // bytes written to stdout in all (up to the cap)
  std::string err_tail;       // the last bytes written to stderr

  bool exited_cleanly() const noexcept { return !timed_out && term_signal == 0 && exit_code == 0; }
  std::string describe_end() const;  // "exited with status 3", "was killed by signal 9 (Killed)"
};

inline constexpr std::size_t max_output_bytes = std::size_t{512} << 20;
inline constexpr std::size_t stderr_tail_bytes = 4096;
inline constexpr std::size_t kept_output_bytes = 4096;  // of stdout, when it goes to a sink

// Receives a child's output as it arrives, piece by piece.
using OutputSink = std::function<void(std::string_view)>;

// Runs the command once: writes `input` to its stdin and closes it, drains stdout and
// stderr concurrently, enforces `timeout` by killing the command's tree, and reaps. When
// the command exits, whatever it started is killed too, so a grandchild holding the pipes
// cannot hang the host. Throws std::system_error when the process cannot be started, and
// the `cli.interrupted` Error when homeboy is interrupted. With `on_output`, stdout goes there
// as it arrives, so a large answer is never held whole (`out` keeps its first
// kept_output_bytes, to quote).
ProcessOutcome run_once(const Launch& command, std::string_view input, std::chrono::milliseconds timeout,
                        const OutputSink& on_output = {});

// A long-lived child speaking newline-delimited messages on stdin/stdout.
class PersistentProcess {
 public:
  explicit PersistentProcess(const Launch& command);
  explicit PersistentProcess(const Copy& copy);
  ~PersistentProcess();  // closes stdin, waits `grace` (none when interrupted), then kills the tree
  PersistentProcess(const PersistentProcess&) = delete;
  PersistentProcess& operator=(const PersistentProcess&) = delete;

  struct Reply {
    std::optional<std::string> line;  // without the newline; empty optional when none came
    std::string payload;              // the raw bytes after the line (exchange with a PayloadSize)
    bool too_large = false;           // the line announced more than max_output_bytes: the child was killed
    bool timed_out = false;
    bool exited = false;              // the child closed stdout or died
  };

  // How many raw bytes follow an answer line (0 for none): a framing that carries content
  // as it is, after a line that says its size, rather than escaped inside the line.
  using PayloadSize = std::function<std::size_t(std::string_view line)>;

  // Sends one line (a newline is appended) and waits for one line back. Throws the
  // `cli.interrupted` Error when homeboy is interrupted. With `on_line`, the answer goes
  // there as it arrives, without its newline, and Reply::line is empty once it is complete.
  Reply exchange(std::string_view line, std::chrono::milliseconds timeout, const OutputSink& on_line = {});
  // The same with raw bytes both ways: `payload` is sent right after the line's newline, and
  // the answer line is followed by as many raw bytes as `payload_size` says it announces
  // (read into Reply::payload; neither is ever copied into a line).
  Reply exchange(std::string_view line, std::string_view payload, std::chrono::milliseconds timeout,
                 const PayloadSize& payload_size);

  void kill() noexcept;                 // kills the process and everything it started, and reaps
  std::string stderr_tail() const;      // what it last wrote to stderr
  std::string describe_end();           // how it ended, once it has
  int term_signal() const noexcept;     // the signal that ended it, once it has; 0 for none

  static constexpr std::chrono::milliseconds grace{500};

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// homeboy-reaper, the supervisor every module process runs under: next to the homeboy
// executable (or in ../bin for the build tree's test binaries). Throws std::system_error
// when it is missing.
const std::filesystem::path& supervisor_path();

// The descriptors a launched process starts with: its stdin, stdout and stderr, and then
// each of `extra` as descriptor 3, 4, and so on; it has no other.
struct LaunchDescriptors {
  int in = -1, out = -1, err = -1;
  std::vector<int> extra;
};

// Starts homeboy-reaper (argv[0] must be supervisor_path(); anything else is a logic_error)
// through Boost.Process v2's vfork launcher, with exactly the environment `env` and the
// descriptors `fds`, in `working_dir` (unless empty), in a new process group of its own. It
// starts with every signal blocked (it sets its own mask, and gives its program an empty
// one) and with the default action for SIGPIPE and the other signals an ignored disposition
// would carry across the exec. Returns its pid, for the caller to reap; throws
// std::system_error when it cannot be started. (Module commands go through run_once and
// PersistentProcess, which launch the same way.)
pid_t launch_in_own_group(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                          const LaunchDescriptors& fds, const std::filesystem::path& working_dir);

}  // namespace homeboy
