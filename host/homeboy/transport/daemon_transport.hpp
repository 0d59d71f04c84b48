#pragma once
// A module daemon as the provider (docs/module-authoring.md, "Daemons"): the first command
// starts it (daemon.hpp), later commands connect to its Unix socket. On each connection the
// daemon first says it is ready, then speaks the persistent framing: one request per line,
// with an "id" its answer echoes.

#include "homeboy/transport/daemon.hpp"
#include "homeboy/transport/subprocess_transport.hpp"
#include "homeboy/transport/transport.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>

namespace homeboy {

class DaemonTransport final : public ModuleProcessTransport {
 public:
  // Checks the module's executable (trust.hpp) and the runtime folder; starts nothing yet.
  DaemonTransport(const Module& module, const std::filesystem::path& config_dir);
  ~DaemonTransport() override;  // leaves the daemon running
  contract::Response send(const contract::Event& event) override;
  TransportKind kind() const noexcept override { return TransportKind::daemon; }

 private:
  struct Connection;
  enum class Then { keep_daemon, stop_daemon };
  enum class Got { line, closed, timed_out, too_large };  // how waiting on the daemon ended

  std::unique_ptr<Connection> connect();
  std::unique_ptr<Connection> connected(Fd socket, daemon::State state, daemon::FileLock use);
  // Drops the connection (and, when told to, stops the daemon and removes its files), then throws.
  [[noreturn]] void give_up(Error error, Then then);
  // The error for `got` (anything but a line) while waiting for `waiting_for`, via give_up().
  [[noreturn]] void fail(Got got, const contract::Event& event, const std::string& waiting_for);
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
};

}  // namespace homeboy
