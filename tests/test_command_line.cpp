// The command line as a person meets it: global options anywhere, every mistake in
// homeboy's own words with the fix, help at every level made from the command tables (and
// the man page from the same), create and set taking a document the same ways.
#define BOOST_TEST_MODULE command_line
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "cli/command_table.hpp"
#include "cli/help.hpp"
#include "homeboy/text.hpp"
#include "support.hpp"

#include <sstream>

using namespace homeboy::test;
namespace cli = homeboy::cli;
namespace json = boost::json;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string message(const CliResult& r) { return std::string(r.json().at("error").at("message").as_string()); }
std::string hints(const CliResult& r) { return json::serialize(r.json().at("error").at("hints")); }

// A name as roff writes it: a hyphen escaped, so that it is not set as a dash.
std::string roff(std::string_view name) {
  std::string out;
  for (char c : name) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

// Boost.Program_options' own wording, which must never reach the user.
void in_our_words(const CliResult& r) {
  for (const char* leak : {"required but missing", "too many positional", "[ --", "the required argument",
                           "unrecognised option", "should follow immediately", "option '--"})
    BOOST_TEST(!has(r.out + r.err, leak), "'" << leak << "' in: " << r.out << r.err);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(command_line, CliFixture)

BOOST_AUTO_TEST_CASE(global_options_are_taken_anywhere_on_the_line) {
  std::string other = (dir / "other").string();
  for (std::vector<std::string> args : {std::vector<std::string>{"--config-dir", other, "storage", "status"},
                                        {"storage", "--config-dir", other, "status"},
                                        {"storage", "status", "--config-dir", other},
                                        {"storage", "status", "--config-dir=" + other, "-q", "--compact"}}) {
    auto r = run_cli(args);
    BOOST_TEST(r.exit_code == 0, r.out);
    BOOST_TEST(r.json().at("data").at("config_dir").as_string() == other);
  }
  auto text = homeboy({"storage", "-o", "text", "status"});
  BOOST_TEST(has(text.out, "transport:"), text.out);
  BOOST_TEST(has(homeboy({"storage", "status", "-otext"}).out, "transport:"));
  // After "--" every word is an argument, even one that looks like an option.
  auto literal = homeboy({"storage", "read", "--", "-q"});
  BOOST_TEST(literal.exit_code == 4);
  BOOST_TEST(literal.json().at("error").at("details").at("path").as_string().ends_with("/-q"));
  // A value that starts with '-' or is empty is the value, not an option.
  std::string file = (dir / "dash").string();
  BOOST_TEST(homeboy({"storage", "write", file, "--content", "-q"}).exit_code == 0);
  BOOST_TEST(read_file(file) == "-q");
  BOOST_TEST(homeboy({"storage", "write", file, "--content="}).exit_code == 0);
  BOOST_TEST(read_file(file).empty());
  // Not even the words of -V or --help: a value is data, and the command runs.
  for (std::string value : {"-V", "--version", "--help", "-h"}) {
    BOOST_TEST(homeboy({"storage", "write", file, "--content", value}).exit_code == 0);
    BOOST_TEST(read_file(file) == value);
  }
  // A switch given twice is still on.
  auto twice = homeboy({"storage", "read", file, "--raw", "--raw"});
  BOOST_TEST(twice.exit_code == 0, twice.err);
  BOOST_TEST(twice.out == "-h");
}

BOOST_AUTO_TEST_CASE(version_and_text_commands_report_as_asked) {
  // -V is `homeboy version`, -o json included.
  auto v = homeboy({"-V", "-o", "json"});
  BOOST_TEST_REQUIRE(v.exit_code == 0, v.err);
  BOOST_TEST(v.json().at("data").at("plugin_abi_version").is_number());
  BOOST_TEST(homeboy({"-V"}).out.starts_with("homeboy "));
  // A mistake in the line of a command that prints text is text on stderr: nothing that
  // `eval "$(homeboy completion)"` would run.
  for (std::vector<std::string> args : {std::vector<std::string>{"completion"}, {"version", "extra"},
                                        {"help", "storage", "read", "extra"}}) {
    auto r = homeboy(args);
    BOOST_TEST(r.exit_code == 2, args[0]);
    BOOST_TEST(r.out.empty(), r.out);
    BOOST_TEST(r.err.find("homeboy: error:") != std::string::npos, r.err);
  }
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_utf8_never_come_back_changed) {
  // An id names a file and is text everywhere else (homeboy.json, references): refused.
  auto server = homeboy({"server", "create", "bad\xff" "id", "{}"});
  BOOST_TEST(server.exit_code == 2);
  BOOST_TEST(error_code(server) == "config.invalid_id");
  auto module = homeboy({"module", "install", (fs::path(HOMEBOY_TEST_SOURCE_MODULES_DIR) / "filesystem-php").string(), "--id", "p\xff" "h", "--no-check"});
  BOOST_TEST(module.exit_code == 2);
  BOOST_TEST(error_code(module) == "config.invalid_id");
  BOOST_TEST(!fs::exists(dir / "config/homeboy.json"), "nothing pinned");
  // A path is bytes: the answer carries them as base64, exactly.
  std::string path = (dir / "w\xff" "3").string();
  auto written = homeboy({"storage", "write", path, "--content", "x"});
  BOOST_TEST_REQUIRE(written.exit_code == 0, written.err);
  auto data = written.json().at("data");
  BOOST_TEST(!data.as_object().contains("path"));
  BOOST_TEST(homeboy::text::base64_decode(data.at("path_base64").as_string()).value_or("") == path);
}

BOOST_AUTO_TEST_CASE(every_mistake_is_named_in_homeboys_words_with_the_fix) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
    std::string hint;
  };
  std::string x = (dir / "x").string();
  for (const auto& c : std::vector<Case>{
           {{"storage", "read"}, "missing <path>: `homeboy storage read` needs it", "Usage: homeboy storage read <path>"},
           {{"storage", "read", x, "y"}, "unexpected argument 'y': `homeboy storage read` takes <path>", ""},
           {{"storage", "status", "z"}, "unexpected argument 'z': `homeboy storage status` takes no arguments", ""},
           {{"storage", "write", x, "--content"}, "--content needs a value (TEXT)", ""},
           {{"storage", "write", x, "--content", "a", "--content", "b"}, "--content is given more than once", ""},
           {{"storage", "read", x, "--raw=yes"}, "--raw takes no value", ""},
           {{"storage", "read", x, "--bogus"}, "unknown option --bogus for `homeboy storage read`", ""},
           {{"storage", "delete", x, "--recursiv"}, "unknown option --recursiv", "Did you mean '--recursive'?"},
           {{"storage", "migrate"}, "--to ID is required", ""},
           {{"storage", "read", "-o", "yaml", x}, "-o takes json or text, not 'yaml'", ""},
           {{"storage", "export", "--output", "backup.jsonl"}, "--output takes json or text, not 'backup.jsonl'",
            "To write an archive to a file: homeboy storage export FILE"},
           {{"module", "show"}, "missing <id>: `homeboy module show` needs it", ""},
           {{"project", "set", "web"}, "`project set` needs the patch: key=value words or a JSON SPEC", "name="},
           {{"storage", "read", "--source", "-"}, "unknown option --source", ""},
           {{"module", "install", "--folder", "x"}, "unknown option --folder", ""},
       }) {
    BOOST_TEST_CONTEXT(json::serialize(json::value_from(c.args))) {
      auto r = homeboy(c.args);
      BOOST_TEST(r.exit_code == 2);
      BOOST_TEST(error_code(r) == "cli.invalid_argument");
      BOOST_TEST(has(message(r), c.says), message(r));
      BOOST_TEST(has(hints(r), c.hint), hints(r));
      in_our_words(r);
    }
  }
}

BOOST_AUTO_TEST_CASE(unknown_groups_and_commands_get_one_suggestion_without_noise) {
  auto group = homeboy({"storag", "read", "/x"});
  BOOST_TEST(group.exit_code == 2);
  BOOST_TEST(error_code(group) == "cli.unknown_command");
  BOOST_TEST(has(hints(group), "Did you mean 'storage'?"), hints(group));
  auto command = homeboy({"storage", "raed", "/x"});
  BOOST_TEST(has(hints(command), "Did you mean 'read'?"), hints(command));
  auto module = homeboy({"module", "show", "sqlite"});
  BOOST_TEST(module.exit_code == 4);
  ModuleBuilder(dir / "config/modules", "sqlite-storage").executable("true").write();
  module = homeboy({"module", "show", "sqlite"});
  BOOST_TEST(has(hints(module), "Did you mean 'sqlite-storage'?"), hints(module));

  fs::remove_all(dir / "config/modules");
  for (std::string id : {"blog", "web", "shop"}) BOOST_TEST(homeboy({"project", "create", id}).exit_code == 0);
  auto project = homeboy({"project", "show", "sho"});
  BOOST_TEST(project.exit_code == 4);
  BOOST_TEST(has(hints(project), "Did you mean 'shop'?"), hints(project));
  BOOST_TEST(!has(hints(project), "'blog'"));
  BOOST_TEST(!has(hints(project), "'web'"));
}

BOOST_AUTO_TEST_CASE(bare_homeboy_and_bare_groups_show_their_help) {
  auto bare = run_cli({});
  BOOST_TEST(bare.exit_code == 0);
  BOOST_TEST(bare.out.find("Usage: homeboy [options] <group> <command> [args]") != std::string::npos);
  for (const auto& group : cli::all_groups()) {
    auto r = run_cli({group.name});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out.starts_with("Usage: homeboy " + group.name + " <command>"), r.out);
    BOOST_TEST(r.out == run_cli({"help", group.name}).out);
    BOOST_TEST(r.out == run_cli({group.name, "--help"}).out);
  }
}

BOOST_AUTO_TEST_CASE(help_for_every_command_comes_from_its_table) {
  for (const auto& group : cli::all_groups())
    for (const auto& command : group.commands) {
      BOOST_TEST_CONTEXT(group.name << " " << command.name) {
        auto help = run_cli({"help", group.name, command.name});
        BOOST_TEST(help.exit_code == 0);
        std::string usage = "Usage: homeboy " + group.name + " " + command.name;
        BOOST_TEST(help.out.starts_with(usage), help.out);
        std::string usage_line = help.out.substr(0, help.out.find('\n'));
        BOOST_TEST(help.out == run_cli({group.name, command.name, "--help"}).out);
        BOOST_TEST(help.out == run_cli({"-h", group.name, command.name, "anything", "--bogus"}).out,
                   "--help wins over mistakes in the rest of the line");
        BOOST_TEST(has(help.out, command.summary));
        for (const auto& o : command.options) {
          if (o.hidden) continue;
          std::string name = o.argument ? o.shown() : "--" + o.name;
          BOOST_TEST(has(usage_line, name), "the usage names " << name << ": " << usage_line);
          BOOST_TEST(has(help.out, "  " + o.shown()), "the help lists " << o.shown());
          if (o.argument) BOOST_TEST(!has(help.out, "--" + o.name + " "), "an argument shown as an option");
        }
        in_our_words(help);
      }
    }
  for (std::string topic : {"errors", "environment", "help", "version", "completion"})
    BOOST_TEST(run_cli({"help", topic}).exit_code == 0);
  // Help is text by nature: so is its error, on stderr.
  auto unknown = run_cli({"help", "stroage"});
  BOOST_TEST(unknown.exit_code == 2);
  BOOST_TEST(unknown.out.empty());
  BOOST_TEST(has(unknown.err, "homeboy: error: no help on 'stroage' (cli.unknown_command)"), unknown.err);
  BOOST_TEST(has(unknown.err, "homeboy: hint: Did you mean 'storage'?"), unknown.err);
  auto errors = run_cli({"help", "errors"});
  for (const auto& e : homeboy::error_catalogue()) BOOST_TEST(has(errors.out, std::string(e.code)));
}

BOOST_AUTO_TEST_CASE(entity_help_says_what_each_kind_does) {
  auto project = run_cli({"help", "project"}).out;
  BOOST_TEST(!has(project, "projects that refer to it"), project);
  BOOST_TEST(!has(project, "refused while a project refers to it"), project);
  for (std::string kind : {"server", "component"}) {
    auto help = run_cli({"help", kind}).out;
    BOOST_TEST(has(help, "Rename a " + kind + " and update the projects that refer to it."), help);
    BOOST_TEST(has(help, "Delete a " + kind + " (refused while a project refers to it)."), help);
  }
}

BOOST_AUTO_TEST_CASE(create_and_set_take_the_document_the_same_ways) {
  write_file(dir / "doc.json", R"({"host": "from-a-file"})");
  struct Way {
    std::vector<std::string> spec;
    std::string input;
  };
  const std::string doc_path = (dir / "doc.json").string();
  const std::string from_file = "@" + doc_path;
  int n = 0;
  for (const auto& way : std::vector<Way>{{{R"({"host": "h"})"}, ""},
                                          {{"--json", R"({"host": "h"})"}, ""},
                                          {{from_file}, ""},
                                          {{"--json", from_file}, ""},
                                          {{"-"}, R"({"host": "stdin"})"},
                                          {{"--json", "-"}, R"({"host": "stdin"})"}}) {
    const std::string number = std::to_string(++n);
    const std::string id = "s" + number;
    BOOST_TEST_CONTEXT(id) {
      std::vector<std::string> create{"server", "create", id}, set{"server", "set", id};
      create.insert(create.end(), way.spec.begin(), way.spec.end());
      set.insert(set.end(), way.spec.begin(), way.spec.end());
      BOOST_TEST(homeboy(create, {}, way.input).exit_code == 0);
      auto changed = homeboy(set, {}, way.input.empty() ? std::string() : R"({"host": "changed"})");
      BOOST_TEST(changed.exit_code == 0, changed.out);
    }
  }
  // The id inside SPEC, with SPEC alone.
  BOOST_TEST(homeboy({"server", "create", R"({"id": "inside"})"}).exit_code == 0);
  BOOST_TEST(homeboy({"server", "show", "inside"}).exit_code == 0);
  auto twice = homeboy({"server", "set", "inside", "{}", "--json", "{}"});
  BOOST_TEST(twice.exit_code == 2);
  BOOST_TEST(has(message(twice), "the document is given twice"));
}

BOOST_AUTO_TEST_CASE(json_mistakes_are_named_by_line_and_column) {
  auto spec = homeboy({"server", "create", "web", "{\n  \"host\": web1\n}"});
  BOOST_TEST(spec.exit_code == 2);
  BOOST_TEST(has(message(spec), "SPEC is not valid JSON at line 2, column 11"), message(spec));
  write_file(dir / "events.json", "[{\"operation\": \"read\", \"path\": \"/x\"},\n {\"operation\": }]");
  auto batch = homeboy({"storage", "batch", "--file", (dir / "events.json").string()});
  BOOST_TEST(batch.exit_code == 2);
  BOOST_TEST(has(message(batch), "at line 2, column 16"), message(batch));
}

BOOST_AUTO_TEST_CASE(a_variable_homeboy_cannot_use_stops_it_at_start) {
  for (const auto& [name, value] : Env{{"HOMEBOY_STORAGE_TIMEOUT_SECS", "abc"},
                                       {"HOMEBOY_STORAGE_TIMEOUT_SECS", "0"},
                                       {"HOMEBOY_STORAGE_TRANSPORT", "teleport"},
                                       {"HOMEBOY_ISOLATION", "sometimes"}}) {
    BOOST_TEST_CONTEXT(name << "=" << value) {
      // The native default provider never reads a timeout: the variable is checked anyway.
      auto r = homeboy({"storage", "status"}, {{name, value}});
      BOOST_TEST(r.exit_code == 2);
      BOOST_TEST(error_code(r) == "config.invalid_environment");
      BOOST_TEST(has(message(r), name), message(r));
    }
  }
}

BOOST_AUTO_TEST_CASE(uninstall_without_force_says_how) {
  fs::path helper = ModuleBuilder(dir.path(), "helper").executable("true").not_a_provider().write();
  BOOST_TEST(homeboy({"module", "install", helper.string()}).exit_code == 0);
  auto r = homeboy({"module", "uninstall", "helper"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "cli.confirmation_required");
  BOOST_TEST(has(hints(r), "homeboy module uninstall helper --force"), hints(r));
}

BOOST_AUTO_TEST_CASE(the_man_page_is_made_from_the_same_tables_and_built_with_homeboy) {
  auto man = run_cli({"help", "--man"});
  BOOST_TEST(man.exit_code == 0);
  BOOST_TEST(man.out.starts_with(".TH HOMEBOY 1"));
  BOOST_TEST(read_file(HOMEBOY_TEST_MAN_PAGE) == man.out, "the installed page is what homeboy prints");
  for (const auto& group : cli::all_groups())
    for (const auto& command : group.commands)
      BOOST_TEST(has(man.out, ".B homeboy " + group.name + " " + roff(command.name)), group.name << " " << command.name);
  for (const auto& e : homeboy::error_catalogue()) BOOST_TEST(has(man.out, ".B " + roff(e.code) + " ("), e.code);
  // groff finds nothing to complain about, where it is installed.
  if (std::system("command -v groff >/dev/null 2>&1") == 0) {
    std::string check = "groff -man -ww -z " + std::string(HOMEBOY_TEST_MAN_PAGE) + " 2>&1";
    std::string complaints;
    if (FILE* pipe = ::popen(check.c_str(), "r")) {
      char buffer[512];
      while (std::fgets(buffer, sizeof buffer, pipe)) complaints += buffer;
      ::pclose(pipe);
    }
    BOOST_TEST(complaints.empty(), complaints);
  }
}

BOOST_AUTO_TEST_SUITE_END()
