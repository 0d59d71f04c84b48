#pragma once
// Native plugins run isolated: the `.so` is loaded by a helper process and reached over the
// persistent framing (plugin_host.hpp). The helper is a copy of homeboy's own process
// (platform::start_copy: a fork without exec, so nothing is loaded or started again but the
// plugin), or the program $HOMEBOY_PLUGIN_HOST names (homeboy-plugin-host --storage-serve,
// started under homeboy-reaper as a module is). A crash is storage.provider_crashed naming
// the signal and the operation, a hang is storage.timeout at the module's timeout; either
// way homeboy carries on, and the next operation gets a fresh helper (once per run, as for
// persistent modules).

#include "homeboy/modules/discovery.hpp"
#include "homeboy/transport/process.hpp"
#include "homeboy/transport/transport.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace homeboy {

// homeboy-plugin-host, the helper a daemon of a native plugin runs in: $HOMEBOY_PLUGIN_HOST
// when set, else next to the running executable, else in ../bin from it (how a test binary
// in the build tree finds it).
std::filesystem::path plugin_host_executable();

class IsolatedTransport final : public Transport {
 public:
  // Starts the helper and has it load the module's library. Throws NativeLoadError, as
  // open_native does, when the library cannot be used (the helper's verdict, or its crash
  // or hang while loading), or the helper cannot be started (isolation_unavailable).
  IsolatedTransport(const Module& module, const std::filesystem::path& config_dir);
  ~IsolatedTransport() override;

  contract::Response send(const contract::Event& event) override;
  bool supports_batch() const noexcept override { return supports_batch_; }
  contract::Capabilities capabilities() const noexcept override { return capabilities_; }
  std::optional<std::chrono::milliseconds> timeout() const noexcept override { return timeout_; }
  TransportKind kind() const noexcept override { return TransportKind::isolated; }

 private:
  void start();

  std::string helper_name() const;  // for messages

  std::string module_id_;
  std::optional<Launch> command_;  // the helper program, when HOMEBOY_PLUGIN_HOST names one
  Copy copy_;                      // otherwise
  std::string hello_;
  std::chrono::milliseconds timeout_;
  bool supports_batch_ = false;
  contract::Capabilities capabilities_;
  std::unique_ptr<PersistentProcess> process_;
  std::uint64_t next_id_ = 1;
  int restarts_left_ = 1;
  std::mutex mutex_;
};

}  // namespace homeboy
