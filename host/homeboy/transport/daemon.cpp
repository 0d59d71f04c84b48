#include "homeboy/transport/daemon.hpp"

#include "homeboy/platform.hpp"
#include "homeboy/transport/interrupt.hpp"
#include "homeboy/transport/io.hpp"
#include "homeboy/transport/isolated_transport.hpp"
#include "homeboy/transport/native_transport.hpp"
#include "homeboy/transport/subprocess_transport.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <thread>

namespace fs = std::filesystem;
namespace json = boost::json;

namespace homeboy::daemon {

namespace {

// The descriptors homeboy-reaper --daemon is started with (host/reaper/reaper.c).
constexpr int status_fd = 3, socket_fd = 4, activity_fd = 5;
// Its status records, two int32 each.
constexpr std::int32_t stage_setup = 1, stage_exec = 2, record_supervisor_pid = 3, record_program_pid = 4;

constexpr std::chrono::milliseconds poll_step{5};
constexpr std::chrono::milliseconds graceful_wait{3000};  // the supervisor gives the module 1 s
constexpr std::chrono::milliseconds kill_wait{1000};
constexpr std::size_t log_tail_bytes = 4096;
// LISTEN_PID's value until the supervisor writes the module's pid over it, in place.
constexpr std::string_view listen_pid_placeholder = "00000000000000000000";

std::string system_message(int error) { return std::strerror(error); }

Error unavailable(std::string_view module_id, const std::string& what, const fs::path& log = {}) {
  std::string message = "module '" + std::string(module_id) + "' could not be started as a daemon: " + what;
  std::string tail = log.empty() ? std::string() : log_tail(log);
  if (!tail.empty()) message += "; its log ends with: " + excerpt(tail, 500);
  json::object details{{"module", module_id}};
  if (!log.empty()) details["log"] = log.string();
  return Error(Errc::storage_provider_unavailable, std::move(message), std::move(details));
}

std::string process_name(pid_t pid) {
  std::string name = platform::process_name(pid);
  return name.empty() ? "ended" : name;
}

// Waits for a process (through its pidfd) to end; false when `limit` passed first.
bool wait_gone(int pidfd, std::chrono::milliseconds limit) {
  return io::wait(pidfd, io::Want::read, Clock::now() + limit, io::Interruptible::no);
}

// Signals the process behind `pidfd` and waits for it to go; SIGKILL when it does not.
void signal_and_wait(int pidfd, int sig, std::chrono::milliseconds limit) {
  if (!platform::signal_process_fd(pidfd, sig)) return;
  if (wait_gone(pidfd, limit)) return;
  platform::signal_process_fd(pidfd, SIGKILL);
  wait_gone(pidfd, kill_wait);
}

Fd open_pidfd(pid_t pid) { return Fd(platform::open_process_fd(pid)); }

// Moves a descriptor above the numbers the supervisor is started with (0 to 5), so that no
// dup2 of the launch overwrites another's source.
Fd above_daemon_fds(Fd fd) {
  if (fd.get() > activity_fd) return fd;
  int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, activity_fd + 1);
  if (moved < 0) throw std::system_error(errno, std::generic_category(), "fcntl");
  return Fd(moved);
}

json::object state_json(const State& s) {
  return {{"module_id", s.module_id},
          {"config_dir", s.config_dir.string()},
          {"module_dir", s.module_dir.string()},
          {"socket", s.socket.string()},
          {"log", s.log.string()},
          {"supervisor_pid", s.supervisor_pid},
          {"supervisor_start", s.supervisor_start},
          {"pid", s.pid},
          {"fingerprint", s.fingerprint},
          {"started", s.started},
          {"started_at", utc_text(s.started)},
          {"idle_ms", s.idle.count()}};
}

void write_state(const fs::path& file, const State& state) {
  std::string text = json::serialize(state_json(state)) + "\n";
  std::string temp = file.string() + ".XXXXXX";
  int fd = ::mkstemp(temp.data());  // 0600
  if (fd < 0) throw errors::internal("cannot write " + file.string() + ": " + system_message(errno));
  Fd owned(fd);
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  owned.reset();
  if (!written || ::rename(temp.c_str(), file.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    throw errors::internal("cannot write " + file.string() + ": " + system_message(error));
  }
}

fs::path canonical_config(const fs::path& config_dir) {
  std::error_code ec;
  fs::path config = fs::weakly_canonical(fs::absolute(config_dir), ec);
  return ec ? fs::absolute(config_dir).lexically_normal() : config;
}

}  // namespace

std::string utc_text(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

bool same_folder(const fs::path& a, const fs::path& b) { return canonical_config(a) == canonical_config(b); }

fs::path private_runtime_dir(const fs::path& dir) {
  return private_folder(dir, "homeboy keeps the sockets of module daemons there");
}

namespace {

fs::path runtime_path() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  std::error_code ec;
  if (xdg && *xdg == '/' && fs::is_directory(xdg, ec)) return fs::path(xdg) / "homeboy";
  return fs::path("/tmp") / ("homeboy-" + std::to_string(::geteuid()));
}

}  // namespace

fs::path runtime_dir() { return private_runtime_dir(runtime_path()); }

std::optional<fs::path> existing_runtime_dir() {
  fs::path dir = runtime_path();
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)
    return std::nullopt;
  return dir;
}

Files files_for(const fs::path& runtime, std::string_view module_id, const fs::path& config_dir) {
  fs::path config = canonical_config(config_dir);
  // The id keeps the files recognisable; the hash tells config folders apart.
  std::string id(module_id.substr(0, 40));
  for (char& c : id)
    if (c == '/' || static_cast<unsigned char>(c) < 0x20) c = '_';
  fs::path stem = runtime / (id + "-" + text::digest_hex(config.string()).substr(0, 12));
  Files files{stem.string() + ".sock", stem.string() + ".lock", stem.string() + ".json", stem.string() + ".used",
              stem.string() + ".log"};
  return files;
}

SocketAddress::SocketAddress(const fs::path& path) {
  addr_.sun_family = AF_UNIX;
  const std::string& full = path.native();
  if (full.size() < sizeof addr_.sun_path) {
    std::memcpy(addr_.sun_path, full.c_str(), full.size() + 1);
    return;
  }
  folder_ = Fd(platform::open_folder_handle(path.parent_path()));
  if (!folder_) {
    error_ = errno;
    return;
  }
  std::string short_form = platform::path_through_descriptor(folder_.get(), path.filename().string());
  if (short_form.size() >= sizeof addr_.sun_path) {
    error_ = ENAMETOOLONG;
    return;
  }
  std::memcpy(addr_.sun_path, short_form.c_str(), short_form.size() + 1);
}

Files files_of(const fs::path& state_file) {
  fs::path stem = state_file;
  stem.replace_extension();
  return {stem.string() + ".sock", stem.string() + ".lock", state_file, stem.string() + ".used",
          stem.string() + ".log"};
}

std::optional<State> read_state(const fs::path& file) {
  // Only a state file homeboy wrote: a regular file of the user's, closed to others. One
  // planted by another user (in a runtime folder left open for a while) could name any
  // process of the user's, with its real start time, for `module stop` to signal.
  Fd fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & 077) != 0 || st.st_size > (1 << 20))
    return std::nullopt;
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  json::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& o = value.get_object();
  auto str = [&](std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  auto num = [&](std::string_view key) -> std::int64_t {
    const auto* v = o.if_contains(key);
    if (v && v->is_int64()) return v->get_int64();
    if (v && v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    return 0;
  };
  State s;
  s.module_id = str("module_id");
  s.config_dir = str("config_dir");
  s.module_dir = str("module_dir");
  s.socket = str("socket");
  s.log = str("log");
  s.supervisor_pid = static_cast<pid_t>(num("supervisor_pid"));
  s.supervisor_start = static_cast<std::uint64_t>(num("supervisor_start"));
  s.pid = static_cast<pid_t>(num("pid"));
  s.fingerprint = str("fingerprint");
  s.started = num("started");
  s.idle = std::chrono::milliseconds(num("idle_ms"));
  if (s.module_id.empty() || s.supervisor_pid <= 0) return std::nullopt;
  return s;
}

bool running(const State& state) {
  return state.supervisor_pid > 0 && platform::process_start_time(state.supervisor_pid) == state.supervisor_start;
}

Launch daemon_command(const Module& module, const fs::path& config_dir, const Files& files) {
  Launch command;
  if (const auto& library = module.manifest.runtime.library) {
    // A native plugin's daemon is the isolation helper, which loads the library once for every
    // command. The helper is part of homeboy: it is in the fingerprint (argv[0]), so a new
    // homeboy-plugin-host replaces the daemon as a new library does.
    fs::path helper = plugin_host_executable();
    if (::access(helper.c_str(), X_OK) != 0)
      throw NativeLoadError("isolation_unavailable", "the isolation helper " + helper.string() +
                                                         " is missing or not executable; it ships with homeboy, next to "
                                                         "the homeboy executable");
    command.argv = {helper.string(), "--storage-daemon", "--library", *library};
    command.working_dir = module.dir;
    // A module's environment, whose variables (runtime.env) are all the plugin sees: the
    // daemon outlives the shell that started it, and any variable that changed would
    // replace it. The config goes through the private file only.
    command.env = module_environment(module, config_dir);
    std::erase_if(command.env, [](const auto& kv) { return kv.first == "HOMEBOY_STORAGE_CONFIG"; });
    // The helper is homeboy's own code: in a sanitizer build it reads the options homeboy does.
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
      if (const char* value = std::getenv(name)) command.env.emplace_back(name, value);
    command.inherit_environment = false;
  } else {
    command = module_command(module, config_dir, "--storage-daemon");
  }
  command.env.emplace_back("LISTEN_FDS", "1");
  command.env.emplace_back("LISTEN_PID", listen_pid_placeholder);
  command.env.emplace_back("HOMEBOY_DAEMON_SOCKET", files.socket.string());
  return command;
}

std::string fingerprint(const Module& module, const Launch& command) {
  std::string text = "homeboy module daemon 1\n";
  for (const auto& word : command.argv) text += "argv " + word + "\n";
  for (const auto& [key, value] : command.env)
    if (key != "LISTEN_PID") text += "env " + key + "=" + value + "\n";
  text += "idle_ms " + std::to_string(module.manifest.runtime.idle.count()) + "\n";

  // The files whose change means other code or settings: sorted, each once.
  std::error_code ec;
  fs::path dir = fs::weakly_canonical(module.dir, ec);
  std::set<fs::path> files{module.manifest_path};
  if (!command.argv.empty()) files.insert(command.argv.front());
  for (std::size_t i = 1; i < command.argv.size(); ++i) {
    fs::path named = dir / command.argv[i];
    if (fs::is_regular_file(named, ec)) files.insert(named);
  }
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.starts_with(".") && it->is_regular_file(ec)) files.insert(it->path());
  }
  for (const auto& file : files) {
    struct stat st {};
    text += "file " + file.string();
    if (::stat(file.c_str(), &st) == 0)
      text += " " + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + " " + std::to_string(st.st_size) +
              " " + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    text += "\n";
  }
  return text::digest_hex(text);
}

bool serves(const State& state, pid_t pid) {
  if (!running(state)) return false;
  // Up the parent chain to the supervisor; a tree deeper than this is not a module's.
  for (int depth = 0; pid > 1 && depth < 64; ++depth) {
    if (pid == state.supervisor_pid) return true;
    auto parent = platform::parent_process(pid);
    if (!parent) return false;
    pid = *parent;
  }
  return false;
}

std::optional<std::string> peer_problem(uid_t peer_uid, pid_t peer_pid, uid_t uid, const State& state) {
  if (peer_uid != uid)
    return "it is served by user id " + std::to_string(peer_uid) + " (pid " + std::to_string(peer_pid) +
           "), not by this user (" + std::to_string(uid) + ")";
  if (!serves(state, peer_pid))
    return "it is served by pid " + std::to_string(peer_pid) + " (" + process_name(peer_pid) +
           "), which is not a process of the daemon homeboy started (supervisor pid " +
           std::to_string(state.supervisor_pid) + ", module pid " + std::to_string(state.pid) + ")";
  return std::nullopt;
}

bool stop(const State& state, Stop how) {
  Fd pidfd = open_pidfd(state.supervisor_pid);
  // Checked after opening: the pidfd then refers to that very process, or to none.
  if (!pidfd || !running(state)) return false;
  signal_and_wait(pidfd.get(), how == Stop::graceful ? SIGTERM : SIGINT,
                  how == Stop::graceful ? graceful_wait : kill_wait);
  return true;
}

bool stop_unrecorded(pid_t pid) {
  // The listener may be the module (it listened again), not its supervisor: the supervisor
  // leads the daemon's session (setsid), so it is the listener's session leader.
  pid = ::getsid(pid);
  if (pid <= 1) return false;
  Fd pidfd = open_pidfd(pid);
  if (!pidfd) return false;
  std::string name = process_name(pid);  // again, now that the pidfd holds the process
  bool ours = platform::process_owner(pid) == ::geteuid();
  if (name != "homeboy-reaper" || !ours) return false;
  signal_and_wait(pidfd.get(), SIGTERM, graceful_wait);
  return true;
}

void forget(const Files& files) {
  ::unlink(files.socket.c_str());
  ::unlink(files.state.c_str());
}

State start(const Module& module, const fs::path& config_dir, const Launch& command, const Files& files,
            const std::string& fingerprint, Clock::time_point deadline) {
  throw_if_interrupted();  // nothing new starts once homeboy is being interrupted
  auto fail = [&](const std::string& what) { return unavailable(module.id, what, files.log); };
  forget(files);

  Fd socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket) throw fail("socket: " + system_message(errno));
  // Mode 0600 before it has a name (bind applies the socket's mode): only the user, and
  // root, can ever connect, whatever the folder's mode, and whether or not the module checks
  // its peers.
  if (::fchmod(socket.get(), 0600) != 0) throw fail("fchmod: " + system_message(errno));
  SocketAddress address(files.socket);
  if (address.error() != 0 || ::bind(socket.get(), address.get(), address.size()) != 0)
    throw fail("cannot bind " + files.socket.string() + ": " +
               system_message(address.error() != 0 ? address.error() : errno));
  ::chmod(files.socket.c_str(), 0600);  // again: bind takes the umask's bits away, and the user needs 0600
  // The supervisor's own open file: the flock it takes must not be one a command holds.
  Fd activity(::open(files.used.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  Fd log(::open(files.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600));
  Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!activity || !log || !null) throw fail("cannot open its files in " + files.socket.parent_path().string() +
                                             ": " + system_message(errno));
  ::futimens(activity.get(), nullptr);  // idle from now
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) throw fail("pipe2: " + system_message(errno));
  Fd status_read(status_pipe[0]), status_write(status_pipe[1]);
  socket = above_daemon_fds(std::move(socket));
  activity = above_daemon_fds(std::move(activity));
  log = above_daemon_fds(std::move(log));
  null = above_daemon_fds(std::move(null));
  status_write = above_daemon_fds(std::move(status_write));

  std::vector<std::string> argv_text{supervisor_path().string(), "--daemon",
                                     std::to_string(module.manifest.runtime.idle.count())};
  argv_text.insert(argv_text.end(), command.argv.begin(), command.argv.end());
  std::vector<std::string> env_text;
  for (const auto& [key, value] : command.env) env_text.push_back(key + "=" + value);
  pid_t intermediate = -1;
  try {
    static_assert(status_fd == 3 && socket_fd == 4 && activity_fd == 5);
    intermediate = launch_in_own_group(argv_text, env_text,
                                       {null.get(), log.get(), log.get(), {status_write.get(), socket.get(), activity.get()}},
                                       command.working_dir);
  } catch (const std::system_error& e) {
    throw fail(e.what());
  }
  status_write.reset();
  // It forks the supervisor and exits at once.
  while (::waitpid(intermediate, nullptr, 0) < 0 && errno == EINTR) {
  }

  // Records until end of file: the program runs once its exec closed the last copy.
  std::map<std::int32_t, std::int32_t> records;
  std::string bytes;
  for (;;) {
    if (Clock::now() >= deadline) {
      if (records.count(record_supervisor_pid)) {
        State partial;
        partial.supervisor_pid = records[record_supervisor_pid];
        partial.supervisor_start = platform::process_start_time(partial.supervisor_pid).value_or(0);
        stop(partial, Stop::at_once);
      }
      forget(files);
      throw Error(Errc::storage_timeout,
                  "module '" + module.id + "' did not start as a daemon in time: its program was not running yet",
                  {{"module", module.id}, {"log", files.log.string()}});
    }
    if (!io::wait(status_read.get(), io::Want::read, deadline, io::Interruptible::no)) continue;
    char buffer[64];
    ssize_t n = ::read(status_read.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bytes.append(buffer, static_cast<std::size_t>(n));
    while (bytes.size() >= 8) {
      std::int32_t record[2];
      std::memcpy(record, bytes.data(), sizeof record);
      records[record[0]] = record[1];
      bytes.erase(0, 8);
    }
  }
  if (records.count(stage_setup) || records.count(stage_exec)) {
    forget(files);
    bool exec = records.count(stage_exec) != 0;
    int error = exec ? records[stage_exec] : records[stage_setup];
    throw fail(exec ? "cannot run " + command.argv.front() + ": " + system_message(error)
                    : "its supervisor could not set up: " + system_message(error));
  }
  if (!records.count(record_supervisor_pid) || !records.count(record_program_pid)) {
    forget(files);
    throw fail("its supervisor ended before starting it");
  }
  State state;
  state.module_id = module.id;
  state.config_dir = canonical_config(config_dir);
  state.module_dir = module.dir;
  state.socket = files.socket;
  state.log = files.log;
  state.supervisor_pid = records[record_supervisor_pid];
  state.supervisor_start = platform::process_start_time(state.supervisor_pid).value_or(0);
  state.pid = records[record_program_pid];
  state.fingerprint = fingerprint;
  state.started = static_cast<std::int64_t>(std::time(nullptr));
  state.idle = module.manifest.runtime.idle;
  write_state(files.state, state);
  return state;
}

std::string log_tail(const fs::path& log) {
  std::ifstream in(log, std::ios::binary | std::ios::ate);
  if (!in) return {};
  auto size = static_cast<std::size_t>(in.tellg());
  std::size_t from = size > log_tail_bytes ? size - log_tail_bytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string tail((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ' || tail.back() == '\r')) tail.pop_back();
  return tail;
}

std::optional<std::int64_t> last_used(const Files& files) {
  struct stat st {};
  if (::stat(files.used.c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec);
}

std::vector<Daemon> list(const fs::path& runtime) {
  std::vector<Daemon> out;
  std::error_code ec;
  std::vector<fs::path> state_files;
  for (auto it = fs::directory_iterator(runtime, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->path().extension() == ".json") state_files.push_back(it->path());
  std::sort(state_files.begin(), state_files.end());
  for (const auto& file : state_files) {
    Files files = files_of(file);
    auto state = read_state(file);
    if (state && running(*state)) {
      out.push_back({std::move(*state), std::move(files)});
      continue;
    }
    // It ended (idle, killed): clean up after it, unless a command is busy with it.
    FileLock lock(files.lock, FileLock::Mode::exclusive, Clock::now());
    if (!lock.locked()) continue;
    auto again = read_state(file);
    if (!again || !running(*again)) forget(files);
  }
  return out;
}

std::vector<State> stop_where(const fs::path& runtime, const std::function<bool(const State&)>& which) {
  std::vector<State> stopped;
  for (const auto& [state, files] : list(runtime)) {
    if (!which(state)) continue;
    FileLock lock(files.lock, FileLock::Mode::exclusive, Clock::now() + std::chrono::seconds(10));
    auto current = read_state(files.state);
    if (!current || current->supervisor_pid != state.supervisor_pid) continue;  // replaced meanwhile
    forget(files);  // first: a command arriving now starts a fresh daemon, once this lock is free
    if (stop(*current, Stop::graceful)) stopped.push_back(*current);
  }
  return stopped;
}

FileLock::FileLock(const fs::path& file, Mode mode, Clock::time_point deadline)
    : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
  if (!fd_) throw errors::internal("cannot open " + file.string() + ": " + system_message(errno));
  int operation = mode == Mode::shared ? LOCK_SH : LOCK_EX;
  for (;;) {
    if (::flock(fd_.get(), operation | LOCK_NB) == 0) {
      locked_ = true;
      return;
    }
    if (errno != EWOULDBLOCK && errno != EINTR)
      throw errors::internal("cannot lock " + file.string() + ": " + system_message(errno));
    if (Clock::now() >= deadline) return;
    io::sleep_until(Clock::now() + poll_step, io::Interruptible::yes);  // a signal to homeboy throws
  }
}

bool FileLock::wait_alone(Clock::time_point deadline) {
  // Converting a lock is not atomic (flock(2)), but nobody can take the daemon over meanwhile:
  // the caller holds the daemon's start lock.
  bool alone = false;
  for (;;) {
    if (::flock(fd_.get(), LOCK_EX | LOCK_NB) == 0) {
      alone = true;
      break;
    }
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(poll_step);
    if (interrupting_signal()) break;
  }
  ::flock(fd_.get(), LOCK_SH);
  throw_if_interrupted();
  return alone;
}

void FileLock::touch() noexcept { ::futimens(fd_.get(), nullptr); }

}  // namespace homeboy::daemon
