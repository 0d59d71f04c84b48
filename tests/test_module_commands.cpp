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
  auto installed = install.json().at("data");
  BOOST_TEST(installed.at("check").at("failed").as_int64() == 0, "the conformance suite ran and passed");
  BOOST_TEST(installed.at("activated").as_bool(), "no config yet: the new provider takes over");
  BOOST_TEST(installed.at("pinned").at("storage").as_string() == "sqlite-storage");
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

  // A second provider while the first holds config: the first stays active, pinned.
  BOOST_TEST_REQUIRE(homeboy({"server", "create", "web-1"}).exit_code == 0);
  auto second = homeboy({"module", "install", source_module("filesystem-php").string(), "--no-check"});
  BOOST_TEST_REQUIRE(second.exit_code == 0, second.out);
  BOOST_TEST(!second.json().at("data").at("activated").as_bool());
  BOOST_TEST(second.json().at("data").at("active_provider").as_string() == "sqlite-storage");
  BOOST_TEST(second.json().at("data").at("check").at("ran").as_bool() == false);
  BOOST_TEST(second.out.find("homeboy storage migrate --to filesystem-php") != std::string::npos, second.out);
  BOOST_TEST(homeboy({"storage", "read", "/notes/a.txt", "--raw"}).out == "in the database\n");
  BOOST_TEST(homeboy({"server", "list"}).json().at("data").at("count").as_int64() == 1);

  // Without the pin, two providers are an error until homeboy.json picks one.
  fs::remove(dir / "config/homeboy.json");
  for (auto args : {std::vector<std::string>{"storage", "status"}, {"storage", "read", "/notes/a.txt"},
                    {"storage", "list", "/notes"}}) {
    auto r = homeboy(args);
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(error_code(r) == "config.multiple_providers");
  }
  write_file(dir / "config/homeboy.json", R"({"storage": "sqlite-storage"})");
  BOOST_TEST(homeboy({"storage", "read", "/notes/a.txt", "--raw"}).out == "in the database\n");
}

BOOST_AUTO_TEST_CASE(a_provider_that_fails_the_check_is_installed_but_not_activated) {
  fs::path folder = misbehaving_module(dir.path(), "not-found").dir;
  auto r = homeboy({"module", "install", folder.string()});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  auto data = r.json().at("data");
  BOOST_TEST(!data.at("activated").as_bool());
  BOOST_TEST(data.at("check").at("failed").as_int64() > 0);
  BOOST_TEST(data.at("pinned").at("storage").as_string() == "builtin-filesystem",
             "pinned, or counting the providers would pick the new one");
  BOOST_TEST(json::serialize(data.at("hints")).find("homeboy module test misbehave-not-found") != std::string::npos);
  BOOST_TEST(r.err.find("did not pass the storage conformance suite") != std::string::npos, r.err);
  BOOST_TEST(homeboy({"storage", "status"}).json().at("data").at("provider").at("module_id").as_string() ==
             "builtin-filesystem");

  BOOST_TEST(homeboy({"module", "uninstall", "misbehave-not-found", "--force"}).exit_code == 0);
  r = homeboy({"module", "install", folder.string(), "--activate"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  BOOST_TEST(r.json().at("data").at("activated").as_bool());
  BOOST_TEST(homeboy({"storage", "status"}).json().at("data").at("provider").at("module_id").as_string() ==
             "misbehave-not-found");
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
  BOOST_TEST(homeboy({"module", "install", source_module("filesystem-php").string(), "--id", "php-store", "--no-check"})
                 .exit_code == 0);
  BOOST_TEST(fs::exists(dir / "config/modules/php-store/php-store.json"));
  BOOST_TEST(homeboy({"module", "show", "php-store"}).exit_code == 0);
  r = homeboy({"module", "install", source_module("filesystem-php").string(), "--id", "a/b"});
  BOOST_TEST(r.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(uninstall_needs_force_and_never_hides_config) {
  BOOST_TEST_REQUIRE(homeboy({"module", "install", source_module("sqlite-storage").string(), "--no-check", "--activate"}).exit_code == 0);
  auto r = homeboy({"module", "uninstall", "sqlite-storage"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "cli.confirmation_required");

  // The active provider holds config: refused, even with --force.
  BOOST_TEST_REQUIRE(homeboy({"server", "create", "web-1"}).exit_code == 0);
  r = homeboy({"module", "uninstall", "sqlite-storage", "--force"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "module.holds_config");
  BOOST_TEST(r.json().at("error").at("details").at("config_documents").as_int64() == 1);
  std::string hints = json::serialize(r.json().at("error").at("hints"));
  BOOST_TEST(hints.find("homeboy storage migrate --to builtin-filesystem") != std::string::npos, hints);
  BOOST_TEST(hints.find("--discard-data") != std::string::npos);
  BOOST_TEST(fs::exists(dir / "config/modules/sqlite-storage"));
  // The hint that keeps a copy is a command that runs as written (the archive's name aside).
  const std::string keep = "Or keep a copy: homeboy storage export ";
  std::string archive;
  auto refusal = r.json();
  for (const auto& h : refusal.at("error").at("hints").as_array())
    if (std::string text(h.at("message").as_string()); text.starts_with(keep)) archive = text.substr(keep.size());
  BOOST_TEST_REQUIRE(!archive.empty(), hints);
  BOOST_TEST(archive.find(' ') == std::string::npos, archive);
  r = homeboy({"storage", "export", (dir / archive).string()});
  BOOST_TEST(r.exit_code == 0, r.out);
  BOOST_TEST(fs::file_size(dir / archive) > 0);

  // --discard-data removes it anyway; the pin goes with it and the data stays out of sight.
  r = homeboy({"module", "uninstall", "sqlite-storage", "--force", "--discard-data"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  BOOST_TEST(r.json().at("data").at("left_behind_documents").as_int64() == 1);
  BOOST_TEST(r.json().at("data").at("unpinned").at("previous").as_string() == "sqlite-storage");
  BOOST_TEST(!fs::exists(dir / "config/modules/sqlite-storage"));
  BOOST_TEST(fs::exists(dir / "config/storage.db"), "the data is left where it was");
  BOOST_TEST(homeboy({"storage", "status"}).json().at("data").at("provider").at("module_id").as_string() ==
             "builtin-filesystem");

  // A provider that holds no config goes with --force alone.
  BOOST_TEST_REQUIRE(homeboy({"module", "install", source_module("filesystem-php").string(), "--no-check", "--activate"}).exit_code == 0);
  BOOST_TEST_REQUIRE(homeboy({"server", "create", "web-2"}).exit_code == 0);
  BOOST_TEST(error_code(homeboy({"module", "uninstall", "filesystem-php", "--force"})) == "module.holds_config");
  BOOST_TEST_REQUIRE(homeboy({"server", "delete", "web-2"}).exit_code == 0);
  r = homeboy({"module", "uninstall", "filesystem-php", "--force"});
  BOOST_TEST(r.exit_code == 0, r.out);
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

BOOST_FIXTURE_TEST_SUITE(module_commands_more, CliFixture)

BOOST_AUTO_TEST_CASE(a_manifest_not_named_after_its_folder_is_reported_as_such) {
  fs::path folder = dir / "my-store";
  fs::create_directories(folder);
  write_file(folder / "manifest.json", R"({"name": "x", "version": "1", "runtime": {"executable": "true"},
                                          "storage_provider": {"storage_type": "t"}})");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"module", "install", folder.string()},
                                               {"module", "test", folder.string(), "--json"}}) {
    auto r = homeboy(args);
    BOOST_TEST(r.exit_code == 2, r.out);
    BOOST_TEST(error_code(r) == "config.invalid_manifest");
    std::string message(r.json().at("error").at("message").as_string());
    BOOST_TEST(message.find("has no manifest my-store.json (it holds manifest.json; a module's manifest is named after "
                            "its folder)") != std::string::npos, message);
    BOOST_TEST(json::serialize(r.json().at("error").at("hints")).find("mv ") != std::string::npos, r.out);
  }
  // Found on the search path, the refusal says the same.
  fs::create_directories(dir / "config/modules");
  fs::rename(folder, dir / "config/modules/my-store");
  auto listed = homeboy({"module", "list"});
  BOOST_TEST(json::serialize(listed.json().at("data").at("refused")).find("it holds manifest.json") != std::string::npos,
             listed.out);
}

BOOST_AUTO_TEST_CASE(install_counts_the_cases_as_module_test_does_and_no_check_activates_nothing) {
  fs::path node = fs::path(HOMEBOY_TEST_SOURCE_DIR) / "modules/examples/example-node";
  auto tested = homeboy({"module", "test", node.string(), "--json"});
  BOOST_TEST_REQUIRE(tested.exit_code == 0, tested.out);
  auto installed = homeboy({"module", "install", node.string(), "--id", "checked"});
  BOOST_TEST_REQUIRE(installed.exit_code == 0, installed.out);
  auto check = installed.json().at("data").at("check");
  BOOST_TEST(check.at("passed") == tested.json().at("data").at("passed"), installed.out);
  BOOST_TEST(check.at("skipped") == tested.json().at("data").at("skipped"), installed.out);
  BOOST_TEST(check.at("skipped").as_int64() > 0, "the node example declares no versions: cases are skipped");
  BOOST_TEST(installed.json().at("data").at("activated").as_bool(), "it passed and nothing holds config");
  BOOST_TEST(homeboy({"module", "uninstall", "checked", "--force"}).exit_code == 0);

  // Not checked is not passed: the docs say only a passing provider becomes active.
  auto unchecked = homeboy({"module", "install", node.string(), "--id", "unchecked", "--no-check"});
  BOOST_TEST_REQUIRE(unchecked.exit_code == 0, unchecked.out);
  BOOST_TEST(!unchecked.json().at("data").at("activated").as_bool());
  BOOST_TEST(unchecked.json().at("data").at("active_provider").as_string() == "builtin-filesystem");
  BOOST_TEST(unchecked.err.find("'unchecked' was not checked (--no-check), so it was not activated") != std::string::npos,
             unchecked.err);
  BOOST_TEST(homeboy({"storage", "status"}).json().at("data").at("provider").at("module_id").as_string() ==
             "builtin-filesystem");
  BOOST_TEST(homeboy({"module", "uninstall", "unchecked", "--force"}).exit_code == 0);
  auto forced = homeboy({"module", "install", node.string(), "--id", "forced", "--no-check", "--activate"});
  BOOST_TEST_REQUIRE(forced.exit_code == 0, forced.out);
  BOOST_TEST(forced.json().at("data").at("activated").as_bool());
}

// The modules shipped with homeboy but kept off the search path are found by id.
BOOST_AUTO_TEST_CASE(shipped_modules_are_found_by_id) {
  auto available = homeboy({"module", "list", "--available"});
  BOOST_TEST_REQUIRE(available.exit_code == 0, available.out);
  std::string listed = json::serialize(available.json().at("data").at("modules"));
  for (const char* id : {"\"sqlite-storage\"", "\"filesystem-php\""})
    BOOST_TEST(listed.find(id) != std::string::npos, listed);
  BOOST_TEST(listed.find("\"installed\":false") != std::string::npos, listed);

  // Not installed: the error says it ships with homeboy and how to install it.
  auto missing = homeboy({"module", "show", "sqlite-storage"});
  BOOST_TEST(missing.exit_code == 4);
  BOOST_TEST(json::serialize(missing.json().at("error").at("hints")).find("homeboy module install sqlite-storage") !=
             std::string::npos, missing.out);
  auto typo = homeboy({"module", "install", "sqlite-storag"});
  BOOST_TEST(typo.exit_code == 4);
  BOOST_TEST(json::serialize(typo.json().at("error").at("hints")).find("sqlite-storage") != std::string::npos, typo.out);

  // module test by id, without installing it.
  auto tested = homeboy({"module", "test", "filesystem-php", "--json"});
  BOOST_TEST(tested.exit_code == 0, tested.out);
  BOOST_TEST(!fs::exists(dir / "config/modules/filesystem-php"), "testing installs nothing");

  auto installed = homeboy({"module", "install", "sqlite-storage", "--no-check"});
  BOOST_TEST_REQUIRE(installed.exit_code == 0, installed.out);
  BOOST_TEST(fs::exists(dir / "config/modules/sqlite-storage/sqlite-storage.json"));
  auto after = homeboy({"module", "list", "--available"});
  BOOST_TEST(json::serialize(after.json().at("data").at("modules")).find("\"installed\":true") != std::string::npos,
             after.out);
  BOOST_TEST(homeboy({"module", "show", "sqlite-storage"}).exit_code == 0);
}

BOOST_AUTO_TEST_SUITE_END()
