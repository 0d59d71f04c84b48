// `homeboy module test` catches the bugs authors make: one module per bug (the example Python
// module with that bug, tests/fixtures/modules/buggy_store.py), each failing the case that
// names it; the example as shipped passes every case.
#define BOOST_TEST_MODULE conformance
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace homeboy::test;
namespace json = boost::json;

namespace {

struct Bug {
  const char* mode;       // buggy_store.py's mode
  const char* failing;    // the case that must fail
  const char* reason;     // part of its reason
  bool persistent = true; // one process for the run; one-shot otherwise
};

const Bug bugs[] = {
    {"ensure_dir_on_file", "ensure_dir_on_file", "ensure_dir on a file should fail with storage.conflict but succeeded"},
    {"read_folder", "read_folder", "read of a folder should fail with storage.invalid_argument but succeeded"},
    {"list_file", "list_file", "list of a file should fail with storage.invalid_argument but succeeded"},
    {"write_onto_folder", "write_onto_folder",
     "write onto a folder should fail with storage.invalid_argument, failed with storage.io_error"},
    {"delete_file_as_folder", "delete_file_as_folder", "storage.not_found"},
    {"if_version_missing", "if_version_missing_path",
     "a write naming a version of a deleted file should fail with storage.conflict but succeeded"},
    // As the author wrote it: one process per operation, so the two writers race
    // through process start-up as well.
    {"cas_no_lock", "compare_and_swap_race", "succeeded, so one overwrote the other unseen", false},
    {"cas_no_lock", "compare_and_swap_race", "succeeded, so one overwrote the other unseen", true},
};

fs::path buggy_module(const fs::path& root, const std::string& mode, bool persistent) {
  fs::path example = fs::path(HOMEBOY_TEST_SOURCE_DIR) / "modules/examples/example-python";
  fs::path script = fs::path(HOMEBOY_TEST_FIXTURES_DIR) / "modules/buggy_store.py";
  return ModuleBuilder(root, "buggy-" + mode)
      .executable("/usr/bin/python3 -S " + script.string() + " " + mode + " " + example.string())
      .supports_batch()
      .persistent(persistent)
      .capabilities({"versions", "binary"})
      .write();
}

const json::object* find_case(const json::value& data, const std::string& name) {
  for (const auto& c : data.at("cases").as_array())
    if (c.at("name").as_string() == name) return &c.as_object();
  return nullptr;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(conformance, CliFixture)

// (One-shot, the example passes every case but the race in the cas_no_lock run below.)
BOOST_AUTO_TEST_CASE(the_example_as_shipped_passes_every_case) {
  auto r = homeboy({"module", "test", buggy_module(dir.path(), "none", true).string(), "--json"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  auto data = r.json().at("data");
  BOOST_TEST(data.at("failed").as_int64() == 0);
  const json::object* race = find_case(data, "compare_and_swap_race");
  BOOST_TEST_REQUIRE(race);
  BOOST_TEST(race->at("passed").as_bool(), "the race ran and passed, not skipped");
}

BOOST_AUTO_TEST_CASE(each_bug_fails_the_case_that_names_it) {
  for (const Bug& bug : bugs) {
    BOOST_TEST_CONTEXT("bug " << bug.mode << (bug.persistent ? ", persistent" : ", one-shot")) {
      auto r = homeboy({"module", "test", buggy_module(dir.path(), bug.mode, bug.persistent).string(), "--json"});
      BOOST_TEST_REQUIRE(r.exit_code == 1, r.out);
      BOOST_TEST(error_code(r) == "module.conformance_failed");
      auto details = r.json().at("error").at("details");
      const json::object* failing = find_case(details, bug.failing);
      BOOST_TEST_REQUIRE(failing, r.out);
      BOOST_TEST(!failing->at("passed").as_bool(), r.out);
      std::string reason(failing->at("reason").as_string());
      BOOST_TEST(reason.find(bug.reason) != std::string::npos, reason);
      std::string message(r.json().at("error").at("message").as_string());
      BOOST_TEST(message.find(bug.failing) != std::string::npos, "the error names the case: " << message);
      if (!bug.persistent) {  // the same module, but for its bug, passes every other case one-shot too
        for (const auto& c : details.at("cases").as_array())
          if (c.at("name").as_string() != bug.failing)
            BOOST_TEST((c.at("passed").as_bool() || c.at("skipped").as_bool()), c.at("name").as_string());
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
