#pragma once
// What "homeboy's config" is when it moves between providers or into an archive: every file
// under the config folder, as the active provider sees it, except homeboy's own bootstrap
// files, which never go through a provider (docs/config.md, "What moves"):
//   <config>/homeboy.json      picks the provider; read with plain file I/O
//   <config>/modules/          installed modules
//   <config>/run/              homeboy's runtime folder
//   database files             any installed module's storage_provider.config.database_path
//                              inside the config folder, with its -wal, -shm and -journal
//                              files, and any *.db, *.db-wal, *.db-shm, *.db-journal directly
//                              in the config folder
//   hidden names               any name starting with "." at any depth (temp files, .git)
//   lock files                 any name ending in ".lock"
// Folders are not documents: they are created on the target as documents need them.

#include "homeboy/modules/discovery.hpp"
#include "homeboy/storage.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace homeboy {

class ConfigTree {
 public:
  ConfigTree(const std::filesystem::path& config_dir, const Catalog& catalog);

  const std::string& root() const noexcept { return root_; }  // the config folder as a storage path

  // Why the absolute `path` is never copied, or nothing when it may be.
  std::optional<std::string> excluded(std::string_view path) const;

  // Every document under `roots` (the config folder when empty), listed through `storage`
  // one folder level per batch, excluded ones left out, sorted and without repeats.
  // A root inside another root is walked once.
  std::vector<std::string> documents(Storage& storage, std::vector<std::string> roots = {}) const;

  // "projects/web.json" for "<config>/projects/web.json"; nothing when outside the config folder.
  std::optional<std::string> relative(std::string_view path) const;
  std::string absolute(std::string_view relative) const;

 private:
  std::optional<std::string> bootstrap(std::string_view path) const;  // homeboy's own files only

  std::string root_;
  std::vector<std::pair<std::string, std::string>> bootstrap_;  // absolute path, why it stays
};

}  // namespace homeboy
