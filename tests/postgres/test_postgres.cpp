// The postgres plugin against a real server (tests/postgres/cluster.sh starts it, and
// `cluster.sh run` sets PGHOST, PGPORT, PGUSER and PGDATABASE). Suite `postgres`: what the
// conformance suite does not reach (versions and conditional writes, atomic batches, many
// hosts on one database, namespaces, bytes, errors without passwords, privileges). Suite
// `reconnect` restarts and stops the server, so it runs against a cluster of its own.
#define BOOST_TEST_MODULE postgres
#include <boost/test/unit_test.hpp>

#include "homeboy/providers/registry.hpp"
#include "support.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <mutex>
#include <thread>

using namespace homeboy;
using namespace homeboy::test;
using contract::Condition;
using contract::ErrorCode;
using contract::Event;
namespace json = boost::json;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  BOOST_REQUIRE_MESSAGE(v && *v, name << " is not set: run this under tests/postgres/cluster.sh run");
  return v;
}

// The thrown error's code (and message), or "(none)" when the call succeeded.
struct Failure {
  std::string code = "(none)", message;
};
template <class Call>
Failure failure_of(Call call) {
  try {
    call();
  } catch (const Error& e) {
    return {std::string(e.code()), e.what()};
  }
  return {};
}

std::string quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs cluster.sh with `args`; returns what it printed. Not through homeboy::run_once: that
// ends the whole process tree when the command returns, a server started by it included.
std::string cluster(const std::string& args) {
  std::string command = "bash " + quoted(HOMEBOY_TEST_PG_CLUSTER) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe);
  std::string out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  int status = ::pclose(pipe);
  BOOST_REQUIRE_MESSAGE(status == 0, "cluster.sh " << args << " failed: " << out);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// SQL as the cluster's superuser; returns psql's unaligned output.
std::string admin_sql(const std::string& sql) {
  return cluster("psql " + quoted(env("HOMEBOY_PG_STATE")) + " " + quoted(env("PGDATABASE")) + " -tA -c " + quoted(sql));
}

void server(const std::string& command) { cluster(command + " " + quoted(env("HOMEBOY_PG_STATE"))); }

int unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
  ::close(fd);  // nothing listens there now
  return ntohs(a.sin_port);
}

struct Pg {
  ScratchDir dir;
  // A namespace and a storage area of this test's own: tests never see each other's rows.
  std::string ns = boost::unit_test::framework::current_test_case().p_name;
  std::string area = (dir / "area").string();

  std::unique_ptr<Storage> open(json::object config, const fs::path& config_dir,
                                IsolationPreference isolation = IsolationPreference::automatic) {
    static std::atomic<int> modules{0};
    if (!config.contains("namespace")) config["namespace"] = ns;
    Module module = ModuleBuilder(dir / ("module-" + std::to_string(modules++)), "postgres")
                        .library_file(HOMEBOY_TEST_POSTGRES_MODULE_DIR "/libhomeboy_postgres.so")
                        .storage_type("postgres")
                        .config(std::move(config))
                        .load();
    return open_provider(module, config_dir, TransportPreference::native, isolation);
  }
  std::unique_ptr<Storage> open(json::object config = {}) { return open(std::move(config), dir / "config"); }

  std::string at(const std::string& name) const { return area + "/" + name; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(postgres)

BOOST_FIXTURE_TEST_CASE(capabilities_say_versions_atomic_batches_and_transactions, Pg) {
  auto s = open();
  BOOST_TEST(homeboy::to_string(s->transport_kind()) == "native");
  BOOST_TEST(s->capabilities().versions);
  BOOST_TEST(s->capabilities().atomic_batch);
  BOOST_TEST(s->capabilities().binary);
  BOOST_TEST(s->capabilities().transactions);
}

BOOST_FIXTURE_TEST_CASE(every_write_makes_a_new_version, Pg) {
  auto s = open();
  s->ensure_dir(area);
  auto first = s->write(at("f"), "same");
  auto second = s->write(at("f"), "same");
  BOOST_REQUIRE(first && second);
  BOOST_TEST(*first != *second);
  Versioned read = s->read_versioned(at("f"));
  BOOST_TEST(read.content == "same");
  BOOST_TEST((read.version == second));
}

BOOST_FIXTURE_TEST_CASE(conditional_writes_and_deletes, Pg) {
  auto s = open();
  s->ensure_dir(area);
  auto v1 = s->write(at("f"), "a");
  auto v2 = s->write(at("f"), "b", Condition::matching(*v1));
  BOOST_REQUIRE(v2);
  BOOST_TEST(failure_of([&] { s->write(at("f"), "stale", Condition::matching(*v1)); }).code == "storage.conflict");
  BOOST_TEST(failure_of([&] { s->write(at("f"), "junk", Condition::matching("not-a-version")); }).code ==
             "storage.conflict");
  BOOST_TEST(s->read(at("f")) == "b");

  BOOST_TEST(failure_of([&] { s->write(at("f"), "x", Condition::absent()); }).code == "storage.conflict");
  BOOST_TEST(s->write(at("g"), "new", Condition::absent()).has_value());
  BOOST_TEST(failure_of([&] { s->write(at("g"), "again", Condition::absent()); }).code == "storage.conflict");
  BOOST_TEST(failure_of([&] { s->write(at("missing/g"), "x", Condition::absent()); }).code == "storage.not_found");
  BOOST_TEST(failure_of([&] { s->write(at("gone"), "x", Condition::matching(*v2)); }).code == "storage.conflict");
  s->ensure_dir(at("folder"));
  BOOST_TEST(failure_of([&] { s->write(at("folder"), "x", Condition::absent()); }).code == "storage.invalid_argument");

  BOOST_TEST(failure_of([&] { s->remove(at("f"), false, Condition::matching(*v1)); }).code == "storage.conflict");
  BOOST_TEST(s->read(at("f")) == "b");
  s->remove(at("f"), false, Condition::matching(*v2));
  BOOST_TEST(failure_of([&] { s->read(at("f")); }).code == "storage.not_found");
  BOOST_TEST(failure_of([&] { s->remove(at("f"), false, Condition::matching(*v2)); }).code == "storage.not_found");
}

// Two machines on one database: read-modify-write with compare-and-swap, retried on
// conflict, from several connections at once. Every increment must land.
BOOST_FIXTURE_TEST_CASE(no_update_lost_between_hosts, Pg) {
  open()->ensure_dir(area);
  open()->write(at("counter"), "0");
  const int hosts = 4, increments = 25;
  std::atomic<int> conflicts{0};
  std::vector<std::string> errors(hosts);
  std::vector<std::thread> threads;
  for (int h = 0; h < hosts; ++h)
    threads.emplace_back([&, h] {
      try {
        auto s = open();
        for (int i = 0; i < increments; ++i)
          for (;;) {
            Versioned current = s->read_versioned(at("counter"));
            try {
              s->write(at("counter"), std::to_string(std::stoi(current.content) + 1), Condition::matching(*current.version));
              break;
            } catch (const Error& e) {
              if (e.code() != "storage.conflict") throw;
              ++conflicts;
            }
          }
      } catch (const std::exception& e) {
        errors[h] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& e : errors) BOOST_TEST(e.empty(), e);
  BOOST_TEST(open()->read(at("counter")) == std::to_string(hosts * increments));
  BOOST_TEST_MESSAGE(conflicts.load() << " conflicting writes were retried");
}

BOOST_FIXTURE_TEST_CASE(a_batch_applies_all_or_nothing, Pg) {
  auto s = open();
  s->ensure_dir(area);
  auto r = s->batch({Event::write(at("a"), "1"), Event::read(at("a")), Event::write(at("missing/b"), "2"),
                     Event::write(at("c"), "3"), Event::ensure_dir(at("d"))});
  BOOST_REQUIRE(r.size() == 5u);
  BOOST_TEST(!r[0].success);
  BOOST_TEST((r[0].effective_error_code() == ErrorCode::aborted));
  BOOST_TEST(r[0].error->find("operation 3") != std::string::npos, *r[0].error);
  BOOST_TEST(r[1].success);  // the read ran inside the transaction, before the failure
  BOOST_TEST((r[1].data == std::optional<std::string>("1")));
  BOOST_TEST((r[2].effective_error_code() == ErrorCode::not_found));
  BOOST_TEST((r[3].effective_error_code() == ErrorCode::aborted));
  BOOST_TEST((r[4].effective_error_code() == ErrorCode::aborted));
  BOOST_TEST(failure_of([&] { s->read(at("a")); }).code == "storage.not_found");
  BOOST_TEST(s->list(area).empty());

  auto v = s->write(at("kept"), "old");
  auto conditional = s->batch({Event::write(at("x"), "x"), Event::write(at("kept"), "new", Condition::matching("1"))});
  BOOST_TEST((conditional[1].effective_error_code() == ErrorCode::conflict));
  BOOST_TEST((s->read_versioned(at("kept")).version == v));
  BOOST_TEST(failure_of([&] { s->read(at("x")); }).code == "storage.not_found");

  auto ok = s->batch({Event::ensure_dir(at("t/u")), Event::write(at("t/u/f"), "1"), Event::write(at("g"), "2"),
                      Event::remove(at("kept"))});
  for (const auto& result : ok) BOOST_TEST(result.success, result.error.value_or(""));
  BOOST_TEST(s->read(at("t/u/f")) == "1");
  BOOST_TEST(failure_of([&] { s->read(at("kept")); }).code == "storage.not_found");
}

// Consecutive reads in a batch go to the server together; each still answers for itself.
// A check changes nothing and holds or conflicts; one that fails fails its batch. The same
// through the isolation helper, whose wire carries checks and the capability too.
BOOST_FIXTURE_TEST_CASE(checks_hold_or_conflict_and_fail_their_batch, Pg) {
  for (auto isolation : {IsolationPreference::in_process, IsolationPreference::process}) {
    auto s = open({}, dir / "config", isolation);
    const std::string folder = at(isolation == IsolationPreference::process ? "isolated" : "in-process");
    BOOST_TEST_CONTEXT("transport " << homeboy::to_string(s->transport_kind())) {
      BOOST_TEST(s->capabilities().transactions);
      auto in = [&](const std::string& name) { return folder + "/" + name; };
      s->ensure_dir(in("d"));
      auto v = s->write(in("f"), "x");
      s->check(in("f"), Condition::matching(*v));
      s->check(in("missing"), Condition::absent());
      auto conflict = [&](const std::string& path, Condition c) {
        return failure_of([&] { s->check(path, std::move(c)); }).code;
      };
      BOOST_TEST(conflict(in("f"), Condition::absent()) == "storage.conflict");
      BOOST_TEST(conflict(in("d"), Condition::absent()) == "storage.conflict");
      BOOST_TEST(conflict("/", Condition::absent()) == "storage.conflict");
      BOOST_TEST(conflict((dir / "config").string(), Condition::absent()) == "storage.conflict");
      BOOST_TEST(conflict(in("d"), Condition::matching(*v)) == "storage.conflict");
      BOOST_TEST(conflict(in("missing"), Condition::matching(*v)) == "storage.conflict");
      BOOST_TEST(conflict(in("f"), Condition::matching("not a number")) == "storage.conflict");
      Failure stale = failure_of([&] { s->check(in("f"), Condition::matching(std::to_string(std::stoll(*v) - 1))); });
      BOOST_TEST(stale.message.find("changed since version") != std::string::npos, stale.message);
      BOOST_TEST(failure_of([&] { s->check(in("f"), Condition::none()); }).code == "storage.invalid_argument");
      BOOST_TEST(s->read(in("f")) == "x");

      auto r = s->batch({Event::write(in("a"), "1"), Event::check(in("f"), Condition::absent()), Event::write(in("b"), "2"),
                         Event::read(in("f"))});
      BOOST_REQUIRE(r.size() == 4u);
      BOOST_TEST((r[1].effective_error_code() == ErrorCode::conflict));
      BOOST_TEST((r[0].effective_error_code() == ErrorCode::aborted));
      BOOST_TEST(r[0].error->find("operation 2 (check ") != std::string::npos, *r[0].error);
      BOOST_TEST((r[2].effective_error_code() == ErrorCode::aborted));
      BOOST_TEST((r[3].effective_error_code() == ErrorCode::aborted));
      BOOST_TEST(failure_of([&] { s->read(in("a")); }).code == "storage.not_found");
      auto ok = s->batch({Event::check(in("f"), Condition::matching(*v)), Event::write(in("a"), "1"),
                          Event::check(in("b"), Condition::absent())});
      for (const auto& result : ok) BOOST_TEST(result.success, result.error.value_or(""));
      BOOST_TEST(s->read(in("a")) == "1");
      auto own = s->batch({Event::write(in("c"), "1"), Event::check(in("c"), Condition::absent())});
      BOOST_TEST((own[1].effective_error_code() == ErrorCode::conflict), "a check sees the batch's own earlier write");
      BOOST_TEST(failure_of([&] { s->read(in("c")); }).code == "storage.not_found");
    }
  }
}

// Write skew, the case serializability is for: one batch writes X only while Y is absent,
// the other Y only while X is absent, from two hosts at once. Run one after the other,
// exactly one of them commits; run side by side under plain snapshots both could.
BOOST_FIXTURE_TEST_CASE(batches_with_checks_are_serializable, Pg) {
  open()->ensure_dir(area);
  const int rounds = 60;
  std::vector<std::string> errors(2);
  std::vector<int> committed(2, 0);
  std::barrier start(2);
  // "x7": the file side x writes in round 7. (Appended, not "x" + ...: GCC 12 warns falsely there.)
  auto file = [&](char side, int round) {
    std::string name(1, side);
    name += std::to_string(round);
    return at(name);
  };
  auto host = [&](int self) {
    try {
      auto s = open();
      for (int round = 0; round < rounds; ++round) {
        const std::string mine = file(self ? 'y' : 'x', round), theirs = file(self ? 'x' : 'y', round);
        start.arrive_and_wait();
        auto r = s->batch({Event::check(theirs, Condition::absent()), Event::write(mine, "1")});
        if (r[0].success && r[1].success) ++committed[self];
        else if (r[0].effective_error_code() != ErrorCode::conflict || r[1].effective_error_code() != ErrorCode::aborted)
          throw std::runtime_error("round " + std::to_string(round) + ": " + r[0].error.value_or("") + " / " +
                                   r[1].error.value_or(""));
      }
    } catch (const std::exception& e) {
      errors[self] = e.what();
      start.arrive_and_drop();
    }
  };
  std::thread a(host, 0), b(host, 1);
  a.join();
  b.join();
  for (const auto& e : errors) BOOST_TEST(e.empty(), e);
  auto s = open();
  int both = 0, none = 0;
  for (int round = 0; round < rounds; ++round) {
    bool x = failure_of([&] { s->read(file('x', round)); }).code == "(none)";
    bool y = failure_of([&] { s->read(file('y', round)); }).code == "(none)";
    both += x && y;
    none += !x && !y;
  }
  BOOST_TEST(both == 0, both << " of " << rounds << " rounds committed both batches");
  BOOST_TEST(none == 0, none << " of " << rounds << " rounds committed neither");
  BOOST_TEST(committed[0] + committed[1] == rounds);
}

BOOST_FIXTURE_TEST_CASE(consecutive_reads_in_a_batch, Pg) {
  auto s = open();
  s->ensure_dir(at("folder"));
  auto r = s->batch({Event::write(at("a"), "1"), Event::read(at("a")), Event::read(at("nope")), Event::read(at("folder")),
                     Event::read("/"), Event::read(at("a")), Event::write(at("a"), "2"), Event::read(at("a"))});
  BOOST_REQUIRE(r.size() == 8u);
  BOOST_TEST((r[1].data == std::optional<std::string>("1")));
  BOOST_TEST(r[1].version.has_value());
  BOOST_TEST((r[2].effective_error_code() == ErrorCode::not_found));
  BOOST_TEST((r[3].effective_error_code() == ErrorCode::invalid_argument));
  BOOST_TEST((r[4].effective_error_code() == ErrorCode::invalid_argument));
  BOOST_TEST((r[5].data == std::optional<std::string>("1")));
  BOOST_TEST((r[7].data == std::optional<std::string>("2")));
}

BOOST_FIXTURE_TEST_CASE(contract_details, Pg) {
  auto s = open();
  s->ensure_dir(at("folder/sub"));
  s->write(at("file"), "x");
  BOOST_TEST(failure_of([&] { s->read(at("folder")); }).code == "storage.invalid_argument");
  BOOST_TEST(failure_of([&] { s->remove(at("folder")); }).code == "storage.invalid_argument");
  BOOST_TEST(failure_of([&] { s->ensure_dir(at("file")); }).code == "storage.conflict");
  BOOST_TEST(failure_of([&] { s->ensure_dir(at("file/sub")); }).code == "storage.conflict");
  BOOST_TEST(failure_of([&] { s->list(at("file")); }).code == "storage.invalid_argument");
  BOOST_TEST(failure_of([&] { s->write(at("folder"), "x"); }).code == "storage.invalid_argument");
  BOOST_TEST(failure_of([&] { s->write(at("file/child"), "x"); }).code == "storage.not_found");
  BOOST_TEST(s->list(at("missing")).empty());
  s->remove(at("file"), true);  // a file may be deleted with is_directory set
  s->remove(at("folder"), true);
  BOOST_TEST(s->list(area).empty());
  BOOST_TEST(failure_of([&] { s->remove(at("folder"), true); }).code == "storage.not_found");
}

BOOST_FIXTURE_TEST_CASE(bytes_travel_exactly, Pg) {
  auto s = open();
  s->ensure_dir(area);
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte += static_cast<char>(i);
  every_byte += "\xC3\x28 \xFF\xFE not UTF-8";
  s->write(at("bytes"), every_byte);
  BOOST_TEST(s->read(at("bytes")) == every_byte);
  std::string odd_name = at("caf\xE9-\xFF");  // a name that is not UTF-8 either
  s->write(odd_name, "latin-1");
  BOOST_TEST(s->read(odd_name) == "latin-1");
  auto entries = s->list(area);
  BOOST_TEST(std::count_if(entries.begin(), entries.end(), [&](const auto& e) { return e.path == odd_name; }) == 1);
}

BOOST_FIXTURE_TEST_CASE(namespaces_are_separate, Pg) {
  auto team_a = open({{"namespace", ns + "-a"}});
  auto team_b = open({{"namespace", ns + "-b"}});
  team_a->ensure_dir(area);
  team_b->ensure_dir(area);
  team_a->write(at("f"), "a");
  team_b->write(at("f"), "b");
  BOOST_TEST(team_a->read(at("f")) == "a");
  BOOST_TEST(team_b->read(at("f")) == "b");
  team_a->remove(area, true);
  BOOST_TEST(team_b->read(at("f")) == "b");
}

// Two users' config folders have different names; in one namespace they hold one config.
BOOST_FIXTURE_TEST_CASE(the_config_folder_is_shared_within_a_namespace, Pg) {
  fs::path alice = dir / "home/alice/.config/homeboy", bob = dir / "other/bob-config";
  auto a = open({}, alice), b = open({}, bob);
  a->ensure_dir((alice / "projects").string());
  a->write((alice / "projects/site.json").string(), "{}");
  BOOST_TEST(b->read((bob / "projects/site.json").string()) == "{}");
  std::vector<contract::Entry> expected = {{(bob / "projects/site.json").string(), false}};
  BOOST_TEST((b->list((bob / "projects").string()) == expected));
  // Other paths are shared as they are.
  a->ensure_dir(area);
  a->write(at("plain"), "p");
  BOOST_TEST(b->read(at("plain")) == "p");
  BOOST_TEST(failure_of([&] { b->remove(bob.string(), true); }).code == "storage.invalid_argument");
  BOOST_TEST(a->read((alice / "projects/site.json").string()) == "{}");
}

BOOST_FIXTURE_TEST_CASE(hosts_starting_together_create_the_schema_once, Pg) {
  const std::string database = "fresh_" + std::to_string(::getpid());
  admin_sql("CREATE DATABASE " + database + " OWNER homeboy");
  const int hosts = 6;
  std::latch start(hosts);
  std::vector<std::string> errors(hosts);
  std::vector<std::thread> threads;
  for (int h = 0; h < hosts; ++h)
    threads.emplace_back([&, h] {
      try {
        auto s = open({{"conninfo", "dbname=" + database}});
        start.arrive_and_wait();
        s->ensure_dir(at("host-" + std::to_string(h)));
      } catch (const std::exception& e) {
        errors[h] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& e : errors) BOOST_TEST(e.empty(), e);
  auto s = open({{"conninfo", "dbname=" + database}});
  BOOST_TEST(s->list(area).size() == std::size_t(hosts));
}

BOOST_FIXTURE_TEST_CASE(a_server_that_is_not_there_is_unavailable, Pg) {
  int port = unused_port();
  auto s = open({{"conninfo", "host=127.0.0.1 port=" + std::to_string(port) + " password=topsecret-pw connect_timeout=5"}});
  Failure f = failure_of([&] { s->read(at("f")); });
  BOOST_TEST(f.code == "storage.unavailable");
  BOOST_TEST(f.message.find("host 127.0.0.1 port " + std::to_string(port)) != std::string::npos, f.message);
  BOOST_TEST(f.message.find("topsecret-pw") == std::string::npos, f.message);
}

BOOST_FIXTURE_TEST_CASE(a_refused_login_is_unavailable_and_never_shows_the_password, Pg) {
  const std::string tcp = "host=127.0.0.1 port=" + env("PGPORT") + " user=homeboy";
  auto wrong = open({{"conninfo", tcp + " password=wrong-secret-42"}});
  Failure f = failure_of([&] { wrong->read(at("f")); });
  BOOST_TEST(f.code == "storage.unavailable");
  BOOST_TEST(f.message.find("host 127.0.0.1 port " + env("PGPORT")) != std::string::npos, f.message);
  BOOST_TEST(f.message.find("password authentication failed") != std::string::npos, f.message);
  BOOST_TEST(f.message.find("wrong-secret-42") == std::string::npos, f.message);

  auto uri = open({{"conninfo", "postgresql://homeboy:uri-secret-43@127.0.0.1:" + env("PGPORT") + "/" + env("PGDATABASE")}});
  f = failure_of([&] { uri->read(at("f")); });
  BOOST_TEST(f.code == "storage.unavailable");
  BOOST_TEST(f.message.find("uri-secret-43") == std::string::npos, f.message);

  auto stranger = open({{"conninfo", "user=nobody_here"}});
  BOOST_TEST(failure_of([&] { stranger->read(at("f")); }).code == "storage.unavailable");

  // The right password over TCP (scram-sha-256) works.
  auto right = open({{"conninfo", tcp + " password=" + env("HOMEBOY_PG_TEST_PASSWORD")}});
  right->ensure_dir(area);
  right->write(at("f"), "over tcp");
  BOOST_TEST(right->read(at("f")) == "over tcp");
}

BOOST_FIXTURE_TEST_CASE(a_bad_config_is_refused_at_creation_without_the_password, Pg) {
  Failure f = failure_of([&] { open({{"conninfo", "postgresql://u:s3cr3t-uri@[::1/db"}}); });
  BOOST_TEST(f.code != "(none)");
  BOOST_TEST(f.message.find("conninfo") != std::string::npos, f.message);
  BOOST_TEST(f.message.find("s3cr3t-uri") == std::string::npos, f.message);
  f = failure_of([&] { open({{"conninfo", "password=kv-secret-44 nonsense"}}); });
  BOOST_TEST(f.message.find("kv-secret-44") == std::string::npos, f.message);
  f = failure_of([&] { open({{"namespace", ""}}); });
  BOOST_TEST(f.message.find("namespace") != std::string::npos, f.message);
}

// The privileges docs/backends/postgres.md lists are enough once the schema exists, and a
// role without them gets permission_denied naming the docs.
BOOST_FIXTURE_TEST_CASE(the_documented_privileges_are_enough, Pg) {
  open()->ensure_dir(area);  // makes sure the schema exists
  const std::string db = env("PGDATABASE"), role = db + "_dml", bare = db + "_bare";  // roles are per cluster
  admin_sql("CREATE ROLE " + role + " LOGIN; CREATE ROLE " + bare + " LOGIN;"
            "GRANT CONNECT ON DATABASE " + db + " TO " + role + ";"
            "GRANT USAGE ON SCHEMA homeboy TO " + role + ";"
            "GRANT SELECT, INSERT, UPDATE, DELETE ON homeboy.entries TO " + role + ";"
            "GRANT SELECT ON homeboy.meta TO " + role + ";"
            "GRANT USAGE ON SEQUENCE homeboy.versions TO " + role + ";");
  auto s = open({{"conninfo", "user=" + role}});
  s->ensure_dir(at("d/e"));
  auto v = s->write(at("d/e/f"), "1");
  s->write(at("d/e/f"), "2", Condition::matching(*v));
  BOOST_TEST(s->read(at("d/e/f")) == "2");
  BOOST_TEST(s->list(at("d/e")).size() == 1u);
  for (const auto& r : s->batch({Event::write(at("d/g"), "g"), Event::read(at("d/g"))})) BOOST_TEST(r.success);
  s->remove(at("d"), true);
  BOOST_TEST(s->list(area).empty());

  Failure f = failure_of([&] { open({{"conninfo", "user=" + bare}})->read(at("f")); });
  BOOST_TEST(f.code == "storage.permission_denied");
  BOOST_TEST(f.message.find("docs/backends/postgres.md") != std::string::npos, f.message);
}

// A folder deleted while others write into it: every write lands in an existing folder or
// fails with not_found; nothing is left behind without its folder.
BOOST_FIXTURE_TEST_CASE(deleting_a_folder_during_writes_leaves_no_orphans, Pg) {
  open()->ensure_dir(area);
  std::atomic<bool> stop{false};
  std::vector<std::string> unexpected;
  std::mutex m;
  auto note = [&](const Error& e) {
    if (e.code() == "storage.not_found" || e.code() == "storage.conflict") return;
    std::lock_guard lock(m);
    unexpected.push_back(std::string(e.code()) + ": " + e.what());
  };
  auto writer = [&](int id) {
    auto s = open();
    for (int i = 0; !stop; ++i) try {
        s->ensure_dir(at("tree/a/b" + std::to_string(i % 3)));
        s->write(at("tree/a/b" + std::to_string(i % 3) + "/f" + std::to_string(id)), "x");
      } catch (const Error& e) {
        note(e);
      }
  };
  std::thread w1(writer, 1), w2(writer, 2);
  {
    auto s = open();
    for (int i = 0; i < 40; ++i) try {
        s->remove(at("tree"), true);
      } catch (const Error& e) {
        note(e);
      }
  }
  stop = true;
  w1.join();
  w2.join();
  for (const auto& u : unexpected) BOOST_TEST(u.empty(), u);
  std::string orphans = admin_sql(
      "SELECT count(*) FROM homeboy.entries c WHERE c.namespace = '" + ns + "' AND c.parent NOT IN ('\\x2f', '\\x7e') "
      "AND NOT EXISTS (SELECT FROM homeboy.entries p WHERE p.namespace = c.namespace AND p.path = c.parent AND p.is_directory)");
  BOOST_TEST(orphans == "0");
}

BOOST_FIXTURE_TEST_CASE(paths_too_long_for_the_index_are_refused_clearly, Pg) {
  auto s = open();
  std::string deep = area;
  while (deep.size() < 2100) deep += "/" + std::string(200, 'n');
  Failure f = failure_of([&] { s->ensure_dir(deep); });
  BOOST_TEST(f.code == "storage.invalid_argument");
  BOOST_TEST(f.message.find("2000 bytes") != std::string::npos, f.message);
}

BOOST_AUTO_TEST_SUITE_END()

// Against a cluster of its own: the server restarts and stops under an open connection.
BOOST_AUTO_TEST_SUITE(reconnect)

BOOST_FIXTURE_TEST_CASE(operations_after_a_restart_reconnect, Pg) {
  auto s = open();
  s->ensure_dir(area);
  s->write(at("f"), "before");
  server("restart");  // cuts the idle connection off
  BOOST_TEST(s->read(at("f")) == "before");
  s->write(at("f"), "after");

  server("down");
  Failure f = failure_of([&] { s->read(at("f")); });
  BOOST_TEST(f.code == "storage.unavailable");
  BOOST_TEST(f.message.find("host " + env("PGHOST") + " port " + env("PGPORT")) != std::string::npos, f.message);
  BOOST_TEST(failure_of([&] { s->write(at("f"), "while down"); }).code == "storage.unavailable");
  server("up");
  BOOST_TEST(s->read(at("f")) == "after");
}

BOOST_AUTO_TEST_SUITE_END()
