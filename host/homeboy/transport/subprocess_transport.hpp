#pragma once
// Subprocess modules: one process per event (`--storage-operation`) or one process
// per host run answering newline-delimited requests (`--storage-serve`).

#include "homeboy/modules/discovery.hpp"
#include "homeboy/transport/process.hpp"
#include "homeboy/transport/transport.hpp"

#include <chrono>
#include <memory>

namespace homeboy {

// How a module is started: argv[0] found as trust.hpp allows, its folder as working
// directory, and module_environment() as its whole environment (docs/module-authoring.md).
// Throws config.untrusted_module for an executable it may not run.
Launch module_command(const Module& module, const std::filesystem::path& config_dir, std::string_view mode_flag);

// Larger provider configs reach the module only through HOMEBOY_STORAGE_CONFIG_FILE.
inline constexpr std::size_t max_config_in_environment = 64 * 1024;

// The minimal environment (docs/security.md): PATH (system_path), HOME, USER, LOGNAME, LANG,
// LC_*, TZ and TMPDIR from the host, the variables named in runtime.env, and the HOMEBOY_*
// variables a module is promised.
std::vector<std::pair<std::string, std::string>> module_environment(const Module& module,
                                                                    const std::filesystem::path& config_dir);

// Creates `dir` (mode 0700) when missing and checks it is a folder of the user's (not a
// link) closed to others; one of the user's that is too open is closed. Throws
// config.unsafe_private_folder, saying what the folder is for (`purpose`), otherwise.
std::filesystem::path private_folder(const std::filesystem::path& dir, std::string_view purpose);

// Writes `config` to a 0600 file in <config_dir>/run (0700), named by module and content so
// later runs reuse it, removes older configs of that module, and returns the path.
std::filesystem::path provider_config_file(const std::filesystem::path& config_dir, const std::string& module_id,
                                           const std::string& config);

// runtime.timeout_secs, unless HOMEBOY_STORAGE_TIMEOUT_SECS overrides it.
std::chrono::milliseconds module_timeout(const Module& module);

// What a transport that runs a module's executable (one-shot, persistent, daemon) knows of
// the module from its manifest: its id, its timeout, batch support and capabilities.
class ModuleProcessTransport : public Transport {
 public:
  bool supports_batch() const noexcept override { return supports_batch_; }
  contract::Capabilities capabilities() const noexcept override { return capabilities_; }
  std::optional<std::chrono::milliseconds> timeout() const noexcept override { return timeout_; }

 protected:
  explicit ModuleProcessTransport(const Module& module);

  const std::string module_id_;
  const std::chrono::milliseconds timeout_;
  const bool supports_batch_;
  const contract::Capabilities capabilities_;
};

// storage.too_large: a module process answered more than max_output_bytes (or announced
// raw content that large), and was stopped.
Error answer_too_large(std::string_view module_id, const contract::Event& event);

// Refuses, before anything is sent, what JSON text cannot carry to this module: content
// that is not UTF-8 (unless the module declares "binary") and paths that are not UTF-8.
void check_transportable(const contract::Event& event, const contract::Capabilities& capabilities,
                         std::string_view module_id);

class OneShotTransport final : public ModuleProcessTransport {
 public:
  OneShotTransport(const Module& module, const std::filesystem::path& config_dir);
  contract::Response send(const contract::Event& event) override;
  TransportKind kind() const noexcept override { return TransportKind::subprocess; }

 private:
  Launch command_;
};

class PersistentTransport final : public ModuleProcessTransport {
 public:
  PersistentTransport(const Module& module, const std::filesystem::path& config_dir);
  ~PersistentTransport() override;
  contract::Response send(const contract::Event& event) override;
  TransportKind kind() const noexcept override { return TransportKind::persistent; }

 private:
  Launch command_;
  const bool raw_content_;  // the manifest's "raw_content" capability (contract::raw)
  std::unique_ptr<PersistentProcess> process_;
  std::uint64_t next_id_ = 1;
  int restarts_left_ = 1;
};

}  // namespace homeboy
