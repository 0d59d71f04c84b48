// homeboy's config entities on the storage facade: merge rules, hints, ids, and the
// all-or-nothing rename.
#define BOOST_TEST_MODULE config_store
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "homeboy/config/config_store.hpp"
#include "homeboy/contract/json_input.hpp"
#include "homeboy/contract/json_text.hpp"
#include "homeboy/transport/native_transport.hpp"
#include "support.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>
#include <utility>

using namespace homeboy;
using namespace homeboy::test;
namespace json = boost::json;
using contract::Event;

namespace {

json::object obj(const char* text) { return json::parse(text).as_object(); }
json::object exact(const char* text) { return parse_json_input(text, "SPEC").as_object(); }
Patch merging(const char* text) { return Patch{exact(text), {}, {}}; }

// Passes everything to the native builtin-filesystem, except writes to paths containing
// `poison`, which fail as a provider would.
class FlakyTransport final : public Transport {
 public:
  FlakyTransport(std::unique_ptr<Transport> inner, std::string poison)
      : inner_(std::move(inner)), poison_(std::move(poison)) {}
  contract::Response send(const Event& event) override {
    if (event.operation != contract::Operation::batch) return one(event);
    auto r = contract::Response::ok();
    r.results.emplace();
    for (const auto& op : event.operations) r.results->push_back(one(op));
    return r;
  }
  bool supports_batch() const noexcept override { return true; }
  contract::Capabilities capabilities() const noexcept override { return inner_->capabilities(); }
  homeboy::TransportKind kind() const noexcept override { return homeboy::TransportKind::native; }

 private:
  contract::Response one(const Event& e) {
    if (e.operation == contract::Operation::write && e.path.find(poison_) != std::string::npos)
      return contract::Response::failure(contract::ErrorCode::io_error, "disk on fire");
    return inner_->send(e);
  }
  std::unique_ptr<Transport> inner_;
  std::string poison_;
};

// A provider in memory with all that `transactions` promises: versions, `check`, batches
// applied all or none and one at a time. `before_commit` runs once, just before the next
// batch that changes or checks something: another host's change landing between a
// command's plan and its commit.
class MemoryTransport final : public Transport {
 public:
  std::function<void(MemoryTransport&)> before_commit;
  std::vector<Event> last_commit;

  contract::Response send(const Event& event) override {
    if (event.operation != contract::Operation::batch) {  // the facade sends a batch of one as it is
      if (changes(event))
        if (auto hook = std::exchange(before_commit, nullptr)) hook(*this);
      if (changes(event)) last_commit = {event};
      return apply(event);
    }
    bool commits = std::any_of(event.operations.begin(), event.operations.end(), changes);
    if (commits) {
      if (auto hook = std::exchange(before_commit, nullptr)) hook(*this);
      last_commit = event.operations;
    }
    auto saved = entries_;
    auto r = contract::Response::ok();
    r.results.emplace();
    std::optional<std::size_t> failed;
    for (std::size_t i = 0; i < event.operations.size(); ++i) {
      if (failed) {
        r.results->push_back(contract::Response::failure(contract::ErrorCode::aborted, "not run"));
        continue;
      }
      r.results->push_back(apply(event.operations[i]));
      if (!r.results->back().success && changes(event.operations[i])) failed = i;
    }
    if (failed) {
      entries_ = std::move(saved);
      for (std::size_t i = 0; i < *failed; ++i)
        if (changes(event.operations[i]))
          (*r.results)[i] = contract::Response::failure(contract::ErrorCode::aborted, "rolled back");
    }
    return r;
  }
  bool supports_batch() const noexcept override { return true; }
  contract::Capabilities capabilities() const noexcept override { return {true, true, true, true}; }
  homeboy::TransportKind kind() const noexcept override { return homeboy::TransportKind::native; }

  bool exists(const std::string& path) const { return entries_.count(path) > 0; }
  std::string content(const std::string& path) const { return entries_.at(path).content; }

  // One operation, as the contract says.
  contract::Response apply(const Event& e) {
    using contract::ErrorCode;
    auto fail = [](ErrorCode code) { return contract::Response::failure(code, "refused"); };
    auto it = entries_.find(e.path);
    bool found = it != entries_.end() || e.path == "/";
    bool is_dir = e.path == "/" || (it != entries_.end() && it->second.dir);
    auto holds = [&] {
      if (e.condition.kind == contract::Condition::Kind::if_absent) return !found;
      if (e.condition.kind == contract::Condition::Kind::if_version)
        return found && !is_dir && std::to_string(it->second.version) == e.condition.version;
      return true;
    };
    auto r = contract::Response::ok();
    switch (e.operation) {
      case contract::Operation::read:
        if (!found) return fail(ErrorCode::not_found);
        if (is_dir) return fail(ErrorCode::invalid_argument);
        r.data = it->second.content;
        r.version = std::to_string(it->second.version);
        return r;
      case contract::Operation::write: {
        auto parent = entries_.find(parent_of(e.path));
        if (parent_of(e.path) != "/" && (parent == entries_.end() || !parent->second.dir)) return fail(ErrorCode::not_found);
        if (is_dir) return fail(ErrorCode::invalid_argument);
        if (!holds()) return fail(ErrorCode::conflict);
        entries_[e.path] = {false, e.content, ++counter_};
        r.version = std::to_string(counter_);
        return r;
      }
      case contract::Operation::list:
        r.entries.emplace();
        for (const auto& [path, entry] : entries_)
          if (path != e.path && parent_of(path) == e.path) r.entries->push_back({path, entry.dir});
        return r;
      case contract::Operation::remove:
        if (!found) return fail(ErrorCode::not_found);
        if (is_dir != e.is_directory) return fail(ErrorCode::invalid_argument);
        if (!holds()) return fail(ErrorCode::conflict);
        std::erase_if(entries_, [&](const auto& kv) { return kv.first == e.path || kv.first.starts_with(e.path + "/"); });
        return r;
      case contract::Operation::ensure_dir:
        for (std::string at = e.path; at != "/"; at = parent_of(at)) {
          if (auto f = entries_.find(at); f != entries_.end() && !f->second.dir) return fail(ErrorCode::conflict);
          entries_[at] = {true, {}, ++counter_};
        }
        return r;
      case contract::Operation::check:
        if (!e.condition) return fail(ErrorCode::invalid_argument);
        return holds() ? r : fail(ErrorCode::conflict);
      case contract::Operation::batch: break;
    }
    return fail(ErrorCode::unsupported);
  }

 private:
  struct Entry {
    bool dir = false;
    std::string content;
    std::uint64_t version = 0;
  };
  static bool changes(const Event& e) {
    return e.operation != contract::Operation::read && e.operation != contract::Operation::list;
  }
  static std::string parent_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == 0 ? "/" : path.substr(0, slash);
  }
  std::map<std::string, Entry> entries_;
  std::uint64_t counter_ = 0;
};

struct Fixture {
  ScratchDir dir;
  Module builtin = load_module(bundled_module_dir("builtin-filesystem"));

  std::unique_ptr<Storage> storage(const std::string& poison = "\x01never") {
    return std::make_unique<Storage>(
        ProviderInfo{"builtin-filesystem", "filesystem", homeboy::SelectedBy::named, std::nullopt, {}},
        std::make_unique<FlakyTransport>(open_native(builtin, dir.path()), poison));
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(deep_merge_follows_the_rules) {
  json::object doc = obj(R"({"name":"x","tags":["a","b"],"settings":{"php":"8.1","debug":true},"keep":1})");
  auto changed = deep_merge(doc, obj(R"({"tags":["b","c"],"settings":{"php":"8.2","debug":null},"name":null,"keep":1})"), {});
  BOOST_TEST(json::serialize(doc) == R"({"tags":["a","b","c"],"settings":{"php":"8.2"},"keep":1})");
  BOOST_TEST((changed == std::vector<std::string>{"tags", "settings", "name"}));
  deep_merge(doc, obj(R"({"tags":["z"],"settings":{"list":[1]}})"), {"tags"});
  BOOST_TEST(json::serialize(doc.at("tags")) == R"(["z"])");
  deep_merge(doc, obj(R"({"settings":{"list":[1,2]}})"), {"tags"});
  BOOST_TEST(json::serialize(doc.at("settings").at("list")) == "[1,2]");
  deep_merge(doc, obj(R"({"settings":{"list":[3]}})"), {"settings.list"});
  BOOST_TEST(json::serialize(doc.at("settings").at("list")) == "[3]");
  deep_merge(doc, obj(R"({"fresh":{"a":1,"b":null}})"), {});
  BOOST_TEST(json::serialize(doc.at("fresh")) == R"({"a":1})");
}

BOOST_FIXTURE_TEST_SUITE(store, Fixture)

BOOST_AUTO_TEST_CASE(documents_live_where_homeboy_keeps_them) {
  auto s = storage();
  ConfigStore store(*s, dir.path());
  auto outcomes = store.create(EntityKind::server, {obj(R"({"id":"web","host":"h"})")}, false);
  BOOST_TEST(to_string(outcomes[0].status) == "created");
  auto text = read_file(dir / "servers/web.json");
  BOOST_TEST(json::parse(text).at("host").as_string() == "h");
  BOOST_TEST(text.find("\n  \"host\"") != std::string::npos, "pretty-printed for people who edit it");
}

// Numbers keep the text they were given (no double in between): 1.0 stays 1.0, 1e400 stays
// 1e400 (it was once written as "Infinity", which nothing could read back), big integers keep
// every digit, and a `set` of another field leaves them all as they were.
BOOST_AUTO_TEST_CASE(numbers_keep_their_text_through_create_and_set) {
  auto s = storage();
  ConfigStore store(*s, dir.path());
  const char* spec =
      R"({"id":"web","a":1.0,"b":12345678901234567890123,"c":1.5,"d":-0,"e":1e999,"f":18446744073709551617,)"
      R"("g":-1e400,"h":1E-7,"i":[0.10,2],"j":{"k":-0.0}})";
  auto outcomes = store.create(EntityKind::server, {exact(spec)}, false);
  BOOST_TEST_REQUIRE(to_string(outcomes[0].status) == "created");
  const std::vector<std::pair<std::string, std::string>> expected{
      {"a", "1.0"}, {"b", "12345678901234567890123"}, {"c", "1.5"}, {"d", "-0"}, {"e", "1e999"},
      {"f", "18446744073709551617"}, {"g", "-1e400"}, {"h", "1E-7"}};
  auto check = [&](const std::string& text) {
    for (const auto& [key, literal] : expected)
      BOOST_TEST(text.find("\"" + key + "\": " + literal + ",") != std::string::npos, key << " as " << literal);
    BOOST_TEST(text.find("[\n    0.10,\n    2\n  ]") != std::string::npos);
    BOOST_TEST(text.find("\"k\": -0.0") != std::string::npos);
    BOOST_TEST(text.find("Infinity") == std::string::npos);
    BOOST_TEST(text.find("E0") == std::string::npos);
  };
  check(read_file(dir / "servers/web.json"));
  store.set(EntityKind::server, "web", merging(R"({"other": 1})"));
  check(read_file(dir / "servers/web.json"));
  check(pretty(store.get(EntityKind::server, "web").doc));
  // 1.5 and 1.50 are written differently, so they count as a change; 1.5 again does not.
  BOOST_TEST(store.set(EntityKind::server, "web", merging(R"({"c": 1.5})")).second.empty());
  BOOST_TEST(store.set(EntityKind::server, "web", merging(R"({"c": 1.50})")).second ==
             std::vector<std::string>{"c"});
}

BOOST_AUTO_TEST_CASE(a_stored_document_that_repeats_a_key_is_refused_by_name) {
  auto s = storage();
  ConfigStore store(*s, dir.path());
  store.create(EntityKind::server, {exact(R"({"id":"web"})")}, false);
  write_file(dir / "servers/web.json", "{\n  \"id\": \"web\",\n  \"host\": \"a\",\n  \"host\": \"b\"\n}\n");
  BOOST_CHECK_EXCEPTION(store.get(EntityKind::server, "web"), Error, [](const Error& e) {
    return e.code() == "config.invalid_document" &&
           std::string(e.what()).find("the key \"host\" is given twice (line 4") != std::string::npos;
  });
  auto listing = store.list(EntityKind::server);
  BOOST_TEST(listing.entities.empty());
  BOOST_TEST_REQUIRE(listing.warnings.size() == 1u);
  BOOST_TEST(listing.warnings[0].find("\"host\" is given twice") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_rename_that_fails_half_way_restores_everything) {
  {
    auto s = storage();
    ConfigStore store(*s, dir.path());
    store.create(EntityKind::component, {obj(R"({"id":"api"})")}, false);
    store.create(EntityKind::project,
                 {obj(R"({"id":"alpha","component_ids":["api"]})"), obj(R"({"id":"beta","component_ids":["api"]})")}, false);
  }
  std::string alpha = read_file(dir / "projects/alpha.json"), beta = read_file(dir / "projects/beta.json");
  auto s = storage("projects/beta.json");  // the second project's rewrite fails
  ConfigStore store(*s, dir.path());
  BOOST_CHECK_EXCEPTION(store.rename(EntityKind::component, "api", "backend"), Error, [](const Error& e) {
    return e.code() == "config.rename_failed" && std::string(e.what()).find("put back") != std::string::npos &&
           std::string(e.what()).find("disk on fire") != std::string::npos;
  });
  BOOST_TEST(read_file(dir / "projects/alpha.json") == alpha);
  BOOST_TEST(read_file(dir / "projects/beta.json") == beta);
  BOOST_TEST(fs::exists(dir / "components/api.json"));
  BOOST_TEST(!fs::exists(dir / "components/backend.json"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(listing_with_a_batch_capable_scripted_module_spawns_it_once_for_all_reads) {
  ScratchDir dir;
  fs::path counting = fs::path(HOMEBOY_TEST_FIXTURES_DIR) / "modules/counting.sh";
  fs::path script = bundled_module_dir("builtin-filesystem") / "storage.sh";
  fs::path folder = ModuleBuilder(dir / "config/modules", "counted-fs")
                        .executable("bash " + counting.string() + " " + script.string())
                        .storage_type("filesystem")
                        .supports_batch()
                        .write();
  std::string many = "[";
  for (int i = 0; i < 60; ++i) many += std::string(i ? "," : "") + "{\"id\":\"p" + std::to_string(i) + "\"}";
  many += "]";
  Env env{{"HOMEBOY_CONFIG_DIR", (dir / "config").string()}};
  auto created = run_cli({"project", "create", "--json", many}, env);
  BOOST_TEST_REQUIRE(created.exit_code == 0, created.out);
  fs::remove(folder / "spawns");
  auto listed = run_cli({"project", "list"}, env);
  BOOST_TEST_REQUIRE(listed.exit_code == 0, listed.out);
  BOOST_TEST(listed.json().at("data").at("count").as_int64() == 60);
  std::istringstream spawns(read_file(folder / "spawns"));
  int count = 0;
  for (std::string line; std::getline(spawns, line);) ++count;
  BOOST_TEST(count == 2, "one spawn lists the folder, one reads all 60 documents");
}

// With a provider that has transactions, each change is one conditional batch: a change of
// another host that lands between the plan and the commit makes the commit fail whole, and
// the change is planned again from what is there now.
struct Shared {
  ScratchDir dir;
  MemoryTransport* memory = nullptr;
  std::unique_ptr<Storage> storage = [this] {
    auto transport = std::make_unique<MemoryTransport>();
    memory = transport.get();
    return std::make_unique<Storage>(ProviderInfo{"memory", "memory", homeboy::SelectedBy::named, std::nullopt, {}},
                                     std::move(transport));
  }();
  ConfigStore store{*storage, dir.path()};
  std::string path(const std::string& relative) const { return (dir / relative).string(); }
  // What another host's `project create` does: the project, and its server held.
  void other_host_creates_project(MemoryTransport& m, const std::string& id, const std::string& server) {
    auto held = m.apply(Event::read(path("servers/" + server + ".json")));
    m.apply(Event::ensure_dir(path("projects")));
    m.apply(Event::write(path("projects/" + id + ".json"), "{\"id\": \"" + id + "\", \"server_id\": \"" + server + "\"}\n"));
    m.apply(Event::write(path("servers/" + server + ".json"), *held.data));
  }
};

BOOST_FIXTURE_TEST_SUITE(transactions, Shared)

BOOST_AUTO_TEST_CASE(a_create_commits_its_rules_with_it) {
  BOOST_TEST(to_string(concurrency_of(*storage)) == "transactions");
  store.create(EntityKind::server, {exact(R"({"id":"s"})")}, false);
  store.create(EntityKind::project, {exact(R"({"id":"q","server_id":"s"})")}, false);
  const auto& commit = memory->last_commit;
  auto has = [&](contract::Operation op, const std::string& relative, contract::Condition::Kind condition) {
    return std::any_of(commit.begin(), commit.end(), [&](const Event& e) {
      return e.operation == op && e.path == path(relative) && e.condition.kind == condition;
    });
  };
  using K = contract::Condition::Kind;
  BOOST_TEST(has(contract::Operation::write, "projects/q.json", K::if_absent), "the project, only where nothing is");
  BOOST_TEST(has(contract::Operation::check, "servers/q.json", K::if_absent), "its id free in the other kinds");
  BOOST_TEST(has(contract::Operation::check, "components/q.json", K::if_absent));
  BOOST_TEST(has(contract::Operation::write, "servers/s.json", K::if_version), "its server held at the version read");
}

// A renamed project is a new document naming its server: like a create, it holds the server,
// so a server rename that listed the projects before it landed (and missed the new name)
// fails instead of leaving the renamed project naming an id that is gone.
BOOST_AUTO_TEST_CASE(a_project_rename_holds_what_the_project_names) {
  store.create(EntityKind::server, {exact(R"({"id":"s"})")}, false);
  store.create(EntityKind::component, {exact(R"({"id":"c"})")}, false);
  store.create(EntityKind::project, {exact(R"({"id":"p","server_id":"s","component_ids":["c"]})")}, false);
  store.rename(EntityKind::project, "p", "q");
  const auto& commit = memory->last_commit;
  for (const char* held : {"servers/s.json", "components/c.json"})
    BOOST_TEST(std::any_of(commit.begin(), commit.end(),
                           [&](const Event& e) {
                             return e.operation == contract::Operation::write && e.path == path(held) &&
                                    e.condition.kind == contract::Condition::Kind::if_version;
                           }),
               held << " held by the rename");
}

BOOST_AUTO_TEST_CASE(a_project_whose_server_is_deleted_before_the_commit_is_not_created) {
  store.create(EntityKind::server, {exact(R"({"id":"s"})")}, false);
  memory->before_commit = [&](MemoryTransport& m) { m.apply(Event::remove(path("servers/s.json"))); };
  auto outcomes = store.create(EntityKind::project, {exact(R"({"id":"q","server_id":"s"})")}, false);
  BOOST_TEST(to_string(outcomes[0].status) == "failed");
  BOOST_TEST_REQUIRE(outcomes[0].error.has_value());
  BOOST_TEST(outcomes[0].error->code() == "config.invalid_reference");
  BOOST_TEST(!memory->exists(path("projects/q.json")));
}

BOOST_AUTO_TEST_CASE(a_delete_that_a_new_reference_overtakes_is_refused) {
  store.create(EntityKind::server, {exact(R"({"id":"s"})")}, false);
  memory->before_commit = [&](MemoryTransport& m) { other_host_creates_project(m, "q", "s"); };
  BOOST_CHECK_EXCEPTION(store.remove(EntityKind::server, "s"), Error, [](const Error& e) {
    return e.code() == "config.in_use" && std::string(e.what()).find("q") != std::string::npos;
  });
  BOOST_TEST(memory->exists(path("servers/s.json")));
}

BOOST_AUTO_TEST_CASE(a_rename_takes_along_a_reference_made_while_it_ran) {
  store.create(EntityKind::server, {exact(R"({"id":"s"})")}, false);
  memory->before_commit = [&](MemoryTransport& m) { other_host_creates_project(m, "q", "s"); };
  auto updated = store.rename(EntityKind::server, "s", "sa");
  BOOST_TEST(updated == std::vector<std::string>{"q"});
  BOOST_TEST(!memory->exists(path("servers/s.json")));
  BOOST_TEST(memory->content(path("projects/q.json")).find("\"server_id\": \"sa\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_rename_onto_an_id_another_kind_takes_meanwhile_is_refused_whole) {
  store.create(EntityKind::server, {exact(R"({"id":"s"})")}, false);
  store.create(EntityKind::project, {exact(R"({"id":"p","server_id":"s"})")}, false);
  std::string project = memory->content(path("projects/p.json"));
  memory->before_commit = [&](MemoryTransport& m) {
    m.apply(Event::ensure_dir(path("components")));
    m.apply(Event::write(path("components/x.json"), "{\"id\": \"x\"}\n"));
  };
  BOOST_CHECK_EXCEPTION(store.rename(EntityKind::server, "s", "x"), Error,
                        [](const Error& e) { return e.code() == "config.id_collision"; });
  BOOST_TEST(memory->exists(path("servers/s.json")));
  BOOST_TEST(!memory->exists(path("servers/x.json")));
  BOOST_TEST(memory->content(path("projects/p.json")) == project);
}

BOOST_AUTO_TEST_CASE(a_bulk_create_that_loses_one_id_creates_the_others) {
  memory->before_commit = [&](MemoryTransport& m) {
    m.apply(Event::ensure_dir(path("servers")));
    m.apply(Event::write(path("servers/b.json"), "{\"id\": \"b\"}\n"));
  };
  auto outcomes = store.create(EntityKind::server, {exact(R"({"id":"a"})"), exact(R"({"id":"b"})"), exact(R"({"id":"c"})")},
                               false);
  BOOST_TEST(to_string(outcomes[0].status) == "created");
  BOOST_TEST(to_string(outcomes[1].status) == "failed");
  BOOST_TEST(outcomes[1].error->code() == "server.already_exists");
  BOOST_TEST(to_string(outcomes[2].status) == "created");
  BOOST_TEST(memory->content(path("servers/b.json")) == "{\"id\": \"b\"}\n", "the other host's document stands");
}

BOOST_AUTO_TEST_CASE(a_set_that_adds_a_reference_holds_it) {
  store.create(EntityKind::server, {exact(R"({"id":"s"})"), exact(R"({"id":"t"})")}, false);
  store.create(EntityKind::project, {exact(R"({"id":"p","server_id":"s","n":1.0})")}, false);
  memory->before_commit = [&](MemoryTransport& m) { m.apply(Event::remove(path("servers/t.json"))); };
  BOOST_CHECK_EXCEPTION(store.set(EntityKind::project, "p", merging(R"({"server_id":"t"})")), Error,
                        [](const Error& e) { return e.code() == "config.invalid_reference"; });
  BOOST_TEST(memory->content(path("projects/p.json")).find("\"server_id\": \"s\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
