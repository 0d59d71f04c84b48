#include "homeboy/config/config_tree.hpp"

#include <algorithm>

namespace fs = std::filesystem;

namespace homeboy {

namespace {

bool under(std::string_view path, std::string_view folder) {
  if (folder == "/") return true;
  return path.starts_with(folder) && (path.size() == folder.size() || path[folder.size()] == '/');
}

std::optional<std::string> excluded_name(std::string_view name) {
  if (name.starts_with(".")) return "hidden names (temporary files, .git, ...) are never copied";
  if (name.ends_with(".lock")) return "lock files are never copied";
  return std::nullopt;
}

bool database_name(std::string_view name) {
  for (std::string_view suffix : {".db", ".db-wal", ".db-shm", ".db-journal"})
    if (name.ends_with(suffix)) return true;
  return false;
}

}  // namespace

ConfigTree::ConfigTree(const fs::path& config_dir, const Catalog& catalog) : root_(checked_path(config_dir.string())) {
  bootstrap_ = {
      {root_ + "/homeboy.json", "homeboy.json picks the provider and is read without one"},
      {root_ + "/modules", "installed modules stay where `homeboy module install` put them"},
      {root_ + "/run", "homeboy's runtime folder is not config"},
  };
  for (const auto& module : catalog.modules) {
    if (!module.manifest.storage_provider) continue;
    const auto* db = module.manifest.storage_provider->config.if_contains("database_path");
    if (!db || !db->is_string() || db->get_string().empty()) continue;
    fs::path file = fs::path(std::string(db->get_string()));
    if (file.is_relative()) file = config_dir / file;
    std::string path = file.lexically_normal().string();
    if (!under(path, root_) || path == root_) continue;
    for (std::string_view suffix : {"", "-wal", "-shm", "-journal"})
      bootstrap_.emplace_back(path + std::string(suffix), "the database of storage module '" + module.id + "'");
  }
}

std::optional<std::string> ConfigTree::bootstrap(std::string_view path) const {
  for (const auto& [file, why] : bootstrap_)
    if (under(path, file)) return why;
  return std::nullopt;
}

std::optional<std::string> ConfigTree::excluded(std::string_view path) const {
  if (auto why = bootstrap(path)) return why;
  if (under(path, root_) && path.size() > root_.size()) {
    std::string_view rest = path.substr(root_ == "/" ? 1 : root_.size() + 1);
    if (rest.find('/') == std::string_view::npos && database_name(rest))
      return "database files directly in the config folder are never copied";
    for (std::size_t start = 0;;) {
      std::size_t end = rest.find('/', start);
      if (auto why = excluded_name(rest.substr(start, end == std::string_view::npos ? end : end - start))) return why;
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    return std::nullopt;
  }
  std::size_t slash = path.rfind('/');
  return excluded_name(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::vector<std::string> ConfigTree::documents(Storage& storage, std::vector<std::string> roots) const {
  if (roots.empty()) roots.push_back(root_);
  for (auto& r : roots) {
    r = checked_path(r);
    // A root given by name may itself be hidden (~/.homeboy); the name rules apply below it.
    if (auto why = bootstrap(r))
      throw errors::invalid_argument("'" + r + "' cannot be copied: " + *why, {{"path", r}});
  }
  std::sort(roots.begin(), roots.end());
  std::vector<std::string> level;
  for (const auto& r : roots)
    if (std::none_of(level.begin(), level.end(), [&](const std::string& kept) { return under(r, kept); }))
      level.push_back(r);

  std::vector<std::string> found;
  while (!level.empty()) {
    std::vector<contract::Event> lists;
    lists.reserve(level.size());
    for (const auto& folder : level) lists.push_back(contract::Event::list(folder));
    auto responses = storage.batch(lists);
    std::vector<std::string> next;
    for (std::size_t i = 0; i < responses.size(); ++i) {
      if (!responses[i].success) throw failure_error(responses[i], lists[i], storage.provider().module_id);
      for (auto& entry : *responses[i].entries) {
        if (excluded(entry.path)) continue;
        (entry.is_directory ? next : found).push_back(std::move(entry.path));
      }
    }
    level = std::move(next);
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

std::optional<std::string> ConfigTree::relative(std::string_view path) const {
  if (!under(path, root_) || path.size() <= root_.size()) return std::nullopt;
  return std::string(path.substr(root_ == "/" ? 1 : root_.size() + 1));
}

std::string ConfigTree::absolute(std::string_view relative) const {
  return (root_ == "/" ? "" : root_) + "/" + std::string(relative);
}

}  // namespace homeboy
