#include "homeboy/modules/discovery.hpp"

#include "homeboy/error.hpp"
#include "homeboy/contract/limits.hpp"
#include "homeboy/modules/trust.hpp"
#include "homeboy/platform.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
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
  throw Error(Errc::config_no_config_dir, "cannot tell where homeboy's config lives: HOME is not set", {})
      .with_hint("Pass --config-dir DIR or set HOMEBOY_CONFIG_DIR.");
}

void ensure_config_dir(const fs::path& config_dir) {
  std::error_code ec;
  fs::create_directories(config_dir.parent_path(), ec);
  ::mkdir(config_dir.c_str(), 0700);
  struct stat st {};
  if (::stat(config_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error(Errc::config_unsafe_private_folder, config_dir.string() + " is not a folder homeboy can use",
                {{"path", config_dir.string()}});
  if (st.st_uid != ::geteuid())
    // Another user's folder: they could read the documents written there (passwords, tokens)
    // or swap them, whatever the modes homeboy gives them.
    throw Error(Errc::config_unsafe_private_folder,
                config_dir.string() + " is owned by user id " + std::to_string(st.st_uid) + ", not by you (" +
                    std::to_string(::geteuid()) + "); homeboy keeps config only in a folder of your own",
                {{"path", config_dir.string()}, {"owner", st.st_uid}})
        .with_hint("Use a config folder of your own: --config-dir DIR or HOMEBOY_CONFIG_DIR.");
  if ((st.st_mode & 077) != 0) ::chmod(config_dir.c_str(), st.st_mode & 0700);
}

void close_config_dir(const fs::path& config_dir) {
  struct stat st {};
  if (::stat(config_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 077) == 0) return;
  if (st.st_uid == ::geteuid() && ::chmod(config_dir.c_str(), st.st_mode & 07700) == 0) return;
  throw Error(Errc::config_unsafe_private_folder,
              config_dir.string() + " is open to other users (mode " + [&] {
                char mode[8];
                std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
                return std::string(mode);
              }() + ") and homeboy cannot close it: it is owned by user id " + std::to_string(st.st_uid) +
                  ", not by you (" + std::to_string(::geteuid()) + ")",
              {{"path", config_dir.string()}, {"owner", st.st_uid}})
      .with_hint("Use a config folder of your own: --config-dir DIR or HOMEBOY_CONFIG_DIR.");
}

namespace {

// <dir of the running executable>/../share/homeboy; empty when it cannot be told.
const fs::path& share_dir() {
  static const fs::path dir = [] {  // asked several times a run; the answer cannot change
    std::error_code ec;
    fs::path exe = platform::own_executable(ec);
    if (ec) return fs::path();
    return (exe.parent_path().parent_path() / "share" / "homeboy").lexically_normal();
  }();
  return dir;
}

}  // namespace

fs::path bundled_modules_dir() { return share_dir().empty() ? fs::path() : share_dir() / "modules"; }
fs::path available_modules_dir() { return share_dir().empty() ? fs::path() : share_dir() / "available-modules"; }
fs::path kit_dir() { return share_dir().empty() ? fs::path() : share_dir() / "kit"; }

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

const RefusedModule* Catalog::find_refused(std::string_view id) const noexcept {
  auto it = std::find_if(refused.begin(), refused.end(), [&](const RefusedModule& r) { return r.id == id; });
  return it != refused.end() ? &*it : nullptr;
}

std::vector<const Module*> Catalog::storage_providers() const {
  std::vector<const Module*> out;
  for (const auto& m : modules)
    if (m.is_storage_provider()) out.push_back(&m);
  return out;
}

namespace {

// The other manifests a folder without `<id>.json` holds (`*.json` files), by name: an author
// who named the manifest otherwise is told so, not that it "cannot be read".
std::vector<std::string> misnamed_manifests(const fs::path& folder) {
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".json" && it->is_regular_file(ec)) found.push_back(it->path().filename().string());
  std::sort(found.begin(), found.end());
  return found;
}

// "has no manifest <id>.json", naming the misnamed one when there is one, with the fix.
Error missing_manifest(const fs::path& folder, const std::string& id, const fs::path& manifest_path) {
  auto others = misnamed_manifests(folder);
  std::string problem = "has no manifest " + id + ".json";
  if (!others.empty()) problem += " (it holds " + others.front() + "; a module's manifest is named after its folder)";
  Error error(Errc::config_invalid_manifest, "module folder " + folder.string() + " " + problem,
              {{"manifest_path", manifest_path.string()}, {"problem", problem}});
  if (others.size() == 1) {
    std::string stem = fs::path(others.front()).stem().string();
    error.with_hint("Rename the manifest: mv " + trust::shell_quote((folder / others.front()).string()) + " " +
                    trust::shell_quote(manifest_path.string()) + ", or the folder to '" + stem + "'.");
  }
  return error;
}

}  // namespace

Module load_module(const fs::path& dir) {
  fs::path folder = fs::absolute(dir).lexically_normal();
  if (!folder.has_filename()) folder = folder.parent_path();
  std::string id = folder.filename().string();
  fs::path manifest_path = folder / (id + ".json");
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(manifest_path, ec)) && fs::is_directory(folder, ec))
    throw missing_manifest(folder, id, manifest_path);
  return Module{id, folder, manifest_path, load_manifest(manifest_path), std::nullopt};
}

Module load_trusted_module(const fs::path& dir) {
  Module module = load_module(dir);
  auto problems = trust::check_module(module.dir, module.manifest_path, &module.manifest, ::geteuid());
  if (!problems.empty()) throw trust::untrusted(module.id, module.manifest_path, problems);
  return module;
}

namespace {

fs::path canonical_or_empty(const fs::path& p) {
  std::error_code ec;
  fs::path real = trust::real_path(p, ec);
  return ec ? fs::path() : real;
}

// A manifest's text, to tell whether a broken one may be a provider. Only a regular file
// within the manifest limit is read: a FIFO or a device must not hang or flood discovery
// (it is a possible provider then, which fails closed).
std::string read_text(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec) || fs::file_size(file, ec) > limits::manifest_bytes) return {};
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string refusal_warning(const RefusedModule& r) {
  std::string text = std::string(r.reason.what()) + "; module '" + r.id + "' refused";
  for (std::size_t i = 0; i < r.reason.hints().size(); ++i) text += (i ? "; " : "; fix: ") + r.reason.hints()[i];
  return text;
}

class Discovery {
 public:
  explicit Discovery(const fs::path& bundled)
      : bundled_path_(bundled), bundled_(canonical_or_empty(bundled)), user_(::geteuid()) {}

  void walk(const fs::path& root) {
    fs::path root_real = root == bundled_path_ ? bundled_ : canonical_or_empty(root);
    if (root_real.empty() || !fs::is_directory(root_real)) return;  // a folder on the path that does not exist is normal
    auto root_problems = trust::check_search_root(root_real, user_);
    for (const auto& dir : module_folders(root)) {
      std::string id = dir.filename().string();
      fs::path manifest_path = dir / (id + ".json");
      if (auto first = first_hit_.find(id); first != first_hit_.end()) {
        if (!(id == default_provider_id && overridden_)) {
          catalog_.warnings.push_back("module '" + id + "' in " + dir.string() + " is shadowed by the one in " +
                                      first->second.string() +
                                      " (the first on the search path wins); remove or rename one of them");
        }
        continue;
      }
      first_hit_.emplace(id, dir);
      // A folder whose manifest is gone (or a linked module whose folder is gone) may have been
      // the storage provider: it is refused as one, so no other provider quietly takes over.
      std::error_code ec;
      if (!fs::exists(manifest_path, ec)) {
        bool dangling = fs::is_symlink(fs::symlink_status(dir, ec)) && !fs::exists(dir, ec);
        std::string problem = "is a link to " + fs::read_symlink(dir, ec).string() + ", which does not exist";
        Error reason = dangling ? Error(Errc::config_invalid_manifest, "module folder " + dir.string() + " " + problem,
                                        {{"manifest_path", manifest_path.string()}, {"problem", problem}})
                                : missing_manifest(dir, id, manifest_path);
        reason.with_hint(dangling ? "Bring the linked folder back, or remove the link: rm " + trust::shell_quote(dir.string())
                                  : "Put the manifest back, or remove the folder: rm -r " + trust::shell_quote(dir.string()));
        refuse({id, dir, manifest_path, std::move(reason), true});
        continue;
      }
      admit(id, dir, manifest_path, root_real, root_problems);
    }
  }

  Catalog finish() && {
    std::sort(catalog_.modules.begin(), catalog_.modules.end(),
              [](const Module& a, const Module& b) { return a.id < b.id; });
    std::sort(catalog_.refused.begin(), catalog_.refused.end(),
              [](const RefusedModule& a, const RefusedModule& b) { return a.id < b.id; });
    return std::move(catalog_);
  }

 private:
  // The folders in `root` (links to folders included), by name; hidden ones are skipped.
  // readdir(3) tells most entries' type without a stat.
  static std::vector<fs::path> module_folders(const fs::path& root) {
    std::vector<fs::path> dirs;
    DIR* d = ::opendir(root.c_str());
    if (!d) return dirs;
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      bool folder = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
        struct stat st {};
        if (::fstatat(::dirfd(d), e->d_name, &st, 0) == 0)
          folder = S_ISDIR(st.st_mode);
        else  // a link to a folder that is gone (a module installed with --link whose source
              // moved): reported, not passed over
          folder = ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
      }
      if (folder) dirs.push_back(root / e->d_name);
    }
    ::closedir(d);
    std::sort(dirs.begin(), dirs.end());
    return dirs;
  }

  void admit(const std::string& id, const fs::path& dir, const fs::path& manifest_path, const fs::path& root_real,
             const std::vector<trust::Problem>& root_problems) {
    std::optional<Manifest> manifest;
    std::optional<Error> invalid;
    try {
      manifest = load_manifest(manifest_path);
    } catch (const Error& e) {
      invalid = e;
    }
    auto problems = root_problems;
    auto own = trust::check_module(dir, manifest_path, manifest ? &*manifest : nullptr, user_, root_real);
    problems.insert(problems.end(), own.begin(), own.end());
    bool replaces_builtin = id == default_provider_id && root_real != bundled_;
    if (replaces_builtin && manifest && !manifest->overrides_builtin) {
      problems.push_back({trust::Kind::shadows_builtin, dir,
                          dir.string() + " would replace the builtin-filesystem shipped with homeboy",
                          "Rename the folder and its manifest to another id, or add \"overrides_builtin\": true to " +
                              manifest_path.string() + " to replace the shipped one on purpose."});
    }
    bool provider = manifest ? manifest->storage_provider.has_value()
                             : may_declare_storage_provider(read_text(manifest_path));
    if (!problems.empty()) {
      refuse({id, dir, manifest_path, trust::untrusted(id, manifest_path, problems), provider});
    } else if (invalid) {
      Error reason = *invalid;
      reason.with_hint("Fix " + manifest_path.string() + ".");
      refuse({id, dir, manifest_path, std::move(reason), provider});
    } else {
      Module module{id, dir, manifest_path, std::move(*manifest), std::nullopt};
      if (replaces_builtin) {
        overridden_ = true;
        if (!bundled_.empty()) {
          fs::path shipped = bundled_ / id / (id + ".json");
          if (fs::exists(shipped)) module.overrides = shipped;
        }
      }
      catalog_.modules.push_back(std::move(module));
    }
  }

  void refuse(RefusedModule refused) {
    catalog_.warnings.push_back(refusal_warning(refused));
    catalog_.refused.push_back(std::move(refused));
  }

  fs::path bundled_path_, bundled_;  // as given, and its real path
  uid_t user_;
  bool overridden_ = false;
  std::map<std::string, fs::path, std::less<>> first_hit_;
  Catalog catalog_;
};

}  // namespace

Catalog discover(const std::vector<fs::path>& search_path, const fs::path& bundled) {
  Discovery discovery(bundled);
  for (const auto& root : search_path) discovery.walk(root);
  return std::move(discovery).finish();
}

}  // namespace homeboy
