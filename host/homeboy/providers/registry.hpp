#pragma once
// Chooses the one active storage provider and opens it on the right transport.

#include "homeboy/modules/discovery.hpp"
#include "homeboy/storage.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace homeboy {

enum class TransportPreference { automatic, native, subprocess };

// HOMEBOY_STORAGE_TRANSPORT=native|subprocess|auto; throws config.invalid_environment.
TransportPreference transport_preference_from_env();

// Where a native library runs. `automatic` follows each manifest's runtime.isolation;
// the others apply to every plugin.
enum class IsolationPreference { automatic, in_process, process };

// HOMEBOY_ISOLATION=process|in_process|auto; throws config.invalid_environment.
IsolationPreference isolation_preference_from_env();

// Every HOMEBOY_* variable a storage command reads, checked before it starts: a value homeboy
// cannot use stops it at once (config.invalid_environment), not at the first operation.
void check_environment();

struct Selection {
  const Module* module = nullptr;
  SelectedBy selected_by = SelectedBy::config;
};

// DESIGN.md section 4: `storage` in <config>/homeboy.json picks; otherwise the providers
// other than builtin-filesystem are counted (0 -> default, 1 -> it, 2+ -> config.multiple_providers).
// Fails closed with config.broken_provider when the picked module is refused, or (without a
// pick) when any refused module is or may be a provider.
Selection select_provider(const Catalog& catalog, const std::filesystem::path& config_dir);

// The `storage` key of <config>/homeboy.json, read with plain file I/O (it bootstraps storage).
std::optional<std::string> configured_provider(const std::filesystem::path& config_dir);

// Holds the one active provider of a host run.
class Registry {
 public:
  Registry(Catalog catalog, std::filesystem::path config_dir);

  const Catalog& catalog() const noexcept { return catalog_; }
  const std::filesystem::path& config_dir() const noexcept { return config_dir_; }

  // Selects and opens the provider. A second call is refused: one provider per run.
  Storage& activate(TransportPreference preference, IsolationPreference isolation = IsolationPreference::automatic);
  Storage* active() noexcept { return storage_.get(); }

  // Opens another provider than the active one, one the command names (migrate --from and
  // --to, module test, install's check), by the same rules; the caller holds it.
  std::unique_ptr<Storage> open(const Module& module, TransportPreference preference,
                                IsolationPreference isolation = IsolationPreference::automatic) const;

 private:
  Catalog catalog_;
  std::filesystem::path config_dir_;
  std::unique_ptr<Storage> storage_;
};

// Opens `module` on the transport `preference` allows: native first when it has a library
// (in-process, or isolated in a helper process as `isolation` says), falling back to its
// executable with the reason recorded. Throws homeboy::Error. homeboy opens providers
// through a Registry; this is the step it takes, for tests and benchmarks of a transport.
std::unique_ptr<Storage> open_provider(const Module& module, const std::filesystem::path& config_dir,
                                       TransportPreference preference,
                                       IsolationPreference isolation = IsolationPreference::automatic,
                                       SelectedBy selected_by = SelectedBy::named);

}  // namespace homeboy
