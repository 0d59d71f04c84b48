#include "homeboy/transport/daemon_transport.hpp"

#include "homeboy/platform.hpp"

#include "homeboy/transport/interrupt.hpp"
#include "homeboy/transport/io.hpp"
#include "homeboy/seconds.hpp"
#include "homeboy/transport/native_transport.hpp"
#include "homeboy/transport/plugin_host.hpp"
#include "homeboy/transport/subprocess_transport.hpp"

#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

namespace fs = std::filesystem;

namespace homeboy {

namespace {

using Clock = daemon::Clock;
using Mode = daemon::FileLock::Mode;

// Connects to the socket when something listens there; -errno otherwise (ENOENT: no socket,
// ECONNREFUSED: nobody listens any more). EAGAIN (its backlog is full) is waited out.
int try_connect(const fs::path& socket, Clock::time_point deadline) {
  daemon::SocketAddress address(socket);
  if (address.error() != 0) return -address.error();
  for (;;) {
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return -errno;
    if (::connect(fd.get(), address.get(), address.size()) == 0) return fd.release();
    int error = errno;
    if (error == EINTR) continue;
    if (error != EAGAIN || Clock::now() >= deadline) return -error;
    ::usleep(2000);
    throw_if_interrupted();
  }
}

using Peer = platform::Peer;

Peer peer_of(int socket) { return platform::socket_peer(socket).value_or(Peer{static_cast<uid_t>(-1), 0}); }

}  // namespace

struct DaemonTransport::Connection {
  daemon::FileLock use;  // held shared while connected: the daemon is in use, not idle
  Fd socket;
  daemon::State state;
  std::string buffer;
  bool hello_pending = true;
  bool raw_content = false;  // the daemon's hello offered contract::raw framing
  Clock::time_point hello_deadline;

  ~Connection() { use.touch(); }  // the daemon is idle from now

  // Writes all of `data`; `closed` when the daemon closed the connection, `timed_out` at the deadline.
  Got write_all(std::string_view data, Clock::time_point deadline) {
    while (!data.empty()) {
      ssize_t n = ::send(socket.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return Got::closed;
      if (!wait(io::Want::write, deadline)) return Got::timed_out;
    }
    return Got::line;
  }

  // Reads up to the next newline; the line (without it) is left in `line`.
  Got read_line(std::string& line, Clock::time_point deadline) {
    std::size_t scanned = 0;
    for (;;) {
      auto end = buffer.find('\n', scanned);
      if (end != std::string::npos) {
        line.assign(buffer, 0, end);
        buffer.erase(0, end + 1);
        return Got::line;
      }
      scanned = buffer.size();
      if (buffer.size() > max_output_bytes) return Got::too_large;
      if (auto got = receive(deadline)) return *got;
    }
  }

  // Reads the next `size` bytes into `out`, received straight into it.
  Got read_bytes(std::size_t size, std::string& out, Clock::time_point deadline) {
    std::size_t have = std::min(size, buffer.size());
    out.resize(size);
    buffer.copy(out.data(), have);
    buffer.erase(0, have);
    while (have < size) {
      ssize_t n = ::recv(socket.get(), out.data() + have, size - have, 0);
      if (n > 0) {
        have += static_cast<std::size_t>(n);
        continue;
      }
      if (n == 0) return Got::closed;
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return Got::closed;
      if (!wait(io::Want::read, deadline)) return Got::timed_out;
    }
    return Got::line;
  }

  // Reads up to the next newline, handing what comes before it to `answer` piece by piece as
  // it arrives: a large answer is held once, as the model's content, never as a line too.
  Got read_answer(contract::ResponseParser& answer, Clock::time_point deadline) {
    std::size_t fed = 0;
    for (;;) {
      auto end = buffer.find('\n');
      if (end != std::string::npos) {
        answer.feed(std::string_view(buffer).substr(0, end));
        buffer.erase(0, end + 1);
        return Got::line;
      }
      fed += buffer.size();
      answer.feed(buffer);
      buffer.clear();
      if (fed > max_output_bytes) return Got::too_large;
      if (auto got = receive(deadline)) return *got;
    }
  }

  // One step of waiting for bytes, for read_line and read_answer: what arrives is appended to
  // `buffer`; a Got when the wait ended (closed, timed out), nothing to go on waiting.
  std::optional<Got> receive(Clock::time_point deadline) {
    char chunk[65536];
    ssize_t n = ::recv(socket.get(), chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer.append(chunk, static_cast<std::size_t>(n));
      return std::nullopt;
    }
    if (n == 0) return Got::closed;
    if (errno == EINTR) return std::nullopt;
    if (errno != EAGAIN) return Got::closed;
    if (!wait(io::Want::read, deadline)) return Got::timed_out;
    return std::nullopt;
  }

  // Waits for the socket to be ready; false at the deadline. A signal to homeboy throws.
  bool wait(io::Want want, Clock::time_point deadline) {
    return io::wait(socket.get(), want, deadline, io::Interruptible::yes);
  }
};

DaemonTransport::DaemonTransport(const Module& module, const fs::path& config_dir)
    : ModuleProcessTransport(module),
      module_(module),
      config_dir_(config_dir),
      files_(daemon::files_for(daemon::runtime_dir(), module.id, config_dir)),
      command_(daemon::daemon_command(module, config_dir, files_)),
      fingerprint_(daemon::fingerprint(module, command_)),
      native_(module.manifest.runtime.library.has_value()) {
  if (!native_) return;
  // What the plugin offers is known only to the daemon that loaded it.
  connection_ = connect();
  greet();
}

DaemonTransport::~DaemonTransport() = default;

bool DaemonTransport::supports_batch() const noexcept {
  return native_ ? native_supports_batch_ : ModuleProcessTransport::supports_batch();
}

contract::Capabilities DaemonTransport::capabilities() const noexcept {
  return native_ ? native_capabilities_ : ModuleProcessTransport::capabilities();
}

void DaemonTransport::greet() {
  Connection& c = *connection_;
  std::string line;
  if (Got got = c.read_line(line, c.hello_deadline); got != Got::line) fail(got, "hello", "did not say it was ready");
  c.hello_pending = false;
  boost::json::error_code ec;
  auto hello = boost::json::parse(line, ec);
  const auto* o = !ec ? hello.if_object() : nullptr;
  const auto* refused = o ? o->if_contains("load_error") : nullptr;
  if (refused && refused->is_object()) {
    connection_.reset();  // the daemon ends by itself: the next command tries afresh
    const auto* kind = refused->get_object().if_contains("kind");
    const auto* text = refused->get_object().if_contains("message");
    throw NativeLoadError(kind && kind->is_string() ? std::string(kind->get_string()) : "creation_failed",
                          text && text->is_string() ? std::string(text->get_string()) : excerpt(line));
  }
  auto flag = [](const boost::json::object* from, std::string_view key) {
    const auto* v = from ? from->if_contains(key) : nullptr;
    return v && v->is_bool() && v->get_bool();
  };
  const auto* protocol = o ? o->if_contains("protocol") : nullptr;
  if (!flag(o, "ready") || !protocol || !protocol->is_int64() || protocol->get_int64() != plugin_host::protocol)
    violated(Error(Errc::storage_contract_violation,
                   "module '" + module_.id + "' broke the storage contract in its daemon's hello: a native plugin's "
                   "daemon (homeboy-plugin-host) says {\"ready\": true, \"protocol\": " +
                       std::to_string(plugin_host::protocol) + ", ...} [rule " + std::string(contract::rule::daemon_hello) +
                       "]; it answered: " + excerpt(line),
                   {{"module", module_.id}, {"operation", "hello"}, {"rule", contract::rule::daemon_hello},
                    {"response_excerpt", excerpt(line)}}));
  const auto* caps = o->if_contains("capabilities");
  const auto* offered = caps ? caps->if_object() : nullptr;
  contract::Capabilities capabilities{flag(offered, "versions"), flag(offered, "binary"), flag(offered, "atomic_batch"),
                                      flag(offered, "transactions")};
  bool batch = flag(o, "supports_batch");
  bool same = capabilities.versions == native_capabilities_.versions && capabilities.binary == native_capabilities_.binary &&
              capabilities.atomic_batch == native_capabilities_.atomic_batch &&
              capabilities.transactions == native_capabilities_.transactions && batch == native_supports_batch_;
  if (greeted_ && !same)
    give_up(Error(Errc::storage_provider_failed,
                  "module '" + module_.id + "': its plugin offers other capabilities since its daemon was restarted; "
                  "the next command starts afresh",
                  {{"module", module_.id}}),
            Then::stop_daemon);
  native_capabilities_ = capabilities;
  native_supports_batch_ = batch;
  c.raw_content = flag(o, "raw_content");
  greeted_ = true;
}

std::string DaemonTransport::log_note() const {
  std::string tail = daemon::log_tail(files_.log);
  return tail.empty() ? std::string() : "; its log ends with: " + excerpt(tail, 500);
}

std::unique_ptr<DaemonTransport::Connection> DaemonTransport::connected(Fd socket, daemon::State state,
                                                                         daemon::FileLock use) {
  return std::unique_ptr<Connection>(
      new Connection{std::move(use), std::move(socket), std::move(state), {}, true, false, Clock::now() + timeout_});
}

std::unique_ptr<DaemonTransport::Connection> DaemonTransport::connect() {
  const std::string& id = module_.id;
  // Held shared from before connecting: a daemon cannot be stopped as idle under a command.
  auto use_daemon = [&] {
    std::optional<daemon::FileLock> use(std::in_place, files_.used, Mode::shared, Clock::now() + timeout_);
    if (!use->locked())
      throw Error(Errc::storage_timeout,
                  "module '" + id + "': its daemon was still being stopped after " + seconds_text(timeout_),
                  {{"module", id}, {"socket", files_.socket.string()}});
    use->touch();
    return use;
  };
  auto untrusted = [&](const Peer& peer, const std::string& problem) {
    return Error(
        Errc::storage_untrusted_daemon,
        "module '" + id + "': homeboy does not use the daemon socket " + files_.socket.string() + ": " + problem,
        {{"module", id}, {"socket", files_.socket.string()}, {"peer_uid", peer.uid}, {"peer_pid", peer.pid}},
        {"Check that XDG_RUNTIME_DIR names a folder of your own.",
         "Remove the socket, and homeboy starts a daemon of its own: rm " + files_.socket.string()});
  };

  // First without the start lock (the common case: the daemon runs and is current), then
  // with it, to start, replace or clean up after the daemon without racing other commands.
  auto use = use_daemon();
  std::optional<daemon::FileLock> start_lock;
  for (;;) {
    int fd = try_connect(files_.socket, Clock::now() + timeout_);
    auto state = daemon::read_state(files_.state);
    if (fd >= 0) {
      Fd socket(fd);
      Peer peer = peer_of(socket.get());
      if (peer.uid != ::geteuid())
        throw untrusted(peer, "it is served by user id " + std::to_string(peer.uid) + " (pid " +
                                  std::to_string(peer.pid) + "), not by this user (" +
                                  std::to_string(::geteuid()) + ")");
      bool ours = state && daemon::serves(*state, peer.pid);
      if (ours && state->fingerprint == fingerprint_)
        return connected(std::move(socket), std::move(*state), std::move(*use));
      if (start_lock) {
        // It answers, but it is not the daemon this command would start.
        socket.reset();
        if (ours) {
          use->wait_alone(Clock::now() + timeout_);  // its files changed: let the commands using it finish
        } else {
          daemon::stop_unrecorded(peer.pid);  // its state file is missing or names another process
        }
      }
    }
    if (!start_lock) {
      // Never wait for the start lock while holding the daemon: the command holding the
      // start lock may be waiting for its users to leave.
      use.reset();
      start_lock.emplace(files_.lock, Mode::exclusive, Clock::now() + timeout_);
      if (!start_lock->locked())
        throw Error(Errc::storage_timeout,
                    "module '" + id +
                        "': another homeboy command has been starting or stopping its daemon for more "
                        "than " +
                        seconds_text(timeout_),
                    {{"module", id}, {"lock", files_.lock.string()}},
                    {"If no other homeboy command is running, remove " + files_.lock.string() + "."});
      use = use_daemon();
      continue;  // another command may have started it meanwhile
    }
    // Nothing usable answers: it ended, its socket was removed, or its files changed.
    daemon::forget(files_);  // first: commands arriving meanwhile wait for the start lock
    if (state) daemon::stop(*state, daemon::Stop::graceful);
    auto started = daemon::start(module_, config_dir_, command_, files_, fingerprint_, Clock::now() + timeout_);
    fd = try_connect(files_.socket, Clock::now() + timeout_);
    if (fd < 0) {
      daemon::stop(started, daemon::Stop::at_once);
      daemon::forget(files_);
      throw Error(Errc::storage_provider_unavailable,
                  "module '" + id + "': its daemon started but cannot be reached at " + files_.socket.string() + ": " +
                      std::strerror(-fd) + log_note(),
                  {{"module", id}, {"socket", files_.socket.string()}});
    }
    Fd socket(fd);
    Peer peer = peer_of(socket.get());
    // (A daemon that has ended already, its program crashed at start, is not an impostor:
    // waiting for its hello reports it, with its log.)
    if (auto problem = daemon::peer_problem(peer.uid, peer.pid, ::geteuid(), started);
        problem && (peer.uid != ::geteuid() || daemon::running(started)))
      throw untrusted(peer, *problem);
    return connected(std::move(socket), std::move(started), std::move(*use));
  }
}

namespace {

// Whether a request the daemon may have had, but did not answer, can be sent again to a
// fresh daemon without applying a change twice.
enum class Resend {
  always,        // it changes nothing, or nothing more the second time
  if_unchanged,  // a change conditional on a version: again while that version is current
  never,         // it may have been applied
};

Resend resend_rule(const contract::Event& event) {
  switch (event.operation) {
    case contract::Operation::read:
    case contract::Operation::list:
    case contract::Operation::ensure_dir:
    case contract::Operation::check:
      return Resend::always;
    case contract::Operation::write:
    case contract::Operation::remove:
      return event.condition.kind == contract::Condition::Kind::if_version ? Resend::if_unchanged : Resend::never;
    case contract::Operation::batch:
      return std::all_of(event.operations.begin(), event.operations.end(),
                         [](const contract::Event& e) { return resend_rule(e) == Resend::always; })
                 ? Resend::always
                 : Resend::never;
  }
  return Resend::never;
}

}  // namespace

void DaemonTransport::drop(Then then) {
  daemon::State state = connection_->state;
  connection_.reset();
  failed_ = true;
  if (then == Then::stop_daemon) {
    daemon::stop(state, daemon::Stop::at_once);
    // Its files go too, unless another command has replaced it meanwhile.
    daemon::FileLock lock(files_.lock, Mode::exclusive, Clock::now() + timeout_);
    auto current = daemon::read_state(files_.state);
    if (lock.locked() && current && current->supervisor_pid == state.supervisor_pid) daemon::forget(files_);
  }
}

void DaemonTransport::give_up(Error error, Then then) {
  drop(then);
  throw error;
}

void DaemonTransport::fail(Got got, std::string_view op, const std::string& waiting_for) {
  boost::json::object details{
      {"module", module_.id}, {"operation", op}, {"pid", connection_->state.pid}, {"log", files_.log.string()}};
  std::string daemon_name = "module '" + module_.id + "' (daemon, pid " + std::to_string(connection_->state.pid) + ")";
  const std::string fresh = "; it was stopped, and the next command starts a fresh one";
  if (got == Got::timed_out) {
    details["timeout_ms"] = timeout_.count();
    give_up(Error(Errc::storage_timeout,
                  daemon_name + " " + waiting_for + " within " + seconds_text(timeout_) + fresh + log_note(),
                  std::move(details),
                  {"Raise runtime.timeout_secs in the module's manifest, or HOMEBOY_STORAGE_TIMEOUT_SECS for one "
                   "run."}),
            Then::stop_daemon);
  }
  if (got == Got::too_large)
    give_up(
        Error(Errc::storage_too_large,
              daemon_name + " answered '" + std::string(op) + "' with more than " + std::to_string(max_output_bytes >> 20) +
                  " MiB",
              std::move(details),
              {"homeboy stores files of up to 256 MiB; a batch of many large reads may need splitting."}),
        Then::keep_daemon);
  give_up(Error(Errc::storage_provider_failed,
                daemon_name + " closed the connection without answering '" + std::string(op) + "'" + fresh + log_note(),
                std::move(details)),
          Then::stop_daemon);
}

void DaemonTransport::fail(Lost lost, const contract::Event& event) {
  std::string op(contract::to_string(event.operation));
  const daemon::State& state = connection_->state;
  boost::json::object details{
      {"module", module_.id}, {"operation", op}, {"pid", state.pid}, {"log", files_.log.string()}};
  std::string daemon_name = "module '" + module_.id + "' (daemon, pid " + std::to_string(state.pid) + ")";
  const std::string fresh = "; it was stopped, and the next command starts a fresh one";
  if (lost.got == Got::timed_out) {
    details["timeout_ms"] = timeout_.count();
    std::string waiting_for = lost.stage == Stage::hello     ? "did not say it was ready"
                              : lost.stage == Stage::request ? "did not take the request '" + op + "'"
                                                             : "did not answer '" + op + "'";
    std::vector<std::string> hints;
    if (lost.stage == Stage::hello)
      hints.push_back("A daemon writes {\"ready\": true} on a line of its own as soon as it accepts a connection, "
                      "before it reads anything: homeboy sends no request until then.");
    hints.push_back("Raise runtime.timeout_secs in the module's manifest, or HOMEBOY_STORAGE_TIMEOUT_SECS for one run.");
    give_up(Error(Errc::storage_timeout,
                  daemon_name + " " + waiting_for + " within " + seconds_text(timeout_) + fresh + log_note(),
                  std::move(details), std::move(hints)),
            Then::stop_daemon);
  }
  if (lost.got == Got::too_large)
    give_up(
        Error(Errc::storage_too_large,
              daemon_name + " answered '" + std::string(op) + "' with more than " + std::to_string(max_output_bytes >> 20) +
                  " MiB",
              std::move(details),
              {"homeboy stores files of up to 256 MiB; a batch of many large reads may need splitting."}),
        Then::keep_daemon);
  // The connection closed. Say what happened: the daemon ended (its supervisor exits with
  // its program, a moment later), or it only closed this connection.
  bool ended = false;
  for (auto until = Clock::now() + std::chrono::milliseconds(300); !ended && Clock::now() < until;) {
    ended = !daemon::running(state);
    if (!ended) ::usleep(5000);
  }
  details["daemon_ended"] = ended;
  std::string what = lost.stage == Stage::hello     ? "before saying it was ready"
                     : lost.stage == Stage::request ? "before taking the request '" + op + "'"
                                                    : "without answering '" + op + "'";
  std::string message =
      daemon_name + (ended ? " ended " + what + " (it was killed or crashed, or another homeboy command stopped it)"
                           : " closed the connection " + what);
  if (lost.stage == Stage::answer && resend_rule(event) != Resend::always)
    message += "; the '" + op + "' may have been applied, so it was not sent again: read the path to see";
  give_up(Error(Errc::storage_provider_failed, message + fresh + log_note(), std::move(details)), Then::stop_daemon);
}

void DaemonTransport::violated(Error error) {
  give_up(std::move(error).with_hint("Its daemon was stopped; the next command starts a fresh one. Its log: " +
                                     files_.log.string()),
          Then::stop_daemon);
}

std::variant<contract::Response, DaemonTransport::Lost> DaemonTransport::exchange(const contract::Event& event) {
  const std::string& id = module_.id;
  Connection& c = *connection_;
  std::string line;
  if (c.hello_pending) {
    // The hello before the request: a daemon that ends before greeting has had nothing.
    if (Got got = c.read_line(line, c.hello_deadline); got != Got::line) return Lost{got, Stage::hello};
    boost::json::error_code ec;
    auto hello = boost::json::parse(line, ec);
    const auto* ready = !ec && hello.is_object() ? hello.get_object().if_contains("ready") : nullptr;
    if (!ready || !ready->is_bool() || !ready->get_bool())
      violated(contract::violation({id}, event, contract::rule::daemon_hello,
                                   "a daemon first sends {\"ready\": true} on a line of its own on each connection",
                                   line));
    const auto* raw = hello.get_object().if_contains("raw_content");
    c.raw_content = raw && raw->is_bool() && raw->get_bool();
    c.hello_pending = false;
  }
  std::uint64_t request_id = next_id_++;
  // The request goes out as it is written: a large write's content is not held again as JSON.
  // A request cut short has no end of line: no daemon acts on it.
  Got sent = Got::line;
  auto deadline = Clock::now() + timeout_;
  bool raw = c.raw_content && (event.operation == contract::Operation::write ||
                               event.operation == contract::Operation::read);
  if (raw && event.operation == contract::Operation::write) {
    // Its content as it is, after the line that announces it (contract::raw).
    sent = c.write_all(contract::raw::write_request(event, request_id) + "\n", deadline);
    if (sent == Got::line) sent = c.write_all(event.content, deadline);
  } else {
    contract::serialize(event, request_id, [&](std::string_view piece) {
      if (sent == Got::line) sent = c.write_all(piece, deadline);
    });
    if (sent == Got::line) sent = c.write_all("\n", deadline);
  }
  if (sent != Got::line) return Lost{sent, Stage::request};
  contract::ResponseParser answer(event, {id});
  std::optional<std::string> data;
  if (raw) {
    // A read's content may follow its answer line, as it is.
    if (Got got = c.read_line(line, Clock::now() + timeout_); got != Got::line) return Lost{got, Stage::answer};
    if (native_ && line.starts_with(plugin_host::host_error_prefix)) plugin_host::raise_host_error(line);
    if (std::size_t size = contract::raw::data_size(line)) {
      if (size > max_output_bytes) return Lost{Got::too_large, Stage::answer};
      if (Got got = c.read_bytes(size, data.emplace(), Clock::now() + timeout_); got != Got::line)
        return Lost{got, Stage::answer};
    }
    answer.feed(line);
  } else if (native_) {
    // The helper's own answers (host_error) are lines of their own, raised as in-process.
    if (Got got = c.read_line(line, Clock::now() + timeout_); got != Got::line) return Lost{got, Stage::answer};
    if (line.starts_with(plugin_host::host_error_prefix)) plugin_host::raise_host_error(line);
    answer.feed(line);
  } else if (Got got = c.read_answer(answer, Clock::now() + timeout_); got != Got::line) {
    return Lost{got, Stage::answer};
  }
  try {
    auto response = answer.finish();
    if (data && response.success) response.data = std::move(*data);
    if (response.id != request_id)
      throw contract::violation({id}, event, contract::rule::id_mismatch,
                                "the response must echo the request's \"id\" (" + std::to_string(request_id) + ")",
                                answer.start(), answer.size());
    return response;
  } catch (const Error& e) {
    violated(e);
  }
}

void DaemonTransport::open() {
  connection_ = connect();
  if (!native_) return;
  try {
    greet();
  } catch (const NativeLoadError& e) {
    throw Error(Errc::storage_provider_unavailable,
                "module '" + module_.id + "': a fresh daemon could not load its plugin (" + e.kind() + "): " + e.what(),
                {{"module", module_.id}});
  }
}

bool DaemonTransport::condition_still_holds(const contract::Event& event) {
  open();
  auto read = contract::Event::read(event.path);
  auto outcome = exchange(read);
  if (auto* lost = std::get_if<Lost>(&outcome)) fail(*lost, read);
  const auto& response = std::get<contract::Response>(outcome);
  return response.success && response.version == event.condition.version;
}

contract::Response DaemonTransport::send(const contract::Event& event) {
  const std::string& id = module_.id;
  check_transportable(event, capabilities(), id);
  for (bool resent = false;; resent = true) {
    if (!connection_) {
      if (failed_ && restarts_left_-- <= 0)
        throw Error(Errc::storage_provider_failed,
                    "module '" + id +
                        "' failed again after its daemon was restarted once; it is not restarted again "
                        "in this run",
                    {{"module", id}, {"operation", contract::to_string(event.operation)}});
      open();
    }
    auto outcome = exchange(event);
    if (auto* response = std::get_if<contract::Response>(&outcome)) return std::move(*response);
    Lost lost = std::get<Lost>(outcome);
    // The daemon went away (killed, crashed, stopped by `module stop`): the request goes to a
    // fresh daemon once, when that cannot apply a change twice.
    Resend rule = lost.stage == Stage::answer ? resend_rule(event) : Resend::always;
    if (lost.got != Got::closed || resent || restarts_left_ <= 0 || rule == Resend::never) fail(lost, event);
    drop(Then::stop_daemon);
    if (rule == Resend::if_unchanged) {
      --restarts_left_;
      if (!condition_still_holds(event))
        throw Error(Errc::storage_provider_failed,
                    "module '" + id + "': its daemon ended without answering '" +
                        std::string(contract::to_string(event.operation)) + "' of " + event.path +
                        ", and the version it was conditional on is no longer current: it may have been "
                        "applied, so it was not sent again; read the path to see",
                    {{"module", id}, {"operation", contract::to_string(event.operation)}, {"path", event.path}});
    }
  }
}

}  // namespace homeboy
