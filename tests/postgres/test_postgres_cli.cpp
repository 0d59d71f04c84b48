// The postgres module through the command line, against a real server (run under
// tests/postgres/cluster.sh run). Suite `secrets`: a password in the conninfo, in key=value
// and in URI form, right and wrong, appears in no output of any command of the command
// tables, in JSON or text, in no daemon log, and the installed manifest holding it is 0600.
// Suite `honest_errors`: `storage status` fails, naming host and port, when the server is
// not there; each mistake in the settings is exit 2 with its own code and a hint naming the
// setting; a wrong password has a code of its own; every error envelope says `retryable`.
#define BOOST_TEST_MODULE postgres_cli
#include <boost/test/unit_test.hpp>

#include "cli/command_table.hpp"
#include "support.hpp"

#include <boost/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

using namespace homeboy;
using namespace homeboy::test;
namespace json = boost::json;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  BOOST_REQUIRE_MESSAGE(v && *v, name << " is not set: run this under tests/postgres/cluster.sh run");
  return v;
}

int unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
  ::close(fd);
  return ntohs(a.sin_port);
}

mode_t mode_of(const fs::path& file) {
  struct stat st {};
  BOOST_REQUIRE(::stat(file.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// A config folder with the shipped postgres module installed and pinned, its conninfo set.
struct Team {
  ScratchDir dir;
  std::string config = (dir / "config").string();
  fs::path runtime = dir / "run";
  fs::path manifest = dir / "config" / "modules" / "postgres" / "postgres.json";

  Team() {
    fs::create_directories(runtime);
    fs::permissions(runtime, fs::perms::owner_all, fs::perm_options::replace);
    auto installed = homeboy({"module", "install", bundled_postgres().string(), "--no-check"});
    BOOST_TEST_REQUIRE(installed.exit_code == 0, installed.out << installed.err);
    write_file(dir / "config" / "homeboy.json", R"({"storage": "postgres"})");
  }
  ~Team() { homeboy({"module", "stop", "postgres"}); }

  static fs::path bundled_postgres() { return HOMEBOY_TEST_POSTGRES_MODULE_DIR; }

  // Sets storage_provider.config as an editor would: the file keeps its mode.
  void configure(json::object config) {
    json::value manifest_json = json::parse(read_file(manifest));
    manifest_json.as_object()["storage_provider"].as_object()["config"] = std::move(config);
    write_file(manifest, json::serialize(manifest_json));
  }

  CliResult homeboy(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config-dir", config});
    return run_cli(args, {{"XDG_RUNTIME_DIR", runtime.string()}});
  }
};

std::string tcp(const std::string& password) {
  return "host=127.0.0.1 port=" + env("PGPORT") + " dbname=" + env("PGDATABASE") + " user=homeboy password=" + password;
}
std::string uri(const std::string& password) {
  return "postgresql://homeboy:" + password + "@127.0.0.1:" + env("PGPORT") + "/" + env("PGDATABASE");
}

// Every command of the tables, with the lines to run it with; "{dir}" is the test's scratch
// folder, "{module}" the shipped postgres module folder. A command missing here fails the
// test: a new command is checked too.
const std::map<std::string, std::vector<std::vector<std::string>>>& command_lines() {
  static const std::map<std::string, std::vector<std::vector<std::string>>> lines{
      {"storage status", {{"storage", "status"}, {"storage", "status", "--offline"}}},
      {"storage ensure-dir", {{"storage", "ensure-dir", "/secrets/area"}}},
      {"storage write", {{"storage", "write", "/secrets/area/a", "--content", "hello"},
                         {"storage", "write", "/secrets/missing/a", "--content", "x"}}},
      {"storage read", {{"storage", "read", "/secrets/area/a"}, {"storage", "read", "/secrets/area/a", "--raw"},
                        {"storage", "read", "/secrets/area/none"}}},
      {"storage list", {{"storage", "list", "/secrets/area"}}},
      {"storage delete", {{"storage", "delete", "/secrets/area/none"}}},
      {"storage batch", {{"storage", "batch", "--file", "{dir}/batch.json"}}},
      {"storage migrate", {{"storage", "migrate", "--to", "builtin-filesystem", "--dry-run"}}},
      {"storage export", {{"storage", "export", "{dir}/export.jsonl"}}},
      {"storage import", {{"storage", "import", "{dir}/export.jsonl", "--dry-run"}}},
      {"module list", {{"module", "list"}, {"module", "list", "--available"}}},
      {"module new", {{"module", "new", "starter", "--lang", "bash", "--dir", "{dir}/new"}}},
      {"module show", {{"module", "show", "postgres"}}},
      {"module install", {{"module", "install", "{module}"}}},
      {"module uninstall", {{"module", "uninstall", "postgres"}}},
      {"module test", {{"module", "test", "postgres"}}},
      {"module daemons", {{"module", "daemons"}}},
      {"module stop", {{"module", "stop", "postgres"}}},
      {"server create", {{"server", "create", "web", "--json", R"({"host": "web.example.com"})"}}},
      {"server list", {{"server", "list"}}},
      {"server show", {{"server", "show", "web"}}},
      {"server set", {{"server", "set", "web", R"({"port": 22})"}}},
      {"server rename", {{"server", "rename", "web", "web2"}, {"server", "rename", "web2", "web"}}},
      {"server delete", {{"server", "delete", "nope"}}},
      {"project create", {{"project", "create", "site", "--json", R"({"server_id": "web"})"}}},
      {"project list", {{"project", "list"}}},
      {"project show", {{"project", "show", "site"}}},
      {"project set", {{"project", "set", "site", R"({"name": "Site"})"}}},
      {"project rename", {{"project", "rename", "site", "site2"}}},
      {"project delete", {{"project", "delete", "site2"}}},
      {"component create", {{"component", "create", "theme", "--json", "{}"}}},
      {"component list", {{"component", "list"}}},
      {"component show", {{"component", "show", "theme"}}},
      {"component set", {{"component", "set", "theme", R"({"name": "Theme"})"}}},
      {"component rename", {{"component", "rename", "theme", "theme2"}}},
      {"component delete", {{"component", "delete", "theme2"}}},
      {"doctor", {{"doctor"}}},
      {"help", {{"help"}, {"help", "errors"}}},
      {"version", {{"version"}}},
      {"completion", {{"completion", "bash"}}},
  };
  return lines;
}

// "group command" (or "command") of every command of the tables that a user can run.
std::vector<std::string> every_command() {
  std::vector<std::string> names;
  for (const auto& group : cli::all_groups())
    for (const auto& c : group.commands)
      if (!c.hidden) names.push_back(group.name + " " + c.name);
  for (const auto& c : cli::top_commands())
    if (!c.hidden) names.push_back(c.name);
  return names;
}

std::string expand(std::string word, const Team& team) {
  for (auto [from, to] : {std::pair<std::string, std::string>{"{dir}", team.dir.path().string()},
                          {"{module}", Team::bundled_postgres().string()}})
    if (auto at = word.find(from); at != std::string::npos) word.replace(at, from.size(), to);
  return word;
}

// Every command in JSON and text; each output (stdout and stderr) must hold none of `secrets`,
// and every error envelope must say whether it is retryable.
void run_every_command(Team& team, const std::vector<std::string>& secrets) {
  write_file(team.dir / "batch.json",
             R"([{"operation": "write", "path": "/secrets/area/b", "content": "b"}, {"operation": "read", "path": "/secrets/area/none"}])");
  std::size_t runs = 0;
  for (const auto& name : every_command()) {
    auto found = command_lines().find(name);
    BOOST_TEST_REQUIRE((found != command_lines().end()), "no command line for `homeboy " << name << "` in this test");
    for (const auto& line : found->second) {
      for (const char* output : {"json", "text"}) {
        std::vector<std::string> args{"-o", output};
        for (const auto& word : line) args.push_back(expand(word, team));
        CliResult r = team.homeboy(args);
        ++runs;
        std::string shown = "homeboy -o " + std::string(output) + " " + name + " (exit " + std::to_string(r.exit_code) + ")";
        for (const auto& secret : secrets) {
          BOOST_TEST(r.out.find(secret) == std::string::npos, shown << " printed the password on stdout:\n" << r.out);
          BOOST_TEST(r.err.find(secret) == std::string::npos, shown << " printed the password on stderr:\n" << r.err);
        }
        if (std::string_view(output) == "json" && r.exit_code != 0 && !r.out.empty() && r.out.front() == '{') {
          json::value envelope = json::parse(r.out);
          const auto* error = envelope.as_object().if_contains("error");
          BOOST_TEST((error && error->as_object().contains("retryable") && error->at("retryable").is_bool()),
                     shown << ": the envelope does not say whether it is retryable:\n" << r.out);
        }
      }
    }
  }
  BOOST_TEST(runs >= 2 * every_command().size());
  for (const auto& entry : fs::recursive_directory_iterator(team.runtime)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".log") continue;
    std::string log = read_file(entry.path());
    for (const auto& secret : secrets) BOOST_TEST(log.find(secret) == std::string::npos, entry.path() << " holds the password");
  }
  // The copies of the provider config handed to modules are the user's alone.
  if (fs::exists(team.dir / "config" / "run"))
    for (const auto& entry : fs::directory_iterator(team.dir / "config" / "run"))
      if (entry.is_regular_file()) BOOST_TEST(mode_of(entry.path()) == 0600u, entry.path());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(secrets)

BOOST_AUTO_TEST_CASE(the_installed_manifest_is_private_and_shows_its_password_masked) {
  Team team;
  BOOST_TEST(mode_of(team.manifest) == 0600u);
  team.configure({{"conninfo", tcp("Kv-Secret-Shown-1")}, {"namespace", "secrets"}});
  auto shown = team.homeboy({"module", "show", "postgres"});
  BOOST_TEST(shown.exit_code == 0);
  BOOST_TEST(shown.json().at("data").at("module").at("config").at("conninfo").as_string().ends_with("password=********"));
  // Opened to others, it is refused with the fix rather than used.
  fs::permissions(team.manifest, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  auto refused = team.homeboy({"storage", "status"});
  BOOST_TEST(refused.exit_code == 2);
  BOOST_TEST(error_code(refused) == "config.broken_provider");
  BOOST_TEST(refused.out.find("chmod 600 " + team.manifest.string()) != std::string::npos, refused.out);
  BOOST_TEST(refused.out.find("Kv-Secret-Shown-1") == std::string::npos);
  // A config folder left open is closed by any command, also one that writes nothing.
  fs::permissions(team.manifest, fs::perms::group_read | fs::perms::others_read, fs::perm_options::remove);
  fs::permissions(team.config, fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec,
                  fs::perm_options::add);
  BOOST_TEST(team.homeboy({"module", "list"}).exit_code == 0);
  BOOST_TEST(mode_of(team.config) == 0700u);
}

BOOST_AUTO_TEST_CASE(no_command_shows_a_key_value_password) {
  Team team;
  const std::string password = env("HOMEBOY_PG_TEST_PASSWORD");
  team.configure({{"conninfo", tcp(password)}, {"namespace", "secrets-kv"}});
  run_every_command(team, {password});
}

BOOST_AUTO_TEST_CASE(no_command_shows_a_uri_password) {
  Team team;
  const std::string password = env("HOMEBOY_PG_TEST_PASSWORD");
  team.configure({{"conninfo", uri(password)}, {"namespace", "secrets-uri"}});
  run_every_command(team, {password});
}

BOOST_AUTO_TEST_CASE(no_command_shows_a_wrong_password_in_its_errors) {
  Team team;
  team.configure({{"conninfo", tcp("Wrong-Kv-Secret-2")}, {"namespace", "secrets-wrong"}});
  run_every_command(team, {"Wrong-Kv-Secret-2"});
  team.configure({{"conninfo", uri("Wrong-Uri-Secret-3")}, {"namespace", "secrets-wrong"}});
  run_every_command(team, {"Wrong-Uri-Secret-3"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(honest_errors)

BOOST_AUTO_TEST_CASE(status_fails_naming_host_and_port_when_the_server_is_not_there) {
  Team team;
  int port = unused_port();
  team.configure({{"conninfo", "host=127.0.0.1 port=" + std::to_string(port) + " connect_timeout=5"}});
  auto down = team.homeboy({"storage", "status"});
  BOOST_TEST(down.exit_code == 1);
  BOOST_TEST(error_code(down) == "storage.unavailable");
  BOOST_TEST(down.json().at("error").at("retryable") == json::value(true));
  BOOST_TEST(down.out.find("host 127.0.0.1 port " + std::to_string(port)) != std::string::npos, down.out);
  BOOST_TEST(down.json().at("error").at("details").at("reachable") == json::value(false));
  auto text = team.homeboy({"-o", "text", "storage", "status"});
  BOOST_TEST(text.exit_code == 1);
  BOOST_TEST(text.err.find("port " + std::to_string(port)) != std::string::npos, text.err);
  // Not checked, it reports what it can tell without the server.
  auto offline = team.homeboy({"storage", "status", "--offline"});
  BOOST_TEST(offline.exit_code == 0, offline.out);
  BOOST_TEST(offline.json().at("data").at("reachable").is_null());
  // Up, it answers.
  team.configure({});
  auto up = team.homeboy({"storage", "status"});
  BOOST_TEST(up.exit_code == 0, up.out);
  BOOST_TEST(up.json().at("data").at("reachable") == json::value(true));
}

BOOST_AUTO_TEST_CASE(each_mistake_in_the_settings_is_exit_2_with_a_hint_naming_it) {
  Team team;
  const std::vector<std::pair<json::object, std::string>> mistakes{
      {{{"conninfo", "connect_timeout=abc"}}, "connect_timeout"},
      {{{"conninfo", "port=abc"}}, "port"},
      {{{"conninfo", "no_such_option=1"}}, "storage_provider.config.conninfo"},
      {{{"conninfo", ""}, {"namespace", ""}}, "storage_provider.config.namespace"},
  };
  for (const auto& [config, named] : mistakes) {
    BOOST_TEST_CONTEXT(json::serialize(config)) {
      team.configure(config);
      for (std::vector<std::string> line : {std::vector<std::string>{"storage", "status"}, {"project", "list"}}) {
        auto r = team.homeboy(line);
        BOOST_TEST(r.exit_code == 2, r.out);
        BOOST_TEST(error_code(r) == "storage.invalid_config");
        BOOST_TEST(r.json().at("error").at("retryable") == json::value(false));
        std::string hint(r.json().at("error").at("hints").at(0).at("message").as_string());
        BOOST_TEST(hint.find(named) != std::string::npos, hint);
        BOOST_TEST(hint.find(team.manifest.string()) != std::string::npos, hint);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_wrong_password_is_not_a_server_that_is_down) {
  Team team;
  team.configure({{"conninfo", tcp("Not-The-Password-4")}});
  auto wrong = team.homeboy({"storage", "status"});
  BOOST_TEST(wrong.exit_code == 2, wrong.out);
  BOOST_TEST(error_code(wrong) == "storage.authentication_failed");
  BOOST_TEST(wrong.json().at("error").at("retryable") == json::value(false));
  team.configure({{"conninfo", "host=127.0.0.1 port=" + std::to_string(unused_port())}});
  auto down = team.homeboy({"storage", "status"});
  BOOST_TEST(error_code(down) == "storage.unavailable");
  BOOST_TEST(error_code(down) != error_code(wrong));
}

BOOST_AUTO_TEST_SUITE_END()
