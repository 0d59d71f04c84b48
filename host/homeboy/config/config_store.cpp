#include "homeboy/config/config_store.hpp"

#include "homeboy/modules/discovery.hpp"
#include "homeboy/ids.hpp"
#include "homeboy/contract/json_text.hpp"
#include "homeboy/suggest.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

namespace json = boost::json;

namespace homeboy {

namespace {

using contract::Event;
using contract::Response;

void merge_into(json::object& target, const json::object& patch, const std::set<std::string>& replace,
                const std::string& prefix) {
  for (const auto& kv : patch) {
    std::string key(kv.key());
    std::string path = prefix.empty() ? key : prefix + "." + key;
    const json::value& value = kv.value();
    if (value.is_null()) {
      // json::object::erase moves the last key into the gap; keep the user's key order.
      if (target.contains(key)) {
        json::object kept;
        kept.reserve(target.size());
        for (auto& kv2 : target)
          if (kv2.key() != key) kept.emplace(kv2.key(), std::move(kv2.value()));
        target = std::move(kept);
      }
      continue;
    }
    json::value* existing = target.if_contains(key);
    if (value.is_object()) {
      // Merge into what is there (or a fresh object), so nulls inside the patch remove keys
      // rather than being stored.
      if (!existing || !existing->is_object()) existing = &(target[key] = json::object{});
      merge_into(existing->as_object(), value.get_object(), replace, path);
    } else if (existing && existing->is_array() && value.is_array() && !replace.count(path)) {
      auto& items = existing->as_array();
      for (const auto& item : value.get_array())
        if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
    } else {
      target[key] = value;
    }
  }
}

Error invalid_document(const std::string& path, const std::string& why) {
  return Error(Errc::config_invalid_document, path + ": " + why, {{"path", path}},
               {"Fix or delete the file, then try again."});
}

json::object parse_document(const std::string& path, const std::string& text) {
  json::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) throw invalid_document(path, "not valid JSON (" + ec.message() + ")");
  if (!value.is_object()) throw invalid_document(path, "must be a JSON object");
  return std::move(value.as_object());
}

std::string serialize_document(const json::object& doc) { return pretty(doc) + "\n"; }

std::vector<std::string> string_list(const json::object& doc, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* v = doc.if_contains(key); v && v->is_array())
    for (const auto& item : v->get_array())
      if (item.is_string()) out.emplace_back(item.get_string());
  return out;
}

using Ref = std::pair<EntityKind, std::string>;

// The references a project document makes: its server and its components.
std::vector<Ref> references_of(const json::object& project) {
  std::vector<Ref> refs;
  if (const auto* server = project.if_contains("server_id"); server && server->is_string())
    refs.emplace_back(EntityKind::server, std::string(server->get_string()));
  for (auto& c : string_list(project, "component_ids")) refs.emplace_back(EntityKind::component, std::move(c));
  return refs;
}

// The references `after` makes that `before` did not.
std::vector<Ref> added_references(const json::object& before, const json::object& after) {
  auto old_refs = references_of(before);
  std::vector<Ref> added;
  for (auto& r : references_of(after))
    if (std::find(old_refs.begin(), old_refs.end(), r) == old_refs.end()) added.push_back(std::move(r));
  return added;
}

bool is_conflict(const Error& e) { return e.errc() == Errc::storage_conflict; }

// Concurrent changes: retried with a growing, jittered pause, a bounded number of times.
constexpr int max_attempts = 40;

void back_off(int attempt) {
  thread_local std::mt19937 rng{std::random_device{}()};
  int cap_ms = 1 << std::min(attempt, 6);
  std::uniform_int_distribution<int> pause(100, cap_ms * 1000);
  std::this_thread::sleep_for(std::chrono::microseconds(pause(rng)));
}

Error busy(EntityKind kind, const std::string& id) {
  return Error(Errc::config_busy,
               "gave up changing " + std::string(to_string(kind)) + " '" + id + "' after " +
                   std::to_string(max_attempts) + " attempts: other homeboy commands kept changing it at the same time",
               {{"id", id}}, {"Run the command again."});
}

// <config>/.homeboy.lock, held for one change: the fallback when the provider has no
// versions. An advisory lock, so it serializes homeboy commands on this machine only.
class HostLock {
 public:
  explicit HostLock(const std::filesystem::path& config_dir) {
    std::string file = (config_dir / ".homeboy.lock").string();
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0)
      throw Error(Errc::config_lock_failed, "cannot open the config lock " + file + ": " + std::strerror(errno),
                  {{"path", file}});
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) {
        ::close(fd_);
        throw Error(Errc::config_lock_failed, "cannot lock " + file + ": " + std::strerror(errno), {{"path", file}});
      }
  }
  ~HostLock() { ::close(fd_); }
  HostLock(const HostLock&) = delete;
  HostLock& operator=(const HostLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

std::string_view to_string(EntityKind kind) noexcept {
  switch (kind) {
    case EntityKind::project: return "project";
    case EntityKind::server: return "server";
    default: return "component";
  }
}

std::string_view plural(EntityKind kind) noexcept {
  switch (kind) {
    case EntityKind::project: return "projects";
    case EntityKind::server: return "servers";
    default: return "components";
  }
}

std::string_view to_string(Concurrency c) noexcept { return c == Concurrency::versions ? "versions" : "host_lock"; }

Concurrency concurrency_of(const Storage& storage) noexcept {
  return storage.capabilities().versions ? Concurrency::versions : Concurrency::host_lock;
}

std::vector<std::string> deep_merge(json::object& target, const json::object& patch,
                                    const std::set<std::string>& replace) {
  json::object before = target;
  merge_into(target, patch, replace, "");
  std::vector<std::string> changed;
  for (const auto& kv : patch) {
    const auto* was = before.if_contains(kv.key());
    const auto* now = target.if_contains(kv.key());
    bool same = (!was && !now) || (was && now && *was == *now);
    if (!same) changed.emplace_back(kv.key());
  }
  return changed;
}

Errc errc_for(EntityKind kind, EntityFailure failure) noexcept {
  static constexpr Errc table[3][3] = {
      {Errc::project_not_found, Errc::project_already_exists, Errc::project_create_failed},
      {Errc::server_not_found, Errc::server_already_exists, Errc::server_create_failed},
      {Errc::component_not_found, Errc::component_already_exists, Errc::component_create_failed},
  };
  return table[static_cast<int>(kind)][static_cast<int>(failure)];
}

std::string_view to_string(CreateStatus status) noexcept {
  switch (status) {
    case CreateStatus::created: return "created";
    case CreateStatus::skipped: return "skipped";
    case CreateStatus::failed: return "failed";
  }
  return "failed";
}

ConfigStore::ConfigStore(Storage& storage, std::filesystem::path config_dir)
    : storage_(storage), config_dir_(std::move(config_dir)), concurrency_(concurrency_of(storage)) {}

contract::Condition ConfigStore::unchanged_since(const std::optional<std::string>& version) const {
  if (concurrency_ == Concurrency::versions && version) return contract::Condition::matching(*version);
  return {};
}

contract::Condition ConfigStore::only_if_absent() const {
  return concurrency_ == Concurrency::versions ? contract::Condition::absent() : contract::Condition{};
}

void ConfigStore::ensure_private_root() const {
  // homeboy's own config folder is the user's alone: documents made in it (through a
  // filesystem provider) are then private too (0700 folders, 0600 files). Entity folders
  // on disk that an older homeboy made open are closed too.
  ensure_config_dir(config_dir_);
  for (EntityKind kind : all_kinds) {
    struct stat st {};
    std::string folder = folder_of(kind);
    if (::lstat(folder.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077))
      ::chmod(folder.c_str(), st.st_mode & 0700);
  }
}

bool ConfigStore::take_back(const std::vector<contract::Event>& done, const std::vector<contract::Event>& undo,
                            const std::vector<contract::Response>& results) {
  // Each step that went through is put back only while it is still what this command made:
  // a document changed by someone else since then is theirs, and stays.
  bool clean = true;
  for (std::size_t i = results.size(); i-- > 0;) {
    if (!results[i].success) continue;
    try {
      if (done[i].operation == contract::Operation::remove) {
        storage_.write(undo[i].path, undo[i].content, only_if_absent());
        continue;
      }
      auto now = storage_.read_versioned(done[i].path);
      if (now.content != done[i].content) continue;
      if (undo[i].operation == contract::Operation::remove)
        storage_.remove(undo[i].path, false, unchanged_since(now.version));
      else
        storage_.write(undo[i].path, undo[i].content, unchanged_since(now.version));
    } catch (const Error& e) {
      if (e.errc() == Errc::storage_conflict || e.errc() == Errc::storage_not_found) continue;  // changed meanwhile
      clean = false;
    }
  }
  return clean;
}

std::vector<std::string> ConfigStore::taken_elsewhere(EntityKind kind, const std::vector<std::string>& ids_made) {
  std::vector<std::string> clashes;
  for (EntityKind other : all_kinds) {
    if (other == kind) continue;
    auto theirs = ids(other);
    for (const auto& id : ids_made)
      if (std::binary_search(theirs.begin(), theirs.end(), id)) clashes.push_back(id);
  }
  return clashes;
}

std::vector<Ref> ConfigStore::missing(const std::vector<Ref>& refs) {
  std::vector<Ref> gone;
  if (refs.empty()) return gone;
  IdIndex known = all_ids();
  for (const auto& [kind, id] : refs) {
    auto it = known.find(id);
    if (it == known.end() || it->second != kind) gone.emplace_back(kind, id);
  }
  return gone;
}

std::string ConfigStore::folder_of(EntityKind kind) const { return (config_dir_ / plural(kind)).string(); }

std::string ConfigStore::path_of(EntityKind kind, const std::string& id) const {
  return folder_of(kind) + "/" + id + ".json";
}

std::vector<std::string> ConfigStore::ids(EntityKind kind) {
  std::vector<std::string> out;
  std::string prefix = folder_of(kind) + "/";
  for (const auto& entry : storage_.list(folder_of(kind))) {
    if (entry.is_directory || !entry.path.starts_with(prefix) || !entry.path.ends_with(".json")) continue;
    std::string name = entry.path.substr(prefix.size(), entry.path.size() - prefix.size() - 5);
    if (!name.empty() && name.front() != '.') out.push_back(std::move(name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

ConfigStore::Listing ConfigStore::list(EntityKind kind) {
  Listing listing;
  auto names = ids(kind);
  std::vector<Event> reads;
  reads.reserve(names.size());
  for (const auto& id : names) reads.push_back(Event::read(path_of(kind, id)));
  // One batch where the provider supports it. Each document is parsed as its answer comes,
  // and the answer dropped: the listing holds the documents, not their text as well.
  std::size_t i = 0;
  storage_.batch(std::move(reads), [&](const Event& event, Response&& response) {
    const std::string& name = names[i++];
    std::string shown = std::string(plural(kind)) + "/" + name + ".json";
    if (!response.success) {
      // A document gone since the listing, or unreadable on its own, is a warning; the
      // provider failing (a timeout, a crash, a server away) fails the command, or a list
      // would look as if the config had lost documents.
      auto code = response.effective_error_code();
      if (code != contract::ErrorCode::not_found && code != contract::ErrorCode::invalid_argument &&
          code != contract::ErrorCode::too_large)
        throw failure_error(response, event, storage_.provider().module_id);
      listing.warnings.push_back(shown + " could not be read: " + response.error.value_or("unknown error"));
      return;
    }
    try {
      json::object doc = parse_document(shown, *response.data);
      doc["id"] = name;  // the file name is the id
      listing.entities.push_back({name, std::move(doc)});
      listing.versions.push_back(std::move(response.version));
    } catch (const Error& e) {
      listing.warnings.push_back(std::string(e.what()) + "; skipped");
    }
  });
  return listing;
}

Entity ConfigStore::get(EntityKind kind, const std::string& id) { return get_versioned(kind, id).entity; }

ConfigStore::VersionedEntity ConfigStore::get_versioned(EntityKind kind, const std::string& id) {
  check_id(id, to_string(kind));
  std::string path = path_of(kind, id);
  try {
    auto got = storage_.read_versioned(path);
    json::object doc = parse_document(path, got.content);
    doc["id"] = id;
    return {{id, std::move(doc)}, std::move(got.version)};
  } catch (const Error& e) {
    if (e.errc() != Errc::storage_not_found) throw;
  }
  std::vector<std::string> hints;
  if (auto guess = did_you_mean(suggest(id, ids(kind))); !guess.empty()) hints.push_back(std::move(guess));
  hints.push_back("Run `homeboy " + std::string(to_string(kind)) + " list` to see them all.");
  throw Error(errc_for(kind, EntityFailure::not_found), "no " + std::string(to_string(kind)) + " '" + id + "'",
              {{"id", id}}, std::move(hints));
}

ConfigStore::IdIndex ConfigStore::all_ids() {
  IdIndex index;
  for (EntityKind kind : all_kinds)
    for (auto& id : ids(kind)) index.emplace(std::move(id), kind);
  return index;
}

void ConfigStore::check_references(const json::object& project, const IdIndex& known) {
  auto exists = [&](EntityKind kind, const std::string& ref) {
    auto it = known.find(ref);
    return it != known.end() && it->second == kind;
  };
  auto missing = [&](EntityKind kind, const std::string& field, const std::string& ref) {
    std::vector<std::string> of_kind;
    for (const auto& [id, k] : known)
      if (k == kind) of_kind.push_back(id);
    std::vector<std::string> hints;
    if (auto guess = did_you_mean(suggest(ref, of_kind)); !guess.empty()) hints.push_back(std::move(guess));
    hints.push_back("Create it first: homeboy " + std::string(to_string(kind)) + " create " + ref);
    return Error(Errc::config_invalid_reference,
                 "project refers to " + std::string(to_string(kind)) + " '" + ref + "' in \"" + field +
                     "\", which does not exist",
                 {{"field", field}, {"id", ref}}, std::move(hints));
  };
  if (const auto* server = project.if_contains("server_id"); server && !server->is_null()) {
    if (!server->is_string()) throw errors::invalid_argument("\"server_id\" must be a string");
    std::string ref(server->get_string());
    if (!exists(EntityKind::server, ref)) throw missing(EntityKind::server, "server_id", ref);
  }
  if (const auto* comps = project.if_contains("component_ids"); comps && !comps->is_null()) {
    if (!comps->is_array() || std::any_of(comps->get_array().begin(), comps->get_array().end(),
                                          [](const json::value& v) { return !v.is_string(); }))
      throw errors::invalid_argument("\"component_ids\" must be an array of strings");
    for (const auto& ref : string_list(project, "component_ids"))
      if (!exists(EntityKind::component, ref)) throw missing(EntityKind::component, "component_ids", ref);
  }
}

std::vector<ConfigStore::CreateOutcome> ConfigStore::create(EntityKind kind, std::vector<json::object> docs,
                                                            bool skip_existing) {
  ensure_private_root();
  std::optional<HostLock> lock;
  if (concurrency_ == Concurrency::host_lock) lock.emplace(config_dir_);
  IdIndex taken = all_ids();  // listed once for the whole request, updated as items are accepted
  std::vector<CreateOutcome> outcomes;
  std::vector<contract::Event> writes;
  std::vector<std::size_t> written_outcome;
  std::vector<std::vector<Ref>> written_refs;
  auto exists_error = [&](const std::string& id) {
    return Error(errc_for(kind, EntityFailure::already_exists),
                 std::string(to_string(kind)) + " '" + id + "' already exists", {{"id", id}});
  };
  for (auto& doc : docs) {
    CreateOutcome outcome;
    try {
      const auto* id_value = doc.if_contains("id");
      if (!id_value || !id_value->is_string())
        throw errors::invalid_argument("each " + std::string(to_string(kind)) + " needs a string \"id\"");
      outcome.id = std::string(id_value->get_string());
      check_id(outcome.id, to_string(kind));
      if (auto it = taken.find(outcome.id); it != taken.end()) {
        if (it->second == kind && skip_existing) {
          outcome.status = CreateStatus::skipped;
          outcomes.push_back(std::move(outcome));
          continue;
        }
        if (it->second == kind) throw exists_error(outcome.id);
        throw Error(Errc::config_id_collision,
                    "id '" + outcome.id + "' is already used by a " + std::string(to_string(it->second)) +
                        "; ids are unique across projects, servers and components",
                    {{"id", outcome.id}, {"used_by", to_string(it->second)}});
      }
      if (kind == EntityKind::project) check_references(doc, taken);
      taken.emplace(outcome.id, kind);
      // Create-only: if another command creates the same id meanwhile, exactly one wins.
      writes.push_back(contract::Event::write(path_of(kind, outcome.id), serialize_document(doc), only_if_absent()));
      written_outcome.push_back(outcomes.size());
      written_refs.push_back(kind == EntityKind::project ? references_of(doc) : std::vector<Ref>{});
      outcome.status = CreateStatus::created;
    } catch (const Error& e) {
      outcome.status = CreateStatus::failed;
      outcome.error = e;
    }
    outcomes.push_back(std::move(outcome));
  }
  if (writes.empty()) return outcomes;
  storage_.ensure_dir(folder_of(kind));
  std::vector<std::string> paths;
  for (const auto& w : writes) paths.push_back(w.path);
  // An all-or-nothing provider rolls the whole batch back when one write fails (an id
  // another command just took, say): the others report `aborted` and go again, without it.
  std::vector<contract::Response> results(writes.size());
  std::vector<std::size_t> pending(writes.size());
  for (std::size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  // Each round settles at least the write that failed; after a few rounds (many commands
  // creating overlapping ids at once) the rest go one by one, so no free id is left failed.
  for (int round = 0; !pending.empty(); ++round) {
    std::vector<std::size_t> sending = pending;
    if (round >= 4) sending.resize(1);
    std::vector<contract::Event> batch;
    for (auto i : sending) batch.push_back(writes[i]);
    auto answered = storage_.batch(std::move(batch));
    std::vector<std::size_t> again;
    for (std::size_t k = 0; k < sending.size(); ++k) {
      results[sending[k]] = std::move(answered[k]);
      if (results[sending[k]].effective_error_code() == contract::ErrorCode::aborted && !results[sending[k]].success)
        again.push_back(sending[k]);
    }
    if (again.size() == sending.size()) break;  // nothing got through: report what was said
    again.insert(again.end(), pending.begin() + static_cast<std::ptrdiff_t>(sending.size()), pending.end());
    pending = std::move(again);
  }
  std::vector<Ref> refs;
  for (std::size_t i = 0; i < results.size(); ++i) {
    auto& outcome = outcomes[written_outcome[i]];
    if (results[i].success) {
      refs.insert(refs.end(), written_refs[i].begin(), written_refs[i].end());
      continue;
    }
    bool lost_race = results[i].effective_error_code() == contract::ErrorCode::conflict && concurrency_ == Concurrency::versions;
    if (lost_race && skip_existing) {
      outcome.status = CreateStatus::skipped;
      continue;
    }
    outcome.status = CreateStatus::failed;
    outcome.error = lost_race ? exists_error(outcome.id)
                              : failure_error(results[i], contract::Event::write(paths[i], {}), storage_.provider().module_id);
  }
  // Ids are unique across kinds: one taken by another kind meanwhile makes this create step
  // back (the other may too; then both can try again, and no id is ever shared).
  std::vector<std::string> made;
  for (std::size_t i = 0; i < results.size(); ++i)
    if (results[i].success) made.push_back(outcomes[written_outcome[i]].id);
  for (const auto& clash : taken_elsewhere(kind, made)) {
    for (std::size_t i = 0; i < results.size(); ++i) {
      auto& outcome = outcomes[written_outcome[i]];
      if (!results[i].success || outcome.id != clash) continue;
      take_back({writes[i]}, {contract::Event::remove(paths[i])}, {results[i]});
      results[i] = contract::Response::failure(contract::ErrorCode::conflict, "id taken by another kind");
      outcome.status = CreateStatus::failed;
      outcome.error = Error(Errc::config_id_collision,
                            "id '" + clash + "' was taken by another kind while this " + std::string(to_string(kind)) +
                                " was being created; ids are unique across kinds",
                            {{"id", clash}});
    }
  }
  // A server or component deleted while these projects were written: take back the projects
  // that now point at nothing (the delete checks the other way round).
  auto gone = missing(refs);
  for (std::size_t i = 0; i < results.size() && !gone.empty(); ++i) {
    if (!results[i].success) continue;
    for (const auto& ref : written_refs[i]) {
      if (std::find(gone.begin(), gone.end(), ref) == gone.end()) continue;
      auto& outcome = outcomes[written_outcome[i]];
      try {
        storage_.remove(paths[i], false, unchanged_since(results[i].version));
      } catch (const Error&) {
        // Changed already by someone else: it is theirs now.
      }
      outcome.status = CreateStatus::failed;
      outcome.error = Error(Errc::config_invalid_reference,
                            "project refers to " + std::string(to_string(ref.first)) + " '" + ref.second +
                                "', which was deleted while the project was being created",
                            {{"id", ref.second}});
      break;
    }
  }
  return outcomes;
}

std::pair<Entity, std::vector<std::string>> ConfigStore::set(EntityKind kind, const std::string& id,
                                                             const json::object& patch,
                                                             const std::set<std::string>& replace) {
  if (patch.empty())
    throw Error(Errc::config_empty_patch, "the patch is empty: nothing to set", {{"id", id}},
                {"Pass a JSON object with the fields to change, e.g. '{\"name\": \"New name\"}'."});
  if (const auto* new_id = patch.if_contains("id"); new_id && !(new_id->is_string() && new_id->get_string() == id))
    throw Error(Errc::config_invalid_patch, "a patch cannot change \"id\"", {{"id", id}},
                {"Use `homeboy " + std::string(to_string(kind)) + " rename " + id + " <new-id>`."});
  ensure_private_root();
  std::optional<HostLock> lock;
  if (concurrency_ == Concurrency::host_lock) lock.emplace(config_dir_);
  // Read, merge, write back only if nobody changed the document in between; else again.
  for (int attempt = 1;; ++attempt) {
    VersionedEntity current = get_versioned(kind, id);
    json::object before = current.entity.doc;
    auto changed = deep_merge(current.entity.doc, patch, replace);
    current.entity.doc["id"] = id;
    if (changed.empty()) return {std::move(current.entity), std::move(changed)};
    std::vector<Ref> added;
    if (kind == EntityKind::project) {
      check_references(current.entity.doc, all_ids());
      added = added_references(before, current.entity.doc);
    }
    std::optional<std::string> written;
    try {
      written = storage_.write(path_of(kind, id), serialize_document(current.entity.doc),
                               unchanged_since(current.version));
    } catch (const Error& e) {
      if (!is_conflict(e)) throw;
      if (attempt == max_attempts) throw busy(kind, id);
      back_off(attempt);
      continue;
    }
    if (auto gone = missing(added); !gone.empty()) {
      // What it now refers to was deleted meanwhile: put the document back as it was.
      try {
        storage_.write(path_of(kind, id), serialize_document(before), unchanged_since(written));
      } catch (const Error&) {
        // Changed again by someone else: theirs wins.
      }
      throw Error(Errc::config_invalid_reference,
                  "project refers to " + std::string(to_string(gone[0].first)) + " '" + gone[0].second +
                      "', which was deleted while the project was being changed; nothing was changed",
                  {{"id", gone[0].second}});
    }
    return {std::move(current.entity), std::move(changed)};
  }
}

std::vector<std::string> ConfigStore::referencing_projects(EntityKind kind, const std::string& id) {
  std::vector<std::string> out;
  if (kind == EntityKind::project) return out;
  for (const auto& project : list(EntityKind::project).entities) {
    bool uses = kind == EntityKind::server
                    ? (project.doc.if_contains("server_id") && project.doc.at("server_id") == json::value(id))
                    : std::ranges::count(string_list(project.doc, "component_ids"), id) > 0;
    if (uses) out.push_back(project.id);
  }
  return out;
}

std::vector<std::string> ConfigStore::rename(EntityKind kind, const std::string& id, const std::string& new_id) {
  check_id(new_id, to_string(kind));
  ensure_private_root();
  // A rename changes several documents, so renames and deletes take turns on this machine:
  // two of them interleaved could each undo half of the other and leave a project naming
  // an id that no longer exists. Creates and sets go on beside it, checked by version.
  HostLock lock(config_dir_);
  for (int attempt = 1;; ++attempt) {
    VersionedEntity entity = get_versioned(kind, id);  // not found -> <kind>.not_found with hints
    if (new_id == id) return {};
    IdIndex known = all_ids();
    if (auto it = known.find(new_id); it != known.end()) {
      EntityKind owner = it->second;
      if (owner == kind)
        throw Error(errc_for(kind, EntityFailure::already_exists),
                    "cannot rename to '" + new_id + "': that " + std::string(to_string(kind)) + " exists",
                    {{"id", id}, {"new_id", new_id}});
      throw Error(Errc::config_id_collision,
                  "cannot rename to '" + new_id + "': a " + std::string(to_string(owner)) + " uses that id",
                  {{"id", id}, {"new_id", new_id}, {"used_by", to_string(owner)}});
    }
    // 1. The new id is claimed: the new document, written only where nothing is.
    json::object renamed = entity.entity.doc;
    renamed["id"] = new_id;
    std::string new_path = path_of(kind, new_id);
    Steps steps;
    try {
      std::string content = serialize_document(renamed);
      auto version = storage_.write(new_path, content, only_if_absent());
      steps.add(contract::Event::write(new_path, std::move(content)), contract::Event::remove(new_path), version);
    } catch (const Error& e) {
      if (!is_conflict(e)) throw;
      if (attempt == max_attempts) throw busy(kind, id);
      back_off(attempt);  // taken meanwhile: the check above names by whom
      continue;
    }
    if (!taken_elsewhere(kind, {new_id}).empty()) {
      // Another kind took the id meanwhile: ids are unique across kinds, so this rename
      // steps back (the other may too; then both can try again).
      take_back(steps.done, steps.undo, steps.results);
      throw Error(Errc::config_id_collision, "cannot rename to '" + new_id + "': another kind took that id meanwhile",
                  {{"id", id}, {"new_id", new_id}});
    }
    // From here on the rename goes forward: a document someone changed meanwhile is read
    // again and the step done again on what it holds now. Only a failure of the provider
    // itself (or the old document deleted elsewhere) puts back what was done.
    try {
      std::vector<std::string> updated = move_references(kind, id, new_id, steps);
      retire(kind, id, entity.version, serialize_document(entity.entity.doc), new_id, steps);
      // Projects that came to name the old id meanwhile (created or changed by commands that
      // saw it still there) follow too.
      for (auto& project : move_references(kind, id, new_id, steps))
        if (std::find(updated.begin(), updated.end(), project) == updated.end()) updated.push_back(std::move(project));
      return updated;
    } catch (const Error& e) {
      bool clean = take_back(steps.done, steps.undo, steps.results);
      if (clean && (e.errc() == errc_for(kind, EntityFailure::not_found) || e.errc() == Errc::config_busy)) throw;
      throw Error(Errc::config_rename_failed,
                  "renaming " + std::string(to_string(kind)) + " '" + id + "' to '" + new_id + "' failed: " +
                      e.what() + (clean ? "; everything was put back as it was" : "; restoring the original also failed"),
                  {{"id", id}, {"new_id", new_id}, {"restored", clean}});
    }
  }
}

void ConfigStore::Steps::add(contract::Event done_step, contract::Event undo_step, std::optional<std::string> version) {
  contract::Response result = contract::Response::ok();
  result.version = std::move(version);
  done.push_back(std::move(done_step));
  undo.push_back(std::move(undo_step));
  results.push_back(std::move(result));
}

namespace {

// Makes `project` name `new_id` wherever it names `id` of `kind`; false when it does not.
bool rewrite_references(json::object& project, EntityKind kind, const std::string& id, const std::string& new_id) {
  bool touched = false;
  if (kind == EntityKind::server && project.if_contains("server_id") && project.at("server_id") == json::value(id)) {
    project["server_id"] = new_id;
    touched = true;
  }
  if (kind == EntityKind::component)
    if (auto* comps = project.if_contains("component_ids"); comps && comps->is_array())
      for (auto& c : comps->as_array())
        if (c == json::value(id)) c = new_id, touched = true;
  return touched;
}

}  // namespace

std::vector<std::string> ConfigStore::move_references(EntityKind kind, const std::string& id,
                                                      const std::string& new_id, Steps& steps) {
  std::vector<std::string> moved;
  if (kind == EntityKind::project) return moved;
  // One batch of writes, each only onto the version listed.
  auto projects = list(EntityKind::project);
  std::vector<contract::Event> writes, undos;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < projects.entities.size(); ++i) {
    json::object doc = projects.entities[i].doc;
    if (!rewrite_references(doc, kind, id, new_id)) continue;
    std::string path = path_of(EntityKind::project, projects.entities[i].id);
    writes.push_back(contract::Event::write(path, serialize_document(doc), unchanged_since(projects.versions[i])));
    undos.push_back(contract::Event::write(path, serialize_document(projects.entities[i].doc)));
    names.push_back(projects.entities[i].id);
  }
  if (writes.empty()) return moved;
  const std::vector<contract::Event> sent = writes;
  auto results = storage_.batch(std::move(writes));
  std::vector<std::size_t> again;
  for (std::size_t k = 0; k < results.size(); ++k) {
    if (results[k].success) {
      steps.add(sent[k], undos[k], results[k].version);
      moved.push_back(names[k]);
      continue;
    }
    auto code = results[k].effective_error_code();
    if (code != contract::ErrorCode::conflict && code != contract::ErrorCode::not_found &&
        code != contract::ErrorCode::aborted)
      throw failure_error(results[k], sent[k], storage_.provider().module_id);
    again.push_back(k);  // changed or gone since the listing, or held back with a batch that failed
  }
  // Those again, one by one, on what each holds now; a project gone needs nothing.
  for (auto k : again) {
    std::string path = sent[k].path;
    for (int attempt = 1;; ++attempt) {
      Versioned now;
      try {
        now = storage_.read_versioned(path);
      } catch (const Error& e) {
        if (e.errc() != Errc::storage_not_found) throw;
        break;
      }
      json::object doc = parse_document(path, now.content);
      doc["id"] = names[k];
      json::object before = doc;
      if (!rewrite_references(doc, kind, id, new_id)) break;
      try {
        std::string content = serialize_document(doc);
        auto version = storage_.write(path, content, unchanged_since(now.version));
        steps.add(contract::Event::write(path, std::move(content)),
                  contract::Event::write(path, serialize_document(before)), std::move(version));
        moved.push_back(names[k]);
        break;
      } catch (const Error& e) {
        if (!is_conflict(e) && e.errc() != Errc::storage_not_found) throw;
        if (attempt == max_attempts) throw busy(EntityKind::project, names[k]);
        back_off(attempt);
      }
    }
  }
  return moved;
}

void ConfigStore::retire(EntityKind kind, const std::string& id, std::optional<std::string> version,
                         std::string content, const std::string& new_id, Steps& steps) {
  // The old document goes only as it was read. Changed meanwhile (a `set`), what it holds
  // now is copied to the new id first, and it goes then.
  std::string old_path = path_of(kind, id), new_path = path_of(kind, new_id);
  for (int attempt = 1;; ++attempt) {
    try {
      storage_.remove(old_path, false, unchanged_since(version));
      steps.add(contract::Event::remove(old_path), contract::Event::write(old_path, std::move(content)), {});
      return;
    } catch (const Error& e) {
      if (!is_conflict(e) && e.errc() != Errc::storage_not_found) throw;
      if (attempt == max_attempts) throw busy(kind, id);
    }
    Versioned now;
    try {
      now = storage_.read_versioned(old_path);
    } catch (const Error& e) {
      if (e.errc() != Errc::storage_not_found) throw;
      // Deleted elsewhere (on another machine: deletes on this one wait for this rename).
      throw Error(errc_for(kind, EntityFailure::not_found),
                  std::string(to_string(kind)) + " '" + id + "' was deleted while it was being renamed",
                  {{"id", id}});
    }
    json::object doc = parse_document(old_path, now.content);
    doc["id"] = new_id;
    std::string renamed = serialize_document(doc);
    // The new document is this rename's own (claimed above): it follows the old one.
    auto written = storage_.write(new_path, renamed, unchanged_since(steps.results.front().version));
    steps.done.front().content = std::move(renamed);
    steps.results.front().version = std::move(written);
    version = std::move(now.version);
    content = std::move(now.content);
  }
}

void ConfigStore::remove(EntityKind kind, const std::string& id) {
  ensure_private_root();
  HostLock lock(config_dir_);  // deletes and renames take turns (see rename)
  auto in_use = [&](const std::vector<std::string>& users) {
    std::string listed;
    json::array list;
    for (const auto& p : users) {
      listed += (listed.empty() ? "" : ", ") + p;
      list.emplace_back(p);
    }
    return Error(Errc::config_in_use,
                 std::string(to_string(kind)) + " '" + id + "' is used by project(s) " + listed + "; not deleted",
                 {{"id", id}, {"projects", list}},
                 {"Remove the reference from those projects first (homeboy project set <id> ...)."});
  };
  for (int attempt = 1;; ++attempt) {
    VersionedEntity current = get_versioned(kind, id);  // not found -> <kind>.not_found with hints
    if (auto users = referencing_projects(kind, id); !users.empty()) throw in_use(users);
    try {
      storage_.remove(path_of(kind, id), false, unchanged_since(current.version));
    } catch (const Error& e) {
      if (!is_conflict(e)) throw;
      if (attempt == max_attempts) throw busy(kind, id);
      back_off(attempt);
      continue;
    }
    // A project created meanwhile may refer to it (it checks the other way round too):
    // then put it back and refuse.
    if (auto users = referencing_projects(kind, id); !users.empty()) {
      try {
        storage_.write(path_of(kind, id), serialize_document(current.entity.doc), only_if_absent());
      } catch (const Error&) {
        // Created again by someone else meanwhile: theirs stands.
      }
      throw in_use(users);
    }
    return;
  }
}

}  // namespace homeboy
