#include "homeboy/config/config_store.hpp"

#include "homeboy/ids.hpp"
#include "homeboy/modules/discovery.hpp"
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
#include <mutex>
#include <random>
#include <thread>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace homeboy {

namespace {

using contract::ErrorCode;
using contract::Event;
using contract::Response;

// A change that met another one is planned again from what is there now: with a growing,
// jittered pause, a bounded number of times.
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
// transactions. An advisory lock, so it serializes homeboy commands on this machine only.
class HostLock {
 public:
  explicit HostLock(const fs::path& config_dir) {
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

// Makes `project` name `new_id` wherever it names `id` of `kind`.
void rewrite_references(json::object& project, EntityKind kind, const std::string& id, const std::string& new_id) {
  if (kind == EntityKind::server)
    if (auto* server = project.if_contains("server_id"); server && *server == json::value(id)) *server = new_id;
  if (kind == EntityKind::component)
    if (auto* comps = project.if_contains("component_ids"); comps && comps->is_array())
      for (auto& c : comps->as_array())
        if (c == json::value(id)) c = new_id;
}

Error unsafe_folder(const fs::path& folder, const std::string& why, std::string fix) {
  return Error(Errc::config_unsafe_private_folder, folder.string() + " " + why, {{"path", folder.string()}},
               {std::move(fix)});
}

// One of the config's folders on disk, when it is there: a real folder of the user's own.
// Returns whether it exists.
bool check_folder(const fs::path& folder, bool config_folder, bool close) {
  struct stat st {};
  if (::lstat(folder.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return false;  // not there (yet): nothing to check
    // Another user's folder that this one may not even look into.
    throw unsafe_folder(folder, std::string("cannot be looked at: ") + std::strerror(errno),
                        "Use a config folder of your own: --config-dir DIR or HOMEBOY_CONFIG_DIR.");
  }
  std::string what = config_folder ? "homeboy's config folder" : "the " + folder.filename().string() + " folder";
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    fs::path target = fs::read_symlink(folder, ec);
    throw unsafe_folder(folder,
                        "is a symbolic link" + (ec ? std::string() : " to " + target.string()) + "; homeboy keeps " +
                            (config_folder ? "its config" : "config documents") +
                            " only in a folder of your own, not behind a link another user could point elsewhere",
                        config_folder ? "Name the folder itself: --config-dir " +
                                            (ec ? std::string("<the real folder>") : fs::weakly_canonical(folder).string())
                                      : "Replace the link with a folder of your own: mv " + folder.string() + " " +
                                            folder.string() + ".link && mkdir -m 700 " + folder.string() +
                                            ", then move the documents you trust into it.");
  }
  if (!S_ISDIR(st.st_mode))
    throw unsafe_folder(folder, "is not a folder (" + what + " must be one)",
                        "Move it out of the way: mv " + folder.string() + " " + folder.string() + ".old");
  if (st.st_uid != ::geteuid())
    // Another user's folder: they could read the documents written there (passwords, tokens)
    // or swap them, whatever the modes homeboy gives them.
    throw unsafe_folder(folder,
                        "is owned by user id " + std::to_string(st.st_uid) + ", not by you (" +
                            std::to_string(::geteuid()) + "); homeboy keeps config only in folders of your own",
                        config_folder ? "Use a config folder of your own: --config-dir DIR or HOMEBOY_CONFIG_DIR."
                                      : "Move it away and let homeboy make its own: mv " + folder.string() + " " +
                                            folder.string() + ".other");
  if (close && (st.st_mode & 077)) ::chmod(folder.c_str(), st.st_mode & 0700);
  return true;
}

}  // namespace

void check_config_folders(const fs::path& config_dir, bool make) {
  if (make) ensure_config_dir(config_dir);
  if (!check_folder(config_dir, true, make)) return;
  for (EntityKind kind : all_kinds) check_folder(config_dir / plural(kind), false, make);
}

// A folder with its links resolved (fs::weakly_canonical), worked out once per folder in a
// process: a batch of thousands of changes names a few folders.
fs::path resolved_folder(const fs::path& folder, std::error_code& ec) {
  static std::mutex mutex;
  static std::map<fs::path, fs::path> known;
  std::lock_guard lock(mutex);
  if (auto it = known.find(folder); it != known.end()) return it->second;
  fs::path real = fs::weakly_canonical(folder, ec);
  if (!ec) known.emplace(folder, real);
  return real;
}

std::optional<EntityKind> config_kind_touched(const fs::path& config_dir, const contract::Event& event) {
  using contract::Operation;
  if (event.operation != Operation::write && event.operation != Operation::remove &&
      event.operation != Operation::ensure_dir)
    return std::nullopt;
  auto touched = [&](const fs::path& config, const fs::path& path) -> std::optional<EntityKind> {
    for (EntityKind kind : all_kinds) {
      fs::path folder = config / plural(kind);
      auto [f, p] = std::mismatch(folder.begin(), folder.end(), path.begin(), path.end());
      if (f == folder.end()) return kind;  // the folder itself, or inside it
      // The path holds the folder: only deleting it (with everything in it) touches it.
      if (p == path.end() && event.operation == Operation::remove && event.is_directory) return kind;
    }
    return std::nullopt;
  };
  fs::path path = fs::path(event.path).lexically_normal();
  if (auto kind = touched(config_dir, path)) return kind;
  std::error_code ec;
  fs::path real_config = resolved_folder(config_dir, ec);
  if (ec) return std::nullopt;
  // A link's own name is what a delete removes; what a write or ensure_dir reaches is where
  // it points.
  std::error_code missing;  // a path that is not there yet is no link
  bool follow = event.operation != Operation::remove && fs::is_symlink(fs::symlink_status(path, missing));
  fs::path real_path = follow ? fs::weakly_canonical(path, ec) : resolved_folder(path.parent_path(), ec) / path.filename();
  if (ec) return std::nullopt;
  return touched(real_config, real_path.lexically_normal());
}

std::string_view to_string(Concurrency c) noexcept {
  return c == Concurrency::transactions ? "transactions" : "host_lock";
}

std::string_view scope_of(Concurrency c) noexcept {
  return c == Concurrency::transactions ? "every_host" : "this_machine";
}

Concurrency concurrency_of(const Storage& storage) noexcept {
  auto caps = storage.capabilities();
  return caps.transactions && caps.versions && caps.atomic_batch ? Concurrency::transactions : Concurrency::host_lock;
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

// One change of the config: the operations that make it, applied together.
class ConfigStore::Change {
 public:
  explicit Change(ConfigStore& store) : store_(store) {}

  // An operation of the change. Under the host lock, operations go stage by stage (one batch
  // each), and `undo` puts one back when a later one fails.
  void add(Event op, std::optional<Event> undo = {}, int stage = 0) {
    steps_.push_back({std::move(op), std::move(undo), stage, false});
  }
  // An operation that only transactions need: a check, a document held at its version.
  void guard(Event op) {
    if (op.operation == contract::Operation::write && !held_.insert(op.path).second) return;  // held once
    steps_.push_back({std::move(op), {}, 0, true});
  }

  // A step failed and the change did not go through; `restored` says whether what went
  // through before it was put back.
  struct Failed {
    Error cause;
    bool restored;
    bool partial;  // some steps had gone through
  };

  // True when applied, false when it met another change (plan it again). A provider failure
  // throws Failed.
  bool apply() {
    return store_.concurrency_ == Concurrency::transactions ? apply_at_once() : apply_in_stages();
  }

 private:
  struct Step {
    Event op;
    std::optional<Event> undo;
    int stage;
    bool guard;
  };

  static bool lost_race(ErrorCode code) { return code == ErrorCode::conflict || code == ErrorCode::not_found; }

  bool apply_at_once() {
    std::vector<Event> ops;
    ops.reserve(steps_.size());
    for (const auto& s : steps_) ops.push_back(s.op);
    auto results = store_.storage_.batch(ops, store_.progress_);
    bool conflict = false;
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i].success) continue;
      auto code = results[i].effective_error_code();
      if (code == ErrorCode::aborted) continue;  // held back by the one that failed
      if (!lost_race(code))
        throw Failed{failure_error(results[i], ops[i], store_.storage_.provider().module_id), true, false};
      conflict = true;
    }
    // Nothing failed on its own and yet not everything went through: treat it as a collision.
    return !conflict && std::all_of(results.begin(), results.end(), [](const Response& r) { return r.success; });
  }

  bool apply_in_stages() {
    std::vector<std::pair<const Step*, Response>> done;
    std::vector<int> stages;
    for (const auto& s : steps_)
      if (!s.guard) stages.push_back(s.stage);
    std::sort(stages.begin(), stages.end());
    stages.erase(std::unique(stages.begin(), stages.end()), stages.end());
    for (int stage : stages) {
      std::vector<const Step*> sent;
      std::vector<Event> ops;
      for (const auto& s : steps_)
        if (!s.guard && s.stage == stage) sent.push_back(&s), ops.push_back(s.op);
      auto results = store_.storage_.batch(std::move(ops), store_.progress_);
      std::optional<std::size_t> failed;
      for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i].success)
          done.emplace_back(sent[i], std::move(results[i]));
        else if (!failed)
          failed = i;
      }
      if (!failed) continue;
      bool restored = take_back(done);
      const Response& r = results[*failed];
      if (lost_race(r.effective_error_code()) && restored) return false;
      throw Failed{failure_error(r, sent[*failed]->op, store_.storage_.provider().module_id), restored, !done.empty()};
    }
    return true;
  }

  // Puts back the steps that went through, latest first, each only while it is still what
  // this change made: a document changed by someone else since is theirs, and stays.
  bool take_back(const std::vector<std::pair<const Step*, Response>>& done) {
    bool clean = true;
    Storage& storage = store_.storage_;
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
      const Step& step = *it->first;
      if (!step.undo) continue;
      try {
        if (step.op.operation == contract::Operation::remove) {
          storage.write(step.undo->path, step.undo->content, store_.only_if_absent());
          continue;
        }
        auto now = storage.read_versioned(step.op.path);
        if (now.content != step.op.content) continue;
        if (step.undo->operation == contract::Operation::remove)
          storage.remove(step.undo->path, false, store_.at_version(now.version));
        else
          storage.write(step.undo->path, step.undo->content, store_.at_version(now.version));
      } catch (const Error& e) {
        if (e.errc() == Errc::storage_conflict || e.errc() == Errc::storage_not_found) continue;  // changed meanwhile
        clean = false;
      }
    }
    return clean;
  }

  ConfigStore& store_;
  std::vector<Step> steps_;
  std::set<std::string> held_;
};

ConfigStore::ConfigStore(Storage& storage, fs::path config_dir)
    : storage_(storage), config_dir_(std::move(config_dir)), concurrency_(concurrency_of(storage)) {
  check_config_folders(config_dir_, false);
}

contract::Condition ConfigStore::at_version(const std::optional<std::string>& version) const {
  if (storage_.capabilities().versions && version) return contract::Condition::matching(*version);
  return {};
}

contract::Condition ConfigStore::only_if_absent() const {
  return storage_.capabilities().versions ? contract::Condition::absent() : contract::Condition{};
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
      if (code != ErrorCode::not_found && code != ErrorCode::invalid_argument && code != ErrorCode::too_large)
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
  }, reading_progress_);
  return listing;
}

Entity ConfigStore::get(EntityKind kind, const std::string& id) { return get_versioned(kind, id).entity; }

std::optional<ConfigStore::VersionedEntity> ConfigStore::find_versioned(EntityKind kind, const std::string& id) {
  std::string path = path_of(kind, id);
  Versioned got;
  try {
    got = storage_.read_versioned(path);
  } catch (const Error& e) {
    if (e.errc() != Errc::storage_not_found) throw;
    return std::nullopt;
  }
  json::object doc = parse_document(path, got.content);
  doc["id"] = id;
  return VersionedEntity{{id, std::move(doc)}, std::move(got.version), std::move(got.content)};
}

ConfigStore::VersionedEntity ConfigStore::get_versioned(EntityKind kind, const std::string& id) {
  check_id(id, to_string(kind));
  if (auto found = find_versioned(kind, id)) return std::move(*found);
  std::vector<std::string> hints;
  for (EntityKind other : all_kinds) {  // the id of another kind: say so
    if (other == kind) continue;
    auto theirs = ids(other);
    if (std::binary_search(theirs.begin(), theirs.end(), id))
      hints.push_back("'" + id + "' is a " + std::string(to_string(other)) + ": homeboy " +
                      std::string(to_string(other)) + " show " + id);
  }
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

std::optional<Error> ConfigStore::missing_references(const std::vector<Ref>& refs, const IdIndex& known,
                                                     std::string_view what) {
  json::array missing;
  std::vector<std::string> hints;
  std::string first;
  for (const auto& [kind, ref] : refs) {
    auto it = known.find(ref);
    if (it != known.end() && it->second == kind) continue;
    std::string field = kind == EntityKind::server ? "server_id" : "component_ids";
    missing.emplace_back(json::object{{"field", field}, {"kind", to_string(kind)}, {"id", ref}});
    if (first.empty())
      first = "refers to " + std::string(to_string(kind)) + " '" + ref + "' in \"" + field + "\", which does not exist";
    if (it != known.end()) {
      hints.push_back("'" + ref + "' is a " + std::string(to_string(it->second)) + ", not a " +
                      std::string(to_string(kind)) + ".");
      continue;
    }
    std::vector<std::string> of_kind;
    for (const auto& [id, k] : known)
      if (k == kind) of_kind.push_back(id);
    if (auto guess = did_you_mean(suggest(ref, of_kind)); !guess.empty()) hints.push_back(std::move(guess));
    hints.push_back("Create it first: homeboy " + std::string(to_string(kind)) + " create " + ref);
  }
  if (missing.empty()) return std::nullopt;
  std::size_t count = missing.size();
  const auto& only = missing.front().as_object();
  json::object details{{"missing", std::move(missing)}};
  if (count == 1) details["field"] = only.at("field"), details["id"] = only.at("id");
  return Error(Errc::config_invalid_reference,
               std::string(what) + " " + first + (count > 1 ? " (and " + std::to_string(count - 1) + " more)" : ""),
               std::move(details), std::move(hints));
}

std::optional<Error> ConfigStore::hold_references(Change& change, const std::vector<Ref>& refs, std::string_view what) {
  if (concurrency_ != Concurrency::transactions || refs.empty()) return std::nullopt;
  std::vector<Ref> distinct = refs;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<Event> reads;
  for (const auto& [kind, id] : distinct) reads.push_back(Event::read(path_of(kind, id)));
  auto got = storage_.batch(reads);
  std::vector<Ref> gone;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i].success) {
      change.guard(Event::write(reads[i].path, std::move(*got[i].data), at_version(got[i].version)));
      continue;
    }
    if (got[i].effective_error_code() != ErrorCode::not_found)
      throw failure_error(got[i], reads[i], storage_.provider().module_id);
    gone.push_back(distinct[i]);
  }
  if (gone.empty()) return std::nullopt;
  return missing_references(gone, {}, what);
}

void ConfigStore::hold_id_free(Change& change, EntityKind kind, const std::string& id) const {
  if (concurrency_ != Concurrency::transactions) return;
  for (EntityKind other : all_kinds)
    if (other != kind) change.guard(Event::check(path_of(other, id), contract::Condition::absent()));
}

std::vector<ConfigStore::VersionedEntity> ConfigStore::referencing_projects(EntityKind kind, const std::string& id) {
  std::vector<VersionedEntity> out;
  if (kind == EntityKind::project) return out;
  auto projects = list(EntityKind::project);
  for (std::size_t i = 0; i < projects.entities.size(); ++i) {
    auto refs = references_of(projects.entities[i].doc);
    if (std::find(refs.begin(), refs.end(), Ref{kind, id}) == refs.end()) continue;
    out.push_back({std::move(projects.entities[i]), std::move(projects.versions[i]), {}});
  }
  return out;
}

std::vector<ConfigStore::CreateOutcome> ConfigStore::create(EntityKind kind, std::vector<json::object> docs,
                                                            bool skip_existing, bool dry_run) {
  check_config_folders(config_dir_, !dry_run);
  std::optional<HostLock> lock;
  if (concurrency_ == Concurrency::host_lock) lock.emplace(config_dir_);
  auto exists_error = [&](const std::string& id) {
    return Error(errc_for(kind, EntityFailure::already_exists),
                 std::string(to_string(kind)) + " '" + id + "' already exists", {{"id", id}});
  };
  for (int attempt = 1;; ++attempt) {
    IdIndex taken = all_ids();  // listed once per attempt, updated as items are accepted
    std::vector<CreateOutcome> outcomes;
    std::vector<std::size_t> accepted;  // outcomes to write, in order
    std::vector<std::string> contents;
    std::vector<std::vector<Ref>> refs;
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
                      {{"id", outcome.id}, {"used_by", to_string(it->second)}},
                      {"Pick another id; `homeboy " + std::string(to_string(it->second)) + " show " + outcome.id +
                       "` shows the one that has it."});
        }
        std::vector<Ref> made_refs;
        if (kind == EntityKind::project) {
          if (auto problem = reference_shape_problem(doc)) throw errors::invalid_argument(*problem);
          made_refs = references_of(doc);
          if (auto missing = missing_references(made_refs, taken, "project '" + outcome.id + "'")) throw *missing;
        }
        taken.emplace(outcome.id, kind);
        accepted.push_back(outcomes.size());
        contents.push_back(serialize_document(doc));
        refs.push_back(std::move(made_refs));
        outcome.status = CreateStatus::created;
      } catch (const Error& e) {
        outcome.status = CreateStatus::failed;
        outcome.error = e;
      }
      outcomes.push_back(std::move(outcome));
    }
    if (accepted.empty() || dry_run) return outcomes;

    if (concurrency_ == Concurrency::transactions) {
      // All of them in one transaction, which fails whole when another command took one of
      // the ids or changed what one refers to: then everything is looked at again.
      Change change(*this);
      change.add(Event::ensure_dir(folder_of(kind)));
      std::vector<Ref> all_refs;
      for (std::size_t k = 0; k < accepted.size(); ++k) {
        const std::string& id = outcomes[accepted[k]].id;
        change.add(Event::write(path_of(kind, id), contents[k], only_if_absent()));
        hold_id_free(change, kind, id);
        all_refs.insert(all_refs.end(), refs[k].begin(), refs[k].end());
      }
      if (auto gone = hold_references(change, all_refs, "a project")) {
        // Deleted since the listing: plan again, and the projects naming it fail by name.
        if (attempt == max_attempts) throw *gone;
        back_off(attempt);
        continue;
      }
      try {
        if (change.apply()) return outcomes;
      } catch (const Change::Failed& f) {
        throw f.cause;
      }
      if (attempt == max_attempts) throw busy(kind, outcomes[accepted.front()].id);
      back_off(attempt);
      continue;
    }

    // Under the lock, one batch; each document stands on its own.
    storage_.ensure_dir(folder_of(kind));
    std::vector<Event> writes;
    for (std::size_t k = 0; k < accepted.size(); ++k)
      writes.push_back(Event::write(path_of(kind, outcomes[accepted[k]].id), contents[k], only_if_absent()));
    auto results = storage_.batch(writes, progress_);
    for (std::size_t k = 0; k < accepted.size(); ++k) {
      auto& outcome = outcomes[accepted[k]];
      if (results[k].success) continue;
      // Taken meanwhile by something that does not take homeboy's lock.
      bool lost_race = results[k].effective_error_code() == ErrorCode::conflict && storage_.capabilities().versions;
      outcome.status = lost_race && skip_existing ? CreateStatus::skipped : CreateStatus::failed;
      if (outcome.status == CreateStatus::failed)
        outcome.error = lost_race ? exists_error(outcome.id)
                                  : failure_error(results[k], writes[k], storage_.provider().module_id);
    }
    return outcomes;
  }
}

std::pair<Entity, std::vector<std::string>> ConfigStore::set(EntityKind kind, const std::string& id,
                                                             const Patch& patch, bool dry_run) {
  if (patch.empty())
    throw Error(Errc::config_empty_patch, "the patch is empty: nothing to set", {{"id", id}},
                {"Pass the fields to change: homeboy " + std::string(to_string(kind)) + " set " + id +
                 " name=\"New name\" (or a JSON object)."});
  if (const auto* new_id = patch.merge.if_contains("id"); new_id && !(new_id->is_string() && new_id->get_string() == id))
    throw Error(Errc::config_invalid_patch, "a patch cannot change \"id\"", {{"id", id}},
                {"Use `homeboy " + std::string(to_string(kind)) + " rename " + id + " <new-id>`."});
  check_config_folders(config_dir_, !dry_run);
  std::optional<HostLock> lock;
  if (concurrency_ == Concurrency::host_lock && !dry_run) lock.emplace(config_dir_);
  // Read, change, write back only onto what was read; else again.
  for (int attempt = 1;; ++attempt) {
    VersionedEntity current = get_versioned(kind, id);
    json::object before = current.entity.doc;
    auto changed = apply_patch(current.entity.doc, patch);
    current.entity.doc["id"] = id;
    if (changed.empty()) return {std::move(current.entity), std::move(changed)};
    Change change(*this);
    if (kind == EntityKind::project) {
      if (auto problem = reference_shape_problem(current.entity.doc)) throw errors::invalid_argument(*problem);
      // Only what the patch adds must exist: a reference the document already held is not
      // this change's to refuse (homeboy doctor reports it).
      std::vector<Ref> added;
      auto old_refs = references_of(before);
      for (auto& r : references_of(current.entity.doc))
        if (std::find(old_refs.begin(), old_refs.end(), r) == old_refs.end()) added.push_back(std::move(r));
      std::string what = "project '" + id + "'";
      if (!added.empty())
        if (auto missing = missing_references(added, all_ids(), what)) throw *missing;
      if (dry_run) return {std::move(current.entity), std::move(changed)};
      if (auto gone = hold_references(change, added, what)) {
        if (attempt == max_attempts) throw *gone;
        back_off(attempt);
        continue;
      }
    }
    if (dry_run) return {std::move(current.entity), std::move(changed)};
    change.add(Event::write(path_of(kind, id), serialize_document(current.entity.doc), at_version(current.version)));
    try {
      if (change.apply()) return {std::move(current.entity), std::move(changed)};
    } catch (const Change::Failed& f) {
      throw f.cause;
    }
    if (attempt == max_attempts) throw busy(kind, id);
    back_off(attempt);
  }
}

std::vector<std::string> ConfigStore::rename(EntityKind kind, const std::string& id, const std::string& new_id,
                                             bool dry_run) {
  check_id(new_id, to_string(kind));
  check_config_folders(config_dir_, !dry_run);
  std::optional<HostLock> lock;
  if (concurrency_ == Concurrency::host_lock && !dry_run) lock.emplace(config_dir_);
  for (int attempt = 1;; ++attempt) {
    VersionedEntity entity = get_versioned(kind, id);  // not found -> <kind>.not_found with hints
    if (new_id == id) return {};
    IdIndex known = all_ids();
    if (auto it = known.find(new_id); it != known.end()) {
      EntityKind owner = it->second;
      if (owner == kind)
        throw Error(errc_for(kind, EntityFailure::already_exists),
                    "cannot rename to '" + new_id + "': that " + std::string(to_string(kind)) + " exists",
                    {{"id", id}, {"new_id", new_id}},
                    {"Pick another new id; the ids taken: homeboy " + std::string(to_string(kind)) + " list"});
      throw Error(Errc::config_id_collision,
                  "cannot rename to '" + new_id + "': a " + std::string(to_string(owner)) + " uses that id",
                  {{"id", id}, {"new_id", new_id}, {"used_by", to_string(owner)}},
                  {"Pick another new id; ids are unique across projects, servers and components."});
    }
    // 1. the new document, only where nothing is; 2. the projects that name it, each only
    // onto the version listed; 3. the old document, only as it was read.
    json::object renamed = entity.entity.doc;
    renamed["id"] = new_id;
    std::string new_path = path_of(kind, new_id), old_path = path_of(kind, id);
    Change change(*this);
    change.add(Event::ensure_dir(folder_of(kind)), {}, 0);
    change.add(Event::write(new_path, serialize_document(renamed), only_if_absent()), Event::remove(new_path), 0);
    hold_id_free(change, kind, new_id);
    // A renamed project is a new document naming its server and components: a rename or
    // delete of one of them that listed the projects before this commits must fail, as for
    // a create. (A reference the project held to nothing stays its own problem: doctor's.)
    if (kind == EntityKind::project) hold_references(change, references_of(renamed), "project '" + new_id + "'");
    std::vector<std::string> updated;
    for (auto& project : referencing_projects(kind, id)) {
      json::object doc = project.entity.doc;
      rewrite_references(doc, kind, id, new_id);
      std::string path = path_of(EntityKind::project, project.entity.id);
      change.add(Event::write(path, serialize_document(doc), at_version(project.version)),
                 Event::write(path, serialize_document(project.entity.doc)), 1);
      updated.push_back(project.entity.id);
    }
    change.add(Event::remove(old_path, false, at_version(entity.version)), Event::write(old_path, entity.text), 2);
    if (dry_run) return updated;
    try {
      if (change.apply()) return updated;
    } catch (const Change::Failed& f) {
      if (!f.partial) throw f.cause;
      throw Error(Errc::config_rename_failed,
                  "renaming " + std::string(to_string(kind)) + " '" + id + "' to '" + new_id + "' failed: " +
                      f.cause.what() +
                      (f.restored ? "; everything was put back as it was" : "; restoring the original also failed"),
                  {{"id", id}, {"new_id", new_id}, {"restored", f.restored}});
    }
    if (attempt == max_attempts) throw busy(kind, id);
    back_off(attempt);
  }
}

void ConfigStore::remove(EntityKind kind, const std::string& id, bool dry_run) {
  check_config_folders(config_dir_, !dry_run);
  std::optional<HostLock> lock;
  if (concurrency_ == Concurrency::host_lock && !dry_run) lock.emplace(config_dir_);
  for (int attempt = 1;; ++attempt) {
    VersionedEntity current = get_versioned(kind, id);  // not found -> <kind>.not_found with hints
    if (auto users = referencing_projects(kind, id); !users.empty()) {
      std::string listed;
      json::array list;
      for (const auto& p : users) {
        listed += (listed.empty() ? "" : ", ") + p.entity.id;
        list.emplace_back(p.entity.id);
      }
      // The whole command for each project (up to a few), as it can be run.
      std::vector<std::string> hints;
      for (std::size_t i = 0; i < users.size() && i < 3; ++i)
        hints.push_back("Remove the reference first: homeboy project set " + users[i].entity.id +
                        (kind == EntityKind::server ? " server_id=" : " component_ids-=" + id));
      if (users.size() > 3) hints.push_back("... and the same for the other " + std::to_string(users.size() - 3) + " projects.");
      throw Error(Errc::config_in_use,
                  std::string(to_string(kind)) + " '" + id + "' is used by project(s) " + listed + "; not deleted",
                  {{"id", id}, {"projects", list}}, std::move(hints));
    }
    if (dry_run) return;
    // Only as it was read: a project that came to name it since (and held it) makes this fail.
    Change change(*this);
    change.add(Event::remove(path_of(kind, id), false, at_version(current.version)));
    try {
      if (change.apply()) return;
    } catch (const Change::Failed& f) {
      throw f.cause;
    }
    if (attempt == max_attempts) throw busy(kind, id);
    back_off(attempt);
  }
}

}  // namespace homeboy
