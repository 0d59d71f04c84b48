#pragma once
// homeboy's config entities (projects, servers, components) as JSON documents at
// <config>/<kind>s/<id>.json, read and written only through the storage facade, so
// whichever provider is active holds them.
//
// The config's rules: a project refers only to servers and components that exist, an id
// names one document of one kind, a document's "id" is its file name. Every change keeps
// them against any number of concurrent commands (docs/config.md, "Parallel commands"):
//   - on a provider with transactions (postgres, sqlite-storage) each change is ONE
//     all-or-nothing batch, conditional on the versions it read: its writes and deletes
//     apply only to what was read, `check`s hold the ids it claims free in the other kinds,
//     and each document it newly refers to is rewritten as it was, at the version read, so
//     that a delete or rename of it that read an older world fails instead. The rules then
//     hold for every host sharing the provider;
//   - on any other provider, each change holds an advisory lock on <config>/.homeboy.lock
//     (one machine only), and puts back what it did when a step fails.

#include "homeboy/config/document.hpp"
#include "homeboy/storage.hpp"

#include <boost/json/object.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace homeboy {

struct Entity {
  std::string id;
  boost::json::object doc;  // always holds "id"
};

// The codes of failures that are per kind: project.not_found, server.already_exists,
// component.create_failed, ...
enum class EntityFailure { not_found, already_exists, create_failed };
Errc errc_for(EntityKind kind, EntityFailure failure) noexcept;

// What `create` did with one document.
enum class CreateStatus { created, skipped, failed };
std::string_view to_string(CreateStatus status) noexcept;

// How the config's rules are kept against concurrent commands (see above).
enum class Concurrency { transactions, host_lock };
std::string_view to_string(Concurrency c) noexcept;  // "transactions", "host_lock"
// Who the rules hold for: "every_host" (transactions) or "this_machine" (host_lock).
std::string_view scope_of(Concurrency c) noexcept;
Concurrency concurrency_of(const Storage& storage) noexcept;

// The config folder and its entity folders on disk are the user's own: not a symbolic link,
// not another user's. Throws config.unsafe_private_folder naming the folder and the fix.
// With `make`, also creates the config folder (0700) and closes it and the entity folders to
// 0700 where they are open to others.
void check_config_folders(const std::filesystem::path& config_dir, bool make);

// The entity kind whose documents the raw storage change `event` (a write, delete or
// ensure_dir) would touch behind the config's rules: a path inside an entity folder or the
// folder itself, or a recursive delete of a folder that holds one (the config folder, "/").
// Nothing for any other path or operation. Paths are compared as given and with their
// symbolic links resolved.
std::optional<EntityKind> config_kind_touched(const std::filesystem::path& config_dir, const contract::Event& event);

class ConfigStore {
 public:
  // Checks the config folders (check_config_folders, without making them).
  ConfigStore(Storage& storage, std::filesystem::path config_dir);

  struct Listing {
    std::vector<Entity> entities;        // sorted by id
    std::vector<std::optional<std::string>> versions;  // each entity's version, when the provider has them
    std::vector<std::string> warnings;   // documents that could not be read or parsed, by name
  };
  Listing list(EntityKind kind);                      // one batch of reads
  std::vector<std::string> ids(EntityKind kind);      // from the folder listing, no reads
  Entity get(EntityKind kind, const std::string& id); // throws <kind>.not_found with hints

  struct CreateOutcome {
    std::string id;
    CreateStatus status = CreateStatus::failed;
    std::optional<Error> error;
  };
  // Told how far the batches of a large command have come: `writing` a change (a bulk
  // create, rename's rewrites of the projects), `reading` many documents (a listing, the
  // projects a rename looks through).
  void set_progress(BatchProgress writing, BatchProgress reading = {}) {
    progress_ = std::move(writing);
    reading_progress_ = std::move(reading);
  }

  // Each change below checks everything it would check and then, with `dry_run`, stops short
  // of writing: its answer says what it would have done.

  // Creates each document; with `skip_existing`, an existing id is skipped instead of failing.
  // The valid ones are written together: in one transaction, or one batch under the lock.
  std::vector<CreateOutcome> create(EntityKind kind, std::vector<boost::json::object> docs, bool skip_existing,
                                    bool dry_run = false);

  // Applies `patch` to an existing document. Returns the document and the changed fields.
  std::pair<Entity, std::vector<std::string>> set(EntityKind kind, const std::string& id, const Patch& patch,
                                                   bool dry_run = false);

  // Renames, rewriting the projects that refer to it. Returns those projects.
  std::vector<std::string> rename(EntityKind kind, const std::string& id, const std::string& new_id,
                                  bool dry_run = false);

  // Deletes; refused (config.in_use) while a project refers to it.
  void remove(EntityKind kind, const std::string& id, bool dry_run = false);

 private:
  struct VersionedEntity {
    Entity entity;
    std::optional<std::string> version;
    std::string text;  // the document as stored
  };
  // Every id in use and its kind: three folder listings, shared by all checks of one command.
  using IdIndex = std::map<std::string, EntityKind>;
  class Change;

  std::string path_of(EntityKind kind, const std::string& id) const;
  std::string folder_of(EntityKind kind) const;
  IdIndex all_ids();
  VersionedEntity get_versioned(EntityKind kind, const std::string& id);
  std::optional<VersionedEntity> find_versioned(EntityKind kind, const std::string& id);
  // The projects that name `id` of `kind`, with their versions.
  std::vector<VersionedEntity> referencing_projects(EntityKind kind, const std::string& id);
  // config.invalid_reference for every reference of `refs` that `known` lacks (nothing when all exist).
  std::optional<Error> missing_references(const std::vector<Ref>& refs, const IdIndex& known, std::string_view what);
  // With transactions: the documents `refs` name, rewritten unchanged at the version read, so
  // that a change of one (a delete, a rename) fails until it sees this change. An error when
  // one is gone.
  std::optional<Error> hold_references(Change& change, const std::vector<Ref>& refs, std::string_view what);
  // With transactions: `id` is absent from every kind but `kind`.
  void hold_id_free(Change& change, EntityKind kind, const std::string& id) const;

  contract::Condition at_version(const std::optional<std::string>& version) const;
  contract::Condition only_if_absent() const;

  Storage& storage_;
  std::filesystem::path config_dir_;
  Concurrency concurrency_;
  BatchProgress progress_, reading_progress_;
};

}  // namespace homeboy
