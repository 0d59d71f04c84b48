#include "support.hpp"

#include "homeboy/transport/process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace json = boost::json;

namespace homeboy::test {

ScratchDir::ScratchDir() {
  std::string pattern = (fs::temp_directory_path() / "homeboy-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = fs::canonical(pattern);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

ModuleBuilder::ModuleBuilder(fs::path root, std::string id) : root_(std::move(root)), id_(std::move(id)) {
  provider_["storage_type"] = "test";
}

ModuleBuilder& ModuleBuilder::executable(std::string command) {
  runtime_["executable"] = std::move(command);
  return *this;
}
ModuleBuilder& ModuleBuilder::library(std::string path) {
  runtime_["library"] = std::move(path);
  return *this;
}
ModuleBuilder& ModuleBuilder::library_file(fs::path file) {
  runtime_["library"] = file.filename().string();
  library_source_ = std::move(file);
  return *this;
}
ModuleBuilder& ModuleBuilder::env(std::vector<std::string> names) {
  json::array list;
  for (auto& n : names) list.emplace_back(n);
  runtime_["env"] = std::move(list);
  return *this;
}
ModuleBuilder& ModuleBuilder::overrides_builtin(bool on) {
  top_["overrides_builtin"] = on;
  return *this;
}
ModuleBuilder& ModuleBuilder::supports_batch(bool on) {
  runtime_["supports_batch"] = on;
  return *this;
}
ModuleBuilder& ModuleBuilder::persistent(bool on) {
  runtime_["persistent"] = on;
  return *this;
}
ModuleBuilder& ModuleBuilder::isolation(std::string mode) {
  runtime_["isolation"] = std::move(mode);
  return *this;
}
ModuleBuilder& ModuleBuilder::daemon(bool on) {
  runtime_["daemon"] = on;
  return *this;
}
ModuleBuilder& ModuleBuilder::idle_secs(double secs) {
  runtime_["idle_secs"] = secs;
  return *this;
}
ModuleBuilder& ModuleBuilder::timeout_secs(double secs) {
  runtime_["timeout_secs"] = secs;
  return *this;
}
ModuleBuilder& ModuleBuilder::storage_type(std::string type) {
  provider_["storage_type"] = std::move(type);
  return *this;
}
ModuleBuilder& ModuleBuilder::not_a_provider() {
  provider_on_ = false;
  return *this;
}
ModuleBuilder& ModuleBuilder::config(json::object config) {
  provider_["config"] = std::move(config);
  return *this;
}
ModuleBuilder& ModuleBuilder::capabilities(std::vector<std::string> names) {
  json::array list;
  for (auto& n : names) list.emplace_back(std::move(n));
  provider_["capabilities"] = std::move(list);
  return *this;
}
ModuleBuilder& ModuleBuilder::manifest_text(std::string text) {
  text_ = std::move(text);
  return *this;
}

fs::path ModuleBuilder::write() const {
  fs::path dir = root_ / id_;
  fs::create_directories(dir);
  std::string text = text_;
  if (text.empty()) {
    json::object manifest{{"name", "Test module " + id_}, {"version", "1.0.0"}};
    if (!runtime_.empty()) manifest["runtime"] = runtime_;
    if (provider_on_) manifest["storage_provider"] = provider_;
    for (const auto& kv : top_) manifest[kv.key()] = kv.value();
    text = json::serialize(manifest);
  }
  write_file(dir / (id_ + ".json"), text);
  if (!library_source_.empty())
    fs::copy_file(library_source_, dir / library_source_.filename(), fs::copy_options::overwrite_existing);
  return dir;
}

Module ModuleBuilder::load() const { return load_module(write()); }

fs::path homeboy_cli() { return HOMEBOY_TEST_CLI; }
fs::path bundled_module_dir(const std::string& id) { return fs::path(HOMEBOY_TEST_MODULES_DIR) / id; }
fs::path misbehave_script() { return fs::path(HOMEBOY_TEST_FIXTURES_DIR) / "modules" / "misbehave.sh"; }
fs::path fixture_plugin(const std::string& name) {
  return fs::path(HOMEBOY_TEST_PLUGIN_DIR) / ("libfixture_" + name + ".so");
}
fs::path example_c_plugin() { return HOMEBOY_TEST_EXAMPLE_C_PLUGIN; }

Module misbehaving_module(const fs::path& root, const std::string& mode, double timeout_secs) {
  return ModuleBuilder(root, "misbehave-" + mode)
      .executable("bash " + misbehave_script().string() + " " + mode)
      .supports_batch()
      .timeout_secs(timeout_secs)
      .load();
}

json::value CliResult::json() const {
  json::error_code ec;
  auto value = json::parse(out, ec);
  BOOST_TEST_REQUIRE(!ec, "stdout is not JSON: " << out << "\nstderr: " << err);
  return value;
}

namespace {

// The variables a test run of homeboy gets on top of this process's: HOMEBOY_* cleared,
// then `env`.
Env cli_environment(const Env& env) {
  Env out = {{"HOMEBOY_MODULE_PATH", ""}, {"HOMEBOY_CONFIG_DIR", ""}, {"HOMEBOY_STORAGE_TRANSPORT", ""},
             {"HOMEBOY_STORAGE_TIMEOUT_SECS", ""}, {"HOMEBOY_QUIET", ""}, {"HOMEBOY_ISOLATION", ""},
             {"HOMEBOY_PLUGIN_HOST", ""}};
  for (const auto& kv : env) {
    bool replaced = false;
    for (auto& existing : out)
      if (existing.first == kv.first) existing.second = kv.second, replaced = true;
    if (!replaced) out.push_back(kv);
  }
  return out;
}

}  // namespace

CliResult run_cli(const std::vector<std::string>& args, const Env& env, const std::string& input) {
  Launch command;
  command.argv.push_back(homeboy_cli().string());
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  command.env = cli_environment(env);
  auto outcome = run_once(command, input, std::chrono::seconds(120));
  BOOST_TEST_REQUIRE(!outcome.timed_out, "homeboy did not finish in 120 s");
  return CliResult{outcome.exit_code, std::move(outcome.out), std::move(outcome.err_tail)};
}

CliResult run_cli_in_shell(const std::string& script, const std::vector<std::string>& args, const Env& env) {
  Launch command;
  command.argv = {"/bin/bash", "-c", script, "bash", homeboy_cli().string()};
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  command.env = cli_environment(env);
  auto outcome = run_once(command, {}, std::chrono::seconds(120));
  BOOST_TEST_REQUIRE(!outcome.timed_out, "homeboy did not finish in 120 s");
  return CliResult{outcome.exit_code, std::move(outcome.out), std::move(outcome.err_tail)};
}

CliResult CliFixture::homeboy(std::vector<std::string> args, const Env& env, const std::string& input) {
  args.insert(args.begin(), {"--config-dir", config});
  return run_cli(args, env, input);
}

BackgroundCli::BackgroundCli(const std::vector<std::string>& args, const Env& env, const fs::path& dir)
    : out_(dir / "homeboy.out"), err_(dir / "homeboy.err") {
  std::vector<std::string> argv_text{homeboy_cli().string()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<std::string> env_text = environment_with(cli_environment(env));
  auto argv = c_strings(argv_text);
  auto envp = c_strings(env_text);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, empty;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGALRM}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  BOOST_TEST_REQUIRE(rc == 0, "cannot start homeboy: " << std::strerror(rc));
  pid_ = pid;
}

BackgroundCli::~BackgroundCli() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

void BackgroundCli::signal(int sig) const {
  BOOST_TEST_REQUIRE(pid_ > 0, "homeboy has already been reaped");
  ::kill(pid_, sig);
}

std::optional<CliResult> BackgroundCli::wait(std::chrono::milliseconds limit) {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  bool ended = eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, limit);
  if (!ended) return std::nullopt;
  pid_ = -1;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return CliResult{code, read_file(out_), read_file(err_)};
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string error_code(const CliResult& result) {
  return std::string(result.json().at("error").at("code").as_string());
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& file, const std::string& content) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
}

bool process_alive(int pid) {
  if (pid <= 0) return false;
  // A zombie still answers kill(0); only count it alive when it is not one.
  if (::kill(pid, 0) != 0) return false;
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

int read_pid(const fs::path& file) {
  std::string text = read_file(file);
  return text.empty() ? -1 : std::stoi(text);
}

std::vector<std::string> environment_with(const Env& overrides) {
  std::vector<std::string> entries;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    std::string_view key = entry.substr(0, entry.find('='));
    if (std::none_of(overrides.begin(), overrides.end(), [&](const auto& kv) { return kv.first == key; }))
      entries.emplace_back(entry);
  }
  for (const auto& [k, v] : overrides) entries.push_back(k + "=" + v);
  return entries;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

int wait_for_pid(const fs::path& file) {
  BOOST_TEST_REQUIRE(eventually([&] { return read_pid(file) > 0; }, std::chrono::seconds(10)), "no pid in " << file);
  return read_pid(file);
}

Env only_provider(const Module& module, const fs::path& config_dir) {
  return {{"HOMEBOY_MODULE_PATH", module.dir.parent_path().string()}, {"HOMEBOY_CONFIG_DIR", config_dir.string()}};
}

}  // namespace homeboy::test
