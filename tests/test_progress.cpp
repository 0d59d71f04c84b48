// Progress for long work: on stderr, only when stderr is a terminal (a pseudo-terminal here),
// never with --quiet, and never on stdout, which keeps the envelope alone.
#define BOOST_TEST_MODULE progress
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

using namespace homeboy::test;
namespace json = boost::json;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct TerminalRun {
  int exit_code = -1;
  std::string out;       // stdout, a pipe
  std::string terminal;  // stderr, a pseudo-terminal
};

// Runs homeboy with stderr on a pseudo-terminal of type `term` and stdout on a pipe, HOMEBOY_*
// variables cleared; reads both until it ends (bounded in time).
TerminalRun on_terminal(const std::vector<std::string>& args, const std::string& input_file = "/dev/null",
                        const std::string& term = "xterm") {
  int master = -1, slave = -1;
  BOOST_REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
  int out[2];
  BOOST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  std::string program = homeboy_cli().string();
  pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    int in = ::open(input_file.c_str(), O_RDONLY);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(slave, STDERR_FILENO);
    ::close(master);
    ::setenv("TERM", term.c_str(), 1);
    for (char** e = environ; *e;) {
      if (std::strncmp(*e, "HOMEBOY_", 8) == 0) {
        std::string name(*e, std::strchr(*e, '=') - *e);
        ::unsetenv(name.c_str());
      } else {
        ++e;
      }
    }
    std::vector<char*> argv{program.data()};
    std::vector<std::string> copies(args);
    for (auto& a : copies) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(slave);
  ::close(out[1]);
  TerminalRun run;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool out_open = true, terminal_open = true;
  while ((out_open || terminal_open) && std::chrono::steady_clock::now() < deadline) {
    pollfd fds[2] = {{out_open ? out[0] : -1, POLLIN, 0}, {terminal_open ? master : -1, POLLIN, 0}};
    if (::poll(fds, 2, 1000) <= 0) continue;
    char buffer[65536];
    if (fds[0].revents) {
      ssize_t n = ::read(out[0], buffer, sizeof buffer);
      if (n > 0) run.out.append(buffer, static_cast<std::size_t>(n));
      else out_open = false;
    }
    if (fds[1].revents) {
      ssize_t n = ::read(master, buffer, sizeof buffer);  // EIO once the child's side is closed
      if (n > 0) run.terminal.append(buffer, static_cast<std::size_t>(n));
      else terminal_open = false;
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out[0]);
  ::close(master);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return run;
}

struct ProgressFixture : CliFixture {
  // A batch of `count` writes into a folder of the scratch dir, as a file.
  std::string batch_file(int count) {
    fs::create_directories(dir / "many");
    json::array events;
    for (int i = 0; i < count; ++i)
      events.emplace_back(json::object{{"operation", "write"},
                                       {"path", (dir / "many" / std::to_string(i)).string()},
                                       {"content", "x"}});
    std::string file = (dir / "events.json").string();
    write_file(file, json::serialize(events));
    return file;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(progress, ProgressFixture)

BOOST_AUTO_TEST_CASE(a_large_batch_shows_progress_on_a_terminal_and_keeps_stdout_clean) {
  std::string events = batch_file(1500);
  auto run = on_terminal({"--config-dir", config, "storage", "batch", "--file", events});
  BOOST_TEST(run.exit_code == 0, run.out << run.terminal);
  BOOST_TEST(has(run.terminal, "homeboy: storage batch: operations 1500/1500"), run.terminal);
  BOOST_TEST(has(run.terminal, "\r\033[K"), "the line is cleared at the end");
  BOOST_TEST(!has(run.out, "\r"), "nothing of the progress on stdout");
  BOOST_TEST(json::parse(run.out).at("data").at("succeeded").as_int64() == 1500);

  auto quiet = on_terminal({"--config-dir", config, "storage", "batch", "--file", events, "--quiet"});
  BOOST_TEST(quiet.exit_code == 0);
  BOOST_TEST(quiet.terminal.empty(), quiet.terminal);

  auto small = on_terminal({"--config-dir", config, "storage", "batch", "--file", batch_file(10)});
  BOOST_TEST(small.terminal.empty(), "a small batch is over before progress is worth a line: " << small.terminal);

  auto not_a_terminal = homeboy({"storage", "batch", "--file", events});
  BOOST_TEST(not_a_terminal.exit_code == 0);
  BOOST_TEST(not_a_terminal.err.empty(), not_a_terminal.err);

  // A terminal that cannot clear a line or move the cursor gets plain lines, no escape codes.
  auto dumb =
      on_terminal({"--config-dir", config, "storage", "batch", "--file", batch_file(1500)}, "/dev/null", "dumb");
  BOOST_TEST(dumb.exit_code == 0);
  BOOST_TEST(has(dumb.terminal, "homeboy: storage batch: operations 1500/1500\r\n"), dumb.terminal);
  BOOST_TEST(!has(dumb.terminal, "\033"), dumb.terminal);
}

BOOST_AUTO_TEST_CASE(export_import_and_migrate_show_their_phases) {
  BOOST_TEST_REQUIRE(homeboy({"server", "create", "--json", R"([{"id": "a"}, {"id": "b"}])"}).exit_code == 0);
  std::string archive = (dir / "backup.jsonl").string();
  auto exported = on_terminal({"--config-dir", config, "storage", "export", archive});
  BOOST_TEST(exported.exit_code == 0, exported.out << exported.terminal);
  BOOST_TEST(has(exported.terminal, "homeboy: storage export: reading 2/2"), exported.terminal);
  auto imported = on_terminal({"--config-dir", config, "storage", "import", archive, "-o", "text"});
  BOOST_TEST(imported.exit_code == 0, imported.out << imported.terminal);
  BOOST_TEST(has(imported.terminal, "homeboy: storage import: comparing 2/2"), imported.terminal);
  BOOST_TEST(has(imported.out, "unchanged: 2"), imported.out);
  BOOST_TEST(!has(imported.out, "homeboy: storage import"), "text output and progress stay apart");

  fs::path php = fs::path(HOMEBOY_TEST_SOURCE_MODULES_DIR) / "filesystem-php";
  BOOST_TEST_REQUIRE(homeboy({"module", "install", php.string(), "--no-check"}).exit_code == 0);
  auto migrated = on_terminal({"--config-dir", config, "storage", "migrate", "--to", "filesystem-php"});
  BOOST_TEST(migrated.exit_code == 0, migrated.out << migrated.terminal);
  BOOST_TEST(has(migrated.terminal, "homeboy: storage migrate: reading 2/2"), migrated.terminal);
  BOOST_TEST(has(migrated.terminal, "homeboy: storage migrate: comparing 2/2"), migrated.terminal);
  BOOST_TEST(json::parse(migrated.out).at("data").at("to").as_string() == "filesystem-php");
  auto quiet = on_terminal({"--config-dir", config, "storage", "migrate", "--to", "builtin-filesystem", "-q"});
  BOOST_TEST(quiet.exit_code == 0, quiet.out << quiet.terminal);
  BOOST_TEST(quiet.terminal.empty(), quiet.terminal);
}

BOOST_AUTO_TEST_CASE(bulk_create_and_a_rename_rewriting_many_projects_show_their_batches) {
  BOOST_TEST_REQUIRE(homeboy({"server", "create", "web-1"}).exit_code == 0);
  json::array projects;
  for (int i = 0; i < 1500; ++i) projects.emplace_back(json::object{{"id", "site-" + std::to_string(i)}, {"server_id", "web-1"}});
  std::string spec = (dir / "projects.json").string();
  write_file(spec, json::serialize(projects));
  auto created = on_terminal({"--config-dir", config, "project", "create", "--json", "@" + spec});
  BOOST_TEST(created.exit_code == 0, created.out << created.terminal);
  BOOST_TEST(has(created.terminal, "homeboy: project create: writing 1500/1500"), created.terminal);
  BOOST_TEST(json::parse(created.out).at("data").at("created").as_array().size() == 1500u);

  auto renamed = on_terminal({"--config-dir", config, "server", "rename", "web-1", "web-2"});
  BOOST_TEST(renamed.exit_code == 0, renamed.out << renamed.terminal);
  BOOST_TEST(has(renamed.terminal, "homeboy: server rename: reading 1500/1500"), renamed.terminal);
  BOOST_TEST(has(renamed.terminal, "homeboy: server rename: writing 1500/1500"), renamed.terminal);
  BOOST_TEST(json::parse(renamed.out).at("data").at("updated_projects").as_array().size() == 1500u);

  auto one = on_terminal({"--config-dir", config, "server", "create", "db-1"});
  BOOST_TEST(one.exit_code == 0);
  BOOST_TEST(one.terminal.empty(), "a change of one document is over before progress is worth a line: " << one.terminal);
  auto quiet = on_terminal({"--config-dir", config, "server", "rename", "web-2", "web-3", "-q"});
  BOOST_TEST(quiet.exit_code == 0);
  BOOST_TEST(quiet.terminal.empty(), quiet.terminal);
}

BOOST_AUTO_TEST_CASE(module_test_shows_each_case_on_the_terminal_when_stdout_is_the_envelope) {
  fs::path module = ModuleBuilder(dir.path(), "fixture").library_file(fixture_plugin("good")).write();
  auto run = on_terminal({"--config-dir", config, "module", "test", module.string(), "-o", "json"});
  BOOST_TEST(has(run.terminal, "homeboy: module test: fixture: roundtrip_empty 1"), run.terminal);
  BOOST_TEST(json::parse(run.out).is_object(), "stdout holds the envelope alone");
  auto text = on_terminal({"--config-dir", config, "module", "test", module.string()});
  BOOST_TEST(!has(text.terminal, "homeboy: module test:"), "in text, the case lines themselves are the progress");
  BOOST_TEST(has(text.out, "roundtrip_empty"), text.out);
}

BOOST_AUTO_TEST_SUITE_END()
