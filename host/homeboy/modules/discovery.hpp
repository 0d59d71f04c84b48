#pragma once
// Where homeboy keeps its config and where it looks for modules (DESIGN.md section 4).

#include "homeboy/error.hpp"
#include "homeboy/modules/manifest.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace homeboy {

struct Module {
  std::string id;                       // the folder name, also the manifest's file stem
  std::filesystem::path dir;
  std::filesystem::path manifest_path;
  Manifest manifest;
  // The shipped builtin-filesystem manifest this module replaces ("overrides_builtin": true).
  std::optional<std::filesystem::path> overrides;

  bool is_storage_provider() const noexcept { return manifest.storage_provider.has_value(); }
};

inline constexpr std::string_view default_provider_id = "builtin-filesystem";

// --config-dir, else $HOMEBOY_CONFIG_DIR, else $XDG_CONFIG_HOME/homeboy, else ~/.config/homeboy.
std::filesystem::path resolve_config_dir(const std::optional<std::filesystem::path>& flag);

// Makes sure homeboy's config folder exists and is the user's alone (0700): created so when
// missing, closed to 0700 when it is the user's and open to others. Its parents are created
// with the usual permissions. Throws config.unsafe_private_folder when it cannot be.
void ensure_config_dir(const std::filesystem::path& config_dir);

// The modules shipped with this homeboy: <dir of the running executable>/../share/homeboy/modules.
// The build tree mirrors that layout, so a build finds its own modules the same way.
std::filesystem::path bundled_modules_dir();

// The modules shipped with homeboy for `homeboy module install <id>`, kept off the search
// path (each would become a second storage provider): <exe>/../share/homeboy/available-modules.
std::filesystem::path available_modules_dir();

// The authoring kit `homeboy module new` starts from (examples, bindings): <exe>/../share/homeboy/kit.
std::filesystem::path kit_dir();

// $HOMEBOY_MODULE_PATH (colon list), <config>/modules, then the bundled folder.
std::vector<std::filesystem::path> module_search_path(const std::filesystem::path& config_dir);

// A module folder that is not used: its manifest is broken, or it fails the trust checks.
// It still holds its id, so a later folder with the same id never takes its place.
struct RefusedModule {
  std::string id;
  std::filesystem::path dir;
  std::filesystem::path manifest_path;
  Error reason;             // config.invalid_manifest or config.untrusted_module, with hints
  bool possible_provider;   // it is, or (its manifest unreadable) may be, a storage provider
};

struct Catalog {
  std::vector<Module> modules;          // sorted by id; for each id the first hit on the search path
  std::vector<RefusedModule> refused;   // sorted by id; first hits that cannot be used
  std::vector<std::string> warnings;    // refusals, folders without manifest, shadowed duplicates

  const Module* find(std::string_view id) const noexcept;
  const RefusedModule* find_refused(std::string_view id) const noexcept;
  std::vector<const Module*> storage_providers() const;
};

// Walks the search path; for each id the first folder holding `<id>/<id>.json` decides,
// loaded or refused. Every folder passes the trust checks (trust.hpp). Only `bundled` may
// hold a builtin-filesystem, unless the manifest says "overrides_builtin": true.
Catalog discover(const std::vector<std::filesystem::path>& search_path,
                 const std::filesystem::path& bundled = bundled_modules_dir());

// Loads one module folder (`<dir>/<basename>.json`). Throws config.invalid_manifest.
// No trust checks: for validating a folder before it is installed.
Module load_module(const std::filesystem::path& dir);

// load_module, then the trust checks of a folder found on its own (its parents are checked
// as ancestors). Throws config.invalid_manifest or config.untrusted_module.
Module load_trusted_module(const std::filesystem::path& dir);

}  // namespace homeboy
