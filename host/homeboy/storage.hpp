#pragma once
// The storage facade: the only way homeboy's core touches storage. It checks paths and
// limits, hands events to the active provider's transport, validates every answer, cuts
// large batches into chunks, and turns failures into homeboy::Error.

#include "homeboy/contract/contract.hpp"
#include "homeboy/transport/transport.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace homeboy {

// Why a provider is the one in use (`storage status`): picked in homeboy.json, the only one
// installed besides the default, the default; or named by the command (migrate --to,
// module test, install's check).
enum class SelectedBy { config, only_provider, default_provider, named };
std::string_view to_string(SelectedBy how) noexcept;  // "config", "only_provider", "default", "named"

struct ProviderInfo {
  std::string module_id;
  std::string storage_type;
  SelectedBy selected_by = SelectedBy::named;
  std::optional<std::string> fallback_reason;  // why the native library was not used
  std::filesystem::path manifest_path;
};

struct Versioned {
  std::string content;
  std::optional<std::string> version;  // when the provider reports versions
};

// Told after each chunk of a batch: operations done so far, and in all.
using BatchProgress = std::function<void(std::size_t done, std::size_t total)>;

// Told of each request the provider answered (an operation, or a batch chunk) and how long
// the provider took: what --verbose prints.
using StorageTrace = std::function<void(const contract::Event& request, std::chrono::nanoseconds took)>;

// Given each validated result of a batch, in order, with the operation it answers, as soon
// as its chunk is done. The operation is valid only during the call.
using BatchResultSink = std::function<void(const contract::Event& operation, contract::Response&& result)>;

class Storage {
 public:
  Storage(ProviderInfo provider, std::unique_ptr<Transport> transport);

  const ProviderInfo& provider() const noexcept { return provider_; }
  TransportKind transport_kind() const noexcept { return transport_->kind(); }
  contract::Capabilities capabilities() const noexcept { return transport_->capabilities(); }

  std::string read(const std::string& path);
  Versioned read_versioned(const std::string& path);
  // Returns the new version when the provider reports one. A condition needs a provider
  // with versions (storage.unsupported otherwise); when it does not hold: storage.conflict.
  std::optional<std::string> write(const std::string& path, std::string content,
                                   contract::Condition condition = {});
  std::vector<contract::Entry> list(const std::string& path);
  void remove(const std::string& path, bool is_directory = false, contract::Condition condition = {});
  void ensure_dir(const std::string& path);
  // Changes nothing: returns while `condition` holds at `path`, throws storage.conflict when
  // it does not. Needs a provider with transactions (storage.unsupported otherwise).
  void check(const std::string& path, contract::Condition condition);

  // Runs each operation and returns one validated result per operation, in order. A failed
  // operation is a failed result, not an exception; a broken provider still throws. Large
  // batches go in chunks, each sized to finish well within the provider's timeout; when a
  // chunk times out, its operations fail with `timeout` (they may or may not have been
  // applied) and the ones after it with `not_run`.
  std::vector<contract::Response> batch(std::vector<contract::Event> operations, const BatchProgress& progress = {});
  // The same, each result handed to `sink` as it comes: a caller that keeps only what it
  // needs of each (or writes it out) never holds every result and event at once.
  void batch(std::vector<contract::Event> operations, const BatchResultSink& sink, const BatchProgress& progress = {});
  std::vector<contract::Response> read_many(const std::vector<std::string>& paths);
  std::vector<contract::Response> write_many(std::vector<std::pair<std::string, std::string>> files);
  std::vector<contract::Response> delete_many(const std::vector<std::string>& paths);

  // One validated response for one non-batch event; throws when it failed.
  contract::Response execute(contract::Event event);

  void set_trace(StorageTrace trace) { trace_ = std::move(trace); }

 private:
  contract::Response send_checked(const contract::Event& event);
  void check_event(contract::Event& event) const;

  ProviderInfo provider_;
  std::unique_ptr<Transport> transport_;
  StorageTrace trace_;
};

// The name the filesystem providers give their temp files; no path may use it.
inline constexpr std::string_view reserved_temp_name = ".homeboy-tmp";

// A path the contract accepts: absolute, no NUL byte, no "." or ".." names, no name
// reserved for temp files, within the path limits. Returns it normalized (repeated and trailing slashes dropped). Throws
// storage.invalid_path naming the problem.
std::string checked_path(std::string_view path);

// The error for a failed provider response (not_found -> storage.not_found, exit 4, ...).
Error failure_error(const contract::Response& response, const contract::Event& event, std::string_view module_id);

}  // namespace homeboy
