// Native plugins as daemons (docs/plugin-authoring.md, "A daemon: kept across commands"): a
// library module with runtime.daemon runs in homeboy-plugin-host, started once and reached by
// every later command over the module daemons' socket, so what the plugin keeps in memory
// outlives a command. `module daemons` and `module stop` see it, a new library replaces it,
// a plugin that cannot be loaded is reported as in-process, a crash ends only the daemon, and
// only its own user is served. Each test has its own runtime folder (XDG_RUNTIME_DIR).
#define BOOST_TEST_MODULE native_daemon
#include <boost/test/unit_test.hpp>

#include "homeboy/transport/daemon.hpp"
#include "support.hpp"

#include <boost/json.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

using namespace homeboy;
using namespace homeboy::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::string text_of(const json::value& v) { return std::string(v.as_string()); }

boost::test_tools::assertion_result as_root(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result root(::geteuid() == 0);
  root.message() << "it needs root, to act as another user";
  return root;
}

struct Fixture {
  ScratchDir dir;
  fs::path modules = dir / "modules";
  fs::path config = dir / "config";
  fs::path run = dir / "run";
  fs::path runtime = run / "homeboy";
  fs::path pid_file = dir / "created";  // the fixture plugin appends its pid at each create()
  int calls = 0;

  Fixture() {
    fs::create_directories(modules);
    fs::create_directory(run);
    fs::permissions(run, fs::perms::owner_all, fs::perm_options::replace);
  }
  ~Fixture() {
    std::error_code ec;
    if (fs::exists(runtime, ec)) daemon::stop_where(runtime, [](const daemon::State&) { return true; });
  }

  // A library module of the fixture plugin `variant`, as a daemon.
  ModuleBuilder builder(const std::string& variant = "good") {
    return std::move(ModuleBuilder(modules, "native").library_file(fixture_plugin(variant)).daemon().timeout_secs(10).config(
        {{"pid_file", pid_file.string()}}));
  }

  Env env(Env extra = {}) const {
    Env out{{"HOMEBOY_MODULE_PATH", modules.string()},
            {"HOMEBOY_CONFIG_DIR", config.string()},
            {"XDG_RUNTIME_DIR", run.string()},
            {"SECRET_TOKEN", "not for plugins in a daemon"}};
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
  }

  // Not through run_cli, whose supervisor would take the daemon down with the command.
  CliResult homeboy(const std::vector<std::string>& args, const Env& extra = {}) {
    fs::path out = dir / ("cli-" + std::to_string(++calls));
    fs::create_directory(out);
    BackgroundCli cli(args, env(extra), out);
    auto result = cli.wait(60s);
    BOOST_TEST_REQUIRE(result.has_value(), "homeboy did not finish in 60 s");
    return *result;
  }

  json::array daemons() {
    auto r = homeboy({"module", "daemons"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.out << r.err);
    return r.json().at("data").at("daemons").as_array();
  }

  std::vector<int> created() {
    std::vector<int> pids;
    if (!fs::exists(pid_file)) return pids;
    std::istringstream in(read_file(pid_file));
    for (int pid; in >> pid;) pids.push_back(pid);
    return pids;
  }
};

std::string exe_of(int pid) {
  std::error_code ec;
  return fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).filename().string();
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(native_daemon, Fixture)

BOOST_AUTO_TEST_CASE(a_library_module_opts_in_and_keeps_its_plugin_across_commands) {
  builder().write();
  auto status = homeboy({"storage", "status"});
  BOOST_TEST_REQUIRE(status.exit_code == 0, status.out << status.err);
  BOOST_TEST(text_of(status.json().at("data").at("provider").at("transport")) == "daemon");
  auto in_process = homeboy({"storage", "status", "--offline"}, {{"HOMEBOY_ISOLATION", "in_process"}});
  BOOST_TEST(text_of(in_process.json().at("data").at("provider").at("transport")) == "native");
  BOOST_TEST(status.json().at("data").at("provider").at("capabilities") ==
                 in_process.json().at("data").at("provider").at("capabilities"),
             "what the plugin declares through the ABI, told by its daemon");
  auto plugins = created();
  BOOST_TEST_REQUIRE(plugins.size() == 2u, "one daemon, and the in-process check");
  int pid = plugins[0];
  fs::remove(pid_file);

  // The fixture keeps its files in memory: a read in the next command finds what the one
  // before wrote only when the same plugin instance served both.
  BOOST_TEST(homeboy({"storage", "write", "/a", "--content", "kept in memory"}).exit_code == 0);
  auto read = homeboy({"storage", "read", "--raw", "/a"});
  BOOST_TEST(read.exit_code == 0, read.err);
  BOOST_TEST(read.out == "kept in memory");
  BOOST_TEST(created().empty(), "no plugin was created for the two commands: the daemon's served them");

  auto listed = daemons();
  BOOST_TEST_REQUIRE(listed.size() == 1u);
  const auto& d = listed[0].as_object();
  BOOST_TEST(d.at("pid").to_number<int>() == pid);
  BOOST_TEST(text_of(d.at("id")) == "native");
  BOOST_TEST(text_of(d.at("fingerprint_status")) == "current");
  BOOST_TEST(exe_of(pid) == "homeboy-plugin-host");
  // A module's environment, as any daemon's, and the config only in its private file.
  std::string environ = read_file("/proc/" + std::to_string(pid) + "/environ");
  BOOST_TEST(environ.find("SECRET_TOKEN") == std::string::npos);
  BOOST_TEST(environ.find("HOMEBOY_STORAGE_CONFIG_FILE=") != std::string::npos);
  BOOST_TEST(environ.find(std::string("HOMEBOY_STORAGE_CONFIG=")) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(content_crosses_its_socket_raw_byte_for_byte) {
  // The daemon's hello offers raw content (contract::raw): writes and reads of bytes that are
  // not text, and of sizes around the socket's buffers, come back exact. (The native default's
  // library, as a daemon: the fixture holds 256 bytes a file.)
  ModuleBuilder(modules, "native")
      .library_file(bundled_module_dir("builtin-filesystem") / "libhomeboy_builtin_filesystem.so")
      .daemon()
      .timeout_secs(10)
      .write();
  fs::create_directories(dir / "data");
  const std::string lookalike = "{\"content_length\":4,\"id\":7}\n";
  for (std::size_t size : {std::size_t{0}, std::size_t{3}, std::size_t{212993}, (std::size_t{2} << 20) + 1}) {
    std::string content(size, '\0');
    for (std::size_t i = 0; i < size; ++i) content[i] = static_cast<char>((i * 193 + i / 11) & 0xFF);
    if (size > 64) content.replace(9, lookalike.size(), lookalike);
    fs::path file = dir / ("content-" + std::to_string(size));
    write_file(file, content);
    std::string path = (dir / "data" / (std::string("c") + std::to_string(size))).string();
    auto written = homeboy({"storage", "write", path, "--file", file.string()});
    BOOST_TEST_REQUIRE(written.exit_code == 0, written.out << written.err);
    auto read = homeboy({"storage", "read", "--raw", path});
    BOOST_TEST(read.exit_code == 0, read.err);
    BOOST_TEST((read.out == content), size << " bytes come back byte for byte");
  }
  BOOST_TEST(daemons().size() == 1u, "one daemon served every size");
}

BOOST_AUTO_TEST_CASE(module_stop_stops_it_and_the_next_command_starts_afresh) {
  builder().write();
  BOOST_TEST_REQUIRE(homeboy({"storage", "write", "/a", "--content", "x"}).exit_code == 0);
  int pid = created().at(0);
  auto stopped = homeboy({"module", "stop", "native"});
  BOOST_TEST_REQUIRE(stopped.exit_code == 0, stopped.out);
  BOOST_TEST(stopped.json().at("data").at("stopped").at(0).at("pid").to_number<int>() == pid);
  BOOST_TEST(eventually([&] { return !process_alive(pid); }, 5s));
  BOOST_TEST(daemons().empty());
  auto read = homeboy({"storage", "read", "/a"});
  BOOST_TEST(error_code(read) == "storage.not_found", "a fresh plugin, with nothing in memory");
  BOOST_TEST(created().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_new_library_replaces_it) {
  fs::path module = builder().write();
  BOOST_TEST_REQUIRE(homeboy({"storage", "write", "/a", "--content", "x"}).exit_code == 0);
  int first = created().at(0);
  // As a rebuild or an upgrade does: a new file in the library's place.
  fs::path library = module / fixture_plugin("good").filename();
  fs::remove(library);
  fs::copy_file(fixture_plugin("good"), library);
  BOOST_TEST(text_of(daemons().at(0).at("fingerprint_status")) == "stale");
  BOOST_TEST(homeboy({"storage", "list", "/"}).exit_code == 0);
  BOOST_TEST_REQUIRE(created().size() == 2u);
  BOOST_TEST(created()[1] != first);
  BOOST_TEST(eventually([&] { return !process_alive(first); }, 5s), "the old daemon was stopped");
  BOOST_TEST(daemons().size() == 1u);
}

BOOST_AUTO_TEST_CASE(it_stops_itself_once_idle) {
  builder().idle_secs(0.5).write();
  BOOST_TEST_REQUIRE(homeboy({"storage", "list", "/"}).exit_code == 0);
  int pid = created().at(0);
  BOOST_TEST(eventually([&] { return !process_alive(pid); }, 10s), "still running after 10 s idle");
}

BOOST_AUTO_TEST_CASE(a_plugin_that_cannot_be_loaded_is_reported_as_in_process) {
  // A mistake in the settings: exit 2 naming it, and no daemon left waiting.
  builder().config({{"pid_file", pid_file.string()}, {"port", "abc"}}).write();
  auto wrong = homeboy({"storage", "status"});
  BOOST_TEST(wrong.exit_code == 2, wrong.out);
  BOOST_TEST(error_code(wrong) == "storage.invalid_config");
  BOOST_TEST(wrong.json().at("error").at("details").at("setting") == json::value("port"));
  BOOST_TEST(eventually([&] { return daemons().empty(); }, 5s), "the daemon that could not load its plugin ended");
  // No entry symbol, and an executable to fall back on: the same reason as in-process.
  fs::remove_all(modules / "native");
  ModuleBuilder(modules, "native")
      .library_file(fixture_plugin("missing_symbol"))
      .executable("bash " + (bundled_module_dir("builtin-filesystem") / "storage.sh").string())
      .daemon()
      .write();
  auto fallback = homeboy({"storage", "status"});
  BOOST_TEST(fallback.exit_code == 0, fallback.out);
  BOOST_TEST(text_of(fallback.json().at("data").at("provider").at("fallback_reason")).starts_with("entry_symbol_missing"));
  BOOST_TEST(text_of(fallback.json().at("data").at("provider").at("transport")) != "daemon");
}

BOOST_AUTO_TEST_CASE(a_crash_ends_the_daemon_not_the_command_after) {
  builder("crash").write();
  BOOST_TEST_REQUIRE(homeboy({"storage", "write", "/a", "--content", "x"}).exit_code == 0);
  int first = created().at(0);
  auto crashed = homeboy({"storage", "read", "/crash"});
  BOOST_TEST(crashed.exit_code == 1);
  BOOST_TEST(error_code(crashed) == "storage.provider_failed", crashed.out);
  BOOST_TEST(eventually([&] { return !process_alive(first); }, 5s));
  auto after = homeboy({"storage", "read", "/a"});
  BOOST_TEST(error_code(after) == "storage.not_found", "a fresh daemon serves the next command");
  // The read that crashed it went once to a fresh daemon (a read is safe to send again), which
  // crashed too; then the next command's: three in all, never more.
  BOOST_TEST(created().size() == 3u);
}

BOOST_AUTO_TEST_CASE(module_test_runs_through_the_daemon_and_leaves_none) {
  fs::path module = builder().write();
  // The fixture is no complete store (some cases fail): what matters is where they ran.
  auto tested = homeboy({"module", "test", module.string(), "--json"});
  json::value parsed = tested.json();
  const auto& report = tested.exit_code == 0 ? parsed.at("data") : parsed.at("error").at("details");
  BOOST_TEST(text_of(report.at("transport")) == "daemon", tested.out);
  BOOST_TEST(report.at("passed").to_number<int>() > 10);
  BOOST_TEST(daemons().empty());
}

// Connections from another user are closed unanswered, when a runtime folder opened by
// mistake lets them reach the socket at all. Another user is made up with setresuid.
BOOST_AUTO_TEST_CASE(only_its_own_user_is_served, *boost::unit_test::precondition(as_root)) {
  builder().write();
  BOOST_TEST_REQUIRE(homeboy({"storage", "write", "/a", "--content", "x"}).exit_code == 0);
  std::string socket = text_of(daemons().at(0).at("socket"));
  for (const fs::path& open : {dir.path(), run, runtime, fs::path(socket)}) fs::permissions(open, fs::perms::all);
  int answer[2];
  BOOST_TEST_REQUIRE(::pipe(answer) == 0);
  pid_t stranger = ::fork();
  if (stranger == 0) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    char got[256];
    if (::setresuid(65534, 65534, 65534) != 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      ::_exit(2);
    ssize_t n = ::read(fd, got, sizeof got);  // end of file: closed without a word
    (void)!::write(answer[1], got, n > 0 ? static_cast<std::size_t>(n) : 0);
    ::_exit(n == 0 ? 0 : 1);
  }
  ::close(answer[1]);
  int status = 0;
  ::waitpid(stranger, &status, 0);
  char seen[256];
  ssize_t n = ::read(answer[0], seen, sizeof seen);
  ::close(answer[0]);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0, "the stranger got: " << std::string(seen, n > 0 ? static_cast<std::size_t>(n) : 0));
  for (const fs::path& closed : {dir.path(), run, runtime})
    fs::permissions(closed, fs::perms::owner_all, fs::perm_options::replace);
  auto read = homeboy({"storage", "read", "--raw", "/a"});
  BOOST_TEST(read.out == "x", "and its own user is still served: " << read.err);
}

BOOST_AUTO_TEST_SUITE_END()
