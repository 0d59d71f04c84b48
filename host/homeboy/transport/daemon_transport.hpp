#pragma once
// A module daemon as the provider (docs/module-authoring.md, "Daemons"): the first command
// starts it (daemon.hpp), later commands connect to its Unix socket. On each connection the
// daemon first says it is ready, then speaks the persistent framing: one request per line,
// with an "id" its answer echoes. A native plugin runs as a daemon in the isolation helper
// (plugin_host.hpp), whose hello says what the plugin offers.

#include "homeboy/transport/daemon.hpp"
#include "homeboy/transport/subprocess_transport.hpp"
#include "homeboy/transport/transport.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <variant>

namespace homeboy {

class DaemonTransport final : public ModuleProcessTransport {
 public:
  // Checks the module's executable (trust.hpp) and the runtime folder; starts nothing yet.
  // For a library module the daemon is reached at once (started when it does not run): its
  // hello says what the plugin offers, or why it cannot be loaded, thrown as NativeLoadError.
  DaemonTransport(const Module& module, const std::filesystem::path& config_dir);
  ~DaemonTransport() override;  // leaves the daemon running
  contract::Response send(const contract::Event& event) override;
  bool supports_batch() const noexcept override;
  contract::Capabilities capabilities() const noexcept override;
  TransportKind kind() const noexcept override { return TransportKind::daemon; }

 private:
  struct Connection;
  enum class Then { keep_daemon, stop_daemon };
  enum class Got { line, closed, timed_out, too_large };  // how waiting on the daemon ended
  // Where an exchange stopped: only from `answer` on has the daemon had the request.
  enum class Stage { hello, request, answer };
  struct Lost {
    Got got;
    Stage stage;
  };

  std::unique_ptr<Connection> connect();
  // connect(), and for a native daemon its hello read (greet()): the connection to send on.
  void open();
  std::unique_ptr<Connection> connected(Fd socket, daemon::State state, daemon::FileLock use);
  // One request and its answer on the connection (its hello first, on a new connection); a
  // broken contract throws (violated()).
  std::variant<contract::Response, Lost> exchange(const contract::Event& event);
  // Connects to a fresh daemon and tells whether what `event` is conditional on (its
  // if_version) still holds there: then the lost request was not applied.
  bool condition_still_holds(const contract::Event& event);
  // Drops the connection and, when told to, stops the daemon and removes its files.
  void drop(Then then);
  // drop(), then throws `error`.
  [[noreturn]] void give_up(Error error, Then then);
  // The error for `got` (anything but a line) while waiting for `waiting_for` during
  // operation `op`, via give_up(): a native daemon's hello.
  [[noreturn]] void fail(Got got, std::string_view op, const std::string& waiting_for);
  // A native daemon's hello, on a fresh connection: what the plugin offers, or why it could
  // not be loaded (NativeLoadError).
  void greet();
  // The error for an exchange that got no answer, via give_up().
  [[noreturn]] void fail(Lost lost, const contract::Event& event);
  // A broken contract: the daemon is stopped, via give_up().
  [[noreturn]] void violated(Error error);
  std::string log_note() const;

  Module module_;
  std::filesystem::path config_dir_;
  daemon::Files files_;
  Launch command_;
  std::string fingerprint_;
  std::unique_ptr<Connection> connection_;
  std::uint64_t next_id_ = 1;
  bool failed_ = false;
  int restarts_left_ = 1;
  const bool native_;  // the isolation helper serving runtime.library
  bool greeted_ = false;
  bool native_supports_batch_ = false;
  contract::Capabilities native_capabilities_;
};

}  // namespace homeboy
