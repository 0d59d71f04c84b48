#include "pg_session.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace homeboy_postgres {

namespace {

constexpr std::string_view blanked = "********";
constexpr Oid bytea_oid = 17;

void put_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

// libpq's messages span lines ("...failed: Connection refused\n\tIs the server running...");
// one line reads better inside homeboy's JSON error.
std::string collapse(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

void replace_all(std::string& text, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
    text.replace(at, what.size(), with);
}

// Every password written into a conninfo, as it is written there, whether libpq can parse
// the rest or not: key=value ("password=x", "password = 'a b'") and URI
// ("postgresql://user:x@host", "?password=x") forms.
std::vector<std::string> passwords_in(std::string_view s) {
  std::vector<std::string> out;
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (!s.starts_with(scheme)) continue;
    std::string_view rest = s.substr(scheme.size());
    std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
      std::string_view userinfo = authority.substr(0, at);
      if (auto colon = userinfo.find(':'); colon != std::string_view::npos) out.emplace_back(userinfo.substr(colon + 1));
    }
  }
  for (std::size_t at = s.find("password"); at != std::string_view::npos; at = s.find("password", at + 1)) {
    std::size_t i = at + 8;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size() || s[i] != '=') continue;
    ++i;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t start = i;
    if (i < s.size() && s[i] == '\'') {
      ++start;
      for (++i; i < s.size() && s[i] != '\''; ++i)
        if (s[i] == '\\') ++i;
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) && s[i] != '&') ++i;
    }
    out.emplace_back(s.substr(start, std::min(i, s.size()) - start));
  }
  std::erase_if(out, [](const std::string& p) { return p.empty(); });
  return out;
}

std::string quoted_value(std::string_view v) {
  bool plain = !v.empty() && v.find_first_of(" \t\n'\\") == std::string_view::npos;
  if (plain) return std::string(v);
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string field(const PGresult* r, int code) {
  const char* v = r ? PQresultErrorField(r, code) : nullptr;
  return v ? v : "";
}

using Options = std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)>;

const PQconninfoOption* find_option(const PQconninfoOption* options, std::string_view keyword) {
  for (const PQconninfoOption* o = options; o && o->keyword; ++o)
    if (keyword == o->keyword) return o;
  return nullptr;
}

// A setting as the connection will see it: its value, and where it was written (the conninfo,
// or the PG* variable libpq falls back on), for messages that name it.
struct Setting {
  std::string value;
  std::string source;  // "conninfo.port", "PGPORT"; empty for libpq's own default
};

std::optional<Setting> setting(const PQconninfoOption* given, const PQconninfoOption* defaults, std::string_view keyword) {
  if (const auto* o = find_option(given, keyword); o && o->val) return Setting{o->val, "conninfo." + std::string(keyword)};
  const auto* d = find_option(defaults, keyword);
  if (!d || !d->val) return std::nullopt;
  if (d->envvar && std::getenv(d->envvar)) return Setting{d->val, d->envvar};
  return Setting{d->val, {}};
}

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> out;
  for (;;) {
    auto comma = list.find(',');
    out.emplace_back(list.substr(0, comma));
    if (comma == std::string_view::npos) return out;
    list.remove_prefix(comma + 1);
  }
}

// libpq's rule for its integer settings: an optional sign and digits, spaces around.
bool whole_number(std::string_view v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  if (!v.empty() && (v.front() == '-' || v.front() == '+')) v.remove_prefix(1);
  return !v.empty() && std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

[[noreturn]] void invalid(const Setting& s, const std::string& problem) {
  throw DbError(HOMEBOY_ERR_INVALID_CONFIG, DbError::Kind::refused, s.source + ": " + problem);
}

// What libpq itself would refuse only when connecting, and then as a failure to connect that
// looks like an outage: refused here, naming the setting, before anything is tried.
void check_settings(const PQconninfoOption* given, const PQconninfoOption* defaults) {
  for (std::string_view key : {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                               "keepalives_count", "tcp_user_timeout"})
    if (auto s = setting(given, defaults, key); s && !s->source.empty() && !s->value.empty() && !whole_number(s->value))
      invalid(*s, "must be a whole number of seconds (or 0/1 for keepalives), not \"" + s->value + "\"");
  std::size_t ports = 1;
  if (auto s = setting(given, defaults, "port"); s && !s->source.empty()) {
    auto list = split_list(s->value);
    ports = list.size();
    for (const auto& port : list) {
      bool number = port.empty() || whole_number(port);
      long value = number && !port.empty() ? std::strtol(port.c_str(), nullptr, 10) : 5432;
      if (!number || value < 1 || value > 65535)
        invalid(*s, "\"" + port + "\" is not a port number (1 to 65535; several hosts take a comma-separated list)");
    }
  }
  std::size_t hosts = 1;
  for (std::string_view key : {"host", "hostaddr"})
    if (auto s = setting(given, defaults, key); s && !s->value.empty()) hosts = std::max(hosts, split_list(s->value).size());
  if (ports > 1 && ports != hosts)
    invalid(*setting(given, defaults, "port"), std::to_string(ports) + " ports for " + std::to_string(hosts) +
                                                   " hosts: give one port for all, or one per host");
  struct Choice {
    std::string_view key;
    std::vector<std::string_view> values;
  };
  const Choice choices[] = {
      {"sslmode", {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}},
      {"gssencmode", {"disable", "prefer", "require"}},
      {"channel_binding", {"disable", "prefer", "require"}},
      {"target_session_attrs", {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"}},
  };
  for (const auto& choice : choices) {
    auto s = setting(given, defaults, choice.key);
    if (!s || s->source.empty() || !find_option(defaults, choice.key)) continue;
    if (std::find(choice.values.begin(), choice.values.end(), s->value) != choice.values.end()) continue;
    std::string allowed;
    for (auto v : choice.values) allowed += (allowed.empty() ? "" : ", ") + std::string(v);
    invalid(*s, "\"" + s->value + "\" is not one of " + allowed);
  }
}

// The SQLSTATE a verbose libpq message carries ("FATAL:  28P01:  password authentication
// failed ..."), or nothing.
std::string sqlstate_in(std::string_view message) {
  for (std::size_t at = message.find(":  "); at != std::string_view::npos; at = message.find(":  ", at + 1)) {
    std::string_view rest = message.substr(at + 3);
    if (rest.size() > 6 && rest[5] == ':' &&
        std::all_of(rest.begin(), rest.begin() + 5, [](unsigned char c) { return std::isupper(c) || std::isdigit(c); }))
      return std::string(rest.substr(0, 5));
  }
  return {};
}

}  // namespace

Param Param::boolean(bool b) noexcept {
  Param p;
  p.own_[0] = b ? 1 : 0;
  p.size_ = 1;
  return p;
}

Param Param::int64(std::int64_t v) noexcept {
  Param p;
  auto u = static_cast<std::uint64_t>(v);
  for (int i = 0; i < 8; ++i) p.own_[i] = static_cast<char>((u >> (56 - 8 * i)) & 0xff);
  p.size_ = 8;
  return p;
}

std::int64_t Rows::int64(int row, int column) const noexcept {
  std::string_view b = bytes(row, column);
  std::uint64_t u = 0;
  for (std::size_t i = 0; i < 8 && i < b.size(); ++i) u = (u << 8) | static_cast<unsigned char>(b[i]);
  return static_cast<std::int64_t>(u);
}

std::string bytea_array(const std::vector<std::string>& items) {
  std::string out;
  put_be32(out, items.empty() ? 0 : 1);  // dimensions
  put_be32(out, 0);                      // no NULL elements
  put_be32(out, bytea_oid);
  if (items.empty()) return out;
  put_be32(out, static_cast<std::uint32_t>(items.size()));
  put_be32(out, 1);  // lower bound
  for (const auto& item : items) {
    put_be32(out, static_cast<std::uint32_t>(item.size()));
    out += item;
  }
  return out;
}

std::string redacted_conninfo(std::string_view conninfo) {
  std::string text(conninfo);
  char* error = nullptr;
  if (PQconninfoOption* options = PQconninfoParse(text.c_str(), &error)) {
    std::string out;
    for (const PQconninfoOption* o = options; o->keyword; ++o) {
      if (!o->val) continue;
      if (!out.empty()) out += ' ';
      out += o->keyword;
      out += '=';
      out += std::strcmp(o->keyword, "password") == 0 ? std::string(blanked) : quoted_value(o->val);
    }
    PQconninfoFree(options);
    return out;
  }
  PQfreemem(error);
  for (const auto& secret : passwords_in(conninfo)) replace_all(text, secret, blanked);
  return text;
}

Session::Session(std::string conninfo, std::vector<Statement> statements)
    : conninfo_(std::move(conninfo)),
      statements_(std::move(statements)),
      prepared_(statements_.size(), false),
      secrets_(passwords_in(conninfo_)) {
  if (const char* password = std::getenv("PGPASSWORD"); password && *password) secrets_.emplace_back(password);
  char* error = nullptr;
  Options given(conninfo_.empty() ? nullptr : PQconninfoParse(conninfo_.c_str(), &error), &PQconninfoFree);
  if (!conninfo_.empty() && !given) {
    std::string why = error ? collapse(error) : "out of memory";
    PQfreemem(error);
    throw DbError(HOMEBOY_ERR_INVALID_CONFIG, DbError::Kind::refused,
                  scrub("conninfo: \"" + redacted_conninfo(conninfo_) + "\" is not a connection string libpq accepts: " + why));
  }
  for (const PQconninfoOption* o = given.get(); o && o->keyword; ++o)
    if (o->val && *o->val && std::strcmp(o->keyword, "password") == 0) secrets_.emplace_back(o->val);
  Options defaults(PQconndefaults(), &PQconninfoFree);
  check_settings(given.get(), defaults.get());
  describe_candidates(given.get(), defaults.get());
  auto dbname = setting(given.get(), defaults.get(), "dbname");
  dbname_source_ = dbname && !dbname->source.empty() ? dbname->source : "conninfo.dbname";
  target_ = candidates_;
}

Session::~Session() { drop(); }

std::string Session::scrub(std::string text) const {
  for (const auto& secret : secrets_) replace_all(text, secret, blanked);
  return text;
}

void Session::describe_target() {
  auto text = [](const char* v, const char* fallback) { return std::string(v && *v ? v : fallback); };
  target_ = "host " + text(PQhost(conn_), "(default)") + " port " + text(PQport(conn_), "(default)") + " (database " +
            text(PQdb(conn_), "(default)") + ", user " + text(PQuser(conn_), "(default)") + ")";
}

void Session::describe_candidates(const PQconninfoOption* given, const PQconninfoOption* defaults) {
  auto value = [&](std::string_view key) {
    auto s = setting(given, defaults, key);
    return s ? s->value : std::string();
  };
  std::string host_list = value("host").empty() ? value("hostaddr") : value("host");
  std::vector<std::string> hosts = split_list(host_list), ports = split_list(value("port"));
  std::string where;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    std::string port = ports.size() == hosts.size() ? ports[i] : ports.front();
    where += (where.empty() ? "" : ", ") + std::string("host ") + (hosts[i].empty() ? "(default)" : hosts[i]) +
             " port " + (port.empty() ? "5432" : port);
  }
  std::string service = value("service");
  if (!service.empty()) where = "service " + service + (host_list.empty() ? "" : ", " + where);
  candidates_ = where + " (database " + (value("dbname").empty() ? "(default)" : value("dbname")) + ", user " +
                (value("user").empty() ? "(default)" : value("user")) + ")";
}

bool Session::alive() noexcept {
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) return false;
  pollfd p{PQsocket(conn_), POLLIN | POLLRDHUP, 0};
  int ready = ::poll(&p, 1, 0);
  if (ready <= 0) return true;  // nothing arrived while idle (or poll cannot tell: the statement will)
  if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) return false;
  // Something arrived while idle, usually the server saying goodbye before it hangs up.
  if (!PQconsumeInput(conn_)) return false;
  while (PGnotify* n = PQnotifies(conn_)) PQfreemem(n);
  return PQstatus(conn_) == CONNECTION_OK;
}

void Session::drop() noexcept {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  in_transaction_ = false;
  prepared_.assign(prepared_.size(), false);
}

void Session::connect() {
  if (alive()) return;
  drop();
  // Defaults first: the conninfo (expanded from "dbname") and the PG* variables override them.
  std::vector<const char*> keys, values;
  auto option = [&](const char* key, const char* value) {
    keys.push_back(key);
    values.push_back(value);
  };
  if (!std::getenv("PGCONNECT_TIMEOUT")) option("connect_timeout", "10");
  // A server that vanishes without closing the connection is noticed within about a minute.
  option("keepalives_idle", "30");
  option("keepalives_interval", "10");
  option("keepalives_count", "3");
  option("fallback_application_name", "homeboy");
  option("dbname", conninfo_.c_str());
  option(nullptr, nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), 1);
  if (!conn_) throw DbError(HOMEBOY_ERR_UNAVAILABLE, DbError::Kind::unavailable, "cannot connect to PostgreSQL: out of memory");
  // Notices (such as "schema already exists, skipping") are not homeboy's output.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  if (const char* password = PQpass(conn_); password && *password && std::find(secrets_.begin(), secrets_.end(), password) == secrets_.end())
    secrets_.emplace_back(password);  // also one read from ~/.pgpass
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string why = collapse(PQerrorMessage(conn_));
    std::string state = PQconnectionNeedsPassword(conn_) ? "28P01" : refusal_state();
    drop();
    target_ = candidates_;  // every host tried, not only the last one
    if (state.starts_with("28"))
      throw DbError(HOMEBOY_ERR_AUTHENTICATION, DbError::Kind::refused,
                    scrub("PostgreSQL at " + target_ + " refused the login: " + why), state);
    if (state == "3D000")
      throw DbError(HOMEBOY_ERR_INVALID_CONFIG, DbError::Kind::refused,
                    scrub(dbname_source_ + ": no such database at " + target_ + ": " + why), state);
    throw DbError(HOMEBOY_ERR_UNAVAILABLE, DbError::Kind::unavailable,
                  scrub("cannot connect to PostgreSQL at " + target_ + ": " + why));
  }
  describe_target();
}

// Why a server refused a connection, as a SQLSTATE ("28P01": a wrong password), or nothing
// when no server refused it (none answered, or the one that did takes no writes while
// target_session_attrs asks for them). libpq says why only in words, which may be
// translated: one more attempt, on any server, asks for the SQLSTATE instead. A server that
// is down refuses it at once; one that does not answer is given 5 seconds.
std::string Session::refusal_state() {
  std::vector<const char*> keys, values;
  keys.push_back("dbname");
  values.push_back(conninfo_.c_str());
  keys.push_back("target_session_attrs");
  values.push_back("any");
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* probe = PQconnectStartParams(keys.data(), values.data(), 1);
  if (!probe) return {};
  PQsetErrorVerbosity(probe, PQERRORS_VERBOSE);
  PQsetNoticeProcessor(probe, [](void*, const char*) {}, nullptr);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK && state != PGRES_POLLING_FAILED) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{PQsocket(probe), static_cast<short>(state == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    if (p.fd >= 0 && ::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    state = PQconnectPoll(probe);
  }
  std::string refusal = state == PGRES_POLLING_FAILED ? sqlstate_in(PQerrorMessage(probe)) : std::string();
  PQfinish(probe);
  return refusal;
}

void Session::fail(PGresult* result) {
  std::string state = field(result, PG_DIAG_SQLSTATE);
  std::string message = collapse(field(result, PG_DIAG_MESSAGE_PRIMARY));
  if (message.empty()) message = collapse(PQerrorMessage(conn_));
  PQclear(result);
  message = scrub(std::move(message));
  using Kind = DbError::Kind;
  bool lost = PQstatus(conn_) != CONNECTION_OK || state.starts_with("08") || state == "57P01" || state == "57P02" ||
              state == "57P03";
  if (lost) {
    drop();
    throw DbError(HOMEBOY_ERR_UNAVAILABLE, Kind::unavailable,
                  "lost the connection to PostgreSQL at " + target_ + ": " + message, state);
  }
  if (state == "40001" || state == "40P01") throw DbError(HOMEBOY_ERR_CONFLICT, Kind::retry, message, state);
  if (state == "25006") {  // read_only_sql_transaction: a standby, or a primary that became one
    std::string where = target_;
    drop();  // the next operation connects again, and finds the server that takes writes
    throw DbError(HOMEBOY_ERR_UNAVAILABLE, Kind::read_only,
                  "PostgreSQL at " + where + " takes no writes (a standby): " + message +
                      "; nothing was applied. With a primary and standbys, list them all in the conninfo with "
                      "target_session_attrs=read-write",
                  state);
  }
  if (state == "42501")
    throw DbError(HOMEBOY_ERR_PERMISSION_DENIED, Kind::refused,
                  "PostgreSQL refused (" + target_ + "): " + message +
                      "; the role needs the privileges listed in docs/backends/postgres.md",
                  state);
  // disk_full, and out of memory or connections are not a full disk: only 53100 is.
  if (state == "53100")
    throw DbError(HOMEBOY_ERR_NO_SPACE, Kind::refused,
                  "PostgreSQL at " + target_ + " has no space left on its disk: " + message, state);
  if (state.starts_with("22") || state == "54000")
    throw DbError(HOMEBOY_ERR_INVALID_ARGUMENT, Kind::refused, "PostgreSQL refused: " + message, state);
  throw DbError(HOMEBOY_ERR_IO, Kind::refused, "PostgreSQL error " + state + ": " + message, state);
}

Rows Session::run(std::size_t index, std::initializer_list<Param> params) {
  if (!conn_)  // lost earlier in this batch: nothing reconnects in the middle of a transaction
    throw DbError(HOMEBOY_ERR_UNAVAILABLE, DbError::Kind::unavailable, "not connected to PostgreSQL at " + target_);
  char name[32];
  std::snprintf(name, sizeof name, "homeboy_%zu", index);
  if (!prepared_[index]) {
    const Statement& s = statements_[index];
    PGresult* r = PQprepare(conn_, name, s.sql.c_str(), static_cast<int>(s.parameter_types.size()), s.parameter_types.data());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail(r);
    PQclear(r);
    prepared_[index] = true;
  }
  std::array<const char*, 8> data{};
  std::array<int, 8> sizes{}, formats{};
  std::size_t n = 0;
  for (const Param& p : params) {
    data[n] = p.data();
    sizes[n] = p.size();
    formats[n] = 1;
    ++n;
  }
  PGresult* r = PQexecPrepared(conn_, name, static_cast<int>(n), data.data(), sizes.data(), formats.data(), 1);
  ExecStatusType status = PQresultStatus(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail(r);
  return Rows(r);
}

Rows Session::execute(const char* sql) {
  if (!conn_) throw DbError(HOMEBOY_ERR_UNAVAILABLE, DbError::Kind::unavailable, "not connected to PostgreSQL at " + target_);
  PGresult* r = PQexec(conn_, sql);
  ExecStatusType status = PQresultStatus(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail(r);
  return Rows(r);
}

void Session::begin() {
  execute("BEGIN");
  in_transaction_ = true;
}

void Session::commit() {
  in_transaction_ = false;  // whatever happens, the transaction is over
  execute("COMMIT");
}

void Session::rollback() noexcept {
  if (!conn_ || !in_transaction_) return;
  in_transaction_ = false;
  PQclear(PQexec(conn_, "ROLLBACK"));
  if (PQstatus(conn_) != CONNECTION_OK) drop();
}

}  // namespace homeboy_postgres
