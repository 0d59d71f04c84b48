// The ABI's growth rules, proven: this suite's native transport is built against a copy of
// the plugin header in which every table has grown by a member and the version is the next one
// (what a later homeboy would ship). Plugins built against today's header, and an old one built
// against the frozen version-1 header, must still load and serve every operation, batches
// included.
#define BOOST_TEST_MODULE abi_growth
#include <boost/test/unit_test.hpp>

#include <homeboy/storage_plugin.h>  // the grown copy: its include folder comes first

#include "homeboy/transport/native_transport.hpp"
#include "homeboy/storage.hpp"
#include "support.hpp"

using namespace homeboy;
using namespace homeboy::test;
using contract::Condition;
using contract::Event;

// This translation unit sees the grown header: prove that every table really grew.
static_assert(HOMEBOY_STORAGE_ABI_VERSION == HOMEBOY_TEST_SHIPPED_ABI_VERSION + 1);
static_assert(sizeof(homeboy_result) > HOMEBOY_SIZE_THROUGH(homeboy_result, set_version));
static_assert(sizeof(homeboy_op) > HOMEBOY_SIZE_THROUGH(homeboy_op, condition));
static_assert(sizeof(homeboy_condition) > HOMEBOY_SIZE_THROUGH(homeboy_condition, version_size));
static_assert(sizeof(homeboy_storage_vtable) > HOMEBOY_SIZE_THROUGH(homeboy_storage_vtable, batch_v2));
static_assert(sizeof(homeboy_create_info) > HOMEBOY_CREATE_INFO_V1_SIZE);
static_assert(sizeof(homeboy_plugin_entry) > HOMEBOY_ENTRY_V1_SIZE);
// ...while the frozen version-1 sizes stay where they were.
static_assert(HOMEBOY_RESULT_V1_SIZE == 48 && HOMEBOY_OP_V1_SIZE == 48 && HOMEBOY_VTABLE_V1_SIZE == 64);

namespace {

struct Fixture {
  ScratchDir dir;

  std::unique_ptr<Storage> open(const std::string& id, const fs::path& library) {
    ModuleBuilder b(dir.path(), id);
    b.library(library.string());
    auto transport = open_native(b.load(), dir.path());
    return std::make_unique<Storage>(ProviderInfo{id, "test", homeboy::SelectedBy::named, std::nullopt, {}},
                                     std::move(transport));
  }
};

void batch_round_trip(Storage& s, const std::string& root) {
  auto r = s.batch({Event::write(root + "/a", "alpha"), Event::write(root + "/b", "bravo"), Event::read(root + "/a"),
                    Event::read(root + "/missing"), Event::read(root + "/b"), Event::list(root)});
  BOOST_TEST_REQUIRE(r.size() == 6u);
  BOOST_TEST((r[0].success && r[1].success));
  BOOST_TEST(r[2].data.value_or("") == "alpha");
  BOOST_TEST((!r[3].success && r[3].effective_error_code() == contract::ErrorCode::not_found));
  BOOST_TEST(r[4].data.value_or("") == "bravo");
  BOOST_TEST_REQUIRE(r[5].entries.has_value());
  BOOST_TEST(r[5].entries->size() == 2u);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(grown_host, Fixture)

BOOST_AUTO_TEST_CASE(an_old_version_1_plugin_with_a_batch_still_works) {
  BOOST_TEST(host_abi_version() == HOMEBOY_TEST_SHIPPED_ABI_VERSION + 1u);
  auto s = open("old", fixture_plugin("v1_batch"));
  BOOST_TEST(homeboy::to_string(s->transport_kind()) == "native");
  s->write("/one", "1");
  BOOST_TEST(s->read("/one") == "1");
  batch_round_trip(*s, "/dir");
  BOOST_TEST(!s->capabilities().versions, "a version-1 plugin offers no versions");
}

BOOST_AUTO_TEST_CASE(a_plugin_built_against_todays_header_still_works) {
  auto s = open("today", fixture_plugin("good"));
  s->write("/x", "today");
  BOOST_TEST(s->read("/x") == "today");
  batch_round_trip(*s, "/d");  // no batch member: the facade sends one by one
}

BOOST_AUTO_TEST_CASE(a_version_2_plugin_keeps_its_versions_and_batches) {
  auto s = open("builtin", bundled_module_dir("builtin-filesystem") / "libhomeboy_builtin_filesystem.so");
  BOOST_TEST(s->capabilities().versions);
  std::string root = (dir / "store").string();
  s->ensure_dir(root);
  batch_round_trip(*s, root);
  auto first = s->read_versioned(root + "/a");
  BOOST_TEST_REQUIRE(first.version.has_value());
  auto r = s->batch({Event::write(root + "/a", "again", Condition::matching(*first.version)),
                     Event::write(root + "/a", "stale", Condition::matching(*first.version)),
                     Event::write(root + "/b", "exists", Condition::absent())});
  BOOST_TEST(r[0].success);
  BOOST_TEST((!r[1].success && r[1].effective_error_code() == contract::ErrorCode::conflict));
  BOOST_TEST((!r[2].success && r[2].effective_error_code() == contract::ErrorCode::conflict));
  BOOST_TEST(s->read(root + "/a") == "again");
}

BOOST_AUTO_TEST_SUITE_END()
