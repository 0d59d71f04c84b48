// Trust checks (docs/security.md): what a module folder may look like before the host loads
// or runs anything from it, each refusal with the command that fixes it.
#define BOOST_TEST_MODULE trust
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "homeboy/providers/registry.hpp"
#include "homeboy/transport/subprocess_transport.hpp"
#include "homeboy/modules/trust.hpp"
#include "support.hpp"

#include <sys/stat.h>
#include <unistd.h>

using namespace homeboy;
using namespace homeboy::test;
namespace json = boost::json;
using trust::Kind;
using trust::Place;

namespace {

constexpr uid_t alice = 1000, bob = 1001;

std::optional<trust::Problem> judge(uid_t owner, mode_t mode, uid_t user, Place place = Place::exclusive) {
  return trust::judge("/m/x", trust::Facts{owner, mode}, user, place);
}

void add_perms(const fs::path& p, fs::perms perms) { fs::permissions(p, perms, fs::perm_options::add); }

struct Fixture {
  ScratchDir dir;
  fs::path root = dir / "modules";
  fs::path bundled = dir / "bundled";

  Fixture() {
    fs::create_directories(root);
    fs::create_directories(bundled);
  }

  Catalog catalog() { return discover({root, bundled}, bundled); }

  // The refusal of module `id`, or "" when it loaded.
  std::string refusal(const std::string& id) {
    auto c = catalog();
    if (c.find(id)) return "";
    const RefusedModule* r = c.find_refused(id);
    BOOST_TEST_REQUIRE(r != nullptr, "module '" << id << "' is neither loaded nor refused");
    return std::string(r->reason.code()) + ": " + r->reason.what() +
           " | hints: " + json::serialize(json::value_from(r->reason.hints()));
  }

  std::vector<std::string> problem_kinds(const std::string& id) {
    auto c = catalog();
    const RefusedModule* r = c.find_refused(id);
    BOOST_TEST_REQUIRE(r != nullptr);
    std::vector<std::string> kinds;
    for (const auto& p : r->reason.details().at("problems").as_array())
      kinds.emplace_back(p.at("kind").as_string());
    return kinds;
  }

  fs::path script_module(const std::string& id) {
    fs::path folder = ModuleBuilder(root, id).executable("bash run.sh").write();
    write_file(folder / "run.sh", "echo '{\"success\":true,\"data\":\"ran\"}'\n");
    return folder;
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// --- The rule, with explicit users: right for root (as CI runs) and for a normal user. ---

BOOST_AUTO_TEST_CASE(the_owner_must_be_the_user_or_root) {
  BOOST_TEST(!judge(alice, S_IFREG | 0644, alice));
  BOOST_TEST(!judge(0, S_IFREG | 0755, alice), "root-owned files are trusted by every user");
  BOOST_TEST(!judge(0, S_IFREG | 0644, 0));
  auto other = judge(bob, S_IFREG | 0644, alice);
  BOOST_TEST_REQUIRE(other.has_value());
  BOOST_TEST((other->kind == Kind::foreign_owner));
  BOOST_TEST(other->fix.starts_with("chown "));
  BOOST_TEST(other->fix.ends_with(" /m/x"));
  BOOST_TEST(judge(alice, S_IFREG | 0644, 0).has_value(), "root does not trust a normal user's files either");
}

BOOST_AUTO_TEST_CASE(group_or_world_writable_is_refused_with_chmod_go_w) {
  for (mode_t mode : {mode_t(0664), mode_t(0646), mode_t(0666), mode_t(0775), mode_t(0777)}) {
    BOOST_TEST_CONTEXT("mode " << std::oct << mode) {
      for (uid_t user : {uid_t(0), alice}) {
        auto p = judge(user, S_IFREG | mode, user);
        BOOST_TEST_REQUIRE(p.has_value());
        BOOST_TEST((p->kind == Kind::writable_by_others));
        BOOST_TEST(p->fix == "chmod go-w /m/x");
      }
    }
  }
  auto both = judge(bob, S_IFREG | 0666, alice);
  BOOST_TEST_REQUIRE(both.has_value());
  BOOST_TEST((contains(both->fix, "chown ") && contains(both->fix, " && chmod go-w /m/x")));
  BOOST_TEST(contains(both->what, "writable by group and others"));
}

BOOST_AUTO_TEST_CASE(a_sticky_folder_is_fine_above_the_modules_but_not_as_one) {
  BOOST_TEST(!judge(0, S_IFDIR | 01777, alice, Place::ancestor), "/tmp above a module folder");
  BOOST_TEST(judge(0, S_IFDIR | 01777, alice, Place::exclusive).has_value(), "others could add modules");
  BOOST_TEST(judge(0, S_IFDIR | 0777, alice, Place::ancestor).has_value(), "no sticky bit: others can rename");
  BOOST_TEST(judge(bob, S_IFDIR | 01777, alice, Place::ancestor).has_value(), "a sticky folder of another user");
}

BOOST_AUTO_TEST_CASE(fixes_quote_paths_for_the_shell) {
  BOOST_TEST(trust::shell_quote("/a/b-c_d.json") == "/a/b-c_d.json");
  BOOST_TEST(trust::shell_quote("/a b/it's") == "'/a b/it'\\''s'");
}

// --- Discovery refuses what the rule refuses, and says how to fix it. ---

BOOST_FIXTURE_TEST_SUITE(discovery, Fixture)

BOOST_AUTO_TEST_CASE(a_plain_module_is_trusted) {
  script_module("plain");
  ModuleBuilder(root, "system-tool").executable("true").write();
  BOOST_TEST(refusal("plain") == "");
  BOOST_TEST(refusal("system-tool") == "");
  BOOST_TEST(catalog().warnings.empty());
}

BOOST_AUTO_TEST_CASE(a_group_writable_module_folder_is_refused) {
  fs::path folder = script_module("group-folder");
  add_perms(folder, fs::perms::group_write);
  std::string why = refusal("group-folder");
  BOOST_TEST(why.starts_with("config.untrusted_module"), why);
  BOOST_TEST(contains(why, folder.string() + " is writable by group"), why);
  BOOST_TEST(contains(why, "chmod go-w " + folder.string()), why);
  auto warnings = catalog().warnings;
  BOOST_TEST_REQUIRE(warnings.size() == 1u);
  BOOST_TEST(contains(warnings[0], "chmod go-w " + folder.string()), "the warning carries the fix");
}

BOOST_AUTO_TEST_CASE(a_world_writable_manifest_is_refused) {
  fs::path folder = script_module("world-manifest");
  add_perms(folder / "world-manifest.json", fs::perms::others_write);
  std::string why = refusal("world-manifest");
  BOOST_TEST(contains(why, "world-manifest.json is writable by others"), why);
  BOOST_TEST(contains(why, "chmod go-w " + (folder / "world-manifest.json").string()), why);
}

BOOST_AUTO_TEST_CASE(a_group_writable_executable_or_script_is_refused) {
  fs::path folder = script_module("group-script");
  add_perms(folder / "run.sh", fs::perms::group_write);
  BOOST_TEST(contains(refusal("group-script"), "run.sh is writable by group"));

  fs::path direct = ModuleBuilder(root, "group-exe").executable("./run").write();
  write_file(direct / "run", "#!/bin/sh\n");
  fs::permissions(direct / "run", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_write);
  BOOST_TEST(contains(refusal("group-exe"), "run is writable by group"));
}

BOOST_AUTO_TEST_CASE(a_writable_search_path_folder_refuses_every_module_in_it) {
  script_module("one");
  script_module("two");
  add_perms(root, fs::perms::others_write);
  BOOST_TEST(contains(refusal("one"), root.string() + " is writable by others"));
  BOOST_TEST(contains(refusal("two"), "chmod go-w " + root.string()));
  fs::permissions(root, fs::perms::others_write, fs::perm_options::remove);
  add_perms(root, fs::perms::others_write | fs::perms::sticky_bit);
  BOOST_TEST(refusal("one") != "", "sticky is not enough: others could still add module folders");
}

BOOST_AUTO_TEST_CASE(a_folder_owned_by_another_user_is_refused) {
  if (::geteuid() != 0) return;  // only root can give a file away; the rule itself is checked above
  fs::path folder = script_module("foreign");
  BOOST_TEST_REQUIRE(::chown(folder.c_str(), 65534, 65534) == 0);
  std::string why = refusal("foreign");
  BOOST_TEST(contains(why, "not by root"), why);
  BOOST_TEST(contains(why, "chown root " + folder.string()), why);
  BOOST_TEST(problem_kinds("foreign") == std::vector<std::string>{"foreign_owner"});
}

BOOST_AUTO_TEST_CASE(a_library_outside_the_module_folder_is_refused) {
  ModuleBuilder(root, "lib-up").library("../shared/libx.so").write();
  ModuleBuilder(root, "lib-abs").library(fixture_plugin("good").string()).write();
  BOOST_TEST(contains(refusal("lib-up"), "runtime.library '../shared/libx.so' is outside the module folder"));
  BOOST_TEST(contains(refusal("lib-abs"), "runtime.library '" + fixture_plugin("good").string() + "' is outside"));
  BOOST_TEST(problem_kinds("lib-up") == std::vector<std::string>{"outside_module"});

  fs::path linked = ModuleBuilder(root, "lib-link").library("libx.so").write();
  fs::create_symlink(fixture_plugin("good"), linked / "libx.so");
  std::string why = refusal("lib-link");
  BOOST_TEST(contains(why, "leads to " + fs::canonical(fixture_plugin("good")).string()), why);

  ModuleBuilder(root, "lib-inside").library_file(fixture_plugin("good")).write();
  BOOST_TEST(refusal("lib-inside") == "", "a copy in the folder is fine");
  ModuleBuilder(root, "lib-missing").library("absent.so").executable("true").write();
  BOOST_TEST(refusal("lib-missing") == "", "a missing library is the native transport's to report (and fall back)");
}

BOOST_AUTO_TEST_CASE(open_provider_refuses_an_outside_library_even_without_discovery) {
  Module m = ModuleBuilder(root, "direct").library(fixture_plugin("good").string()).load();
  BOOST_CHECK_EXCEPTION(open_provider(m, dir.path(), TransportPreference::automatic), Error,
                        [](const Error& e) { return e.code() == "config.untrusted_module"; });
}

BOOST_AUTO_TEST_CASE(an_executable_outside_the_module_folder_is_refused) {
  fs::path elsewhere = dir / "elsewhere";
  fs::create_directories(elsewhere);
  write_file(elsewhere / "tool", "#!/bin/sh\n");
  fs::permissions(elsewhere / "tool", fs::perms::owner_all);
  ModuleBuilder(root, "exe-abs").executable((elsewhere / "tool").string()).write();
  ModuleBuilder(root, "exe-up").executable("../../elsewhere/tool").write();
  fs::path linked = ModuleBuilder(root, "exe-link").executable("./tool").write();
  fs::create_symlink(elsewhere / "tool", linked / "tool");

  std::string abs = refusal("exe-abs");
  BOOST_TEST(contains(abs, "outside the module folder and outside /usr/local/bin, /usr/bin and /bin"), abs);
  BOOST_TEST(problem_kinds("exe-abs") == std::vector<std::string>{"not_a_system_path"});
  BOOST_TEST(contains(refusal("exe-up"), "runtime.executable '../../elsewhere/tool' is outside the module folder"));
  BOOST_TEST(contains(refusal("exe-link"), "leads to " + (elsewhere / "tool").string()));

  ModuleBuilder(root, "interpreters").executable("/usr/bin/env true").write();
  ModuleBuilder(root, "via-bin").executable("/bin/sh -c true").write();
  BOOST_TEST(refusal("interpreters") == "", "system interpreters are allowed");
  BOOST_TEST(refusal("via-bin") == "", "/bin may be a link to /usr/bin");
}

BOOST_AUTO_TEST_CASE(a_script_named_outside_the_module_folder_is_refused) {
  // `bash /somewhere/evil.sh` or `bash ../../evil.sh`: the script is the module's code too.
  fs::path open_dir = dir / "open";
  fs::create_directories(open_dir);
  fs::permissions(open_dir, fs::perms::all);
  write_file(open_dir / "evil.sh", "echo '{\"success\":true}'\n");
  fs::permissions(open_dir / "evil.sh", fs::perms::all & ~(fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec));
  ModuleBuilder(root, "abs-script").executable("bash " + (open_dir / "evil.sh").string()).write();
  std::string abs = refusal("abs-script");
  BOOST_TEST(contains(abs, "the argument '" + (open_dir / "evil.sh").string() + "'"), abs);
  BOOST_TEST(contains(abs, "writable by group and others"), abs);

  fs::path relative = std::filesystem::relative(open_dir / "evil.sh", root / "up-script");
  ModuleBuilder(root, "up-script").executable("bash " + relative.string()).write();
  BOOST_TEST(contains(refusal("up-script"), "is outside the module folder"), relative.string());

  ModuleBuilder(root, "etc-arg").executable("bash -c true /etc/hostname").write();
  BOOST_TEST(refusal("etc-arg") == "", "a file root owns and keeps closed may be named");
}

BOOST_AUTO_TEST_CASE(module_command_runs_only_what_discovery_would_allow) {
  Module m = ModuleBuilder(root, "cmd").executable("../outside.sh").load();
  write_file(root / "outside.sh", "echo hi\n");
  fs::permissions(root / "outside.sh", fs::perms::owner_all);
  BOOST_CHECK_EXCEPTION(module_command(m, dir.path(), "--storage-operation"), Error,
                        [](const Error& e) { return e.code() == "config.untrusted_module"; });
}

BOOST_AUTO_TEST_CASE(a_linked_module_folder_is_judged_by_its_target) {
  fs::path safe = dir / "src";
  fs::create_directories(safe);
  ModuleBuilder(safe, "linked-ok").executable("true").write();
  fs::create_directory_symlink(safe / "linked-ok", root / "linked-ok");
  BOOST_TEST(refusal("linked-ok") == "", "a link to a folder that passes the checks");

  fs::path open = dir / "open";
  fs::create_directories(open);
  ModuleBuilder(open, "linked-escape").executable("true").write();
  fs::permissions(open, fs::perms::all);  // 0777, no sticky bit: anyone may swap the target
  fs::create_directory_symlink(open / "linked-escape", root / "linked-escape");
  std::string why = refusal("linked-escape");
  BOOST_TEST(contains(why, open.string() + " is writable by group and others"), why);

  add_perms(open, fs::perms::sticky_bit);
  BOOST_TEST(refusal("linked-escape") == "", "a sticky folder (like /tmp) above the target is fine");

  fs::path group = dir / "group-target";
  ModuleBuilder(dir.path(), "group-target").executable("true").write();
  add_perms(group, fs::perms::group_write);
  fs::create_directory_symlink(group, root / "group-target");
  BOOST_TEST(contains(refusal("group-target"), group.string() + " is writable by group"));
}

BOOST_AUTO_TEST_CASE(builtin_filesystem_cannot_be_shadowed_silently) {
  ModuleBuilder(bundled, "builtin-filesystem").executable("true").write();
  ModuleBuilder(root, "builtin-filesystem").executable("true").write();
  std::string why = refusal("builtin-filesystem");
  BOOST_TEST(contains(why, "would replace the builtin-filesystem shipped with homeboy"), why);
  BOOST_TEST(contains(why, "overrides_builtin"), why);
  BOOST_TEST(problem_kinds("builtin-filesystem") == std::vector<std::string>{"shadows_builtin"});
  BOOST_CHECK_EXCEPTION(select_provider(catalog(), dir.path()), Error,
                        [](const Error& e) { return e.code() == "config.broken_provider"; });

  ModuleBuilder(root, "builtin-filesystem").executable("true").overrides_builtin().write();
  auto c = catalog();
  const Module* chosen = c.find("builtin-filesystem");
  BOOST_TEST_REQUIRE(chosen != nullptr);
  BOOST_TEST(chosen->dir == root / "builtin-filesystem");
  BOOST_TEST_REQUIRE(chosen->overrides.has_value());
  BOOST_TEST(*chosen->overrides == fs::canonical(bundled) / "builtin-filesystem/builtin-filesystem.json");
  BOOST_TEST(c.warnings.empty(), "an explicit override is not warned about");
}

BOOST_AUTO_TEST_CASE(a_duplicate_id_further_down_is_warned_about_naming_both_places) {
  ScratchDir extra;
  ModuleBuilder(extra.path(), "dup").executable("true").write();
  ModuleBuilder(root, "dup").executable("true").write();
  auto c = discover({extra.path(), root}, bundled);
  BOOST_TEST_REQUIRE(c.find("dup") != nullptr);
  BOOST_TEST(c.find("dup")->dir == extra / "dup");
  BOOST_TEST_REQUIRE(c.warnings.size() == 1u);
  BOOST_TEST(contains(c.warnings[0], (root / "dup").string()));
  BOOST_TEST(contains(c.warnings[0], (extra / "dup").string()));
}

BOOST_AUTO_TEST_CASE(a_refused_first_hit_keeps_its_id) {
  ScratchDir extra;
  ModuleBuilder(extra.path(), "dup").executable("true").write();
  add_perms(extra / "dup", fs::perms::group_write);
  ModuleBuilder(root, "dup").executable("true").write();
  auto c = discover({extra.path(), root}, bundled);
  BOOST_TEST(c.find("dup") == nullptr, "the folder further down does not take the refused one's place");
  BOOST_TEST(c.find_refused("dup") != nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

// --- The same checks through the CLI. ---

BOOST_FIXTURE_TEST_SUITE(cli, CliFixture)

BOOST_AUTO_TEST_CASE(status_names_an_explicit_override_of_builtin_filesystem) {
  fs::path modules = dir / "config/modules";
  ModuleBuilder(modules, "builtin-filesystem")
      .executable("bash " + (bundled_module_dir("builtin-filesystem") / "storage.sh").string())
      .storage_type("filesystem")
      .write();
  auto refused = homeboy({"storage", "status"});
  BOOST_TEST(refused.exit_code == 2);
  BOOST_TEST(error_code(refused) == "config.broken_provider");
  BOOST_TEST(contains(refused.out, "overrides_builtin"));

  ModuleBuilder(modules, "builtin-filesystem")
      .executable("bash " + (bundled_module_dir("builtin-filesystem") / "storage.sh").string())
      .storage_type("filesystem")
      .overrides_builtin()
      .write();
  auto status = homeboy({"storage", "status"});
  BOOST_TEST_REQUIRE(status.exit_code == 0, status.out);
  auto provider = status.json().at("data").at("provider");
  BOOST_TEST(provider.at("manifest_path").as_string() == (modules / "builtin-filesystem/builtin-filesystem.json").string());
  BOOST_TEST(provider.at("overrides").as_string() ==
             fs::canonical(bundled_module_dir("builtin-filesystem") / "builtin-filesystem.json").string());
}

BOOST_AUTO_TEST_CASE(install_takes_away_group_write_and_refuses_an_untrusted_link) {
  fs::path source = ModuleBuilder(dir.path(), "loose").executable("bash run.sh").write();
  write_file(source / "run.sh", "echo '{\"success\":true,\"data\":\"ran\"}'\n");
  add_perms(source / "run.sh", fs::perms::group_write | fs::perms::others_write);
  add_perms(source, fs::perms::group_write);
  auto copied = homeboy({"module", "install", source.string(), "--no-check", "--activate"});
  BOOST_TEST_REQUIRE(copied.exit_code == 0, copied.out);
  auto installed = fs::status(dir / "config/modules/loose/run.sh").permissions();
  BOOST_TEST(((installed & (fs::perms::group_write | fs::perms::others_write)) == fs::perms::none));
  BOOST_TEST(homeboy({"storage", "read", "/x", "--raw"}).out == "ran");

  fs::path open = dir / "open";
  fs::create_directories(open);
  ModuleBuilder(open, "open-link").executable("true").write();
  fs::permissions(open, fs::perms::all);
  auto linked = homeboy({"module", "install", (open / "open-link").string(), "--link"});
  BOOST_TEST(linked.exit_code == 2);
  BOOST_TEST(error_code(linked) == "config.untrusted_module");
  BOOST_TEST(contains(linked.out, "chmod go-w " + open.string()));
  BOOST_TEST(!fs::exists(fs::symlink_status(dir / "config/modules/open-link")), "the link is taken back");
}

BOOST_AUTO_TEST_CASE(module_test_of_an_untrusted_folder_is_refused) {
  fs::path folder = ModuleBuilder(dir.path(), "loose").executable("true").write();
  add_perms(folder / "loose.json", fs::perms::others_write);
  auto r = homeboy({"module", "test", folder.string(), "--json"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "config.untrusted_module");
}

BOOST_AUTO_TEST_SUITE_END()
