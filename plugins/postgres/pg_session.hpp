#pragma once
// One libpq connection for one plugin instance. It connects on demand and again after the
// server went away, prepares each statement once per connection, runs statements with
// binary parameters and results, and turns every failure into a DbError carrying the
// storage contract's status and a message that never contains a password.

#include <homeboy/storage_plugin.h>

#include <libpq-fe.h>

#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace homeboy_postgres {

// Anything the database refused or could not do.
class DbError : public std::exception {
 public:
  enum class Kind {
    unavailable,  // no server, connection lost: HOMEBOY_ERR_UNAVAILABLE; a change may or may not be applied
    read_only,    // the server is a standby that takes no writes: HOMEBOY_ERR_UNAVAILABLE, nothing applied
    retry,        // deadlock or serialization failure: nothing was applied, running it again may succeed
    refused,      // the statement failed, or the login (HOMEBOY_ERR_AUTHENTICATION); nothing was applied
  };
  DbError(homeboy_status status, Kind kind, std::string message, std::string sqlstate = {})
      : status_(status), kind_(kind), message_(std::move(message)), sqlstate_(std::move(sqlstate)) {}
  homeboy_status status() const noexcept { return status_; }
  Kind kind() const noexcept { return kind_; }
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  homeboy_status status_;
  Kind kind_;
  std::string message_;
  std::string sqlstate_;
};

// A statement the session prepares on each connection, by its index in the table.
struct Statement {
  std::string sql;
  std::vector<Oid> parameter_types;
};

// One parameter in binary format. Text and bytea point at the caller's bytes, which must
// outlive the call; numbers and booleans are held inside.
class Param {
 public:
  static Param bytes(std::string_view b) noexcept {
    Param p;
    p.external_ = b.data();
    p.size_ = b.size();
    return p;
  }
  static Param boolean(bool b) noexcept;
  static Param int64(std::int64_t v) noexcept;
  // Never NULL, also for empty bytes: a NULL pointer would send SQL NULL.
  const char* data() const noexcept { return external_ ? external_ : own_; }
  int size() const noexcept { return static_cast<int>(size_); }

 private:
  const char* external_ = nullptr;
  std::size_t size_ = 0;
  char own_[8] = {};
};

// A bytea[] parameter in PostgreSQL's binary array format.
std::string bytea_array(const std::vector<std::string>& items);

// A statement's rows.
class Rows {
 public:
  explicit Rows(PGresult* result) noexcept : result_(result, &PQclear) {}
  int size() const noexcept { return PQntuples(result_.get()); }
  std::string_view bytes(int row, int column) const noexcept {
    return {PQgetvalue(result_.get(), row, column), static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
  }
  bool boolean(int row, int column) const noexcept { return bytes(row, column) == std::string_view("\x01", 1); }
  std::int64_t int64(int row, int column) const noexcept;  // binary int8

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

class Session {
 public:
  // Throws DbError (HOMEBOY_ERR_INVALID_CONFIG) when libpq cannot parse `conninfo`, or a
  // setting it would only refuse when connecting (a port or timeout that is not a number, an
  // unknown sslmode) is wrong, in the conninfo or in a PG* variable; the message starts with
  // the setting ("conninfo.port: ...", "PGPORT: ..."). An empty conninfo leaves everything to
  // the PG* environment variables, a service file and ~/.pgpass.
  Session(std::string conninfo, std::vector<Statement> statements);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Connects unless the connection is still good (a connection the server closed while
  // idle is noticed here, before anything is sent on it). Throws DbError: unavailable, or
  // HOMEBOY_ERR_AUTHENTICATION when the server refused the login.
  void connect();
  Rows run(std::size_t statement, std::initializer_list<Param> params);
  Rows execute(const char* sql);  // a plain SQL text, text results

  void begin();
  void commit();
  void rollback() noexcept;
  bool in_transaction() const noexcept { return in_transaction_; }

  // "host H port P (database D, user U)": where the session is connected, or, before it is,
  // every host it will try ("host H1 port P1, host H2 port P2 (...)"); never the password.
  const std::string& target() const noexcept { return target_; }
  // `text` with every password the session knows of blanked out.
  std::string scrub(std::string text) const;

 private:
  bool alive() noexcept;
  std::string refusal_state();
  void drop() noexcept;
  [[noreturn]] void fail(PGresult* result);
  void describe_target();
  void describe_candidates(const PQconninfoOption* given, const PQconninfoOption* defaults);

  std::string conninfo_;
  std::vector<Statement> statements_;
  std::vector<bool> prepared_;
  std::vector<std::string> secrets_;
  std::string target_;
  std::string candidates_;  // every host the conninfo and the environment name, for messages
  std::string dbname_source_;  // where the database name is set ("conninfo.dbname", "PGDATABASE")
  PGconn* conn_ = nullptr;
  bool in_transaction_ = false;
};

// A transaction, unless one is already open (a batch): then the statements join it.
class Transaction {
 public:
  explicit Transaction(Session& session) : session_(session), owner_(!session.in_transaction()) {
    if (owner_) session_.begin();
  }
  ~Transaction() {
    if (owner_) session_.rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    if (!owner_) return;
    owner_ = false;
    session_.commit();
  }

 private:
  Session& session_;
  bool owner_;
};

// `conninfo` as it may be shown: the password replaced, whatever the form (key=value or URI).
std::string redacted_conninfo(std::string_view conninfo);

}  // namespace homeboy_postgres
