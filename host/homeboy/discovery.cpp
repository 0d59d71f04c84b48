#include "homeboy/discovery.hpp"

#include "homeboy/error.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <system_error>

namespace fs = std::filesystem;

namespace homeboy {

namespace {

const char* env_value(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

}  // namespace

fs::path resolve_config_dir(const std::optional<fs::path>& flag) {
  if (flag && !flag->empty()) return fs::absolute(*flag).lexically_normal();
  if (const char* dir = env_value("HOMEBOY_CONFIG_DIR")) return fs::absolute(dir).lexically_normal();
  if (const char* xdg = env_value("XDG_CONFIG_HOME")) return fs::path(xdg) / "homeboy";
  if (const char* home = env_value("HOME")) return fs::path(home) / ".config" / "homeboy";
  throw errors::config("config.no_config_dir",
                       "cannot tell where homeboy's config lives: HOME is not set",
                       {})
      .with_hint("Pass --config-dir DIR or set HOMEBOY_CONFIG_DIR.");
}

fs::path bundled_modules_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return (exe.parent_path().parent_path() / "share" / "homeboy" / "modules").lexically_normal();
}

std::vector<fs::path> module_search_path(const fs::path& config_dir) {
  std::vector<fs::path> path;
  if (const char* extra = env_value("HOMEBOY_MODULE_PATH")) {
    std::string_view list(extra);
    while (!list.empty()) {
      auto colon = list.find(':');
      auto item = list.substr(0, colon);
      if (!item.empty()) path.emplace_back(item);
      if (colon == std::string_view::npos) break;
      list.remove_prefix(colon + 1);
    }
  }
  path.push_back(config_dir / "modules");
  if (auto bundled = bundled_modules_dir(); !bundled.empty()) path.push_back(bundled);
  return path;
}

const Module* Catalog::find(std::string_view id) const noexcept {
  auto it = std::lower_bound(modules.begin(), modules.end(), id,
                             [](const Module& m, std::string_view key) { return m.id < key; });
  return (it != modules.end() && it->id == id) ? &*it : nullptr;
}

std::vector<const Module*> Catalog::storage_providers() const {
  std::vector<const Module*> out;
  for (const auto& m : modules)
    if (m.is_storage_provider()) out.push_back(&m);
  return out;
}

Module load_module(const fs::path& dir) {
  fs::path folder = fs::absolute(dir).lexically_normal();
  if (!folder.has_filename()) folder = folder.parent_path();
  std::string id = folder.filename().string();
  fs::path manifest_path = folder / (id + ".json");
  return Module{id, folder, manifest_path, load_manifest(manifest_path)};
}

Catalog discover(const std::vector<fs::path>& search_path) {
  Catalog catalog;
  std::set<std::string, std::less<>> seen;
  for (const auto& root : search_path) {
    std::error_code ec;
    fs::directory_iterator it(root, ec);
    if (ec) continue;  // a folder on the path that does not exist is normal
    std::vector<fs::path> dirs;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const auto& entry = *it;
      std::string name = entry.path().filename().string();
      if (name.empty() || name.front() == '.') continue;
      if (!entry.is_directory(ec)) continue;
      dirs.push_back(entry.path());
    }
    std::sort(dirs.begin(), dirs.end());
    for (const auto& dir : dirs) {
      std::string id = dir.filename().string();
      if (seen.count(id)) continue;  // first hit on the search path wins
      fs::path manifest_path = dir / (id + ".json");
      if (!fs::exists(manifest_path, ec)) {
        catalog.warnings.push_back("module folder " + dir.string() + " has no manifest " + id +
                                   ".json; skipped");
        continue;
      }
      try {
        catalog.modules.push_back(Module{id, dir, manifest_path, load_manifest(manifest_path)});
        seen.insert(id);
      } catch (const Error& e) {
        catalog.warnings.push_back(std::string(e.what()) + "; module '" + id + "' skipped");
      }
    }
  }
  std::sort(catalog.modules.begin(), catalog.modules.end(),
            [](const Module& a, const Module& b) { return a.id < b.id; });
  return catalog;
}

}  // namespace homeboy
