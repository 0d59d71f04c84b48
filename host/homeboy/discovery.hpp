#pragma once
// Where homeboy keeps its config and where it looks for modules (DESIGN.md section 4).

#include "homeboy/manifest.hpp"

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

  bool is_storage_provider() const noexcept { return manifest.storage_provider.has_value(); }
};

inline constexpr std::string_view default_provider_id = "builtin-filesystem";

// --config-dir, else $HOMEBOY_CONFIG_DIR, else $XDG_CONFIG_HOME/homeboy, else ~/.config/homeboy.
std::filesystem::path resolve_config_dir(const std::optional<std::filesystem::path>& flag);

// The modules shipped with this homeboy: <dir of the running executable>/../share/homeboy/modules.
// The build tree mirrors that layout, so a build finds its own modules the same way.
std::filesystem::path bundled_modules_dir();

// $HOMEBOY_MODULE_PATH (colon list), <config>/modules, then the bundled folder.
std::vector<std::filesystem::path> module_search_path(const std::filesystem::path& config_dir);

struct Catalog {
  std::vector<Module> modules;          // sorted by id; for each id the first hit on the search path
  std::vector<std::string> warnings;    // broken manifests, each naming its file and problem

  const Module* find(std::string_view id) const noexcept;
  std::vector<const Module*> storage_providers() const;
};

Catalog discover(const std::vector<std::filesystem::path>& search_path);

// Loads one module folder (`<dir>/<basename>.json`). Throws config.invalid_manifest.
Module load_module(const std::filesystem::path& dir);

}  // namespace homeboy
