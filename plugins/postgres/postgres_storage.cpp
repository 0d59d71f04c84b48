// The PostgreSQL storage plugin: homeboy's storage contract on one table, so that everyone
// pointing homeboy at the same database and namespace shares one config. Written against
// the plain C ABI of homeboy/storage_plugin.h (versions 1 and 2); schema.sql describes the
// table and docs/backends/postgres.md how to run it.
//
// How the operations stay correct when several hosts use the database at once:
//   - a single-statement operation (read, list, a file write or delete) is atomic by itself;
//   - a write checks that its parent folder exists and holds a FOR KEY SHARE lock on it in
//     the same statement, so a folder cannot be deleted from under a write in flight;
//   - a conditional write or delete compares the version in its WHERE clause: PostgreSQL
//     re-checks it against the newest row before applying, so check and change are one step;
//   - ensure_dir inserts or locks every folder of the chain, then checks none is a file;
//   - a recursive delete first locks every folder below (until no new one appears), then
//     deletes the whole range in a statement that sees every child committed meanwhile;
//   - a batch is one transaction: all of its changes or none;
//   - a batch that changes something or holds a check first takes the namespace's advisory
//     lock, held until it ends: such batches of one namespace run one after the other, from
//     any host, so each one's checks and conditions hold against the state it changes.

#include "pg_session.hpp"
#include "postgres_schema.hpp"  // generated from schema.sql: homeboy_postgres::schema_sql

#include <homeboy/storage_plugin.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace homeboy_postgres {

namespace {

constexpr int known_schema_version = 1;
constexpr int attempts = 3;  // for a deadlock or serialization failure, where nothing was applied
// A path and its parent are both in an index: PostgreSQL's b-tree entries hold about 2,700 bytes.
constexpr std::size_t max_key_bytes = 2000;
constexpr std::size_t max_namespace_bytes = 200;
// Held while the schema is created, so hosts starting at once create it once ("homeboy!").
constexpr const char* schema_lock = "SELECT pg_advisory_xact_lock(7525353784569985313)";
// The namespace's lock, taken first by every batch that changes something or holds a check.
// Two int4 keys: PostgreSQL keeps them apart from the one-bigint keys of the schema lock, so
// the two can never be the same lock; namespaces whose hashes meet only wait for each other.
// The first key is "hbns" (0x68626e73).
constexpr int namespace_lock_class = 0x68626e73;

constexpr Oid text_type = 25, bytea_type = 17, bool_type = 16, int8_type = 20, bytea_array_type = 1001;

enum Stmt : std::size_t {
  read_entry,
  read_entries,
  write_file,
  write_file_if_absent,
  write_file_if_version,
  entry_states,
  list_children,
  delete_file,
  delete_file_if_version,
  lock_folders,
  delete_tree,
  create_folders,
  files_in_chain,
  lock_namespace,
  statement_count,
};

std::vector<Statement> statements() {
  // A write's parent must be a folder: FOR KEY SHARE keeps it from being deleted until the
  // write commits. $5 says the parent is a root ("/" or "~"), which has no row.
  constexpr const char* insert_file =
      "INSERT INTO homeboy.entries AS e (namespace, path, parent, is_directory, content, version) "
      "SELECT $1, $2, $3, false, $4, nextval('homeboy.versions') "
      "WHERE $5 OR EXISTS (SELECT FROM homeboy.entries p "
      "                    WHERE p.namespace = $1 AND p.path = $3 AND p.is_directory FOR KEY SHARE) ";
  std::vector<Statement> s(statement_count);
  s[read_entry] = {"SELECT is_directory, content, version FROM homeboy.entries WHERE namespace = $1 AND path = $2",
                   {text_type, bytea_type}};
  s[read_entries] = {"SELECT path, is_directory, content, version FROM homeboy.entries "
                     "WHERE namespace = $1 AND path = ANY($2::bytea[])",
                     {text_type, bytea_array_type}};
  s[write_file] = {std::string(insert_file) +
                       "ON CONFLICT (namespace, path) DO UPDATE SET content = excluded.content, "
                       "version = excluded.version, updated_at = now() WHERE NOT e.is_directory RETURNING version",
                   {text_type, bytea_type, bytea_type, bytea_type, bool_type}};
  s[write_file_if_absent] = {std::string(insert_file) + "ON CONFLICT (namespace, path) DO NOTHING RETURNING version",
                             {text_type, bytea_type, bytea_type, bytea_type, bool_type}};
  s[write_file_if_version] = {
      "UPDATE homeboy.entries SET content = $3, version = nextval('homeboy.versions'), updated_at = now() "
      "WHERE namespace = $1 AND path = $2 AND NOT is_directory AND version = $4 RETURNING version",
      {text_type, bytea_type, bytea_type, int8_type}};
  s[entry_states] = {"SELECT path, is_directory, version FROM homeboy.entries WHERE namespace = $1 AND path IN ($2, $3)",
                     {text_type, bytea_type, bytea_type}};
  // The children, and the path itself when it is a file (listing a file is refused).
  s[list_children] = {"SELECT path, is_directory FROM homeboy.entries "
                      "WHERE namespace = $1 AND (parent = $2 OR (path = $2 AND NOT is_directory))",
                      {text_type, bytea_type}};
  s[delete_file] = {"DELETE FROM homeboy.entries WHERE namespace = $1 AND path = $2 AND NOT is_directory RETURNING version",
                    {text_type, bytea_type}};
  s[delete_file_if_version] = {"DELETE FROM homeboy.entries WHERE namespace = $1 AND path = $2 AND NOT is_directory "
                               "AND version = $3 RETURNING version",
                               {text_type, bytea_type, int8_type}};
  // Below a folder: every path from "<folder>/" up to, not including, "<folder>0" ('0' follows '/').
  s[lock_folders] = {"SELECT path FROM homeboy.entries WHERE namespace = $1 AND is_directory "
                     "AND (path = $2 OR (path >= $3 AND path < $4)) ORDER BY path FOR UPDATE",
                     {text_type, bytea_type, bytea_type, bytea_type}};
  s[delete_tree] = {"DELETE FROM homeboy.entries WHERE namespace = $1 AND (path = $2 OR (path >= $3 AND path < $4))",
                    {text_type, bytea_type, bytea_type, bytea_type}};
  // Inserts the missing folders of a chain and locks the existing ones (DO UPDATE locks
  // the conflicting row even when its WHERE is false), so none disappears before commit.
  s[create_folders] = {"INSERT INTO homeboy.entries AS e (namespace, path, parent, is_directory, content, version) "
                       "SELECT $1, c.path, c.parent, true, NULL, nextval('homeboy.versions') "
                       "FROM unnest($2::bytea[], $3::bytea[]) AS c(path, parent) "
                       "ON CONFLICT (namespace, path) DO UPDATE SET version = e.version WHERE false",
                       {text_type, bytea_array_type, bytea_array_type}};
  s[files_in_chain] = {"SELECT path FROM homeboy.entries WHERE namespace = $1 AND path = ANY($2::bytea[]) "
                       "AND NOT is_directory ORDER BY length(path) LIMIT 1",
                       {text_type, bytea_array_type}};
  s[lock_namespace] = {"SELECT pg_advisory_xact_lock(" + std::to_string(namespace_lock_class) +
                           ", hashtext('homeboy namespace ' || $1))",
                       {text_type}};
  return s;
}

// Where a path is stored. Paths under homeboy's config folder are stored relative to it,
// as "~/...", so everyone sharing a namespace shares one config whatever their config
// folder is called; any other path is stored as it is. "/" and "~" are roots: always
// folders, never stored.
class Keys {
 public:
  explicit Keys(std::string_view config_dir) {
    if (config_dir.empty()) return;
    config_ = std::filesystem::path(config_dir).lexically_normal().string();
    while (config_.size() > 1 && config_.back() == '/') config_.pop_back();
    if (config_ == "/") config_.clear();  // would take every path: no mapping at all
  }

  std::string key(std::string_view path) const {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    if (!config_.empty() && path.starts_with(config_) && (path.size() == config_.size() || path[config_.size()] == '/'))
      return "~" + std::string(path.substr(config_.size()));
    return std::string(path);
  }

  std::string path(std::string_view key) const {
    if (key.starts_with('~')) return config_ + std::string(key.substr(1));
    return std::string(key);
  }

  static bool is_root(std::string_view key) noexcept { return key == "/" || key == "~"; }

  static std::string parent(std::string_view key) {
    auto slash = key.rfind('/');
    return slash == 0 ? "/" : std::string(key.substr(0, slash));
  }

 private:
  std::string config_;
};

struct Outcome {
  homeboy_status status = HOMEBOY_OK;
  std::string message;
  std::optional<std::string> data, version;
  std::vector<std::pair<std::string, bool>> entries;

  bool failed() const noexcept { return status != HOMEBOY_OK; }
  static Outcome failure(homeboy_status status, std::string message) {
    Outcome o;
    o.status = status;
    o.message = std::move(message);
    return o;
  }
};

// One operation, from a single call or a batch.
struct Op {
  homeboy_operation operation;
  std::string_view path;
  std::string_view content{};
  bool is_directory = false;
  const homeboy_condition* condition = nullptr;
};

bool changes(const Op& op) noexcept {
  return op.operation == HOMEBOY_OP_WRITE || op.operation == HOMEBOY_OP_DELETE || op.operation == HOMEBOY_OP_ENSURE_DIR;
}

// A batch stands or falls with its changes and its checks: when one fails, none of it remains.
bool decides(const Op& op) noexcept { return changes(op) || op.operation == HOMEBOY_OP_CHECK; }

std::string describe(std::size_t index, const Op& op) {
  const char* name = "operation";
  switch (op.operation) {
    case HOMEBOY_OP_READ: name = "read"; break;
    case HOMEBOY_OP_WRITE: name = "write"; break;
    case HOMEBOY_OP_LIST: name = "list"; break;
    case HOMEBOY_OP_DELETE: name = "delete"; break;
    case HOMEBOY_OP_ENSURE_DIR: name = "ensure_dir"; break;
    case HOMEBOY_OP_CHECK: name = "check"; break;
  }
  return "operation " + std::to_string(index + 1) + " (" + name + " " + std::string(op.path) + ")";
}

// The versions this plugin hands out are decimal numbers; anything else can never match.
std::optional<std::int64_t> parse_version(const homeboy_condition& c) {
  std::string_view text(c.version ? c.version : "", c.version ? c.version_size : 0);
  std::int64_t v = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string quoted_version(const homeboy_condition& c) {
  return std::string(c.version ? c.version : "", c.version ? c.version_size : 0);
}

homeboy_status report(const Outcome& o, homeboy_result* r) noexcept {
  if (o.failed()) {
    r->set_error(r, o.message.data(), o.message.size());
    return o.status;
  }
  if (o.data) r->set_data(r, o.data->data(), o.data->size());
  if (o.version && HOMEBOY_HAS(r, homeboy_result, set_version) && r->set_version)
    r->set_version(r, o.version->data(), o.version->size());
  for (const auto& [path, is_directory] : o.entries) r->add_entry(r, path.data(), path.size(), is_directory ? 1 : 0);
  return HOMEBOY_OK;
}

class PostgresStorage {
 public:
  PostgresStorage(std::string conninfo, std::string ns, std::string_view config_dir)
      : db_(std::move(conninfo), statements()), ns_(std::move(ns)), keys_(config_dir) {}

  Outcome single(const Op& op) {
    for (int attempt = 1;; ++attempt) {
      try {
        open();
      } catch (const DbError& e) {
        return Outcome::failure(e.status(), e.what());
      }
      try {
        return run(op);
      } catch (const DbError& e) {
        if (e.kind() == DbError::Kind::retry && attempt < attempts) continue;
        return failure_of(e, changes(op));
      }
    }
  }

  // One transaction. When a change fails, nothing is applied: the failing operation reports
  // its own error, every other change "aborted" naming it, and what comes after is not run.
  std::vector<Outcome> batch(const std::vector<Op>& ops) {
    std::vector<Outcome> out;
    for (int attempt = 1;; ++attempt) {
      out.clear();
      try {
        open();
      } catch (const DbError& e) {
        out.assign(ops.size(), Outcome::failure(e.status(), e.what()));
        return out;
      }
      std::size_t failed = ops.size();
      std::optional<DbError> error;
      try {
        Transaction tx(db_);
        if (std::any_of(ops.begin(), ops.end(), decides)) db_.run(lock_namespace, {Param::bytes(ns_)});
        for (std::size_t i = 0; i < ops.size() && failed == ops.size();) {
          std::size_t reads = 0;
          while (i + reads < ops.size() && ops[i + reads].operation == HOMEBOY_OP_READ) ++reads;
          if (reads > 1) {  // consecutive reads see the same state: one statement for all of them
            read_together(ops, i, i + reads, out);
            i += reads;
            continue;
          }
          out.push_back(run(ops[i]));
          if (out.back().failed() && decides(ops[i])) failed = i;
          ++i;
        }
        if (failed == ops.size()) {
          tx.commit();
          return out;
        }
      } catch (const DbError& e) {
        if (e.kind() == DbError::Kind::retry && attempt < attempts) continue;
        error = e;
      }
      if (error && out.size() == ops.size()) {  // COMMIT itself failed
        for (std::size_t i = 0; i < ops.size(); ++i)
          if (decides(ops[i])) out[i] = failure_of(*error, changes(ops[i]), "committing the batch: ");
        return out;
      }
      if (error) {  // the transaction never committed: nothing of it was applied
        failed = out.size();
        out.push_back(failure_of(*error, false));
      }
      std::string why = describe(failed, ops[failed]) + " failed: " + out[failed].message;
      for (std::size_t i = 0; i < failed; ++i)
        if (decides(ops[i])) out[i] = Outcome::failure(HOMEBOY_ERR_ABORTED, "rolled back with the whole batch: " + why);
      homeboy_status after = error && error->kind() == DbError::Kind::unavailable ? HOMEBOY_ERR_UNAVAILABLE
                                                                                  : HOMEBOY_ERR_ABORTED;
      while (out.size() < ops.size())
        out.push_back(Outcome::failure(after, "not run, the batch was rolled back: " + why));
      return out;
    }
  }

 private:
  static Outcome failure_of(const DbError& e, bool change, const std::string& context = {}) {
    std::string message = context + e.what();
    if (e.kind() == DbError::Kind::unavailable && change)
      message += " (the change may or may not have been applied: read it back to see)";
    if (e.kind() == DbError::Kind::retry)
      message = "kept colliding with concurrent changes (" + message + "); try again";
    return Outcome::failure(e.status(), std::move(message));
  }

  void open() {
    db_.connect();
    if (schema_ready_) return;
    std::optional<int> version = schema_version();
    if (!version) {
      try {
        Transaction tx(db_);
        db_.execute(schema_lock);
        db_.execute(schema_sql);
        tx.commit();
      } catch (const DbError& e) {
        if (e.status() != HOMEBOY_ERR_PERMISSION_DENIED) throw;
        throw DbError(e.status(), e.kind(),
                      std::string("cannot create homeboy's tables: ") + e.what() +
                          ". An administrator can create them with schema.sql from the postgres module folder.");
      }
      version = schema_version();
    }
    if (!version || *version > known_schema_version)
      throw DbError(HOMEBOY_ERR_UNSUPPORTED, DbError::Kind::refused,
                    "the homeboy schema in the database at " + db_.target() + " is version " +
                        (version ? std::to_string(*version) : "(unknown)") + "; this plugin knows version " +
                        std::to_string(known_schema_version) + ": update the postgres module");
    schema_ready_ = true;
  }

  // The schema's version, or nothing when there is no schema yet.
  std::optional<int> schema_version() {
    try {
      Rows rows = db_.execute("SELECT value FROM homeboy.meta WHERE key = 'schema_version'");
      int v = 0;
      std::string_view text = rows.size() ? rows.bytes(0, 0) : std::string_view();
      std::from_chars(text.data(), text.data() + text.size(), v);
      return v;
    } catch (const DbError& e) {
      if (e.sqlstate() == "42P01" || e.sqlstate() == "3F000") return std::nullopt;  // no table, no schema
      throw;
    }
  }

  static std::optional<Outcome> refused_key(const std::string& key, const Op& op) {
    if (key.size() <= max_key_bytes) return std::nullopt;
    return Outcome::failure(HOMEBOY_ERR_INVALID_ARGUMENT, "the path is " + std::to_string(op.path.size()) +
                                                              " bytes long; PostgreSQL storage keeps paths of up to " +
                                                              std::to_string(max_key_bytes) + " bytes");
  }

  Outcome run(const Op& op) {
    std::string key = keys_.key(op.path);
    if (auto refused = refused_key(key, op)) return *refused;
    switch (op.operation) {
      case HOMEBOY_OP_READ: return read(key, op);
      case HOMEBOY_OP_WRITE: return write(key, op);
      case HOMEBOY_OP_LIST: return list(key, op);
      case HOMEBOY_OP_DELETE: return remove(key, op);
      case HOMEBOY_OP_ENSURE_DIR: return ensure_dir(key, op);
      case HOMEBOY_OP_CHECK: return check(key, op);
    }
    return Outcome::failure(HOMEBOY_ERR_UNSUPPORTED, "unknown operation " + std::to_string(op.operation));
  }

  struct State {
    bool exists = false, is_directory = false;
    std::int64_t version = 0;
  };

  // What is at `key` and at `other` now.
  std::pair<State, State> states(const std::string& key, const std::string& other) {
    Rows rows = db_.run(entry_states, {Param::bytes(ns_), Param::bytes(key), Param::bytes(other)});
    std::pair<State, State> out;
    for (int i = 0; i < rows.size(); ++i) {
      State& s = rows.bytes(i, 0) == key ? out.first : out.second;
      s = {true, rows.boolean(i, 1), rows.int64(i, 2)};
    }
    return out;
  }

  static Outcome written(const Rows& rows) {
    Outcome o;
    o.version = std::to_string(rows.int64(0, 0));
    return o;
  }

  // A read's outcome from its row (columns is_directory, content, version), or -1 for none.
  static Outcome read_outcome(const Op& op, const Rows& rows, int row, int first_column) {
    std::string path(op.path);
    if (row < 0) return Outcome::failure(HOMEBOY_ERR_NOT_FOUND, "no such file: " + path);
    if (rows.boolean(row, first_column))
      return Outcome::failure(HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + path);
    Outcome o;
    o.data.emplace(rows.bytes(row, first_column + 1));
    o.version = std::to_string(rows.int64(row, first_column + 2));
    return o;
  }

  Outcome read(const std::string& key, const Op& op) {
    if (Keys::is_root(key))
      return Outcome::failure(HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + std::string(op.path));
    Rows rows = db_.run(read_entry, {Param::bytes(ns_), Param::bytes(key)});
    return read_outcome(op, rows, rows.size() ? 0 : -1, 0);
  }

  // ops[from, to) are reads: one round trip instead of one each (`project list` reads
  // every document in one batch).
  void read_together(const std::vector<Op>& ops, std::size_t from, std::size_t to, std::vector<Outcome>& out) {
    std::vector<std::string> keys(to - from), wanted;
    for (std::size_t i = from; i < to; ++i) {
      keys[i - from] = keys_.key(ops[i].path);
      if (!refused_key(keys[i - from], ops[i]) && !Keys::is_root(keys[i - from])) wanted.push_back(keys[i - from]);
    }
    const std::string array = bytea_array(wanted);
    Rows rows = db_.run(read_entries, {Param::bytes(ns_), Param::bytes(array)});
    std::unordered_map<std::string_view, int> row_of;
    for (int r = 0; r < rows.size(); ++r) row_of.emplace(rows.bytes(r, 0), r);
    for (std::size_t i = from; i < to; ++i) {
      const std::string& key = keys[i - from];
      if (refused_key(key, ops[i]) || Keys::is_root(key)) {
        out.push_back(run(ops[i]));
        continue;
      }
      auto found = row_of.find(key);
      out.push_back(read_outcome(ops[i], rows, found == row_of.end() ? -1 : found->second, 1));
    }
  }

  Outcome write(const std::string& key, const Op& op) {
    std::string path(op.path);
    if (Keys::is_root(key)) return Outcome::failure(HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + path);
    const std::string parent = Keys::parent(key);
    const Param ns = Param::bytes(ns_), k = Param::bytes(key), folder = Param::bytes(parent),
                content = Param::bytes(op.content), parent_is_root = Param::boolean(Keys::is_root(parent));
    const homeboy_condition* c = op.condition;
    if (c && c->kind == HOMEBOY_IF_VERSION) {
      if (auto expected = parse_version(*c)) {
        Rows rows = db_.run(write_file_if_version, {ns, k, content, Param::int64(*expected)});
        if (rows.size()) return written(rows);
      }
      State now = states(key, key).first;
      if (!now.exists)
        return Outcome::failure(HOMEBOY_ERR_CONFLICT, "was deleted since version " + quoted_version(*c) + ": " + path);
      if (now.is_directory) return Outcome::failure(HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + path);
      return Outcome::failure(HOMEBOY_ERR_CONFLICT, "changed since version " + quoted_version(*c) + " (now " +
                                                        std::to_string(now.version) + "): " + path);
    }
    bool if_absent = c && c->kind == HOMEBOY_IF_ABSENT;
    Rows rows = db_.run(if_absent ? write_file_if_absent : write_file, {ns, k, folder, content, parent_is_root});
    if (rows.size()) return written(rows);
    // Refused: say why.
    auto [target, holder] = states(key, parent);
    // A folder first: a write never replaces one, whatever its condition (storage-contract.md).
    if (target.exists && target.is_directory)
      return Outcome::failure(HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + path);
    if (target.exists && if_absent) return Outcome::failure(HOMEBOY_ERR_CONFLICT, "already exists: " + path);
    if (!Keys::is_root(parent) && !holder.exists)
      return Outcome::failure(HOMEBOY_ERR_NOT_FOUND, "folder does not exist: " + keys_.path(parent));
    if (!Keys::is_root(parent) && !holder.is_directory)
      return Outcome::failure(HOMEBOY_ERR_NOT_FOUND, "is a file, not a folder: " + keys_.path(parent));
    return Outcome::failure(HOMEBOY_ERR_CONFLICT, "changed by someone else while being written: " + path);
  }

  Outcome list(const std::string& key, const Op& op) {
    Rows rows = db_.run(list_children, {Param::bytes(ns_), Param::bytes(key)});
    Outcome o;
    o.entries.reserve(static_cast<std::size_t>(rows.size()));
    for (int i = 0; i < rows.size(); ++i) {
      std::string_view child = rows.bytes(i, 0);
      if (child == key)
        return Outcome::failure(HOMEBOY_ERR_INVALID_ARGUMENT, "is a file, not a folder: " + std::string(op.path));
      o.entries.emplace_back(keys_.path(child), rows.boolean(i, 1));
    }
    return o;  // any order: the host sorts
  }

  Outcome remove(const std::string& key, const Op& op) {
    std::string path(op.path);
    if (key == "~")
      return Outcome::failure(HOMEBOY_ERR_INVALID_ARGUMENT, "refusing to delete homeboy's config folder " + path +
                                                                ": everyone using namespace '" + ns_ + "' shares it");
    if (Keys::is_root(key)) return Outcome::failure(HOMEBOY_ERR_INVALID_ARGUMENT, "refusing to delete the root folder /");
    auto folder_refused = [&] {
      return Outcome::failure(HOMEBOY_ERR_INVALID_ARGUMENT,
                              "is a folder: " + path + " (delete it with its contents: is_directory, or --recursive)");
    };
    const homeboy_condition* c = op.condition;
    if (c) {
      if (c->kind != HOMEBOY_IF_VERSION)
        return Outcome::failure(HOMEBOY_ERR_INVALID_ARGUMENT, "a delete takes a version condition only: " + path);
      if (auto expected = parse_version(*c)) {
        Rows rows = db_.run(delete_file_if_version, {Param::bytes(ns_), Param::bytes(key), Param::int64(*expected)});
        if (rows.size()) return {};
      }
      State now = states(key, key).first;
      if (!now.exists) return Outcome::failure(HOMEBOY_ERR_NOT_FOUND, "no such file: " + path);
      if (now.is_directory)
        return op.is_directory ? Outcome::failure(HOMEBOY_ERR_INVALID_ARGUMENT, "a folder has no version: " + path)
                               : folder_refused();
      return Outcome::failure(HOMEBOY_ERR_CONFLICT, "changed since version " + quoted_version(*c) + " (now " +
                                                        std::to_string(now.version) + "): " + path);
    }
    Rows rows = db_.run(delete_file, {Param::bytes(ns_), Param::bytes(key)});
    if (rows.size()) return {};
    if (op.is_directory) return remove_tree(key, path);
    State now = states(key, key).first;
    if (!now.exists) return Outcome::failure(HOMEBOY_ERR_NOT_FOUND, "no such file or folder: " + path);
    if (now.is_directory) return folder_refused();
    return Outcome::failure(HOMEBOY_ERR_CONFLICT, "changed by someone else while being deleted: " + path);
  }

  Outcome remove_tree(const std::string& key, const std::string& path) {
    const std::string below = key + "/", beyond = key + "0";
    const Param ns = Param::bytes(ns_), k = Param::bytes(key), from = Param::bytes(below), to = Param::bytes(beyond);
    Transaction tx(db_);
    // Lock every folder of the tree. A folder made meanwhile shows up in the next round
    // (its parent's lock waited for it); once a round finds nothing new, nothing more can
    // be added below, and the delete's own snapshot sees every child committed meanwhile.
    std::set<std::string, std::less<>> locked;
    for (int round = 1;; ++round) {
      Rows folders = db_.run(lock_folders, {ns, k, from, to});
      bool found_self = false, grew = false;
      for (int i = 0; i < folders.size(); ++i) {
        std::string_view f = folders.bytes(i, 0);
        found_self = found_self || f == key;
        grew = locked.emplace(f).second || grew;
      }
      if (!found_self) return Outcome::failure(HOMEBOY_ERR_NOT_FOUND, "no such file or folder: " + path);
      if (!grew) break;
      if (round == 50)
        return Outcome::failure(HOMEBOY_ERR_CONFLICT, "folders keep appearing below " + path + " while it is deleted; try again");
    }
    db_.run(delete_tree, {ns, k, from, to});
    tx.commit();
    return {};
  }

  // One look at the row, in the batch's transaction: the namespace's lock keeps what it saw
  // until the batch ends.
  Outcome check(const std::string& key, const Op& op) {
    std::string path(op.path);
    const homeboy_condition* c = op.condition;
    if (!c || (c->kind != HOMEBOY_IF_VERSION && c->kind != HOMEBOY_IF_ABSENT))
      return Outcome::failure(HOMEBOY_ERR_INVALID_ARGUMENT, "a check needs a condition (if_version or if_absent): " + path);
    State now = Keys::is_root(key) ? State{true, true, 0} : states(key, key).first;
    if (c->kind == HOMEBOY_IF_ABSENT) {
      if (now.exists) return Outcome::failure(HOMEBOY_ERR_CONFLICT, "exists: " + path);
      return {};
    }
    if (!now.exists)
      return Outcome::failure(HOMEBOY_ERR_CONFLICT, "does not exist (the check wants version " + quoted_version(*c) +
                                                        "): " + path);
    if (now.is_directory) return Outcome::failure(HOMEBOY_ERR_CONFLICT, "is a folder, which has no version: " + path);
    if (parse_version(*c) != now.version)
      return Outcome::failure(HOMEBOY_ERR_CONFLICT, "changed since version " + quoted_version(*c) + " (now " +
                                                        std::to_string(now.version) + "): " + path);
    return {};
  }

  Outcome ensure_dir(const std::string& key, const Op& op) {
    if (Keys::is_root(key)) return {};
    const Param ns = Param::bytes(ns_);
    Rows existing = db_.run(read_entry, {ns, Param::bytes(key)});
    if (existing.size()) {
      if (existing.boolean(0, 0)) return {};
      return Outcome::failure(HOMEBOY_ERR_CONFLICT, "a file is in the way: " + std::string(op.path));
    }
    std::vector<std::string> chain, parents;
    for (std::string k = key; !Keys::is_root(k); k = Keys::parent(k)) chain.insert(chain.begin(), k);
    for (const auto& k : chain) parents.push_back(Keys::parent(k));
    const std::string chain_array = bytea_array(chain), parent_array = bytea_array(parents);
    Transaction tx(db_);
    db_.run(create_folders, {ns, Param::bytes(chain_array), Param::bytes(parent_array)});
    Rows files = db_.run(files_in_chain, {ns, Param::bytes(chain_array)});
    if (files.size()) return Outcome::failure(HOMEBOY_ERR_CONFLICT, "a file is in the way: " + keys_.path(files.bytes(0, 0)));
    tx.commit();
    return {};
  }

  Session db_;
  std::string ns_;
  Keys keys_;
  bool schema_ready_ = false;
};

// --- the C ABI ---------------------------------------------------------------------------

PostgresStorage& self(homeboy_storage* s) noexcept { return *reinterpret_cast<PostgresStorage*>(s); }

homeboy_status fail_unexpectedly(homeboy_result* r) noexcept {
  static constexpr std::string_view message = "out of memory in the postgres plugin";
  r->set_error(r, message.data(), message.size());
  return HOMEBOY_ERR_IO;
}

homeboy_status single(homeboy_storage* s, const Op& op, homeboy_result* r) noexcept {
  try {
    return report(self(s).single(op), r);
  } catch (...) {
    return fail_unexpectedly(r);
  }
}

homeboy_status pg_read(homeboy_storage* s, const char* p, size_t n, homeboy_result* r) noexcept {
  return single(s, {HOMEBOY_OP_READ, {p, n}}, r);
}
homeboy_status pg_write(homeboy_storage* s, const char* p, size_t n, const char* c, size_t cn, homeboy_result* r) noexcept {
  return single(s, {HOMEBOY_OP_WRITE, {p, n}, {c, cn}}, r);
}
homeboy_status pg_list(homeboy_storage* s, const char* p, size_t n, homeboy_result* r) noexcept {
  return single(s, {HOMEBOY_OP_LIST, {p, n}}, r);
}
homeboy_status pg_remove(homeboy_storage* s, const char* p, size_t n, int32_t dir, homeboy_result* r) noexcept {
  return single(s, {HOMEBOY_OP_DELETE, {p, n}, {}, dir != 0}, r);
}
homeboy_status pg_ensure_dir(homeboy_storage* s, const char* p, size_t n, homeboy_result* r) noexcept {
  return single(s, {HOMEBOY_OP_ENSURE_DIR, {p, n}}, r);
}
homeboy_status pg_write_if(homeboy_storage* s, const char* p, size_t n, const char* c, size_t cn,
                           const homeboy_condition* condition, homeboy_result* r) noexcept {
  return single(s, {HOMEBOY_OP_WRITE, {p, n}, {c, cn}, false, condition}, r);
}
homeboy_status pg_remove_if(homeboy_storage* s, const char* p, size_t n, int32_t dir, const homeboy_condition* condition,
                            homeboy_result* r) noexcept {
  return single(s, {HOMEBOY_OP_DELETE, {p, n}, {}, dir != 0, condition}, r);
}

Op op_from(const homeboy_op& op, bool has_condition) noexcept {
  return {op.operation, {op.path, op.path_size}, {op.content ? op.content : "", op.content ? op.content_size : 0},
          op.is_directory != 0, has_condition ? op.condition : nullptr};
}

template <class OpAt, class ResultAt>
homeboy_status run_batch(homeboy_storage* s, std::size_t count, OpAt op_at, ResultAt result_at,
                         homeboy_status* statuses) noexcept {
  try {
    std::vector<Op> ops;
    ops.reserve(count);
    for (std::size_t i = 0; i < count; ++i) ops.push_back(op_at(i));
    std::vector<Outcome> outcomes = self(s).batch(ops);
    for (std::size_t i = 0; i < count; ++i) statuses[i] = report(outcomes[i], result_at(i));
    return HOMEBOY_OK;
  } catch (...) {
    return HOMEBOY_ERR_IO;  // out of memory before anything was reported
  }
}

// Version 1: both arrays are laid out at the frozen version-1 strides.
homeboy_status pg_batch(homeboy_storage* s, const homeboy_op* ops, size_t count, homeboy_result* results,
                        homeboy_status* statuses) noexcept {
  const char* op_bytes = reinterpret_cast<const char*>(ops);
  char* result_bytes = reinterpret_cast<char*>(results);
  return run_batch(
      s, count, [&](std::size_t i) { return op_from(*reinterpret_cast<const homeboy_op*>(op_bytes + i * HOMEBOY_OP_V1_SIZE), false); },
      [&](std::size_t i) { return reinterpret_cast<homeboy_result*>(result_bytes + i * HOMEBOY_RESULT_V1_SIZE); }, statuses);
}

homeboy_status pg_batch_v2(homeboy_storage* s, const homeboy_op* const* ops, homeboy_result* const* results,
                           homeboy_status* statuses, size_t count) noexcept {
  return run_batch(
      s, count, [&](std::size_t i) { return op_from(*ops[i], HOMEBOY_HAS(ops[i], homeboy_op, condition)); },
      [&](std::size_t i) { return results[i]; }, statuses);
}

void pg_destroy(homeboy_storage* s) noexcept { delete &self(s); }

constexpr homeboy_storage_vtable vtable = {
    sizeof(homeboy_storage_vtable),
    HOMEBOY_CAP_BATCH | HOMEBOY_CAP_BATCH_ATOMIC | HOMEBOY_CAP_VERSIONS | HOMEBOY_CAP_TRANSACTIONS,
    &pg_read, &pg_write, &pg_list, &pg_remove, &pg_ensure_dir, &pg_batch, &pg_destroy,
    &pg_write_if, &pg_remove_if, &pg_batch_v2};

homeboy_status pg_negotiate(uint32_t host_max_version, uint32_t* chosen) noexcept {
  if (host_max_version < 1) return HOMEBOY_ERR_UNSUPPORTED;
  *chosen = host_max_version < 2 ? host_max_version : 2;
  return HOMEBOY_OK;
}

homeboy_status refuse_creation(homeboy_result* error, homeboy_status status, const std::string& message) noexcept {
  error->set_error(error, message.data(), message.size());
  return status;
}

homeboy_status pg_create(const homeboy_create_info* info, homeboy_storage** instance,
                         const homeboy_storage_vtable** table, homeboy_result* error) noexcept {
  try {
    const char* conninfo = info->config_get(info, "conninfo");
    const char* ns = info->config_get(info, "namespace");
    std::string name = ns ? ns : "default";
    bool control = std::any_of(name.begin(), name.end(), [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; });
    if (name.empty() || name.size() > max_namespace_bytes || control)
      return refuse_creation(error, HOMEBOY_ERR_INVALID_ARGUMENT,
                             "storage_provider.config.namespace must be 1 to " + std::to_string(max_namespace_bytes) +
                                 " bytes of text without control characters");
    auto* store = new PostgresStorage(conninfo ? conninfo : "", std::move(name), info->config_dir ? info->config_dir : "");
    *instance = reinterpret_cast<homeboy_storage*>(store);
    *table = &vtable;
    return HOMEBOY_OK;
  } catch (const DbError& e) {
    return refuse_creation(error, e.status(), std::string("storage_provider.config: ") + e.what());
  } catch (...) {
    return refuse_creation(error, HOMEBOY_ERR_IO, "out of memory in the postgres plugin");
  }
}

}  // namespace

}  // namespace homeboy_postgres

extern "C" HOMEBOY_PLUGIN_EXPORT const homeboy_plugin_entry homeboy_storage_plugin_entry = {
    sizeof(homeboy_plugin_entry), "postgres", &homeboy_postgres::pg_negotiate, &homeboy_postgres::pg_create};
