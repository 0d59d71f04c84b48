// Manifests, the module search path, and choosing the one active provider.
#define BOOST_TEST_MODULE manifest_discovery
#include <boost/test/unit_test.hpp>

#include "homeboy/providers/registry.hpp"
#include "support.hpp"

using namespace homeboy;
using namespace homeboy::test;

namespace {

std::string manifest_problem(const std::string& text) {
  try {
    parse_manifest(text, "/m/demo/demo.json");
    return "";
  } catch (const Error& e) {
    BOOST_TEST(e.code() == "config.invalid_manifest");
    BOOST_TEST((e.exit_code() == ExitCode::invalid));
    BOOST_TEST(std::string(e.what()).find("/m/demo/demo.json") != std::string::npos, "names the file");
    return std::string(e.details().at("problem").as_string());
  }
}

std::string selection_error(const Catalog& catalog, const fs::path& config_dir) {
  try {
    select_provider(catalog, config_dir);
    return "";
  } catch (const Error& e) {
    return std::string(e.code()) + ": " + e.what();
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_full_manifest_parses) {
  auto m = parse_manifest(R"({"name":"FS","version":"1.0.0","runtime":{"library":"lib.so","executable":"bash s.sh",
      "supports_batch":true,"persistent":true,"timeout_secs":2.5},
      "storage_provider":{"storage_type":"filesystem","config":{"root":"/x"}}})", "m.json");
  BOOST_TEST(m.name == "FS");
  BOOST_TEST(*m.runtime.library == "lib.so");
  BOOST_TEST(m.runtime.supports_batch);
  BOOST_TEST(m.runtime.persistent);
  BOOST_TEST(m.runtime.timeout.count() == 2500);
  BOOST_TEST(m.storage_provider->config.at("root").as_string() == "/x");
}

BOOST_AUTO_TEST_CASE(broken_manifests_name_the_problem) {
  BOOST_TEST(manifest_problem("{not json").find("not valid JSON") == 0);
  BOOST_TEST(manifest_problem("[]") == "the manifest must be a JSON object");
  BOOST_TEST(manifest_problem(R"({"version":"1"})") == "missing \"name\"");
  BOOST_TEST(manifest_problem(R"({"name":"x"})") == "missing \"version\"");
  BOOST_TEST(manifest_problem(R"({"name":5,"version":"1"})") == "\"name\" must be a non-empty string");
  BOOST_TEST(manifest_problem(R"({"name":"x","version":"1","runtime":[]})") == "\"runtime\" must be an object");
  BOOST_TEST(manifest_problem(R"({"name":"x","version":"1","runtime":{"persistent":"yes"}})") ==
             "\"runtime.persistent\" must be true or false");
  BOOST_TEST(manifest_problem(R"({"name":"x","version":"1","runtime":{"timeout_secs":0}})").find("timeout_secs") !=
             std::string::npos);
  BOOST_TEST(manifest_problem(R"({"name":"x","version":"1","runtime":{"executable":"bash 'oops"}})").find(
                 "unterminated") != std::string::npos);
  BOOST_TEST(manifest_problem(R"({"name":"x","version":"1","storage_provider":{"storage_type":"fs"}})").find(
                 "neither") != std::string::npos);
  BOOST_TEST(manifest_problem(R"({"name":"x","version":"1","runtime":{"executable":"a"},"storage_provider":{}})") ==
             "missing \"storage_provider.storage_type\"");
}

BOOST_AUTO_TEST_CASE(transactions_are_declared_only_with_what_they_need) {
  auto manifest = [](const std::string& capabilities, bool batch) {
    return R"({"name":"x","version":"1","runtime":{"executable":"a","supports_batch":)" + std::string(batch ? "true" : "false") +
           R"(},"storage_provider":{"storage_type":"t","capabilities":[)" + capabilities + "]}}";
  };
  auto full = parse_manifest(manifest(R"("versions","atomic_batch","transactions")", true), "m.json");
  BOOST_TEST(full.storage_provider->capabilities.transactions);
  BOOST_TEST(!parse_manifest(manifest(R"("versions","atomic_batch")", true), "m.json").storage_provider->capabilities.transactions);
  BOOST_TEST(manifest_problem(manifest(R"("versions","transactions")", true)) ==
             "\"storage_provider.capabilities\" declares \"transactions\" without \"atomic_batch\": transactions are "
             "all-or-nothing batches whose conditions hold");
  BOOST_TEST(manifest_problem(manifest(R"("transactions")", false)) ==
             "\"storage_provider.capabilities\" declares \"transactions\" without \"versions\", \"atomic_batch\" and "
             "\"runtime.supports_batch\": true: transactions are all-or-nothing batches whose conditions hold");
}

BOOST_AUTO_TEST_CASE(executables_split_into_argv_without_a_shell) {
  using V = std::vector<std::string>;
  BOOST_TEST((split_command("bash storage.sh") == V{"bash", "storage.sh"}));
  BOOST_TEST((split_command("  /usr/bin/python3   'my module.py' \"a b\" c\\ d ") ==
              V{"/usr/bin/python3", "my module.py", "a b", "c d"}));
  BOOST_TEST((split_command("echo $HOME;rm") == V{"echo", "$HOME;rm"}));
  BOOST_CHECK_THROW(split_command("   "), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(discovery_skips_broken_manifests_with_a_warning_and_keeps_the_rest) {
  ScratchDir dir;
  ModuleBuilder(dir.path(), "good").executable("true").write();
  ModuleBuilder(dir.path(), "broken").manifest_text("{\"name\": ").write();
  fs::create_directories(dir / "no-manifest");
  auto catalog = discover({dir.path()});
  BOOST_TEST_REQUIRE(catalog.modules.size() == 1u);
  BOOST_TEST(catalog.modules[0].id == "good");
  BOOST_TEST_REQUIRE(catalog.warnings.size() == 2u);
  std::string all = catalog.warnings[0] + "\n" + catalog.warnings[1];
  BOOST_TEST(all.find((dir / "broken" / "broken.json").string()) != std::string::npos);
  BOOST_TEST(all.find("not valid JSON") != std::string::npos);
  BOOST_TEST(all.find("no-manifest") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(first_hit_on_the_search_path_wins) {
  ScratchDir a, b;
  ModuleBuilder(a.path(), "dup").executable("first").write();
  ModuleBuilder(b.path(), "dup").executable("second").write();
  auto catalog = discover({a.path(), b.path()});
  BOOST_TEST_REQUIRE(catalog.find("dup") != nullptr);
  BOOST_TEST(*catalog.find("dup")->manifest.runtime.executable == "first");
}

BOOST_AUTO_TEST_CASE(search_path_order_is_env_then_config_then_bundled) {
  ScratchDir config;
  ::setenv("HOMEBOY_MODULE_PATH", "/one:/two", 1);
  auto path = module_search_path(config.path());
  ::unsetenv("HOMEBOY_MODULE_PATH");
  BOOST_TEST_REQUIRE(path.size() == 4u);
  BOOST_TEST(path[0] == fs::path("/one"));
  BOOST_TEST(path[1] == fs::path("/two"));
  BOOST_TEST(path[2] == config.path() / "modules");
  BOOST_TEST(path[3].filename() == "modules");
}

BOOST_AUTO_TEST_CASE(config_dir_follows_flag_env_xdg_home) {
  ::setenv("HOMEBOY_CONFIG_DIR", "/from-env", 1);
  ::setenv("XDG_CONFIG_HOME", "/xdg", 1);
  BOOST_TEST(resolve_config_dir(fs::path("/flag")) == fs::path("/flag"));
  BOOST_TEST(resolve_config_dir(std::nullopt) == fs::path("/from-env"));
  ::unsetenv("HOMEBOY_CONFIG_DIR");
  BOOST_TEST(resolve_config_dir(std::nullopt) == fs::path("/xdg/homeboy"));
  ::unsetenv("XDG_CONFIG_HOME");
  ::setenv("HOME", "/home/u", 1);
  BOOST_TEST(resolve_config_dir(std::nullopt) == fs::path("/home/u/.config/homeboy"));
}

BOOST_AUTO_TEST_CASE(selection_with_zero_one_and_two_other_providers) {
  ScratchDir modules, config;
  ModuleBuilder(modules.path(), "builtin-filesystem").executable("true").write();
  ModuleBuilder(modules.path(), "helper").executable("true").not_a_provider().write();

  auto none = discover({modules.path()}, modules.path());
  auto chosen = select_provider(none, config.path());
  BOOST_TEST(chosen.module->id == "builtin-filesystem");
  BOOST_TEST(homeboy::to_string(chosen.selected_by) == "default");

  ModuleBuilder(modules.path(), "sqlite-storage").executable("true").write();
  auto one = discover({modules.path()}, modules.path());
  chosen = select_provider(one, config.path());
  BOOST_TEST(chosen.module->id == "sqlite-storage");
  BOOST_TEST(homeboy::to_string(chosen.selected_by) == "only_provider");

  ModuleBuilder(modules.path(), "filesystem-php").executable("true").write();
  auto two = discover({modules.path()}, modules.path());
  std::string error = selection_error(two, config.path());
  BOOST_TEST(error.find("config.multiple_providers") == 0);
  BOOST_TEST(error.find("sqlite-storage") != std::string::npos);
  BOOST_TEST(error.find("filesystem-php") != std::string::npos);

  write_file(config / "homeboy.json", R"({"storage": "filesystem-php"})");
  chosen = select_provider(two, config.path());
  BOOST_TEST(chosen.module->id == "filesystem-php");
  BOOST_TEST(homeboy::to_string(chosen.selected_by) == "config");

  write_file(config / "homeboy.json", R"({"storage": "helper"})");
  BOOST_TEST(selection_error(two, config.path()).find("is not a storage provider") != std::string::npos);
  write_file(config / "homeboy.json", R"({"storage": "nope"})");
  BOOST_TEST(selection_error(two, config.path()).find("is not installed") != std::string::npos);
  write_file(config / "homeboy.json", "{oops");
  BOOST_TEST(selection_error(two, config.path()).find("config.invalid_config") == 0);
}

BOOST_AUTO_TEST_CASE(registry_refuses_a_second_activation) {
  ScratchDir config;
  Registry registry(discover({bundled_module_dir("builtin-filesystem").parent_path()}), config.path());
  registry.activate(TransportPreference::automatic);
  BOOST_CHECK_EXCEPTION(registry.activate(TransportPreference::automatic), Error, [](const Error& e) {
    return std::string(e.what()).find("already active") != std::string::npos;
  });
}
