#pragma once
// Module daemons (docs/module-authoring.md, "Daemons"): one module process serving every
// homeboy command of one user for one config folder, over a Unix socket, until it has been
// idle for runtime.idle_secs, its files change, or it is stopped. This component knows
// where daemons live and runs their life cycle; daemon_transport.hpp talks to them.
//
// Each daemon has five files in the user's runtime folder, named
// `<module id>-<hash of the config folder>` plus:
//   .sock  the listening socket. The command that starts the daemon binds it (mode 0600
//          from the start: only the user can connect); the daemon's supervisor
//          (homeboy-reaper --daemon) listens on it; the module gets it as fd 3 and accepts on
//          it (and may listen on it again).
//   .lock  flock(LOCK_EX) while a command starts, replaces, stops or cleans up the daemon.
//   .json  the state the starting command recorded (pids, start, fingerprint).
//   .used  flock(LOCK_SH) by every connected command; its mtime is the last use. The
//          supervisor stops the daemon once it is idle_secs old and nobody holds it.
//   .log   the module's stdout and stderr, truncated at each start.

#include "homeboy/modules/discovery.hpp"
#include "homeboy/transport/fd.hpp"
#include "homeboy/transport/process.hpp"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace homeboy::daemon {

using Clock = std::chrono::steady_clock;

// $XDG_RUNTIME_DIR/homeboy when XDG_RUNTIME_DIR names an existing folder, else
// /tmp/homeboy-<uid>; see private_runtime_dir().
std::filesystem::path runtime_dir();

// The runtime folder when it exists and is sound (a folder of the user's, closed to
// others); nothing otherwise, since no daemon of the user's can be there. Creates nothing:
// for commands that only stop daemons, such as `module uninstall`.
std::optional<std::filesystem::path> existing_runtime_dir();

// Creates `dir` (mode 0700) when missing and checks it: a folder (not a link) owned by the
// user, closed to others (a folder of the user's that is too open is closed). Throws
// config.unsafe_private_folder otherwise.
std::filesystem::path private_runtime_dir(const std::filesystem::path& dir);

struct Files {
  std::filesystem::path socket, lock, state, used, log;
};

// The files of the daemon of `module_id` for `config_dir` (made absolute and canonical, so
// every spelling of one config folder finds the same daemon).
Files files_for(const std::filesystem::path& runtime, std::string_view module_id,
                const std::filesystem::path& config_dir);

// The address to bind or connect a Unix socket at `path`. A sockaddr_un holds at most 107
// bytes of path, and a runtime folder can be deeper than that (a build folder, a long home):
// such a path is reached as /proc/self/fd/<folder>/<name> through an O_PATH descriptor of
// its folder, held for as long as the address lives.
class SocketAddress {
 public:
  explicit SocketAddress(const std::filesystem::path& path);
  // 0 when the address can be used; the errno that prevents it otherwise (ENOENT: the folder
  // is gone, ENAMETOOLONG: even the short form does not fit).
  int error() const noexcept { return error_; }
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&addr_); }
  socklen_t size() const noexcept { return sizeof addr_; }

 private:
  sockaddr_un addr_{};
  Fd folder_;
  int error_ = 0;
};

// What the command that started a daemon recorded.
struct State {
  std::string module_id;
  std::filesystem::path config_dir, module_dir, socket, log;
  pid_t supervisor_pid = 0;            // homeboy-reaper --daemon: what is signalled to stop it
  std::uint64_t supervisor_start = 0;  // its start time in clock ticks (/proc/PID/stat), against pid reuse
  pid_t pid = 0;                       // the module process
  std::string fingerprint;
  std::int64_t started = 0;            // Unix time, seconds
  std::chrono::milliseconds idle{0};
};

std::optional<State> read_state(const std::filesystem::path& file);

// Its supervisor is still the process that was started (same pid, same start time).
bool running(const State& state);

// The command a daemon of `module` runs: module_command() with `--storage-daemon`, or for a
// library module homeboy-plugin-host --storage-daemon --library LIB with a module's
// environment; plus LISTEN_FDS=1, a LISTEN_PID placeholder the supervisor fills in, and
// HOMEBOY_DAEMON_SOCKET. Throws as module_command() does (trust checks), or NativeLoadError
// (isolation_unavailable) when the helper is missing.
Launch daemon_command(const Module& module, const std::filesystem::path& config_dir, const Files& files);

// A digest of what a daemon runs and with what: its command and environment (the provider
// config included), idle time, and the identity (device, inode, size, mtime) of the
// manifest, the program, the files the command line names and every other file directly
// in the module folder (not in its subfolders: a module's data belongs elsewhere). When it changes, the daemon is replaced.
std::string fingerprint(const Module& module, const Launch& command);

// Whether `pid` is the daemon's supervisor or a process of its tree (the module, or anything
// the module started: the supervisor is their subreaper). SO_PEERCRED names whoever called
// listen() last on the socket, and a module may call it again on the socket it was given
// (Node.js's `listen({fd: 3})` does): the daemon is recognised by the processes homeboy
// started, not by who listens.
bool serves(const State& state, pid_t pid);

// Why the peer of a connection to a daemon socket is not the daemon: it runs as another
// user, or it is not a process of the daemon `state` records (serves()). Nothing when it is.
std::optional<std::string> peer_problem(uid_t peer_uid, pid_t peer_pid, uid_t uid, const State& state);

enum class Stop {
  graceful,  // the module gets SIGTERM and 1 s to exit, then its tree is killed
  at_once,   // its tree is killed now (a hung daemon)
};

// Stops the daemon and waits for its supervisor to be gone (3 s at most, then SIGKILL).
// Returns false when it was not running.
bool stop(const State& state, Stop how);

// Stops the supervisor of `pid` (the leader of its session: itself, or the supervisor of
// the module that is `pid`) when it is a homeboy-reaper of this user: for a daemon that answers on its socket but has no state
// file. Returns false when there was none.
bool stop_unrecorded(pid_t pid);

// Removes the socket and the state file (the log, lock and activity files stay).
void forget(const Files& files);

// Starts a daemon for `module`: binds files.socket, starts homeboy-reaper --daemon around
// `command`, waits (until `deadline`) for the module's program to be running, and writes the
// state file. The caller holds files.lock. Throws storage.provider_unavailable when it
// cannot start, storage.timeout past the deadline.
State start(const Module& module, const std::filesystem::path& config_dir, const Launch& command, const Files& files,
            const std::string& fingerprint, Clock::time_point deadline);

// Unix seconds as UTC, ISO 8601: "2026-11-26T13:52:55Z".
std::string utc_text(std::int64_t unix_seconds);

// Whether two config folders are the same, however spelt.
bool same_folder(const std::filesystem::path& a, const std::filesystem::path& b);

// The last lines of a daemon's log, for error messages.
std::string log_tail(const std::filesystem::path& log);

// When a command last used the daemon (the activity file's mtime), Unix seconds.
std::optional<std::int64_t> last_used(const Files& files);

// The files of the daemon whose state file is `state_file`.
Files files_of(const std::filesystem::path& state_file);

struct Daemon {
  State state;
  Files files;
};

// Every daemon in `runtime` that is running; the files of those that ended are cleaned up.
std::vector<Daemon> list(const std::filesystem::path& runtime);

// Stops every running daemon in `runtime` for which `which` holds, each under its lock,
// and cleans up its files. Returns those it stopped.
std::vector<State> stop_where(const std::filesystem::path& runtime, const std::function<bool(const State&)>& which);

// An flock(2) held on a file until destroyed. Waiting for it is bounded and interruptible
// (homeboy/transport/interrupt.hpp).
class FileLock {
 public:
  enum class Mode { shared, exclusive };
  // Opens (creating, mode 0600) `file` and locks it; `locked()` is false when `deadline`
  // passed first.
  FileLock(const std::filesystem::path& file, Mode mode, Clock::time_point deadline);
  bool locked() const noexcept { return locked_; }
  // Waits until nobody else holds the file, then goes back to `shared`. Returns false
  // when `deadline` passed first.
  bool wait_alone(Clock::time_point deadline);
  void touch() noexcept;  // sets the file's mtime to now

 private:
  Fd fd_;
  bool locked_ = false;
};

}  // namespace homeboy::daemon
