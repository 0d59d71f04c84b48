#pragma once
// Subprocess modules: one process per event (`--storage-operation`) or one process
// per host run answering newline-delimited requests (`--storage-serve`).

#include "homeboy/discovery.hpp"
#include "homeboy/process.hpp"
#include "homeboy/transport.hpp"

#include <chrono>
#include <memory>

namespace homeboy {

// How a module is started: argv resolved in its folder, its folder as working directory,
// and the HOMEBOY_* environment it is promised (docs/module-authoring.md).
Command module_command(const Module& module, const std::filesystem::path& config_dir, std::string_view mode_flag);

// runtime.timeout_secs, unless HOMEBOY_STORAGE_TIMEOUT_SECS overrides it.
std::chrono::milliseconds module_timeout(const Module& module);

// Refuses, before anything is sent, what JSON text cannot carry to this module: content
// that is not UTF-8 (unless the module declares "binary") and paths that are not UTF-8.
void check_transportable(const contract::Event& event, const contract::Capabilities& capabilities,
                         std::string_view module_id);

class OneShotTransport final : public Transport {
 public:
  OneShotTransport(const Module& module, const std::filesystem::path& config_dir);
  contract::Response send(const contract::Event& event) override;
  bool supports_batch() const noexcept override { return supports_batch_; }
  contract::Capabilities capabilities() const noexcept override { return capabilities_; }
  std::optional<std::chrono::milliseconds> timeout() const noexcept override { return timeout_; }
  std::string_view kind() const noexcept override { return "subprocess"; }

 private:
  std::string module_id_;
  Command command_;
  std::chrono::milliseconds timeout_;
  bool supports_batch_;
  contract::Capabilities capabilities_;
};

class PersistentTransport final : public Transport {
 public:
  PersistentTransport(const Module& module, const std::filesystem::path& config_dir);
  ~PersistentTransport() override;
  contract::Response send(const contract::Event& event) override;
  bool supports_batch() const noexcept override { return supports_batch_; }
  contract::Capabilities capabilities() const noexcept override { return capabilities_; }
  std::optional<std::chrono::milliseconds> timeout() const noexcept override { return timeout_; }
  std::string_view kind() const noexcept override { return "persistent"; }

 private:
  std::string module_id_;
  Command command_;
  std::chrono::milliseconds timeout_;
  bool supports_batch_;
  contract::Capabilities capabilities_;
  std::unique_ptr<PersistentProcess> process_;
  std::uint64_t next_id_ = 1;
  int restarts_left_ = 1;
};

}  // namespace homeboy
