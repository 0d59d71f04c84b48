#pragma once
// homeboy's config entities (projects, servers, components) as JSON documents at
// <config>/<kind>s/<id>.json, read and written only through the storage facade, so
// whichever provider is active holds them.

#include "homeboy/storage.hpp"

#include <boost/json/object.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace homeboy {

enum class EntityKind { project, server, component };

std::string_view to_string(EntityKind kind) noexcept;   // "project"
std::string_view plural(EntityKind kind) noexcept;      // "projects"
inline constexpr EntityKind all_kinds[] = {EntityKind::project, EntityKind::server, EntityKind::component};

struct Entity {
  std::string id;
  boost::json::object doc;  // always holds "id"
};

// Merges `patch` into `target`: objects merge, null removes a key, arrays union (unless the
// field's dotted path is in `replace`), anything else replaces. Returns the dotted paths
// of the top-level fields that changed.
std::vector<std::string> deep_merge(boost::json::object& target, const boost::json::object& patch,
                                    const std::set<std::string>& replace);

// The codes of failures that are per kind: project.not_found, server.already_exists,
// component.create_failed, ...
enum class EntityFailure { not_found, already_exists, create_failed };
Errc errc_for(EntityKind kind, EntityFailure failure) noexcept;

// What `create` did with one document.
enum class CreateStatus { created, skipped, failed };
std::string_view to_string(CreateStatus status) noexcept;

// How concurrent homeboy commands are kept from losing each other's changes: with
// compare-and-swap when the provider reports versions (any number of machines), else with
// an advisory lock on <config>/.homeboy.lock held for each change (one machine only).
enum class Concurrency { versions, host_lock };
std::string_view to_string(Concurrency c) noexcept;
Concurrency concurrency_of(const Storage& storage) noexcept;

class ConfigStore {
 public:
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
  // Creates each document; with `skip_existing`, an existing id is skipped instead of failing.
  // Valid items are written in one batch.
  std::vector<CreateOutcome> create(EntityKind kind, std::vector<boost::json::object> docs, bool skip_existing);

  // Deep-merges `patch` into an existing document. Returns the document and the changed fields.
  std::pair<Entity, std::vector<std::string>> set(EntityKind kind, const std::string& id,
                                                   const boost::json::object& patch,
                                                   const std::set<std::string>& replace);

  // Renames, rewriting the projects that refer to it, in one batch; restores everything on failure.
  std::vector<std::string> rename(EntityKind kind, const std::string& id, const std::string& new_id);

  void remove(EntityKind kind, const std::string& id);

 private:
  std::string path_of(EntityKind kind, const std::string& id) const;
  std::string folder_of(EntityKind kind) const;
  // Every id in use and its kind: three folder listings, shared by all checks of one command.
  using IdIndex = std::map<std::string, EntityKind>;
  IdIndex all_ids();
  static void check_references(const boost::json::object& project, const IdIndex& known);
  std::vector<std::string> referencing_projects(EntityKind kind, const std::string& id);

  struct VersionedEntity {
    Entity entity;
    std::optional<std::string> version;
  };
  VersionedEntity get_versioned(EntityKind kind, const std::string& id);
  // With versions: "apply only while `version` is current" (or "only while absent").
  contract::Condition unchanged_since(const std::optional<std::string>& version) const;
  contract::Condition only_if_absent() const;
  // The ids among `refs` that no longer exist, by kind.
  std::vector<std::pair<EntityKind, std::string>> missing(const std::vector<std::pair<EntityKind, std::string>>& refs);
  void ensure_private_root() const;
  // Puts back the steps of `done` that succeeded, each with its `undo`, while it is still what
  // this command made. False when putting one back failed.
  bool take_back(const std::vector<contract::Event>& done, const std::vector<contract::Event>& undo,
                 const std::vector<contract::Response>& results);
  // What a change of several documents did so far, and how to put each step back.
  struct Steps {
    std::vector<contract::Event> done, undo;
    std::vector<contract::Response> results;
    void add(contract::Event done_step, contract::Event undo_step, std::optional<std::string> version);
  };
  // Makes every project that names `id` of `kind` name `new_id`: one batch of writes, each
  // onto the version listed; a project changed meanwhile is read and written again, one gone
  // needs nothing. Returns the projects changed.
  std::vector<std::string> move_references(EntityKind kind, const std::string& id, const std::string& new_id,
                                           Steps& steps);
  // Removes the old document of a rename, only at `version` (its text `content`). When it
  // changed meanwhile, what it holds now goes to the new document first, and again.
  void retire(EntityKind kind, const std::string& id, std::optional<std::string> version, std::string content,
              const std::string& new_id, Steps& steps);
  // The ids of `ids_made` that another kind holds too.
  std::vector<std::string> taken_elsewhere(EntityKind kind, const std::vector<std::string>& ids_made);

  Storage& storage_;
  std::filesystem::path config_dir_;
  Concurrency concurrency_;
};

}  // namespace homeboy
