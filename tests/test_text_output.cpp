// `-o text`: every command answers a person in text, with the same exit codes as its JSON;
// errors and their hints go to stderr; `--compact` and HOMEBOY_OUTPUT.
#define BOOST_TEST_MODULE text_output
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace homeboy::test;
namespace json = boost::json;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

fs::path source_module(const std::string& id) { return fs::path(HOMEBOY_TEST_SOURCE_MODULES_DIR) / id; }

struct TextFixture : CliFixture {
  // `homeboy -o text ...`, which must succeed; its stdout.
  std::string text(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {"-o", "text"});
    auto r = homeboy(std::move(args), {}, input);
    BOOST_TEST(r.exit_code == 0, r.out << r.err);
    BOOST_TEST(!has(r.out, "\"success\""), "text, not the envelope: " << r.out);
    return r.out;
  }
  // `homeboy -o text ...` that fails with `exit_code`.
  CliResult failing(std::vector<std::string> args, int exit_code) {
    args.insert(args.begin(), {"-o", "text"});
    auto r = homeboy(std::move(args));
    BOOST_TEST(r.exit_code == exit_code, r.out << r.err);
    return r;
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(text_output, TextFixture)

BOOST_AUTO_TEST_CASE(storage_commands_in_text) {
  auto status = text({"storage", "status"});
  BOOST_TEST(has(status, "provider:       builtin-filesystem (filesystem)\n"), status);
  BOOST_TEST(has(status, "transport:      native\n"));
  BOOST_TEST(has(status, "selected by:    default\n"));
  BOOST_TEST(has(status, "capabilities:   versions, binary\n"));
  BOOST_TEST(!has(status, "fallback"), "a line only when there is a fallback");

  BOOST_TEST(text({"storage", "ensure-dir", path("notes")}) == "folder " + path("notes") + " is there\n");
  auto wrote = text({"storage", "write", path("notes/a.txt"), "--content", "hello\n"});
  BOOST_TEST(wrote.starts_with("wrote 6 bytes to " + path("notes/a.txt") + " (version "), wrote);
  BOOST_TEST(text({"storage", "read", path("notes/a.txt")}) == "hello\n", "the content, as --raw gives it");
  text({"storage", "ensure-dir", path("notes/sub")});
  BOOST_TEST(text({"storage", "list", path("notes")}) == path("notes/a.txt") + "\n" + path("notes/sub") + "/\n");
  BOOST_TEST(text({"storage", "delete", path("notes/sub"), "--recursive"}) ==
             "deleted " + path("notes/sub") + " and everything in it\n");
  BOOST_TEST(text({"storage", "delete", path("notes/a.txt")}) == "deleted " + path("notes/a.txt") + "\n");

  std::string events = R"([{"operation":"write","path":")" + path("notes/b") + R"(","content":"xyz"},)" +
                       R"({"operation":"read","path":")" + path("notes/b") + R"("}])";
  auto batch = text({"storage", "batch", "-"}, events);
  BOOST_TEST(has(batch, "#  OPERATION  PATH"), batch);
  BOOST_TEST(has(batch, "2  read       " + path("notes/b") + "  ok (3 bytes)\n"), batch);
  BOOST_TEST(has(batch, "2 operations: 2 succeeded, 0 failed\n"), batch);
}

BOOST_AUTO_TEST_CASE(errors_go_to_stderr_with_their_hints_and_the_same_exit_code) {
  auto missing = failing({"storage", "read", path("nope")}, 4);
  BOOST_TEST(missing.out.empty());
  BOOST_TEST(missing.err.starts_with("homeboy: error: read " + path("nope") + " failed: "), missing.err);
  BOOST_TEST(has(missing.err, "(storage.not_found)"));

  auto folder = failing({"storage", "write", path("no-folder/x"), "--content", "x"}, 4);
  BOOST_TEST(has(folder.err, "homeboy: hint: Create the folder first: homeboy storage ensure-dir " + path("no-folder")),
             folder.err);

  fs::create_directories(dir / "tree/sub");
  auto tree = failing({"storage", "delete", path("tree")}, 2);
  BOOST_TEST(has(tree.err, "homeboy: hint: To delete a folder and everything in it: homeboy storage delete " +
                               path("tree") + " --recursive"),
             tree.err);

  // A batch that failed shows its results on stdout, then the error on stderr.
  std::string events = R"([{"operation":"read","path":")" + path("absent") + R"("}])";
  auto batch = homeboy({"-o", "text", "storage", "batch", "-"}, {}, events);
  BOOST_TEST(batch.exit_code == 1);
  BOOST_TEST(has(batch.out, "1  read       " + path("absent") + "  not_found: "), batch.out);
  BOOST_TEST(has(batch.err, "(storage.batch_failed)"), batch.err);
}

BOOST_AUTO_TEST_CASE(config_entities_in_text) {
  BOOST_TEST(text({"server", "create", "web-1", R"({"host": "web1.example.com"})"}) == "created server web-1\n");
  BOOST_TEST(text({"component", "create", "--json", R"([{"id": "api"}, {"id": "ui"}])"}) ==
             "created component api\ncreated component ui\n");
  BOOST_TEST(text({"project", "create", R"({"id": "website", "server_id": "web-1", "component_ids": ["api"]})"}) ==
             "created project website\n");
  BOOST_TEST(text({"project", "create", "website", "--skip-existing"}) == "skipped project website\n");

  BOOST_TEST(text({"project", "list"}) ==
             "ID       SERVER_ID  COMPONENT_IDS\n"
             "website  web-1      api\n");
  BOOST_TEST(text({"server", "list"}) == "ID     HOST\nweb-1  web1.example.com\n");
  auto shown = text({"project", "show", "website"});
  BOOST_TEST(has(shown, "server_id:      web-1\n"), shown);
  BOOST_TEST(has(shown, "component_ids:  api\n"), shown);

  BOOST_TEST(text({"project", "set", "website", R"({"name": "The site"})"}) == "updated project website: name\n");
  BOOST_TEST(text({"project", "set", "website", "--json", R"({"name": "The site"})"}) == "project website unchanged\n");
  BOOST_TEST(text({"server", "rename", "web-1", "web-2"}) ==
             "renamed server web-1 to web-2 (updated projects: website)\n");
  BOOST_TEST(text({"project", "delete", "website"}) == "deleted project website\n");
  BOOST_TEST(text({"component", "list"}) == "ID\napi\nui\n");
  text({"component", "delete", "api"});
  text({"component", "delete", "ui"});
  auto none = homeboy({"-o", "text", "component", "list"});
  BOOST_TEST(none.out.empty(), "stdout holds rows alone: " << none.out);
  BOOST_TEST(none.err == "homeboy: no components");

  auto unknown = failing({"server", "show", "web-3"}, 4);
  BOOST_TEST(unknown.err == "homeboy: error: no server 'web-3' (server.not_found)\n"
                            "homeboy: hint: Did you mean 'web-2'?\n"
                            "homeboy: hint: Run `homeboy server list` to see them all.");
  text({"component", "create", "cache"});
  auto other_kind = failing({"server", "show", "cache"}, 4);
  BOOST_TEST(has(other_kind.err, "homeboy: hint: 'cache' is a component: homeboy component show cache\n"), other_kind.err);
}

BOOST_AUTO_TEST_CASE(verbose_says_who_served_and_how_long_each_step_took) {
  auto run = homeboy({"--verbose", "server", "create", "web"});
  BOOST_TEST(run.exit_code == 0);
  BOOST_TEST(run.json().at("data").at("created").as_array().size() == 1u, "stdout holds the envelope as ever");
  BOOST_TEST(has(run.err, "homeboy: verbose: provider builtin-filesystem (native, selected by default, "), run.err);
  BOOST_TEST(has(run.err, "homeboy: verbose: batch of 1 (1 write): "), run.err);
  BOOST_TEST(has(run.err, "homeboy: verbose: homeboy server create: "), run.err);
  BOOST_TEST(has(run.err, " in all, "), run.err);
  BOOST_TEST(homeboy({"server", "list"}).err.empty(), "nothing of it without --verbose");
}

BOOST_AUTO_TEST_CASE(typed_set_and_dry_runs) {
  text({"server", "create", "web"});
  BOOST_TEST(text({"server", "set", "web", "host=web2.example.com", "port=2222", "tags=[\"a\",\"b\"]"}) ==
             "updated server web: host, port, tags\n");
  auto shown = homeboy({"server", "show", "web"}).json().at("data").at("server");
  BOOST_TEST(shown.at("host") == json::value("web2.example.com"), "kept as a string");
  BOOST_TEST(shown.at("port") == json::value(2222), "read as a number");
  BOOST_TEST(text({"server", "set", "web", "tags-=a", "settings.php=8.2"}) == "updated server web: settings, tags\n");
  shown = homeboy({"server", "show", "web"}).json().at("data").at("server");
  BOOST_TEST(shown.at("tags") == json::parse(R"(["b"])"));
  BOOST_TEST(shown.at("settings") == json::parse(R"({"php": 8.2})"));
  BOOST_TEST(text({"server", "set", "web", "port="}) == "updated server web: port\n");
  BOOST_TEST(!homeboy({"server", "show", "web"}).json().at("data").at("server").as_object().contains("port"));
  auto bad = failing({"server", "set", "web", "host"}, 2);
  BOOST_TEST(has(bad.err, "'host' is not key=value"), bad.err);

  // Arrays unite: a set that adds nothing says how to replace instead.
  BOOST_TEST(text({"server", "set", "web", "tags+=c"}) == "updated server web: tags\n");
  auto same = homeboy({"-o", "text", "server", "set", "web", R"({"tags": ["b"]})"});
  BOOST_TEST(same.out == "server web unchanged\n");
  BOOST_TEST(has(same.err, "--replace tags"), same.err);

  // --dry-run says what would change, and changes nothing.
  std::string before = homeboy({"server", "show", "web"}).out;
  BOOST_TEST(text({"server", "set", "web", "host=other", "--dry-run"}) ==
             "would update server web: host (dry run: nothing changed)\n");
  BOOST_TEST(text({"server", "rename", "web", "web9", "--dry-run"}) == "would rename server web to web9 (dry run: nothing changed)\n");
  BOOST_TEST(text({"server", "delete", "web", "--dry-run"}) == "would delete server web (dry run: nothing changed)\n");
  BOOST_TEST(text({"server", "create", "new1", "--dry-run"}) == "would be created: server new1\ndry run: nothing changed\n");
  BOOST_TEST(homeboy({"server", "show", "web"}).out == before);
  failing({"server", "show", "web9"}, 4);
  failing({"server", "show", "new1"}, 4);
  // A dry run meets the same refusals as the real thing.
  text({"project", "create", "site", R"({"server_id": "web"})"});
  auto refused = failing({"server", "delete", "web", "--dry-run"}, 2);
  BOOST_TEST(has(refused.err, "homeboy: hint: Remove the reference first: homeboy project set site server_id="), refused.err);
}

BOOST_AUTO_TEST_CASE(no_control_character_reaches_the_terminal) {
  // Neither C0 nor DEL nor C1 (U+0080..U+009F): ESC and CSI (U+009B) start escape sequences.
  auto raw_control = [](const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      auto byte = static_cast<unsigned char>(text[i]);
      if ((byte < 0x20 && byte != '\n') || byte == 0x7f) return true;
      if (byte == 0xc2 && i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xe0) == 0x80) return true;
    }
    return false;
  };
  text({"server", "create", "t1", "--json", R"({"k\u001b[31mey": "v", "val": "x\u009b2Jy"})"});
  auto shown = text({"server", "show", "t1"});
  BOOST_TEST(!raw_control(shown), shown);
  BOOST_TEST(has(shown, "k [31mey:"), shown);
  BOOST_TEST(has(shown, "x 2Jy\n"), shown);
  auto listed = text({"server", "list"});
  BOOST_TEST(!raw_control(listed), listed);
  BOOST_TEST(listed.starts_with("ID  K [31MEY  VAL\n"), listed);

  // Ids hold no control character of any kind.
  auto csi = homeboy({"server", "create", "evil\xC2\x9B" "2J"});
  BOOST_TEST(csi.exit_code == 2);
  BOOST_TEST(error_code(csi) == "config.invalid_id", csi.out);
  // A message quoting one shows it written out.
  auto refused = failing({"server", "show", "x\xC2\x9B" "31m\x1b[2J"}, 2);
  BOOST_TEST(!raw_control(refused.err), refused.err);
  BOOST_TEST(has(refused.err, "'x\\u009b31m\\x1b[2J' is not a valid server id"), refused.err);

  // A document an older homeboy let in, and a file that is no document: its id in the list
  // and the warning naming the file come out clean too.
  write_file(dir / "config/servers/old\xC2\x85.json", "{\"id\": \"old\\u0085\"}");
  write_file(dir / "config/servers/bad\x1b[2J.json", "not JSON");
  auto r = homeboy({"-o", "text", "server", "list"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(!raw_control(r.out), r.out);
  BOOST_TEST(has(r.out, "\nold\n"), r.out);
  BOOST_TEST(has(r.err, "homeboy: warning: "), r.err);
  BOOST_TEST(!raw_control(r.err), r.err);
  auto quiet = homeboy({"-o", "text", "--quiet", "server", "list"});
  BOOST_TEST(quiet.exit_code == 0, quiet.err);
  BOOST_TEST(quiet.err.empty(), "--quiet silences the warning: " << quiet.err);
}

BOOST_AUTO_TEST_CASE(module_commands_in_text) {
  auto list = text({"module", "list"});
  BOOST_TEST(list.starts_with("ID                  VERSION  STORAGE     NAME\n"), list);
  BOOST_TEST(has(list, "builtin-filesystem  1.0.0    filesystem  Filesystem Storage\n"), list);

  auto show = text({"module", "show", "builtin-filesystem"});
  BOOST_TEST(has(show, "id:"), show);
  BOOST_TEST(has(show, "runtime:\n  library:"), show);

  fs::path helper = ModuleBuilder(dir.path(), "helper").executable("true").not_a_provider().write();
  auto installed = text({"module", "install", helper.string()});
  BOOST_TEST(installed == "installed helper to " + config + "/modules/helper\n", installed);
  auto with_check = text({"module", "install", source_module("filesystem-php").string(), "--no-check"});
  BOOST_TEST(has(with_check, "check: not run (--no-check)\n"), with_check);
  // Not checked is not passed: only --activate makes it active (docs/module-authoring.md).
  BOOST_TEST(has(with_check, "active provider: builtin-filesystem\n"), with_check);
  BOOST_TEST(has(with_check, "pinned: builtin-filesystem in " + config + "/homeboy.json (before: nothing)\n"), with_check);
  BOOST_TEST(has(with_check, "hint: 'filesystem-php' was not checked (--no-check), so it was not activated."), with_check);

  auto refused = failing({"module", "uninstall", "helper"}, 2);
  BOOST_TEST(has(refused.err, "homeboy: hint: To remove it: homeboy module uninstall helper --force"), refused.err);
  BOOST_TEST(text({"module", "uninstall", "helper", "--force"}) == "removed helper (" + config + "/modules/helper)\n");

  // A runtime folder of this test's own: `module daemons` lists every daemon of the user, and
  // other tests run theirs meanwhile.
  fs::create_directories(dir / "run");
  fs::permissions(dir / "run", fs::perms::owner_all);
  Env own_runtime{{"XDG_RUNTIME_DIR", (dir / "run").string()}};
  auto daemons = homeboy({"-o", "text", "module", "daemons"}, own_runtime);
  BOOST_TEST(daemons.exit_code == 0, daemons.err);
  BOOST_TEST(has(daemons.out, "no module daemons run"), daemons.out);
  auto stop = homeboy({"-o", "text", "module", "stop", "builtin-filesystem"}, own_runtime);
  BOOST_TEST(stop.out == "no daemon was running\n", stop.out << stop.err);

  auto tested = text({"module", "test", "filesystem-php"});
  BOOST_TEST(has(tested, "PASS  roundtrip_empty\n"), tested);
  BOOST_TEST(has(tested, "filesystem-php over subprocess: "), tested);
}

BOOST_AUTO_TEST_CASE(moving_the_config_in_text) {
  text({"server", "create", "web-1"});
  text({"module", "install", source_module("filesystem-php").string(), "--no-check"});
  auto plan = text({"storage", "migrate", "--to", "filesystem-php", "--dry-run"});
  BOOST_TEST(has(plan, "would copy the config from builtin-filesystem to filesystem-php (dry run: nothing written)\n"),
             plan);
  BOOST_TEST(has(plan, "documents: 1  copied: 0  replaced: 0  unchanged: 1"), plan);
  BOOST_TEST(has(plan, "unchanged  " + config + "/servers/web-1.json\n"), plan);

  auto exported = text({"storage", "export", path("backup.jsonl")});
  BOOST_TEST(exported == "exported 1 document from builtin-filesystem to " + path("backup.jsonl") + " (" +
                             std::to_string(fs::file_size(dir / "backup.jsonl")) + " bytes)\n",
             exported);
  auto to_stdout = text({"storage", "export"});
  BOOST_TEST(to_stdout.starts_with("{\"format\":\"homeboy-config-archive\""), "the archive itself: " << to_stdout);
  auto imported = text({"storage", "import", path("backup.jsonl")});
  BOOST_TEST(has(imported, "imported " + path("backup.jsonl") + " into builtin-filesystem (exported from "), imported);
  BOOST_TEST(has(imported, "unchanged: 1"), imported);

  auto moved = text({"storage", "migrate", "--to", "filesystem-php"});
  BOOST_TEST(has(moved, "filesystem-php is now the active provider (\"storage\" in " + config + "/homeboy.json; was "),
             moved);
}

BOOST_AUTO_TEST_CASE(version_help_and_completion_are_text_by_nature) {
  auto version = run_cli({"version"});
  BOOST_TEST(version.exit_code == 0);
  BOOST_TEST(version.out.starts_with("homeboy "));
  auto as_json = run_cli({"version", "-o", "json"});
  BOOST_TEST(as_json.json().at("data").at("contract_version").as_int64() == 2);
  BOOST_TEST(run_cli({"-V"}).out == version.out);
  BOOST_TEST(run_cli({"--version"}).out == version.out);
  BOOST_TEST(run_cli({"completion", "bash"}).out.find("complete -F _homeboy homeboy") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(compact_json_and_the_environment_variable) {
  auto compact = homeboy({"storage", "status", "--compact"});
  BOOST_TEST(compact.exit_code == 0);
  BOOST_TEST(compact.out.find('\n') == compact.out.size() - 1, "one line: " << compact.out);
  BOOST_TEST(compact.json().at("data").at("provider").at("module_id").as_string() == "builtin-filesystem");
  auto compact_error = homeboy({"storage", "read", path("nope"), "--compact"});
  BOOST_TEST(compact_error.exit_code == 4);
  BOOST_TEST(compact_error.out.find('\n') == compact_error.out.size() - 1, compact_error.out);

  auto from_env = homeboy({"storage", "status"}, {{"HOMEBOY_OUTPUT", "text"}});
  BOOST_TEST(has(from_env.out, "transport:      native\n"), from_env.out);
  auto overridden = homeboy({"storage", "status", "-o", "json"}, {{"HOMEBOY_OUTPUT", "text"}});
  BOOST_TEST(overridden.json().at("success").as_bool());
  auto wrong = homeboy({"storage", "status"}, {{"HOMEBOY_OUTPUT", "yaml"}});
  BOOST_TEST(wrong.exit_code == 2);
  BOOST_TEST(error_code(wrong) == "config.invalid_environment");
  // module test is text unless asked otherwise, by -o json or its own --json.
  auto test_json = homeboy({"module", "test", "builtin-filesystem", "-o", "json"});
  BOOST_TEST(test_json.json().at("data").at("module").as_string() == "builtin-filesystem");
}

BOOST_AUTO_TEST_SUITE_END()
