// Module daemons: the first command starts one, later commands reuse it; it is replaced when
// its files change, stops when idle, asked, or uninstalled; every failure ends in a clear
// error within the timeout and the next command starts a fresh daemon. Each test has its own
// runtime folder (XDG_RUNTIME_DIR) and leaves no process behind.
#define BOOST_TEST_MODULE daemon
#include <boost/test/unit_test.hpp>

#include "homeboy/transport/daemon.hpp"
#include "homeboy/transport/daemon_transport.hpp"
#include "homeboy/storage.hpp"
#include "support.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

using namespace homeboy;
using namespace homeboy::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const fs::path daemon_script = fs::path(HOMEBOY_TEST_FIXTURES_DIR) / "modules" / "daemon.py";

std::string text_of(const json::value& v) { return std::string(v.as_string()); }

int pid_in(const std::string& read_output) {  // "pid P request N"
  std::istringstream in(read_output);
  std::string word;
  int pid = -1;
  in >> word >> pid;
  return pid;
}

int request_in(const std::string& read_output) {
  std::istringstream in(read_output);
  std::string word;
  int pid = -1, n = -1;
  in >> word >> pid >> word >> n;
  return n;
}

boost::test_tools::assertion_result as_root(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result root(::geteuid() == 0);
  root.message() << "it needs root, to act as another user";
  return root;
}

// XDG_RUNTIME_DIR set for this process (for the host library called in-process), and put
// back as it was at the end of the scope.
class RuntimeForThisProcess {
 public:
  explicit RuntimeForThisProcess(const fs::path& dir) {
    if (const char* old = std::getenv("XDG_RUNTIME_DIR")) old_ = old;
    ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
  }
  ~RuntimeForThisProcess() {
    if (old_) ::setenv("XDG_RUNTIME_DIR", old_->c_str(), 1);
    else ::unsetenv("XDG_RUNTIME_DIR");
  }

 private:
  std::optional<std::string> old_;
};

struct Fixture {
  ScratchDir dir;
  fs::path modules = dir / "modules";
  fs::path config = dir / "config";
  fs::path run = dir / "run";
  fs::path runtime = run / "homeboy";  // where homeboy keeps the daemons' files
  int calls = 0;

  Fixture() {
    fs::create_directories(modules);
    fs::create_directory(run);
    fs::permissions(run, fs::perms::owner_all, fs::perm_options::replace);
  }

  // Stops what is left, and checks that no process any test module started still runs.
  ~Fixture() {
    std::error_code ec;
    if (fs::exists(runtime, ec)) daemon::stop_where(runtime, [](const daemon::State&) { return true; });
    for (auto it = fs::recursive_directory_iterator(dir.path(), ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name != "pids" && name != "grandchild.pid") continue;
      std::istringstream in(read_file(it->path()));
      for (int pid; in >> pid;) {
        BOOST_TEST(eventually([&] { return !process_alive(pid); }, 5s), "process " << pid << " was left running");
        if (process_alive(pid)) ::kill(pid, SIGKILL);
      }
    }
  }

  ModuleBuilder builder(const std::string& mode, double timeout_secs = 5, fs::path root = {}) {
    return std::move(ModuleBuilder(root.empty() ? modules : root, "daemon-" + mode)
                         .executable("/usr/bin/python3 -S " + daemon_script.string() + " " + mode)
                         .daemon()
                         .timeout_secs(timeout_secs));
  }
  fs::path module(const std::string& mode, double timeout_secs = 5) { return builder(mode, timeout_secs).write(); }

  Env env(Env extra = {}) const {
    Env out{{"HOMEBOY_MODULE_PATH", modules.string()},
            {"HOMEBOY_CONFIG_DIR", config.string()},
            {"XDG_RUNTIME_DIR", run.string()},
            {"SECRET_TOKEN", "not for modules"}};
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
  }

  // homeboy as a user runs it. Not through run_cli: its supervisor kills everything the
  // command leaves behind, the daemon included, which is right for modules but not here.
  CliResult homeboy(const std::vector<std::string>& args, const Env& extra = {}) {
    fs::path out = dir / ("cli-" + std::to_string(++calls));
    fs::create_directory(out);
    BackgroundCli cli(args, env(extra), out);
    auto result = cli.wait(60s);
    BOOST_TEST_REQUIRE(result.has_value(), "homeboy " << args.front() << " did not finish in 60 s");
    return *result;
  }

  std::string read(const Env& extra = {}) {
    auto r = homeboy({"storage", "read", "--raw", "/a"}, extra);
    BOOST_TEST_REQUIRE(r.exit_code == 0, "read failed: " << r.err);
    return r.out;
  }

  json::array daemons(bool all = false) {
    auto r = homeboy(all ? std::vector<std::string>{"module", "daemons", "--all"} : std::vector<std::string>{"module", "daemons"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.out << r.err);
    return r.json().at("data").at("daemons").as_array();
  }

  // What the fixture module wrote: its pids, and its grandchild's.
  fs::path written_by(const fs::path& module_dir) { return config / module_dir.filename(); }

  std::vector<int> pids(const fs::path& module_dir) {
    std::istringstream in(read_file(written_by(module_dir) / "pids"));
    std::vector<int> out;
    for (int pid; in >> pid;) out.push_back(pid);
    return out;
  }

  std::optional<daemon::State> state_of(const std::string& id) {
    return daemon::read_state(daemon::files_for(runtime, id, config).state);
  }
};

// Runs `homeboy storage read --raw /a | cat > out` outside any supervisor: it ends only once
// nothing holds the pipe's writing end, so it proves the daemon holds none of homeboy's output.
int piped_read_exit(const Fixture& f, const fs::path& out) {
  std::vector<std::string> argv_text{"/bin/sh", "-c", "\"$0\" storage read --raw /a | cat > \"$1\"",
                                     homeboy_cli().string(), out.string()};
  Env overrides = f.env({{"HOMEBOY_STORAGE_TRANSPORT", ""}, {"HOMEBOY_QUIET", ""}});
  std::vector<std::string> env_text = environment_with(overrides);
  auto argv = c_strings(argv_text);
  auto envp = c_strings(env_text);
  pid_t pid = -1;
  BOOST_TEST_REQUIRE(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data()) == 0);
  int status = 0;
  bool ended = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 20s);
  if (!ended) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string environ_of(int pid) {
  std::string env = read_file("/proc/" + std::to_string(pid) + "/environ");
  std::replace(env.begin(), env.end(), '\0', '\n');
  return env;
}

std::uint64_t start_time_of(int pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int i = 3; i < 22; ++i) fields >> field;  // fields 3..21; the next one is the start time
  std::uint64_t start = 0;
  fields >> start;
  return start;
}

int parent_of(int pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::string state;
  int ppid = -1;
  in >> state >> ppid;
  return ppid;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(daemons, Fixture)

BOOST_AUTO_TEST_CASE(the_manifest_opts_in_with_clear_errors) {
  Module m = builder("ok").idle_secs(0.5).load();
  BOOST_TEST(m.manifest.runtime.daemon);
  BOOST_TEST(m.manifest.runtime.idle.count() == 500);
  BOOST_TEST(builder("defaults").load().manifest.runtime.idle.count() == 300'000, "idle_secs defaults to 300");
  auto refused = [&](ModuleBuilder b, const std::string& says) {
    try {
      b.load();
    } catch (const Error& e) {
      BOOST_TEST(e.code() == "config.invalid_manifest");
      BOOST_TEST(std::string(e.what()).find(says) != std::string::npos, e.what());
      return;
    }
    BOOST_ERROR("the manifest was accepted; it should say: " << says);
  };
  refused(builder("zero").idle_secs(0), "\"runtime.idle_secs\" must be a number of seconds above 0");
  refused(builder("long").idle_secs(8 * 24 * 3600), "at most 604800");
  refused(ModuleBuilder(modules, "nothing").not_a_provider().daemon(),
          "\"runtime.daemon\" needs \"runtime.executable\" or \"runtime.library\"");
  BOOST_TEST(ModuleBuilder(modules, "native").library("lib.so").daemon().load().manifest.runtime.daemon,
             "a native plugin may run as a daemon too (test_native_daemon.cpp)");
  refused(ModuleBuilder(modules, "text").manifest_text(
              R"({"name": "x", "version": "1", "runtime": {"executable": "true", "daemon": "yes"}})"),
          "\"runtime.daemon\" must be true or false");
}

BOOST_AUTO_TEST_CASE(the_runtime_folder_is_private) {
  RuntimeForThisProcess scoped(run);
  BOOST_TEST(daemon::runtime_dir() == runtime);
  BOOST_TEST(((fs::status(runtime).permissions() & fs::perms::all) == fs::perms::owner_all));
  fs::permissions(runtime, fs::perms::all);
  daemon::runtime_dir();
  BOOST_TEST(((fs::status(runtime).permissions() & fs::perms::all) == fs::perms::owner_all), "a folder too open is closed");
  fs::remove(runtime);
  fs::create_directory(dir / "elsewhere");
  fs::create_directory_symlink(dir / "elsewhere", runtime);
  BOOST_CHECK_EXCEPTION(daemon::runtime_dir(), Error,
                        [](const Error& e) { return e.code() == "config.unsafe_private_folder"; });
}

BOOST_AUTO_TEST_CASE(the_first_command_starts_a_daemon_and_later_commands_reuse_it) {
  fs::path m = module("ok");
  auto status = homeboy({"storage", "status", "--offline"});  // starts nothing: the reads below are the first requests
  BOOST_TEST(text_of(status.json().at("data").at("provider").at("transport")) == "daemon");
  BOOST_TEST(status.json().at("data").at("reachable").is_null());
  BOOST_TEST(daemons().empty());

  std::string first = read(), second = read(), third = read();
  int pid = pid_in(first);
  BOOST_TEST(pid > 0);
  BOOST_TEST(pid_in(second) == pid);
  BOOST_TEST(pid_in(third) == pid);
  BOOST_TEST(request_in(third) == 3, "one process served the three commands");
  BOOST_TEST(pids(m) == std::vector<int>{pid});

  auto listed = daemons();
  BOOST_TEST_REQUIRE(listed.size() == 1u);
  const auto& d = listed[0].as_object();
  BOOST_TEST(text_of(d.at("id")) == "daemon-ok");
  BOOST_TEST(d.at("pid").to_number<int>() == pid);
  BOOST_TEST(text_of(d.at("fingerprint_status")) == "current");
  BOOST_TEST(text_of(d.at("config_dir")) == config.string());
  BOOST_TEST(!d.at("last_request").is_null());
  BOOST_TEST(fs::is_socket(text_of(d.at("socket"))));

  // Detached from the command, supervised, with the minimal environment of any module.
  int supervisor = d.at("supervisor_pid").to_number<int>();
  BOOST_TEST(parent_of(pid) == supervisor);
  BOOST_TEST(::getsid(supervisor) == supervisor, "the daemon runs in a session of its own");
  std::string env = environ_of(pid);
  BOOST_TEST(env.find("SECRET_TOKEN") == std::string::npos, env);
  BOOST_TEST(env.find("LISTEN_FDS=1\n") != std::string::npos, env);
  BOOST_TEST(env.find("LISTEN_PID=" + std::to_string(pid) + "\n") != std::string::npos, env);
  BOOST_TEST(env.find("HOMEBOY_DAEMON_SOCKET=" + text_of(d.at("socket"))) != std::string::npos, env);

  // `storage status` checks the daemon answers: one more request, to the same process.
  auto checked = homeboy({"storage", "status"});
  BOOST_TEST(checked.json().at("data").at("reachable") == json::value(true));
  BOOST_TEST(request_in(read()) == 5);
}

BOOST_AUTO_TEST_CASE(a_command_does_not_wait_for_the_daemon_it_started) {
  module("ok");
  BOOST_TEST(piped_read_exit(*this, dir / "out") == 0, "the pipe holding homeboy's output never closed");
  BOOST_TEST(pid_in(read_file(dir / "out")) > 0);
  BOOST_TEST(daemons().size() == 1u, "and the daemon still runs");
}

BOOST_AUTO_TEST_CASE(module_stop_stops_it) {
  module("ok");
  int pid = pid_in(read());
  int supervisor = state_of("daemon-ok")->supervisor_pid;
  auto stopped = homeboy({"module", "stop", "daemon-ok"});
  BOOST_TEST_REQUIRE(stopped.exit_code == 0, stopped.out);
  auto list = stopped.json().at("data").at("stopped").as_array();
  BOOST_TEST_REQUIRE(list.size() == 1u);
  BOOST_TEST(list[0].at("pid").to_number<int>() == pid);
  BOOST_TEST(!process_alive(pid));
  BOOST_TEST(!process_alive(supervisor));
  BOOST_TEST(daemons().empty());
  BOOST_TEST(!fs::exists(daemon::files_for(runtime, "daemon-ok", config).socket));

  auto again = homeboy({"module", "stop", "daemon-ok"});
  BOOST_TEST(again.exit_code == 0, "stopping a module without a daemon is fine");
  BOOST_TEST(again.json().at("data").at("stopped").as_array().empty());
  BOOST_TEST(error_code(homeboy({"module", "stop", "no-such-module"})) == "module.not_found");
  BOOST_TEST(error_code(homeboy({"module", "stop"})) == "cli.invalid_argument");
  BOOST_TEST(pid_in(read()) != pid, "the next command starts a fresh daemon");
}

BOOST_AUTO_TEST_CASE(module_stop_all_stops_every_daemon_of_the_user) {
  module("ok");
  read();
  auto other_config = homeboy({"--config-dir", (dir / "other-config").string(), "storage", "read", "/a"});
  BOOST_TEST_REQUIRE(other_config.exit_code == 0, other_config.out);
  BOOST_TEST(daemons().size() == 1u, "module daemons lists this config folder's");
  auto listed = homeboy({"module", "daemons"}).json().at("data").as_object();
  BOOST_TEST(listed.at("scope") == "this_config_folder");
  BOOST_TEST(listed.at("other_config_folders_daemons") == 1, "and counts the other folder's");
  BOOST_TEST(daemons(true).size() == 2u, "--all: one daemon per config folder");
  auto stopped = homeboy({"module", "stop", "--all"});
  BOOST_TEST(stopped.json().at("data").at("stopped").as_array().size() == 2u);
  BOOST_TEST(daemons(true).empty());
}

BOOST_AUTO_TEST_CASE(uninstalling_the_module_stops_its_daemon) {
  fs::path source = builder("ok", 5, dir / "source").write();
  Env installed{{"HOMEBOY_MODULE_PATH", ""}};
  // A test double, not a complete provider: made active without the conformance check.
  BOOST_TEST_REQUIRE(homeboy({"module", "install", source.string(), "--activate", "--no-check"}, installed).exit_code == 0);
  auto r = homeboy({"storage", "read", "--raw", "/a"}, installed);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  int pid = pid_in(r.out);
  auto removed = homeboy({"module", "uninstall", "daemon-ok", "--force"}, installed);
  BOOST_TEST_REQUIRE(removed.exit_code == 0, removed.out);
  auto stopped = removed.json().at("data").at("daemons_stopped").as_array();
  BOOST_TEST_REQUIRE(stopped.size() == 1u);
  BOOST_TEST(stopped[0].at("pid").to_number<int>() == pid);
  BOOST_TEST(!process_alive(pid));
  BOOST_TEST(daemons().empty());
}

BOOST_AUTO_TEST_CASE(the_daemon_stops_itself_once_idle) {
  fs::path m = builder("ok").idle_secs(1).write();
  int pid = pid_in(read());
  int supervisor = state_of("daemon-ok")->supervisor_pid;
  BOOST_TEST(process_alive(pid));
  BOOST_TEST(eventually([&] { return !process_alive(pid) && !process_alive(supervisor); }, 8s),
             "the daemon still runs after 8 s, idle_secs being 1");
  BOOST_TEST(daemons().empty(), "a daemon that ended is not listed");
  int next = pid_in(read());
  BOOST_TEST(next != pid, "the next command starts a fresh daemon");
  BOOST_TEST(pids(m).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_daemon_in_use_is_not_stopped_as_idle) {
  Module m = builder("ok").idle_secs(0.5).load();
  RuntimeForThisProcess scoped(run);
  {
    // One command that keeps its connection for longer than idle_secs between requests.
    Storage s(ProviderInfo{m.id, "test", homeboy::SelectedBy::named, std::nullopt, m.manifest_path},
              std::make_unique<DaemonTransport>(m, config));
    BOOST_TEST(homeboy::to_string(s.transport_kind()) == "daemon");
    int pid = pid_in(s.read("/a"));
    std::this_thread::sleep_for(2s);
    BOOST_TEST(pid_in(s.read("/a")) == pid, "the daemon was stopped while a command was connected");
  }
  BOOST_TEST(eventually([&] { return daemons().empty(); }, 8s), "it stops once the command is done");
}

BOOST_AUTO_TEST_CASE(a_change_to_its_files_or_settings_restarts_it) {
  fs::path m = module("ok");
  int first = pid_in(read());
  BOOST_TEST(text_of(daemons()[0].at("fingerprint_status")) == "current");

  write_file(m / "helper.py", "# a file next to the module's code\n");
  BOOST_TEST(text_of(daemons()[0].at("fingerprint_status")) == "stale");
  int second = pid_in(read());
  BOOST_TEST(second != first, "a new file in the module folder restarts the daemon");
  BOOST_TEST(!process_alive(first), "the old daemon was stopped");
  BOOST_TEST(text_of(daemons()[0].at("fingerprint_status")) == "current");

  builder("ok", 7).write();  // the manifest changes
  int third = pid_in(read());
  BOOST_TEST(third != second);
  BOOST_TEST(pid_in(read({{"LANG", "C.UTF-8"}, {"LC_ALL", "C"}})) != third, "another environment, another daemon");
  BOOST_TEST(daemons().size() == 1u, "never two daemons for one module and config");
}

BOOST_AUTO_TEST_CASE(racing_commands_start_one_daemon) {
  fs::path m = module("slow-start");
  std::vector<std::unique_ptr<BackgroundCli>> clis;
  for (int i = 0; i < 8; ++i) {
    fs::path out = dir / ("race-" + std::to_string(i));
    fs::create_directory(out);
    clis.push_back(std::make_unique<BackgroundCli>(std::vector<std::string>{"storage", "read", "--raw", "/a"}, env(), out));
  }
  std::set<int> served_by;
  for (auto& cli : clis) {
    auto r = cli->wait(60s);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->exit_code == 0, r->err);
    served_by.insert(pid_in(r->out));
  }
  BOOST_TEST(served_by.size() == 1u, "the commands were served by " << served_by.size() << " daemons");
  BOOST_TEST(pids(m).size() == 1u, "only one daemon was ever started");
}

BOOST_AUTO_TEST_CASE(a_runtime_folder_deeper_than_a_socket_address_holds_works) {
  // A Unix socket address holds 107 bytes of path; build folders and long home folders are
  // deeper than that. The socket is still made, found and reused there.
  run = dir / std::string(100, 'r');
  runtime = run / "homeboy";
  fs::create_directory(run);
  fs::permissions(run, fs::perms::owner_all, fs::perm_options::replace);
  fs::path m = module("ok");
  int pid = pid_in(read());
  BOOST_TEST(pid > 0);
  BOOST_TEST(pid_in(read()) == pid, "the second command reached the daemon the first one started");
  auto state = state_of("daemon-ok");
  BOOST_TEST_REQUIRE(state.has_value());
  BOOST_TEST(state->socket.native().size() > 107u, state->socket);
  BOOST_TEST(fs::is_socket(state->socket));
  BOOST_TEST(pids(m) == std::vector<int>{pid});

  auto stopped = homeboy({"module", "stop", "daemon-ok"});
  BOOST_TEST(stopped.exit_code == 0, stopped.out << stopped.err);
  BOOST_TEST(eventually([&] { return !process_alive(pid); }, 5s));
  BOOST_TEST(!fs::exists(state->socket));
  int next = pid_in(read());
  BOOST_TEST(next > 0);
  BOOST_TEST(next != pid);
}

BOOST_AUTO_TEST_CASE(a_stale_socket_is_cleaned_and_a_fresh_daemon_started) {
  module("ok");
  int pid = pid_in(read());
  auto state = state_of("daemon-ok");
  BOOST_TEST_REQUIRE(state.has_value());
  ::kill(state->supervisor_pid, SIGKILL);  // the module goes with it (PR_SET_PDEATHSIG)
  BOOST_TEST_REQUIRE(eventually([&] { return !process_alive(pid) && !process_alive(state->supervisor_pid); }, 5s));
  BOOST_TEST(fs::is_socket(state->socket), "the dead daemon's socket is still there");
  int next = pid_in(read());
  BOOST_TEST(next > 0);
  BOOST_TEST(next != pid);
}

BOOST_AUTO_TEST_CASE(a_deleted_socket_means_a_fresh_daemon_and_the_old_one_stopped) {
  module("ok");
  int pid = pid_in(read());
  fs::remove(state_of("daemon-ok")->socket);
  int next = pid_in(read());
  BOOST_TEST(next != pid);
  BOOST_TEST(!process_alive(pid), "the daemon nobody could reach any more was stopped");
  BOOST_TEST(daemons().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_read_lost_to_a_dying_daemon_is_answered_by_a_fresh_one) {
  module("crash-second");
  int pid = pid_in(read());
  std::string next = read();  // the daemon kills itself on this request
  BOOST_TEST(pid_in(next) != pid);
  BOOST_TEST(request_in(next) == 1, "a fresh daemon answered the read, sent to it again");
  BOOST_TEST(!process_alive(pid));
}

BOOST_AUTO_TEST_CASE(a_write_lost_to_a_dying_daemon_fails_clearly_and_is_not_sent_again) {
  module("crash-second");
  int pid = pid_in(read());
  auto start = std::chrono::steady_clock::now();
  auto r = homeboy({"storage", "write", "/a", "--content", "x"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(error_code(r) == "storage.provider_failed");
  std::string message = text_of(r.json().at("error").at("message"));
  BOOST_TEST(message.find("ended without answering 'write' (it was killed or crashed") != std::string::npos, message);
  BOOST_TEST(message.find("may have been applied, so it was not sent again") != std::string::npos, message);
  BOOST_TEST(message.find("the next command starts a fresh one") != std::string::npos, message);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 10s));
  BOOST_TEST(!process_alive(pid));
  std::string next = read();
  BOOST_TEST(pid_in(next) != pid);
  BOOST_TEST(request_in(next) == 1, "the fresh daemon's first request is this read: the write was not sent to it");
}

BOOST_AUTO_TEST_CASE(a_lost_write_on_a_version_is_sent_again_only_while_that_version_is_current) {
  fs::path m = builder("versions-crash-once").capabilities({"versions"}).write();
  int pid = pid_in(read());
  // The daemon dies on the write; the fresh one still reports version 1: not applied, so sent again.
  auto r = homeboy({"storage", "write", "/a", "--content", "x", "--if-version", "1"});
  BOOST_TEST(r.exit_code == 0, r.out << r.err);
  BOOST_TEST(!process_alive(pid));
  BOOST_TEST(pids(m).size() == 2u, "one fresh daemon");
  BOOST_TEST(read_file(written_by(m) / "requests") == "read\nwrite\nread\nwrite\n",
             "the lost write, the version checked on the fresh daemon, the write again");

  // The version moved on meanwhile: the write may have been applied, so it is not sent again.
  fs::remove(written_by(m) / "crashed");
  homeboy({"module", "stop", "daemon-versions-crash-once"});
  read();
  write_file(written_by(m) / "version", "2\n");
  r = homeboy({"storage", "write", "/a", "--content", "x", "--if-version", "1"});
  BOOST_TEST(error_code(r) == "storage.provider_failed", r.out);
  std::string message = text_of(r.json().at("error").at("message"));
  BOOST_TEST(message.find("the version it was conditional on is no longer current: it may have been applied, so it "
                          "was not sent again") != std::string::npos,
             message);
}

BOOST_AUTO_TEST_CASE(a_daemon_that_listens_again_on_its_socket_is_still_the_daemon) {
  // SO_PEERCRED then names the module, not its supervisor: homeboy recognises the processes
  // it started, and neither restarts the daemon nor calls it untrusted.
  fs::path m = module("relisten");
  int pid = pid_in(read());
  for (int i = 2; i <= 6; ++i) {
    std::string r = read();
    BOOST_TEST(pid_in(r) == pid, "a new daemon served command " << i);
    BOOST_TEST(request_in(r) == i);
  }
  BOOST_TEST(pids(m) == std::vector<int>{pid}, "only one daemon was ever started");
}

BOOST_AUTO_TEST_CASE(a_hung_daemon_is_killed_and_reported_as_a_timeout) {
  module("hang-second", 1);
  int pid = pid_in(read());
  int supervisor = state_of("daemon-hang-second")->supervisor_pid;
  auto start = std::chrono::steady_clock::now();
  auto r = homeboy({"storage", "read", "/a"});
  auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(error_code(r) == "storage.timeout");
  std::string message = text_of(r.json().at("error").at("message"));
  BOOST_TEST(message.find("did not answer 'read' within 1 s") != std::string::npos, message);
  BOOST_TEST((took < 10s), "it took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  BOOST_TEST(!process_alive(pid), "the hung daemon was killed");
  BOOST_TEST(!process_alive(supervisor));
  BOOST_TEST(request_in(read()) == 1, "the next command starts a fresh daemon");
}

BOOST_AUTO_TEST_CASE(an_interrupted_command_leaves_the_daemon_running) {
  module("hang-second", 30);
  int pid = pid_in(read());
  fs::path out = dir / "interrupted";
  fs::create_directory(out);
  BackgroundCli cli({"storage", "read", "/a"}, env(), out);
  std::this_thread::sleep_for(500ms);  // the request is (most likely) in flight
  cli.signal(SIGINT);
  auto r = cli.wait(10s);
  BOOST_TEST_REQUIRE(r.has_value(), "homeboy did not end on SIGINT");
  BOOST_TEST(r->exit_code == 130);
  BOOST_TEST(error_code(*r) == "cli.interrupted");
  BOOST_TEST(process_alive(pid), "the daemon is not the command's to stop");
}

BOOST_AUTO_TEST_CASE(a_daemon_answering_garbage_is_a_contract_violation) {
  module("garbage-second");
  int pid = pid_in(read());
  auto r = homeboy({"storage", "read", "/a"});
  BOOST_TEST(error_code(r) == "storage.contract_violation");
  BOOST_TEST(text_of(r.json().at("error").at("details").at("rule")) == "response_not_json");
  BOOST_TEST(eventually([&] { return !process_alive(pid); }, 5s));
  BOOST_TEST(request_in(read()) == 1, "the next command starts a fresh daemon");
}

BOOST_AUTO_TEST_CASE(a_daemon_without_a_proper_hello_is_a_contract_violation) {
  fs::path m = module("bad-hello");
  auto r = homeboy({"storage", "read", "/a"});
  BOOST_TEST(error_code(r) == "storage.contract_violation");
  BOOST_TEST(text_of(r.json().at("error").at("details").at("rule")) == "daemon_hello");
  auto started = pids(m);
  BOOST_TEST_REQUIRE(started.size() == 1u);
  BOOST_TEST(eventually([&] { return !process_alive(started[0]); }, 5s));
}

BOOST_AUTO_TEST_CASE(a_daemon_that_is_not_ready_in_time_is_a_timeout) {
  // 1 s: long enough for Python to start (and write its pid) on a loaded machine, short of
  // the 2 s the module waits.
  fs::path m = module("slow-start", 1);
  auto start = std::chrono::steady_clock::now();
  auto r = homeboy({"storage", "read", "/a"});
  BOOST_TEST(error_code(r) == "storage.timeout");
  std::string message = text_of(r.json().at("error").at("message"));
  BOOST_TEST(message.find("did not say it was ready within 1 s") != std::string::npos, message);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 10s));
  auto started = pids(m);
  BOOST_TEST_REQUIRE(started.size() == 1u);
  BOOST_TEST(!process_alive(started[0]));
}

BOOST_AUTO_TEST_CASE(nothing_the_daemon_starts_outlives_it) {
  fs::path m = module("setsid-child");
  read();
  int grandchild = read_pid(written_by(m) / "grandchild.pid");
  BOOST_TEST_REQUIRE(grandchild > 0);
  BOOST_TEST(process_alive(grandchild), "it lives as long as the daemon");
  homeboy({"module", "stop", "daemon-setsid-child"});
  BOOST_TEST(!process_alive(grandchild), "the setsid grandchild outlived its daemon");
}

BOOST_AUTO_TEST_CASE(peer_credentials_name_a_process_of_the_daemon_homeboy_started) {
  // This test process stands for the supervisor: its children are the daemon's processes.
  daemon::State state;
  state.supervisor_pid = ::getpid();
  state.supervisor_start = start_time_of(::getpid());
  pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  BOOST_TEST_REQUIRE(child > 0);
  uid_t me = ::geteuid();
  BOOST_TEST(!daemon::peer_problem(me, ::getpid(), me, state).has_value(), "the supervisor itself");
  BOOST_TEST(!daemon::peer_problem(me, child, me, state).has_value(), "a process it started (the module)");
  auto other_user = daemon::peer_problem(me + 1, child, me, state);
  BOOST_TEST_REQUIRE(other_user.has_value());
  BOOST_TEST(other_user->find("user id " + std::to_string(me + 1)) != std::string::npos, *other_user);
  auto other_process = daemon::peer_problem(me, 1, me, state);
  BOOST_TEST_REQUIRE(other_process.has_value());
  BOOST_TEST(other_process->find("pid 1 (") != std::string::npos, *other_process);
  BOOST_TEST(other_process->find("not a process of the daemon homeboy started") != std::string::npos, *other_process);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  state.supervisor_start += 1;  // the recorded supervisor ended and its pid was reused
  BOOST_TEST(daemon::peer_problem(me, ::getpid(), me, state).has_value());
}

// Another user is made up with setresuid, so this needs root.
BOOST_AUTO_TEST_CASE(a_socket_served_by_another_user_is_refused, *boost::unit_test::precondition(as_root)) {
  module("ok");
  RuntimeForThisProcess scoped(run);
  auto files = daemon::files_for(daemon::runtime_dir(), "daemon-ok", config);
  int ready[2];
  BOOST_TEST_REQUIRE(::pipe(ready) == 0);
  pid_t impostor = ::fork();
  if (impostor == 0) {
    // Binds the daemon's socket, then listens as user nobody: SO_PEERCRED names nobody.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, files.socket.c_str());
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::setresuid(65534, 65534, 65534) != 0 ||
        ::listen(fd, 8) != 0)
      ::_exit(1);
    (void)!::write(ready[1], "x", 1);
    ::pause();
    ::_exit(0);
  }
  char c;
  BOOST_TEST_REQUIRE(::read(ready[0], &c, 1) == 1);
  auto r = homeboy({"storage", "read", "/a"});
  ::kill(impostor, SIGKILL);
  ::waitpid(impostor, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  BOOST_TEST(error_code(r) == "storage.untrusted_daemon");
  BOOST_TEST(text_of(r.json().at("error").at("message")).find("user id 65534") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(a_state_file_homeboy_did_not_write_is_ignored) {
  // A runtime folder left open for a while: someone plants a state file naming a process of
  // the user's, with its real start time. Neither `module daemons` nor `module stop` trusts it.
  fs::create_directory(runtime);
  fs::permissions(runtime, fs::perms::owner_all, fs::perm_options::replace);
  pid_t victim = ::fork();
  if (victim == 0) {
    ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  BOOST_TEST_REQUIRE(victim > 0);
  std::string stat = read_file("/proc/" + std::to_string(victim) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int i = 3; i < 22; ++i) fields >> field;  // fields 3..21; the next one is the start time
  std::uint64_t start = 0;
  fields >> start;
  BOOST_TEST_REQUIRE(start > 0u);
  fs::path planted = runtime / "daemon-ok-000000000000.json";
  json::object state{{"module_id", "daemon-ok"}, {"config_dir", config.string()}, {"supervisor_pid", victim},
                     {"supervisor_start", start}, {"pid", victim}, {"fingerprint", "x"}, {"started", 1}};
  auto plant = [&](fs::perms mode) {
    write_file(planted, json::serialize(state));
    fs::permissions(planted, mode, fs::perm_options::replace);
  };
  // Open to others: not as homeboy writes it.
  plant(fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  BOOST_TEST(daemons().empty(), "a state file open to others is not listed");
  plant(fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  auto stopped = homeboy({"module", "stop", "--all"});
  BOOST_TEST(stopped.exit_code == 0, stopped.out);
  BOOST_TEST(stopped.json().at("data").at("stopped").as_array().empty(), stopped.out);
  BOOST_TEST(process_alive(victim), "the process the planted file named was not signalled");
  if (::geteuid() == 0) {
    // Closed, but owned by another user: still not homeboy's.
    plant(fs::perms::owner_read | fs::perms::owner_write);
    BOOST_TEST_REQUIRE(::chown(planted.c_str(), 65534, 65534) == 0);
    BOOST_TEST(daemons().empty());
    plant(fs::perms::owner_read | fs::perms::owner_write);
    BOOST_TEST_REQUIRE(::chown(planted.c_str(), 65534, 65534) == 0);
    homeboy({"module", "stop", "--all"});
    BOOST_TEST(process_alive(victim));
  }
  ::kill(victim, SIGKILL);
  ::waitpid(victim, nullptr, 0);
}

// The shipped sqlite-storage module as a daemon: data kept across commands, one process.
BOOST_AUTO_TEST_CASE(the_sqlite_module_runs_as_a_daemon) {
  Env installed{{"HOMEBOY_MODULE_PATH", ""}};
  fs::path source = fs::path(HOMEBOY_TEST_SOURCE_MODULES_DIR) / "sqlite-storage";
  // A test double, not a complete provider: made active without the conformance check.
  BOOST_TEST_REQUIRE(homeboy({"module", "install", source.string(), "--activate", "--no-check"}, installed).exit_code == 0);
  auto status = homeboy({"storage", "status"}, installed);
  BOOST_TEST(text_of(status.json().at("data").at("provider").at("transport")) == "daemon");
  BOOST_TEST(homeboy({"storage", "ensure-dir", "/notes"}, installed).exit_code == 0);
  BOOST_TEST(homeboy({"storage", "write", "/notes/a", "--content", "kept"}, installed).exit_code == 0);
  auto r = homeboy({"storage", "read", "--raw", "/notes/a"}, installed);
  BOOST_TEST(r.out == "kept");
  auto listed = daemons();
  BOOST_TEST_REQUIRE(listed.size() == 1u);
  int pid = listed[0].at("pid").to_number<int>();

  // The database removed under the daemon (a config folder emptied by hand): the daemon
  // opens a new one rather than write to a file nobody sees.
  for (const char* file : {"storage.db", "storage.db-wal", "storage.db-shm"}) fs::remove(config / file);
  BOOST_TEST(homeboy({"storage", "ensure-dir", "/notes"}, installed).exit_code == 0);
  BOOST_TEST(homeboy({"storage", "write", "/notes/a", "--content", "kept"}, installed).exit_code == 0);
  BOOST_TEST(fs::exists(config / "storage.db"));
  BOOST_TEST(daemons()[0].at("pid").to_number<int>() == pid, "the same daemon");

  // HOMEBOY_STORAGE_TRANSPORT=subprocess: the same module, persistent, without the daemon.
  Env plain{{"HOMEBOY_MODULE_PATH", ""}, {"HOMEBOY_STORAGE_TRANSPORT", "subprocess"}};
  auto persistent = homeboy({"storage", "status"}, plain);
  BOOST_TEST(text_of(persistent.json().at("data").at("provider").at("transport")) == "persistent");
  BOOST_TEST(homeboy({"storage", "read", "--raw", "/notes/a"}, plain).out == "kept");

  if (::geteuid() == 0) {
    // The module itself refuses another user's connection (the runtime folder would keep
    // them out; it is opened here to reach the module's own check).
    for (const fs::path& folder : {dir.path(), run, runtime})
      fs::permissions(folder, fs::perms::others_exec, fs::perm_options::add);
    fs::permissions(listed[0].at("socket").as_string().c_str(), fs::perms::all);
    std::string socket_path(listed[0].at("socket").as_string());
    pid_t other = ::fork();
    if (other == 0) {
      int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::strcpy(addr.sun_path, socket_path.c_str());
      if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0)
        ::_exit(2);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ::_exit(10 + errno);
      timeval limit{5, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      char buffer[64];
      ::_exit(::read(fd, buffer, sizeof buffer) == 0 ? 0 : 1);  // closed, without a hello
    }
    int status = 0;
    ::waitpid(other, &status, 0);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0),
               "the daemon did not close another user's connection (status " << status << ")");
    BOOST_TEST(read_file(listed[0].at("log").as_string().c_str()).find("refused a connection from user id 65534") !=
               std::string::npos);
    for (const fs::path& folder : {dir.path(), run, runtime})
      fs::permissions(folder, fs::perms::others_exec, fs::perm_options::remove);
  }

  auto removed = homeboy({"module", "uninstall", "sqlite-storage", "--force"}, installed);
  BOOST_TEST(removed.json().at("data").at("daemons_stopped").as_array().size() == 1u);
  BOOST_TEST(!process_alive(pid));
}

// sqlite-storage takes content raw: as a daemon (its hello offers it) and as a persistent
// module (its manifest declares "raw_content"). Writes and reads of every size come back byte
// for byte, a refused conditional write leaves the stream in step, and content from 1 MiB on
// goes through the blob written in place.
BOOST_AUTO_TEST_CASE(the_sqlite_module_takes_content_raw) {
  Env installed{{"HOMEBOY_MODULE_PATH", ""}};
  fs::path source = fs::path(HOMEBOY_TEST_SOURCE_MODULES_DIR) / "sqlite-storage";
  BOOST_TEST_REQUIRE(homeboy({"module", "install", source.string(), "--activate", "--no-check"}, installed).exit_code == 0);
  BOOST_TEST_REQUIRE(homeboy({"storage", "ensure-dir", "/raw"}, installed).exit_code == 0);
  Env persistent{{"HOMEBOY_MODULE_PATH", ""}, {"HOMEBOY_STORAGE_TRANSPORT", "subprocess"}};
  BOOST_TEST(text_of(homeboy({"storage", "status", "--offline"}, persistent).json().at("data").at("provider").at(
                 "transport")) == "persistent");
  int pid = 0;
  for (const Env* env : {&installed, &persistent}) {
    std::string how = env == &installed ? "daemon" : "persistent";
    for (std::size_t size : {std::size_t{0}, std::size_t{5}, std::size_t{65537}, (std::size_t{1} << 20) + 3,
                             std::size_t{3} << 20}) {
      std::string content(size, '\n');
      for (std::size_t i = 0; i < size; ++i) content[i] = static_cast<char>((i * 151 + i / 7) & 0xFF);
      const std::string lookalike = "{\"data_length\":9,\"success\":true}\n";
      if (size > 40) content.replace(7, lookalike.size(), lookalike);
      fs::path file = dir / ("content-" + std::to_string(size));
      write_file(file, content);
      std::string path = "/raw/" + how + std::to_string(size);
      auto written = homeboy({"storage", "write", path, "--file", file.string()}, *env);
      BOOST_TEST_REQUIRE(written.exit_code == 0, how << ": " << written.out);
      auto read = homeboy({"storage", "read", "--raw", path}, *env);
      BOOST_TEST(read.exit_code == 0);
      BOOST_TEST(read.out.size() == size);
      BOOST_TEST((read.out == content), how << ": " << size << " bytes come back byte for byte");
      // A stale version is refused after the content was sent; the next request is answered.
      auto stale = homeboy({"storage", "write", path, "--file", file.string(), "--if-version", "999999"}, *env);
      BOOST_TEST(stale.exit_code != 0);
      BOOST_TEST(stale.out.find("storage.conflict") != std::string::npos, stale.out);
      BOOST_TEST(homeboy({"storage", "read", "--raw", path}, *env).out == content);
    }
    if (env != &installed) continue;
    auto listed = daemons();
    BOOST_TEST_REQUIRE(listed.size() == 1u);
    if (!pid) pid = listed[0].at("pid").to_number<int>();
    BOOST_TEST(listed[0].at("pid").to_number<int>() == pid, "one daemon served every size");
  }
  BOOST_TEST(homeboy({"module", "stop", "sqlite-storage"}, installed).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(module_test_leaves_no_daemon_behind) {
  fs::path source = fs::path(HOMEBOY_TEST_SOURCE_MODULES_DIR) / "sqlite-storage";
  auto r = homeboy({"module", "test", source.string(), "--json"});
  BOOST_TEST(r.exit_code == 0, r.out);
  BOOST_TEST(text_of(r.json().at("data").at("transport")) == "daemon");
  BOOST_TEST(daemons().empty());
}

// The issue's case: the shipped Python daemon with one added line, `listen(16)` on the socket
// it was given, still works as a daemon (one process for every command, never untrusted) and
// passes `module test`.
BOOST_AUTO_TEST_CASE(the_shipped_python_daemon_that_listens_again_works) {
  fs::path source = dir / "source" / "sqlite-storage";
  fs::create_directories(source.parent_path());
  fs::copy(fs::path(HOMEBOY_TEST_SOURCE_MODULES_DIR) / "sqlite-storage", source);
  std::string code = read_file(source / "storage.py");
  const std::string given = "    listener = socket.socket(fileno=3)\n";
  auto at = code.find(given);
  BOOST_TEST_REQUIRE(at != std::string::npos, "storage.py no longer takes fd 3 as this test expects");
  code.insert(at + given.size(), "    listener.listen(16)\n");
  write_file(source / "storage.py", code);

  auto tested = homeboy({"module", "test", source.string(), "--json"});
  BOOST_TEST(tested.exit_code == 0, tested.out);
  BOOST_TEST(text_of(tested.json().at("data").at("transport")) == "daemon");

  Env installed{{"HOMEBOY_MODULE_PATH", ""}};
  BOOST_TEST_REQUIRE(homeboy({"module", "install", source.string(), "--activate", "--no-check"}, installed).exit_code == 0);
  BOOST_TEST_REQUIRE(homeboy({"storage", "ensure-dir", "/notes"}, installed).exit_code == 0);
  int pid = daemons().at(0).at("pid").to_number<int>();
  for (int i = 0; i < 10; ++i) {
    auto w = homeboy({"storage", "write", "/notes/a", "--content", std::string("v") + std::to_string(i)}, installed);
    BOOST_TEST(w.exit_code == 0, w.out << w.err);
    auto r = homeboy({"storage", "read", "--raw", "/notes/a"}, installed);
    BOOST_TEST(r.out == std::string("v") + std::to_string(i), r.out << r.err);
  }
  auto listed = daemons();
  BOOST_TEST_REQUIRE(listed.size() == 1u);
  BOOST_TEST(listed[0].at("pid").to_number<int>() == pid, "the daemon was restarted");
  BOOST_TEST(read_file(text_of(listed[0].at("log"))).find("refused") == std::string::npos);
}

// The Node.js example: `net.createServer().listen({fd: 3})` calls listen() again and checks no
// peer; it runs as a daemon, and only this user can reach its socket.
BOOST_AUTO_TEST_CASE(the_node_example_runs_as_a_daemon) {
  fs::path source = fs::path(HOMEBOY_TEST_SOURCE_MODULES_DIR) / "examples" / "example-node";
  auto tested = homeboy({"module", "test", source.string(), "--json"});
  BOOST_TEST(tested.exit_code == 0, tested.out);
  BOOST_TEST(text_of(tested.json().at("data").at("transport")) == "daemon");
  BOOST_TEST(daemons().empty(), "module test stops the daemon it started");

  Env installed{{"HOMEBOY_MODULE_PATH", ""}};
  BOOST_TEST_REQUIRE(homeboy({"module", "install", source.string(), "--activate"}, installed).exit_code == 0);
  BOOST_TEST(text_of(homeboy({"storage", "status"}, installed).json().at("data").at("provider").at("transport")) ==
             "daemon");
  BOOST_TEST_REQUIRE(homeboy({"storage", "write", "/n", "--content", "0"}, installed).exit_code == 0);
  auto listed = daemons();
  BOOST_TEST_REQUIRE(listed.size() == 1u);
  int pid = listed[0].at("pid").to_number<int>();
  for (int i = 1; i <= 10; ++i) {
    BOOST_TEST(homeboy({"storage", "write", "/n", "--content", std::to_string(i)}, installed).exit_code == 0);
    BOOST_TEST(homeboy({"storage", "read", "--raw", "/n"}, installed).out == std::to_string(i));
  }
  BOOST_TEST(daemons().at(0).at("pid").to_number<int>() == pid, "one Node.js process served every command");

  fs::path socket(text_of(listed[0].at("socket")));
  BOOST_TEST(((fs::status(socket).permissions() & fs::perms::all) ==
              (fs::perms::owner_read | fs::perms::owner_write)));
  if (::geteuid() == 0) {
    // Another user, even with the folders opened, cannot connect: the socket is 0600 from
    // the moment it has a name. The module checks nobody; homeboy's socket does it.
    for (const fs::path& folder : {dir.path(), run, runtime})
      fs::permissions(folder, fs::perms::others_exec, fs::perm_options::add);
    pid_t other = ::fork();
    if (other == 0) {
      int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      if (socket.native().size() >= sizeof addr.sun_path) ::_exit(3);
      std::strcpy(addr.sun_path, socket.c_str());
      if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0)
        ::_exit(2);
      ::_exit(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno == EACCES ? 0 : 1);
    }
    int status = 0;
    ::waitpid(other, &status, 0);
    for (const fs::path& folder : {dir.path(), run, runtime})
      fs::permissions(folder, fs::perms::others_exec, fs::perm_options::remove);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0),
               "user nobody could connect to the daemon's socket (status " << status << ")");
  }
  BOOST_TEST(homeboy({"module", "uninstall", "example-node", "--force"}, installed).exit_code == 0);
  BOOST_TEST(!process_alive(pid));
}

BOOST_AUTO_TEST_SUITE_END()
