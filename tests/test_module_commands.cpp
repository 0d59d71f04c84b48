// `homeboy module test|install|uninstall` end to end, and the shipped PHP and SQLite modules.
#define BOOST_TEST_MODULE module_commands
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace homeboy::test;
namespace json = boost::json;

namespace {

fs::path source_module(const std::string& id) { return fs::path(HOMEBOY_TEST_SOURCE_MODULES_DIR) / id; }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(module_commands, CliFixture)

BOOST_AUTO_TEST_CASE(conformance_catches_a_module_that_drops_trailing_newlines) {
  fs::path script = fs::path(HOMEBOY_TEST_FIXTURES_DIR) / "modules/drops-newlines.sh";
  fs::path folder = ModuleBuilder(dir.path(), "dropper")
                        .executable("bash " + script.string() + " " + (bundled_module_dir("builtin-filesystem") / "storage.sh").string())
                        .supports_batch()
                        .write();
  auto r = homeboy({"module", "test", folder.string()});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.out.find("FAIL  roundtrip_trailing_newlines: wrote 7 bytes \"line\\n\\n\\n\", read back 4 bytes") !=
             std::string::npos, r.out);
  BOOST_TEST(r.out.find("PASS  roundtrip_empty") != std::string::npos);
  BOOST_TEST(r.out.find("PASS  read_missing_not_found") != std::string::npos);
  auto as_json = homeboy({"module", "test", folder.string(), "--json"});
  BOOST_TEST(as_json.exit_code == 1);
  BOOST_TEST(error_code(as_json) == "module.conformance_failed");
}

BOOST_AUTO_TEST_CASE(install_then_the_sqlite_module_is_the_provider_and_writes_its_database) {
  auto install = homeboy({"module", "install", source_module("sqlite-storage").string()});
  BOOST_TEST_REQUIRE(install.exit_code == 0, install.out);
  auto status = homeboy({"storage", "status"});
  BOOST_TEST(status.json().at("data").at("provider").at("module_id").as_string() == "sqlite-storage");
  BOOST_TEST(status.json().at("data").at("provider").at("transport").as_string() == "daemon");
  BOOST_TEST(homeboy({"storage", "ensure-dir", "/notes"}).exit_code == 0);
  BOOST_TEST(homeboy({"storage", "write", "/notes/a.txt", "--content", "in the database\n"}).exit_code == 0);
  BOOST_TEST(homeboy({"storage", "read", "/notes/a.txt", "--raw"}).out == "in the database\n");
  BOOST_TEST(!fs::exists("/notes/a.txt"), "nothing went to the filesystem path");
  BOOST_TEST(fs::exists(dir / "config/storage.db"), "the database sits in the config folder");
  bool in_db = read_file(dir / "config/storage.db").find("in the database") != std::string::npos ||
               read_file(dir / "config/storage.db-wal").find("in the database") != std::string::npos;
  BOOST_TEST(in_db, "the content is in the database file (or its write-ahead log)");

  // A second provider: every storage command fails until homeboy.json picks one.
  BOOST_TEST_REQUIRE(homeboy({"module", "install", source_module("filesystem-php").string()}).exit_code == 0);
  for (auto args : {std::vector<std::string>{"storage", "status"}, {"storage", "read", "/notes/a.txt"},
                    {"storage", "list", "/notes"}}) {
    auto r = homeboy(args);
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(error_code(r) == "config.multiple_providers");
  }
  write_file(dir / "config/homeboy.json", R"({"storage": "sqlite-storage"})");
  BOOST_TEST(homeboy({"storage", "read", "/notes/a.txt", "--raw"}).out == "in the database\n");
}

BOOST_AUTO_TEST_CASE(install_refuses_bad_folders_and_existing_ids) {
  auto r = homeboy({"module", "install", (dir / "nowhere").string()});
  BOOST_TEST(r.exit_code == 2);
  ModuleBuilder(dir.path(), "broken").manifest_text("{\"name\":\"x\"}").write();
  r = homeboy({"module", "install", (dir / "broken").string()});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "config.invalid_manifest");
  BOOST_TEST(!fs::exists(dir / "config/modules/broken"), "nothing half-installed");
  r = homeboy({"module", "install", bundled_module_dir("builtin-filesystem").string()});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "module.already_installed");
  BOOST_TEST(homeboy({"module", "install", source_module("filesystem-php").string(), "--id", "php-store"}).exit_code == 0);
  BOOST_TEST(fs::exists(dir / "config/modules/php-store/php-store.json"));
  BOOST_TEST(homeboy({"module", "show", "php-store"}).exit_code == 0);
  r = homeboy({"module", "install", source_module("filesystem-php").string(), "--id", "a/b"});
  BOOST_TEST(r.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(uninstall_needs_force_and_refuses_the_picked_provider) {
  BOOST_TEST_REQUIRE(homeboy({"module", "install", source_module("filesystem-php").string()}).exit_code == 0);
  auto r = homeboy({"module", "uninstall", "filesystem-php"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "cli.confirmation_required");
  write_file(dir / "config/homeboy.json", R"({"storage": "filesystem-php"})");
  r = homeboy({"module", "uninstall", "filesystem-php", "--force"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "module.in_use");
  BOOST_TEST(json::serialize(r.json().at("error").at("hints")).find("homeboy.json") != std::string::npos);
  fs::remove(dir / "config/homeboy.json");
  r = homeboy({"module", "uninstall", "filesystem-php", "--force"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(!fs::exists(dir / "config/modules/filesystem-php"));
  r = homeboy({"module", "uninstall", "builtin-filesystem", "--force"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "module.not_removable");
  BOOST_TEST(homeboy({"module", "uninstall", "ghost", "--force"}).exit_code == 4);
}

BOOST_AUTO_TEST_CASE(a_linked_install_is_removed_without_touching_its_source) {
  ModuleBuilder(dir.path(), "linked").executable("true").write();
  auto r = homeboy({"module", "install", (dir / "linked").string(), "--link"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  BOOST_TEST(fs::is_symlink(dir / "config/modules/linked"));
  BOOST_TEST(homeboy({"module", "uninstall", "linked", "--force"}).exit_code == 0);
  BOOST_TEST(!fs::exists(dir / "config/modules/linked"));
  BOOST_TEST(fs::exists(dir / "linked/linked.json"), "the source folder is intact");
}

BOOST_AUTO_TEST_CASE(the_sqlite_module_lists_immediate_children_only) {
  BOOST_TEST_REQUIRE(homeboy({"module", "install", source_module("sqlite-storage").string()}).exit_code == 0);
  homeboy({"storage", "ensure-dir", "/a/b/deep"});
  homeboy({"storage", "ensure-dir", "/a/bc"});
  homeboy({"storage", "write", "/a/b/file", "--content", "x"});
  auto r = homeboy({"storage", "list", "/a/b"});
  auto entries = r.json().at("data").at("entries").as_array();
  BOOST_TEST_REQUIRE(entries.size() == 2u, r.out);
  BOOST_TEST(entries[0].at("path").as_string() == "/a/b/deep");
  BOOST_TEST(entries[1].at("path").as_string() == "/a/b/file");
  BOOST_TEST(homeboy({"storage", "delete", "/a/b", "--recursive"}).exit_code == 0);
  BOOST_TEST(homeboy({"storage", "list", "/a"}).json().at("data").at("entries").as_array().size() == 1u,
             "/a/bc survives the delete of /a/b");
}

BOOST_AUTO_TEST_SUITE_END()
