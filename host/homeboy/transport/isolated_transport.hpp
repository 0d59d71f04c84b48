#pragma once
// Native plugins run isolated: the `.so` is loaded by a helper process shipped with homeboy
// (homeboy-plugin-host, see plugin_host.hpp) and reached over the persistent framing. A
// crash is storage.provider_crashed naming the signal and the operation, a hang is
// storage.timeout at the module's timeout; either way homeboy carries on, and the next
// operation gets a fresh helper (once per run, as for persistent modules).

#include "homeboy/modules/discovery.hpp"
#include "homeboy/transport/process.hpp"
#include "homeboy/transport/transport.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

namespace homeboy {

// The helper: $HOMEBOY_PLUGIN_HOST when set, else homeboy-plugin-host next to the running
// executable, else in ../bin from it (how a test binary in the build tree finds it).
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

  std::string module_id_;
  Launch command_;
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
