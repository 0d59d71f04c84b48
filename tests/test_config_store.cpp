// homeboy's config entities on the storage facade: merge rules, hints, ids, and the
// all-or-nothing rename.
#define BOOST_TEST_MODULE config_store
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "homeboy/config/config_store.hpp"
#include "homeboy/transport/native_transport.hpp"
#include "support.hpp"

#include <cmath>
#include <sstream>

using namespace homeboy;
using namespace homeboy::test;
namespace json = boost::json;
using contract::Event;

namespace {

json::object obj(const char* text) { return json::parse(text).as_object(); }

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

// Found by the entity_spec fuzzer: 1e400 parses to infinity, which was written as "Infinity",
// and the document could not be read back.
BOOST_AUTO_TEST_CASE(a_number_beyond_a_double_is_written_so_it_reads_back) {
  auto s = storage();
  ConfigStore store(*s, dir.path());
  store.create(EntityKind::server, {obj(R"({"id":"web","weight":1e400,"floor":-1e400})")}, false);
  auto doc = store.get(EntityKind::server, "web").doc;
  BOOST_TEST(std::isinf(doc.at("weight").as_double()));
  BOOST_TEST(doc.at("floor").as_double() < 0);
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
