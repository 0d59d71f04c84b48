#pragma once
// Test helpers: scratch folders, manifest builders, the fixtures' paths, and running the
// built `homeboy` binary.

#include "homeboy/modules/discovery.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace homeboy::test {

namespace fs = std::filesystem;

// A fresh folder under the temp dir, removed with its contents at the end of the test.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const noexcept { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// Writes a module folder `<root>/<id>/` with its manifest, in as few lines as a test needs.
class ModuleBuilder {
 public:
  ModuleBuilder(fs::path root, std::string id);
  ModuleBuilder& executable(std::string command);
  ModuleBuilder& library(std::string path);
  // Copies `file` (a built plugin) into the module folder and names it in runtime.library:
  // the host loads libraries from the module folder only.
  ModuleBuilder& library_file(fs::path file);
  ModuleBuilder& env(std::vector<std::string> names);   // runtime.env
  ModuleBuilder& overrides_builtin(bool on = true);
  ModuleBuilder& supports_batch(bool on = true);
  ModuleBuilder& persistent(bool on = true);
  ModuleBuilder& isolation(std::string mode);  // runtime.isolation: "process" or "in_process"
  ModuleBuilder& daemon(bool on = true);                // runtime.daemon
  ModuleBuilder& idle_secs(double secs);                // runtime.idle_secs
  ModuleBuilder& timeout_secs(double secs);
  ModuleBuilder& storage_type(std::string type);
  ModuleBuilder& not_a_provider();
  ModuleBuilder& config(boost::json::object config);
  ModuleBuilder& capabilities(std::vector<std::string> names);  // storage_provider.capabilities
  ModuleBuilder& manifest_text(std::string text);  // replaces the generated manifest verbatim
  fs::path write() const;                            // returns the module folder
  Module load() const;                               // write(), then load it as the host would

 private:
  fs::path root_;
  std::string id_;
  boost::json::object runtime_;
  boost::json::object provider_;
  boost::json::object top_;
  fs::path library_source_;
  bool provider_on_ = true;
  std::string text_;
};

fs::path homeboy_cli();
fs::path bundled_module_dir(const std::string& id);   // the build tree's staged module
fs::path misbehave_script();
fs::path fixture_plugin(const std::string& name);      // e.g. "missing_symbol"
fs::path example_c_plugin();

// A module running tests/fixtures/modules/misbehave.sh in `mode`.
Module misbehaving_module(const fs::path& root, const std::string& mode, double timeout_secs = 30);

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  boost::json::value json() const;  // stdout parsed; fails the test when it is not JSON
};

using Env = std::vector<std::pair<std::string, std::string>>;

// Runs `homeboy` with `args`; HOMEBOY_* variables are cleared unless given in `env`.
CliResult run_cli(const std::vector<std::string>& args, const Env& env = {}, const std::string& input = {});

// `homeboy` with `args`, started by bash running `script`, in which "$@" is the homeboy command
// line: `exec "$@" >/dev/full` runs it with stdout on a full disk. The exit code and stderr are
// bash's; HOMEBOY_* variables are cleared unless given in `env`.
CliResult run_cli_in_shell(const std::string& script, const std::vector<std::string>& args, const Env& env = {});

// `homeboy` started in the background, for tests that signal or kill it while it works. It
// is this process's own child (no supervisor in between), with default signal handling,
// stdin from /dev/null and stdout and stderr in files under `dir`. HOMEBOY_* variables are
// cleared unless given in `env`. The destructor SIGKILLs and reaps it if it still runs.
class BackgroundCli {
 public:
  BackgroundCli(const std::vector<std::string>& args, const Env& env, const fs::path& dir);
  ~BackgroundCli();
  BackgroundCli(const BackgroundCli&) = delete;
  BackgroundCli& operator=(const BackgroundCli&) = delete;

  int pid() const noexcept { return pid_; }
  void signal(int sig) const;
  // Waits up to `limit` for it to end; nothing when it still runs. exit_code is the
  // status, or minus the signal that ended it.
  std::optional<CliResult> wait(std::chrono::milliseconds limit);

 private:
  int pid_ = -1;
  fs::path out_, err_;
};

// Checks `condition` every 10 ms until it holds or `limit` passes; returns its last value.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit);

// A scratch config folder, and `homeboy --config-dir <it> ...`.
struct CliFixture {
  ScratchDir dir;
  std::string config = (dir / "config").string();
  CliResult homeboy(std::vector<std::string> args, const Env& env = {}, const std::string& input = {});
};

// The envelope's error.code.
std::string error_code(const CliResult& result);

std::string read_file(const fs::path& file);
void write_file(const fs::path& file, const std::string& content);
bool process_alive(int pid);
int read_pid(const fs::path& file);
// This process's environment as "KEY=value" entries, with `overrides` in place of theirs.
std::vector<std::string> environment_with(const Env& overrides);
// argv/envp for exec: pointers into `strings`, then a null.
std::vector<char*> c_strings(std::vector<std::string>& strings);

// The pid a module wrote to `file`, once it is there (the test fails after 10 s without one).
int wait_for_pid(const fs::path& file);

// The environment in which `homeboy` picks `module` as its only provider, with its config in
// `config_dir`.
Env only_provider(const Module& module, const fs::path& config_dir);

}  // namespace homeboy::test
