// No silent switch of backend: a broken pinned or possible provider stops every storage and
// config command (exit 2) instead of handing the user's data to another provider; commands
// that need no storage keep working; a native-to-script fallback is said once per command.
#define BOOST_TEST_MODULE fail_closed
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace homeboy::test;
namespace json = boost::json;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

struct Fixture : CliFixture {
  fs::path modules = dir / "config/modules";

  // Every command that needs the provider fails closed, naming the module, its manifest and the fixes.
  void expect_fails_closed(const std::string& manifest_part, const std::vector<std::string>& hint_parts) {
    fs::create_directories(dir / "area");
    std::string file = (dir / "area/new.txt").string();
    for (auto args : {std::vector<std::string>{"storage", "status"}, {"storage", "read", file},
                      {"storage", "write", file, "--content", "x"}, {"storage", "list", (dir / "area").string()},
                      {"project", "list"}, {"server", "create", "s1", "--json", "{}"}}) {
      BOOST_TEST_CONTEXT(json::serialize(json::value_from(args))) {
        auto r = homeboy(args);
        BOOST_TEST(r.exit_code == 2);
        BOOST_TEST(error_code(r) == "config.broken_provider");
        std::string message(r.json().at("error").at("message").as_string());
        BOOST_TEST(contains(message, manifest_part), message);
        std::string hints = json::serialize(r.json().at("error").at("hints"));
        for (const auto& part : hint_parts) BOOST_TEST(contains(hints, part), hints);
      }
    }
    BOOST_TEST(!fs::exists(file), "nothing went to another provider");
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(fail_closed, Fixture)

BOOST_AUTO_TEST_CASE(a_module_folder_that_lost_its_manifest_stops_storage_and_config_commands) {
  fs::create_directories(modules / "my-store");
  write_file(modules / "my-store/storage.db", "data lives here");
  expect_fails_closed("has no manifest my-store.json", {"Put the manifest back", "homeboy.json"});
}

BOOST_AUTO_TEST_CASE(a_linked_module_whose_folder_is_gone_stops_storage_and_config_commands) {
  fs::create_directories(modules);
  fs::create_directory_symlink(dir / "unmounted/my-store", modules / "my-store");
  expect_fails_closed("which does not exist", {"remove the link", "homeboy.json"});
}

BOOST_AUTO_TEST_CASE(the_only_provider_missing_its_version_stops_storage_and_config_commands) {
  ModuleBuilder(modules, "my-store")
      .manifest_text(R"({"name": "My store", "runtime": {"executable": "true"}, "storage_provider": {"storage_type": "x"}})")
      .write();
  fs::path manifest = modules / "my-store/my-store.json";
  expect_fails_closed(manifest.string() + ": missing \"version\"",
                      {"Fix " + manifest.string(), "homeboy module uninstall my-store --force", "homeboy.json"});

  // Commands that need no storage still work and report the broken module.
  auto list = homeboy({"module", "list"});
  BOOST_TEST(list.exit_code == 0);
  BOOST_TEST(contains(list.err, "homeboy: warning: manifest " + manifest.string()));
  auto refused = list.json().at("data").at("refused").as_array();
  BOOST_TEST_REQUIRE(refused.size() == 1u);
  BOOST_TEST(refused[0].at("id").as_string() == "my-store");
  BOOST_TEST(refused[0].at("possible_provider").as_bool());
  BOOST_TEST(homeboy({"module", "show", "builtin-filesystem"}).exit_code == 0);
  auto show = homeboy({"module", "show", "my-store"});
  BOOST_TEST(show.exit_code == 2);
  BOOST_TEST(error_code(show) == "config.invalid_manifest");
  BOOST_TEST(homeboy({"--help"}).exit_code == 0);
  BOOST_TEST(homeboy({"storage", "--help"}).exit_code == 0);
  BOOST_TEST(homeboy({"storage", "read", "--help"}).exit_code == 0);

  // Removing it is one fix.
  auto removed = homeboy({"module", "uninstall", "my-store", "--force"});
  BOOST_TEST_REQUIRE(removed.exit_code == 0, removed.out);
  auto status = homeboy({"storage", "status"});
  BOOST_TEST(status.exit_code == 0);
  BOOST_TEST(status.json().at("data").at("provider").at("module_id").as_string() == "builtin-filesystem");
}

BOOST_AUTO_TEST_CASE(a_folder_whose_manifest_is_not_json_may_be_a_provider) {
  ModuleBuilder(modules, "garbled").manifest_text("{\"name\": \"half a file").write();
  expect_fails_closed("garbled.json: not valid JSON", {"homeboy module uninstall garbled --force"});
  // Pinning a provider is another fix.
  write_file(dir / "config/homeboy.json", R"({"storage": "builtin-filesystem"})");
  auto status = homeboy({"storage", "status"});
  BOOST_TEST(status.exit_code == 0);
  BOOST_TEST(status.json().at("data").at("provider").at("selected_by").as_string() == "config");
  BOOST_TEST(contains(status.err, "garbled.json"), "still warned about");
}

BOOST_AUTO_TEST_CASE(a_broken_manifest_that_is_no_provider_does_not_stop_anything) {
  ModuleBuilder(modules, "helper").manifest_text(R"({"name": "helper", "runtime": {"executable": "true"}})").write();
  auto status = homeboy({"storage", "status"});
  BOOST_TEST(status.exit_code == 0);
  BOOST_TEST(status.json().at("data").at("provider").at("module_id").as_string() == "builtin-filesystem");
  BOOST_TEST(contains(status.err, "helper.json: missing \"version\""));
}

BOOST_AUTO_TEST_CASE(a_broken_pinned_provider_is_never_replaced) {
  ModuleBuilder(modules, "good-store").executable("true").write();
  ModuleBuilder(modules, "pinned-store")
      .manifest_text(R"({"name": "p", "runtime": {"executable": "true"}, "storage_provider": {"storage_type": "x"}})")
      .write();
  write_file(dir / "config/homeboy.json", R"({"storage": "pinned-store"})");
  expect_fails_closed("picked in " + (dir / "config/homeboy.json").string(), {"pick another provider"});
  auto r = homeboy({"storage", "status"});
  BOOST_TEST(r.json().at("error").at("details").at("pinned").as_bool());

  // Pinned and untrusted: the same stop, with the chmod that fixes it. (`true` answers
  // nothing: --offline, the provider is only chosen here.)
  ModuleBuilder(modules, "pinned-store").executable("true").write();
  BOOST_TEST(homeboy({"storage", "status", "--offline"}).exit_code == 0);
  fs::permissions(modules / "pinned-store", fs::perms::group_write, fs::perm_options::add);
  expect_fails_closed("not trusted", {"chmod go-w " + (modules / "pinned-store").string()});

  write_file(dir / "config/homeboy.json", R"({"storage": "good-store"})");
  auto status = homeboy({"storage", "status", "--offline"});
  BOOST_TEST(status.exit_code == 0);
  BOOST_TEST(status.json().at("data").at("provider").at("module_id").as_string() == "good-store");
}

BOOST_AUTO_TEST_CASE(a_broken_first_hit_is_not_replaced_by_a_later_folder_with_the_same_id) {
  ScratchDir extra;
  ModuleBuilder(extra.path(), "store")
      .manifest_text(R"({"name": "s", "runtime": {"executable": "true"}, "storage_provider": {"storage_type": "x"}})")
      .write();
  ModuleBuilder(modules, "store").executable("true").write();
  auto r = homeboy({"storage", "status"}, {{"HOMEBOY_MODULE_PATH", extra.path().string()}});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "config.broken_provider");
  BOOST_TEST(contains(r.err, (modules / "store").string() + " is shadowed by the one in " + (extra / "store").string()));
}

BOOST_AUTO_TEST_CASE(a_provider_dropped_into_the_modules_folder_does_not_hide_the_config) {
  auto made = homeboy({"server", "create", "web", "--json", R"({"password": "kept"})"});
  BOOST_TEST_REQUIRE(made.exit_code == 0, made.out);
  // Keeps its data elsewhere: it answers every list with an empty folder.
  fs::path other = ModuleBuilder(modules, "other-store").executable("/bin/sh empty.sh").write();
  write_file(other / "empty.sh", "read -r line\nprintf '{\"success\":true,\"entries\":[]}\\n'\n");

  for (auto args : {std::vector<std::string>{"server", "list"}, {"server", "create", "web", "--json", "{}"},
                    {"storage", "status"}}) {
    BOOST_TEST_CONTEXT(args.front() << " " << args[1]) {
      auto r = homeboy(args);
      BOOST_TEST(r.exit_code == 2);
      BOOST_TEST(error_code(r) == "config.provider_would_hide_config");
      std::string message(r.json().at("error").at("message").as_string());
      BOOST_TEST(contains(message, "'other-store'"), message);
      BOOST_TEST(contains(message, "1 config document"), message);
      std::string hints = json::serialize(r.json().at("error").at("hints"));
      BOOST_TEST(contains(hints, "homeboy storage migrate --from builtin-filesystem --to other-store"), hints);
      BOOST_TEST(contains(hints, "builtin-filesystem\\\" in " + config + "/homeboy.json"), hints);
    }
  }
  BOOST_TEST(homeboy({"module", "list"}).exit_code == 0);

  // Pinning the provider that holds them is one fix: the server is there, as it was.
  write_file(dir / "config/homeboy.json", R"({"storage": "builtin-filesystem"})");
  auto list = homeboy({"server", "list"});
  BOOST_TEST_REQUIRE(list.exit_code == 0, list.out);
  BOOST_TEST(list.json().at("data").at("count").as_int64() == 1);
  BOOST_TEST(list.json().at("data").at("servers").at(0).at("password").as_string() == "kept");

  // With no config documents there, the only provider is used, as before.
  BOOST_TEST(homeboy({"server", "delete", "web"}).exit_code == 0);
  fs::remove(dir / "config/homeboy.json");
  auto status = homeboy({"storage", "status"});
  BOOST_TEST_REQUIRE(status.exit_code == 0, status.out);
  BOOST_TEST(status.json().at("data").at("provider").at("selected_by").as_string() == "only_provider");
}

BOOST_AUTO_TEST_CASE(a_provider_dropped_in_that_sees_the_same_files_is_used) {
  BOOST_TEST_REQUIRE(homeboy({"server", "create", "web", "--json", "{}"}).exit_code == 0);
  fs::path script = bundled_module_dir("builtin-filesystem") / "storage.sh";
  ModuleBuilder(modules, "fs-copy").executable("bash " + script.string()).supports_batch().write();
  auto status = homeboy({"storage", "status"});
  BOOST_TEST(status.exit_code == 0, status.out);
  BOOST_TEST(status.json().at("data").at("provider").at("module_id").as_string() == "fs-copy");
}

BOOST_AUTO_TEST_CASE(a_native_fallback_is_warned_about_once_per_command) {
  fs::path module = modules / "fs-copy";
  fs::create_directories(module);
  fs::copy(bundled_module_dir("builtin-filesystem"), module, fs::copy_options::recursive);
  fs::rename(module / "builtin-filesystem.json", module / "fs-copy.json");
  write_file(module / "libhomeboy_builtin_filesystem.so", "corrupted");
  const std::string warning = "homeboy: warning: module 'fs-copy' runs its executable, not its native library (not_a_library";

  fs::create_directories(dir / "area");
  auto write = homeboy({"storage", "write", (dir / "area/a").string(), "--content", "x"});
  BOOST_TEST(write.exit_code == 0);
  BOOST_TEST(count(write.err, warning) == 1u, write.err);
  BOOST_TEST(homeboy({"server", "create", "s1", "--json", "{}"}).exit_code == 0);
  BOOST_TEST(homeboy({"server", "create", "s2", "--json", "{}"}).exit_code == 0);
  auto list = homeboy({"server", "list"});  // several storage operations, one warning
  BOOST_TEST(list.exit_code == 0, list.out);
  BOOST_TEST(count(list.err, "homeboy: warning:") == 1u, list.err);

  BOOST_TEST(homeboy({"--quiet", "server", "list"}).err == "");
  BOOST_TEST(homeboy({"-q", "storage", "status"}).err == "");
  BOOST_TEST(homeboy({"server", "list"}, {{"HOMEBOY_QUIET", "1"}}).err == "");
  BOOST_TEST(count(homeboy({"server", "list"}, {{"HOMEBOY_QUIET", "0"}}).err, warning) == 1u);
  BOOST_TEST(homeboy({"server", "list"}, {{"HOMEBOY_STORAGE_TRANSPORT", "subprocess"}}).err == "",
             "a transport forced on purpose is no surprise");
}

// A mistake in the provider's settings is the user's to fix: exit 2, storage.invalid_config,
// a hint naming the setting and the manifest, never the executable instead (it reads the same
// settings), whether the plugin runs in-process or isolated.
BOOST_AUTO_TEST_CASE(a_mistake_in_the_settings_is_no_reason_to_fall_back) {
  fs::path module = ModuleBuilder(modules, "fx")
                        .library_file(fixture_plugin("good"))
                        .executable("bash " + (bundled_module_dir("builtin-filesystem") / "storage.sh").string())
                        .config({{"port", "abc"}})
                        .write();
  fs::create_directories(dir / "area");
  for (std::string isolation : {"in_process", "process"}) {
    BOOST_TEST_CONTEXT(isolation) {
      auto r = homeboy({"storage", "write", (dir / "area/a").string(), "--content", "x"}, {{"HOMEBOY_ISOLATION", isolation}});
      BOOST_TEST(r.exit_code == 2, r.out);
      BOOST_TEST(error_code(r) == "storage.invalid_config");
      BOOST_TEST(r.json().at("error").at("retryable") == json::value(false));
      BOOST_TEST(r.json().at("error").at("details").at("setting") == json::value("port"));
      std::string hint(r.json().at("error").at("hints").at(0).at("message").as_string());
      BOOST_TEST(contains(hint, "Fix storage_provider.config.port in " + (module / "fx.json").string()), hint);
      BOOST_TEST(!contains(r.err, "runs its executable"), r.err);
    }
  }
  BOOST_TEST(!fs::exists(dir / "area/a"), "nothing was written by the executable instead");
}

BOOST_AUTO_TEST_SUITE_END()
