#pragma once
// The storage facade: the only way homeboy's core touches storage. It checks paths,
// hands events to the active provider's transport, validates every answer, and turns
// failures into homeboy::Error.

#include "homeboy/contract.hpp"
#include "homeboy/transport.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace homeboy {

struct ProviderInfo {
  std::string module_id;
  std::string storage_type;
  std::string selected_by;                     // "config", "only_provider" or "default"
  std::optional<std::string> fallback_reason;  // why the native library was not used
  std::filesystem::path manifest_path;
};

class Storage {
 public:
  Storage(ProviderInfo provider, std::unique_ptr<Transport> transport);

  const ProviderInfo& provider() const noexcept { return provider_; }
  std::string_view transport_kind() const noexcept { return transport_->kind(); }

  std::string read(const std::string& path);
  void write(const std::string& path, const std::string& content);
  std::vector<contract::Entry> list(const std::string& path);
  void remove(const std::string& path, bool is_directory = false);
  void ensure_dir(const std::string& path);

  // Runs each operation and returns one validated result per operation, in order. A failed
  // operation is a failed result, not an exception; a broken provider still throws.
  std::vector<contract::Response> batch(const std::vector<contract::Event>& operations);
  std::vector<contract::Response> read_many(const std::vector<std::string>& paths);
  std::vector<contract::Response> write_many(const std::vector<std::pair<std::string, std::string>>& files);
  std::vector<contract::Response> delete_many(const std::vector<std::string>& paths);

  // One validated response for one non-batch event; throws when it failed.
  contract::Response execute(const contract::Event& event);

 private:
  contract::Response send_checked(const contract::Event& event);

  ProviderInfo provider_;
  std::unique_ptr<Transport> transport_;
};

// A path the contract accepts: absolute, without NUL bytes. Throws storage.invalid_path.
void check_path(const std::string& path);

// The error for a failed provider response (not_found -> storage.not_found, exit 4, ...).
Error failure_error(const contract::Response& response, const contract::Event& event, std::string_view module_id);

}  // namespace homeboy
