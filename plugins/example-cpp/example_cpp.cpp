// example-cpp: a homeboy storage plugin in C++20 on SQLite, written with the optional helper
// homeboy/storage_plugin.hpp. Read it as the reference for a database plugin:
//   - the five operations, each one SQL transaction;
//   - versions (compare-and-swap): a row's version is a number the database hands out once,
//     checked and changed inside the write's own transaction;
//   - the batch hook: a whole batch is one transaction, so it applies all or nothing, and the
//     plugin declares atomic batches (HOMEBOY_CAP_BATCH_ATOMIC).
// The database is the provider config's "database_path", relative to the config folder; by
// default "<config folder>/<module id>.db". Folders are rows too, so a listing is one query.
#include <homeboy/storage_plugin.hpp>

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <vector>

using homeboy::plugin::Batch;
using homeboy::plugin::Condition;
using homeboy::plugin::CreateInfo;
using homeboy::plugin::Failure;
using homeboy::plugin::Result;

namespace {

// One prepared statement, reset when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) throw Failure(HOMEBOY_ERR_IO, sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::string_view text) {
    sqlite3_bind_blob64(stmt_, i, text.data(), text.size(), SQLITE_STATIC);
    return *this;
  }
  Statement& bind(int i, sqlite3_int64 number) {
    sqlite3_bind_int64(stmt_, i, number);
    return *this;
  }
  bool step() {  // true while there is a row
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Failure(rc == SQLITE_BUSY ? HOMEBOY_ERR_UNAVAILABLE : HOMEBOY_ERR_IO, sqlite3_errmsg(db_));
  }
  std::string_view text(int column) {
    const void* bytes = sqlite3_column_blob(stmt_, column);
    return {static_cast<const char*>(bytes), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
  }
  sqlite3_int64 number(int column) { return sqlite3_column_int64(stmt_, column); }
  bool is_null(int column) { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

std::string parent_of(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == 0 ? "/" : std::string(path.substr(0, slash));
}

}  // namespace

class ExampleCpp {
 public:
  explicit ExampleCpp(const CreateInfo& info) {
    std::string module_dir(info.module_dir());
    const char* configured = info.config("database_path");
    std::string file = configured ? configured : module_dir.substr(module_dir.rfind('/') + 1) + ".db";
    if (file.front() != '/') file = std::string(info.config_dir()) + "/" + file;
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw Failure(HOMEBOY_ERR_IO, "cannot open " + file + ": " + why);
    }
    sqlite3_busy_timeout(db_, 10000);  // other processes' transactions: wait, do not fail
    exec("PRAGMA journal_mode=WAL");
    exec("CREATE TABLE IF NOT EXISTS entries (path BLOB PRIMARY KEY, parent BLOB NOT NULL, "
         "is_directory INTEGER NOT NULL, content BLOB, version INTEGER NOT NULL)");
    exec("CREATE INDEX IF NOT EXISTS entries_parent ON entries(parent)");
    exec("CREATE TABLE IF NOT EXISTS counter (next INTEGER NOT NULL)");
    exec("INSERT INTO counter SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM counter)");
  }
  ~ExampleCpp() { sqlite3_close(db_); }
  ExampleCpp(const ExampleCpp&) = delete;
  ExampleCpp& operator=(const ExampleCpp&) = delete;

  homeboy_status read(std::string_view path, Result& out) {
    Transaction t(*this, Transaction::reading);
    Statement q(db_, "SELECT is_directory, content, version FROM entries WHERE path = ?");
    if (!q.bind(1, path).step()) return out.fail(HOMEBOY_ERR_NOT_FOUND, "no such file: " + std::string(path));
    if (q.number(0)) return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + std::string(path));
    out.data(q.text(1));
    out.version(std::to_string(q.number(2)));
    return t.commit();
  }

  homeboy_status write(std::string_view path, std::string_view content, Result& out) {
    return write_checked(path, content, nullptr, out);
  }
  homeboy_status write_if(std::string_view path, std::string_view content, const Condition& condition, Result& out) {
    return write_checked(path, content, &condition, out);
  }

  homeboy_status list(std::string_view path, Result& out) {
    Transaction t(*this, Transaction::reading);
    if (kind(path) == Kind::file) return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a file, not a folder: " + std::string(path));
    Statement q(db_, "SELECT path, is_directory FROM entries WHERE parent = ?");
    q.bind(1, path);
    while (q.step()) out.entry(q.text(0), q.number(1) != 0);  // any order: the host sorts
    return t.commit();
  }

  homeboy_status remove(std::string_view path, bool is_directory, Result& out) {
    return remove_checked(path, is_directory, nullptr, out);
  }
  homeboy_status remove_if(std::string_view path, bool is_directory, const Condition& condition, Result& out) {
    return remove_checked(path, is_directory, &condition, out);
  }

  homeboy_status ensure_dir(std::string_view path, Result& out) {
    Transaction t(*this);
    // From the path up to the first folder that exists: every missing one is made, and a file
    // on the way is in the way.
    std::string at(path);
    std::vector<std::string> missing;
    for (;;) {
      Kind k = kind(at);
      if (k == Kind::folder) break;
      if (k == Kind::file) return out.fail(HOMEBOY_ERR_CONFLICT, "a file is in the way: " + at);
      missing.push_back(at);
      if (at == "/") break;
      at = parent_of(at);
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      Statement insert(db_, "INSERT INTO entries(path, parent, is_directory, version) VALUES (?, ?, 1, ?)");
      insert.bind(1, *it).bind(2, parent_of(*it)).bind(3, next_version()).step();
    }
    return t.commit();
  }

  // The batch hook: one transaction for the whole batch. Each operation's own transaction
  // (Transaction below) joins it, so a failed change undoes everything before it.
  homeboy_status batch(Batch& batch) {
    exec("BEGIN IMMEDIATE");  // one writer at a time, from the first statement
    in_batch_ = true;
    auto failed = batch.run();
    in_batch_ = false;
    if (failed) {
      exec("ROLLBACK");
      batch.abort(*failed);
    } else if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      std::string why = sqlite3_errmsg(db_);
      exec("ROLLBACK");
      batch.fail_all(HOMEBOY_ERR_IO, "the batch could not be committed: " + why);
    }
    return HOMEBOY_OK;
  }
  static constexpr bool atomic_batches = true;

 private:
  enum class Kind { none, file, folder };

  // A transaction for one operation, or nothing inside a batch's. Rolled back unless committed.
  class Transaction {
   public:
    enum Mode { writing, reading };
    explicit Transaction(ExampleCpp& store, Mode mode = writing) : store_(store), own_(!store.in_batch_) {
      // A writer takes the database's write lock at once: its checks and changes are one step.
      if (own_) store_.exec(mode == writing ? "BEGIN IMMEDIATE" : "BEGIN");
    }
    ~Transaction() {
      if (own_ && !done_) sqlite3_exec(store_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    homeboy_status commit() {
      if (own_) store_.exec("COMMIT");
      done_ = true;
      return HOMEBOY_OK;
    }

   private:
    ExampleCpp& store_;
    bool own_, done_ = false;
  };

  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) throw Failure(HOMEBOY_ERR_IO, sqlite3_errmsg(db_));
  }

  Kind kind(std::string_view path) {
    if (path == "/") return Kind::folder;
    Statement q(db_, "SELECT is_directory FROM entries WHERE path = ?");
    if (!q.bind(1, path).step()) return Kind::none;
    return q.number(0) ? Kind::folder : Kind::file;
  }

  sqlite3_int64 next_version() {
    Statement q(db_, "UPDATE counter SET next = next + 1 RETURNING next - 1");
    q.step();
    return q.number(0);
  }

  homeboy_status write_checked(std::string_view path, std::string_view content, const Condition* condition,
                               Result& out) {
    Transaction t(*this);
    std::string p(path);
    if (kind(parent_of(path)) != Kind::folder) return out.fail(HOMEBOY_ERR_NOT_FOUND, "folder does not exist: " + parent_of(path));
    Statement current(db_, "SELECT is_directory, version FROM entries WHERE path = ?");
    bool exists = current.bind(1, path).step();
    if (exists && current.number(0)) return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder, not a file: " + p);
    if (condition && condition->kind == Condition::Kind::if_absent && exists)
      return out.fail(HOMEBOY_ERR_CONFLICT, "already exists: " + p);
    if (condition && condition->kind == Condition::Kind::if_version) {
      if (!exists) return out.fail(HOMEBOY_ERR_CONFLICT, "was deleted since version " + std::string(condition->version) + ": " + p);
      if (std::to_string(current.number(1)) != condition->version)
        return out.fail(HOMEBOY_ERR_CONFLICT, "changed since version " + std::string(condition->version) + ": " + p);
    }
    sqlite3_int64 version = next_version();
    Statement upsert(db_, "INSERT INTO entries(path, parent, is_directory, content, version) VALUES (?, ?, 0, ?, ?) "
                          "ON CONFLICT(path) DO UPDATE SET content = excluded.content, version = excluded.version");
    upsert.bind(1, path).bind(2, parent_of(path)).bind(3, content).bind(4, version).step();
    out.version(std::to_string(version));
    return t.commit();
  }

  homeboy_status remove_checked(std::string_view path, bool is_directory, const Condition* condition, Result& out) {
    Transaction t(*this);
    std::string p(path);
    if (path == "/") return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "refusing to delete the root folder");
    Statement current(db_, "SELECT is_directory, version FROM entries WHERE path = ?");
    if (!current.bind(1, path).step()) return out.fail(HOMEBOY_ERR_NOT_FOUND, "no such file or folder: " + p);
    if (current.number(0)) {
      if (!is_directory)
        return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder: " + p + " (delete it with its contents: is_directory)");
      if (condition) return out.fail(HOMEBOY_ERR_INVALID_ARGUMENT, "a folder has no version: " + p);
      // The folder and everything below it: paths starting with "<path>/" ('0' follows '/').
      Statement drop(db_, "DELETE FROM entries WHERE path = ? OR (path >= ? AND path < ?)");
      drop.bind(1, path).bind(2, p + "/").bind(3, p + "0").step();
    } else {
      if (condition && condition->kind == Condition::Kind::if_version &&
          std::to_string(current.number(1)) != condition->version)
        return out.fail(HOMEBOY_ERR_CONFLICT, "changed since version " + std::string(condition->version) + ": " + p);
      Statement drop(db_, "DELETE FROM entries WHERE path = ?");
      drop.bind(1, path).step();
    }
    return t.commit();
  }

  sqlite3* db_ = nullptr;
  bool in_batch_ = false;
};

HOMEBOY_STORAGE_PLUGIN(ExampleCpp, "example-cpp")
