// Native plugins run isolated in a helper process (a copy of homeboy, or the program
// HOMEBOY_PLUGIN_HOST names): the same answers as in-process, bytes
// exact both ways; a crash is storage.provider_crashed, a hang storage.timeout, homeboy
// carries on, and no helper outlives its host. Through the C++ API and through the CLI.
#define BOOST_TEST_MODULE isolated_transport
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "homeboy/transport/isolated_transport.hpp"
#include "homeboy/transport/native_transport.hpp"
#include "homeboy/platform.hpp"
#include "homeboy/providers/registry.hpp"
#include "support.hpp"

#include <stdlib.h>

#include <chrono>
#include <map>
#include <sstream>
#include <thread>

using namespace homeboy;
using namespace homeboy::test;
using Clock = std::chrono::steady_clock;
namespace json = boost::json;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

struct Fixture {
  ScratchDir dir;

  fs::path pid_file(const std::string& id) const { return dir / (id + ".pids"); }

  // A module folder <root>/<id> holding a copy of the fixture plugin `variant`, which
  // appends the pid of every process it is created in to <id>.pids in the scratch folder.
  fs::path fixture_folder(const std::string& id, const std::string& variant, double timeout_secs,
                          const std::string& isolation = "process", const fs::path& root = {}) const {
    fs::path folder = ModuleBuilder(root.empty() ? dir.path() : root, id)
                          .library("libfixture_" + variant + ".so")
                          .isolation(isolation)
                          .timeout_secs(timeout_secs)
                          .config({{"pid_file", pid_file(id).string()}})
                          .write();
    fs::copy_file(fixture_plugin(variant), folder / ("libfixture_" + variant + ".so"), fs::copy_options::overwrite_existing);
    return folder;
  }

  Module fixture_module(const std::string& id, const std::string& variant, double timeout_secs = 5) const {
    return load_module(fixture_folder(id, variant, timeout_secs));
  }

  std::vector<int> pids(const std::string& id) const {
    std::istringstream in(read_file(pid_file(id)));
    std::vector<int> out;
    for (int pid; in >> pid;) out.push_back(pid);
    return out;
  }

  // Every helper the module was created in has ended (given a moment to be reaped).
  bool none_left(const std::string& id) const {
    for (int i = 0; i < 100; ++i) {
      bool any = false;
      for (int pid : pids(id)) any = any || process_alive(pid);
      if (!any) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  static std::unique_ptr<Storage> isolated(const Module& module, const fs::path& config_dir) {
    return std::make_unique<Storage>(
        ProviderInfo{module.id, "test", homeboy::SelectedBy::named, std::nullopt, module.manifest_path},
        std::make_unique<IsolatedTransport>(module, config_dir));
  }
};

bool code_is(const Error& e, const std::string& code) {
  BOOST_TEST_MESSAGE(e.code() << ": " << e.what());
  return e.code() == code;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(isolated, Fixture)

BOOST_AUTO_TEST_CASE(the_helper_serves_a_plugin_with_the_same_capabilities_and_exact_bytes) {
  Module builtin = load_module(bundled_module_dir("builtin-filesystem"));
  auto in_process = open_native(builtin, dir.path());
  IsolatedTransport transport(builtin, dir.path());
  BOOST_TEST(homeboy::to_string(transport.kind()) == "isolated");
  BOOST_TEST(transport.supports_batch() == in_process->supports_batch());
  BOOST_TEST(transport.capabilities().versions == in_process->capabilities().versions);
  BOOST_TEST(transport.capabilities().binary);
  BOOST_TEST(transport.capabilities().atomic_batch == in_process->capabilities().atomic_batch);
  BOOST_TEST((transport.timeout() == std::optional(builtin.manifest.runtime.timeout)));

  auto storage = isolated(builtin, dir.path());
  std::string folder = (dir / "caf\xE9").string();  // a Latin-1 name: not UTF-8
  storage->ensure_dir(folder);
  const std::string binary("\x00\xFF\xFE\x80 \n\r\x01 end", 13);
  auto version = storage->write(folder + "/bin\xFF", binary);
  BOOST_TEST_REQUIRE(version.has_value());
  auto read = storage->read_versioned(folder + "/bin\xFF");
  BOOST_TEST(read.content == binary, "content that is not UTF-8 survives byte for byte");
  BOOST_TEST((read.version == version));
  storage->write(folder + "/bin\xFF", "next", contract::Condition::matching(*version));
  BOOST_CHECK_EXCEPTION(storage->write(folder + "/bin\xFF", "stale", contract::Condition::matching(*version)), Error,
                        [](const Error& e) { return code_is(e, "storage.conflict"); });
  auto entries = storage->list(folder);
  BOOST_TEST_REQUIRE(entries.size() == 1u);
  BOOST_TEST(entries[0].path == folder + "/bin\xFF", "a listed name that is not UTF-8 comes back exact");
  auto results = storage->batch({contract::Event::read(folder + "/bin\xFF"), contract::Event::read(folder + "/nope")});
  BOOST_TEST((results[0].data == std::optional<std::string>("next")));
  BOOST_TEST((results[1].effective_error_code() == contract::ErrorCode::not_found));
}

BOOST_AUTO_TEST_CASE(large_content_crosses_the_helper_raw_and_the_wire_stays_in_step) {
  // Content travels as raw bytes after a line that announces its size: sizes around the
  // pipe's 64 KiB and 1 MiB, bytes that look like framing (newlines, braces, a line that
  // announces a size of its own), and answers in JSON between them.
  Module builtin = load_module(bundled_module_dir("builtin-filesystem"));
  auto storage = isolated(builtin, dir.path());
  std::string lookalike = "{\"data_length\":5,\"success\":true}\n{\"content_length\":3,\"id\":9}\n";
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{65535}, std::size_t{65537},
                           (std::size_t{1} << 20) + 1, (std::size_t{3} << 20) + 7}) {
    std::string content;
    content.reserve(size);
    for (std::size_t i = 0; content.size() < size; ++i)
      content += i % 7 == 0 ? lookalike : std::string(1, static_cast<char>((i * 131) & 0xFF));
    content.resize(size);
    std::string path = (dir / (std::string("f") + std::to_string(size))).string();
    auto version = storage->write(path, content);
    auto read = storage->read_versioned(path);
    BOOST_TEST(read.content.size() == size);
    BOOST_TEST((read.content == content), "content of " << size << " bytes comes back byte for byte");
    BOOST_TEST((read.version == version));
    auto entries = storage->list(dir.path().string());  // a JSON answer right after the raw one
    BOOST_TEST(!entries.empty());
  }
  BOOST_CHECK_EXCEPTION(storage->read((dir / "missing").string()), Error,
                        [](const Error& e) { return code_is(e, "storage.not_found"); });
  BOOST_TEST(storage->read((dir / "f1").string()).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_contract_violation_in_the_helper_reads_as_it_does_in_process) {
  fs::path folder = fixture_folder("twice", "set_data_twice", 5);
  Module module = load_module(folder);
  auto storage = isolated(module, dir.path());
  storage->write("/a", "x");
  BOOST_CHECK_EXCEPTION(storage->read("/a"), Error, [](const Error& e) {
    return code_is(e, "storage.contract_violation") && e.details().at("rule").as_string() == "data_set_twice" &&
           std::string(e.what()).find("module 'twice'") != std::string::npos;
  });
  storage->write("/b", "y");  // the helper is still in step after reporting it
  BOOST_TEST(pids("twice").size() == 1u);
}

BOOST_AUTO_TEST_CASE(what_a_plugin_prints_does_not_break_the_framing) {
  auto storage = isolated(fixture_module("chatty", "chatty"), dir.path());
  storage->write("/a", "{\"success\": false}\n");
  for (int i = 0; i < 3; ++i) BOOST_TEST(storage->read("/a") == "{\"success\": false}\n");
  BOOST_TEST(pids("chatty").size() == 1u, "one helper served every read");
}

BOOST_AUTO_TEST_CASE(a_crash_is_provider_crashed_naming_the_signal_and_the_next_operation_works) {
  {
    auto storage = isolated(fixture_module("crashy", "crash", 5), dir.path());
    storage->write("/a", "kept in the plugin's memory");
    auto start = Clock::now();
    BOOST_CHECK_EXCEPTION(storage->read("/crash"), Error, [](const Error& e) {
      std::string message = e.what();
      return code_is(e, "storage.provider_crashed") && message.find("SIGSEGV (Segmentation fault)") != std::string::npos &&
             message.find("'read' of /crash") != std::string::npos && e.details().at("signal").as_string() == "SIGSEGV" &&
             e.exit_code() == ExitCode::failure;
    });
    BOOST_TEST(seconds_since(start) < 1.0, "a crash is reported at once, not at the timeout");
    BOOST_TEST_REQUIRE(pids("crashy").size() == 1u);
    BOOST_TEST(!process_alive(pids("crashy")[0]));

    storage->write("/b", "after the crash");
    BOOST_TEST(storage->read("/b") == "after the crash", "a fresh helper answers the next operation");
    BOOST_CHECK_EXCEPTION(storage->read("/a"), Error,
                          [](const Error& e) { return code_is(e, "storage.not_found"); });  // the memory went with it

    BOOST_CHECK_EXCEPTION(storage->read("/crash"), Error,
                          [](const Error& e) { return code_is(e, "storage.provider_crashed"); });
    BOOST_CHECK_EXCEPTION(storage->read("/b"), Error, [](const Error& e) {
      return code_is(e, "storage.provider_failed") && std::string(e.what()).find("restarted once") != std::string::npos;
    });
  }
  BOOST_TEST(pids("crashy").size() == 2u, "one restart per run, as for persistent modules");
  BOOST_TEST(none_left("crashy"));
}

BOOST_AUTO_TEST_CASE(a_hang_is_a_timeout_at_the_module_timeout_and_no_process_is_left) {
  {
    auto storage = isolated(fixture_module("hangs", "hang", 1), dir.path());
    storage->write("/a", "x");
    auto start = Clock::now();
    BOOST_CHECK_EXCEPTION(storage->read("/hang"), Error, [](const Error& e) {
      return code_is(e, "storage.timeout") && std::string(e.what()).find("within 1 s") != std::string::npos;
    });
    double took = seconds_since(start);
    BOOST_TEST(took >= 0.9);
    BOOST_TEST(took < 2.0, "the timeout plus a second at most");
    BOOST_TEST_REQUIRE(pids("hangs").size() == 1u);
    BOOST_TEST(!process_alive(pids("hangs")[0]), "the hung helper is killed, not left behind");
    storage->write("/b", "y");
    BOOST_TEST(storage->read("/b") == "y");
  }
  BOOST_TEST(none_left("hangs"));
}

BOOST_AUTO_TEST_CASE(a_library_the_helper_cannot_load_fails_or_falls_back_as_in_process) {
  auto failure = [&](const fs::path& library) -> std::string {
    Module module = ModuleBuilder(dir.path(), "m").library(library.string()).isolation("process").load();
    try {
      IsolatedTransport transport(module, dir.path());
    } catch (const NativeLoadError& e) {
      return e.kind() + ": " + e.what();
    }
    return "loaded";
  };
  write_file(dir / "text.so", "this is not an ELF file\n");
  BOOST_TEST(failure(dir / "absent.so").find("library_missing:") == 0);
  BOOST_TEST(failure(dir / "text.so").find("not_a_library:") == 0);
  BOOST_TEST(failure(fixture_plugin("missing_symbol")).find("entry_symbol_missing:") == 0);
  BOOST_TEST(failure(fixture_plugin("newer_only")).find("no_common_abi:") == 0);
  std::string created = failure(fixture_plugin("create_fails"));
  BOOST_TEST(created.find("creation_failed:") == 0);
  BOOST_TEST(created.find("database is locked") != std::string::npos, "quotes the plugin's message");

  fs::path folder = ModuleBuilder(dir.path(), "fb")
                        .library("libfixture_create_fails.so")
                        .isolation("process")
                        .executable("bash " + (bundled_module_dir("builtin-filesystem") / "storage.sh").string())
                        .write();
  fs::copy_file(fixture_plugin("create_fails"), folder / "libfixture_create_fails.so");
  Module with_fallback = load_module(folder);
  auto storage = open_provider(with_fallback, dir.path(), TransportPreference::automatic);
  BOOST_TEST(homeboy::to_string(storage->transport_kind()) == "subprocess");
  BOOST_TEST(storage->provider().fallback_reason.value_or("").find("creation_failed") == 0);
}

BOOST_AUTO_TEST_CASE(isolation_comes_from_the_manifest_or_the_switch_and_in_process_stays_the_default) {
  Module by_manifest = fixture_module("iso", "good");
  Module plain = load_module(fixture_folder("plain", "good", 5, "in_process"));
  auto kind = [&](const Module& m, IsolationPreference p) {
    return std::string(
        homeboy::to_string(open_provider(m, dir.path(), TransportPreference::automatic, p)->transport_kind()));
  };
  BOOST_TEST(kind(plain, IsolationPreference::automatic) == "native");
  BOOST_TEST(kind(by_manifest, IsolationPreference::automatic) == "isolated");
  BOOST_TEST(kind(plain, IsolationPreference::process) == "isolated");
  BOOST_TEST(kind(by_manifest, IsolationPreference::in_process) == "native");
  {
    ScopedEnv env("HOMEBOY_ISOLATION", "process");
    BOOST_TEST((isolation_preference_from_env() == IsolationPreference::process));
  }
  {
    ScopedEnv env("HOMEBOY_ISOLATION", "sandbox");
    BOOST_CHECK_EXCEPTION(isolation_preference_from_env(), Error,
                          [](const Error& e) { return code_is(e, "config.invalid_environment"); });
  }
}

BOOST_AUTO_TEST_CASE(the_helper_is_a_copy_of_homeboy_unless_a_helper_program_is_named) {
  {
    auto storage = isolated(fixture_module("copied", "good"), dir.path());
    storage->write("/a", "x");
    BOOST_TEST_REQUIRE(pids("copied").size() == 1u);
    int helper = pids("copied")[0];
    BOOST_TEST(helper != ::getpid());
    BOOST_TEST(platform::process_name(helper) == "homeboy-plugin", "a copy of this process, named for ps");
    BOOST_TEST(platform::parent_process(helper).value_or(0) == ::getpid(), "no supervisor in between");
  }
  BOOST_TEST(none_left("copied"));
  {
    ScopedEnv env("HOMEBOY_PLUGIN_HOST", (homeboy_cli().parent_path() / "homeboy-plugin-host").c_str());
    auto storage = isolated(fixture_module("program", "good"), dir.path());
    storage->write("/a", "y");
    BOOST_TEST(storage->read("/a") == "y");
    BOOST_TEST_REQUIRE(pids("program").size() == 1u);
    BOOST_TEST(platform::process_name(pids("program")[0]) == "homeboy-plugin-", "the program HOMEBOY_PLUGIN_HOST names");
  }
  BOOST_TEST(none_left("program"));
}

BOOST_AUTO_TEST_CASE(a_helper_started_from_a_thread_that_has_ended_still_serves) {
  // The kernel's parent-death signal follows the thread that forked: a helper started from a
  // thread that ends first must follow the process instead.
  std::unique_ptr<Storage> storage;
  std::thread([&] { storage = isolated(fixture_module("threaded", "good"), dir.path()); }).join();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  storage->write("/a", "after the thread");
  BOOST_TEST(storage->read("/a") == "after the thread");
  BOOST_TEST(pids("threaded").size() == 1u, "the same helper, not a restart");
  storage.reset();
  BOOST_TEST(none_left("threaded"));
}

BOOST_AUTO_TEST_CASE(what_the_plugin_starts_in_its_helper_ends_with_the_helper) {
  {
    auto storage = isolated(fixture_module("spawner", "spawns"), dir.path());
    storage->write("/a", "x");
    BOOST_TEST_REQUIRE(pids("spawner").size() == 2u);
    BOOST_TEST(process_alive(pids("spawner")[1]), "the plugin's own process runs while the helper does");
  }
  BOOST_TEST(none_left("spawner"), "the helper's process group goes with it");
}

BOOST_AUTO_TEST_CASE(a_missing_helper_is_isolation_unavailable_never_in_process) {
  ScopedEnv env("HOMEBOY_PLUGIN_HOST", (dir / "no-such-helper").c_str());
  Module module = fixture_module("nohelper", "good");
  BOOST_CHECK_EXCEPTION(open_provider(module, dir.path(), TransportPreference::automatic), Error, [](const Error& e) {
    return code_is(e, "storage.provider_unavailable") && e.details().at("reason").as_string() == "isolation_unavailable";
  });
}

BOOST_AUTO_TEST_CASE(the_helper_does_not_outlive_a_host_killed_while_the_plugin_hangs) {
  fixture_folder("hangs", "hang", 30);
  // homeboy waits on a read that hangs (30 s timeout) and is killed with SIGKILL once the
  // helper has created the plugin (it writes its pid; at most 10 s), and a moment later: none
  // of homeboy's cleanup runs, so only the helper's own watch can end it.
  Launch command;
  command.argv = {"/bin/bash", "-c",
                  "\"$0\" storage read /hang >/dev/null & host=$!; "
                  "for i in $(seq 100); do [[ -s $1 ]] && break; sleep 0.1; done; sleep 0.3; "
                  "kill -KILL $host; wait $host; exit 0",
                  homeboy_cli().string(), pid_file("hangs").string()};
  command.env = {{"HOMEBOY_MODULE_PATH", dir.path().string()}, {"HOMEBOY_CONFIG_DIR", (dir / "config").string()},
                 {"HOMEBOY_STORAGE_TRANSPORT", ""}, {"HOMEBOY_ISOLATION", ""}, {"HOMEBOY_STORAGE_TIMEOUT_SECS", ""}};
  auto outcome = run_once(command, "", std::chrono::seconds(20));
  BOOST_TEST_REQUIRE(outcome.exit_code == 0, outcome.err_tail);
  BOOST_TEST_REQUIRE(pids("hangs").size() == 1u);
  BOOST_TEST(none_left("hangs"));
}

// --- through the CLI -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(cli_a_crash_then_the_next_command_works) {
  CliFixture cli;
  fs::path modules = dir / "modules";
  fixture_folder("crashy", "crash", 3, "in_process", modules);
  Env env{{"HOMEBOY_MODULE_PATH", modules.string()}, {"HOMEBOY_ISOLATION", "process"}};

  auto status = cli.homeboy({"storage", "status"}, env);
  BOOST_TEST_REQUIRE(status.exit_code == 0, status.out);
  BOOST_TEST(status.json().at("data").at("provider").at("transport").as_string() == "isolated");
  BOOST_TEST(cli.homeboy({"storage", "status"}, {{"HOMEBOY_MODULE_PATH", modules.string()}})
                 .json().at("data").at("provider").at("transport").as_string() == "native",
             "in-process stays the default");

  auto start = Clock::now();
  cli.homeboy({"storage", "list", "/"}, env);
  double command = seconds_since(start);  // a whole command that neither crashes nor hangs
  start = Clock::now();
  auto crash = cli.homeboy({"storage", "read", "/crash"}, env);
  BOOST_TEST(seconds_since(start) - command < 1.0, "a crash is reported at once, not at the 3 s timeout");
  BOOST_TEST(crash.exit_code == 1);
  BOOST_TEST(error_code(crash) == "storage.provider_crashed");
  std::string message(crash.json().at("error").at("message").as_string());
  BOOST_TEST(message.find("SIGSEGV (Segmentation fault)") != std::string::npos, message);
  BOOST_TEST(message.find("'read'") != std::string::npos, message);

  auto next = cli.homeboy({"storage", "write", "/b", "--content", "fine"}, env);
  BOOST_TEST(next.exit_code == 0, next.out);
  BOOST_TEST(none_left("crashy"));
}

BOOST_AUTO_TEST_CASE(cli_a_plugin_calling_exit_is_a_failure_not_a_success) {
  CliFixture cli;
  fs::path modules = dir / "modules";
  fixture_folder("exits", "crash", 3, "in_process", modules);
  Env in_process{{"HOMEBOY_MODULE_PATH", modules.string()}};
  auto r = cli.homeboy({"storage", "read", "/exit"}, in_process);
  BOOST_TEST(r.exit_code == 1, "exit(0) inside the plugin must not look like a read that worked");
  BOOST_TEST(r.out.empty(), r.out);
  BOOST_TEST(r.err.find("native plugin 'exits' ended the process during 'read'") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("HOMEBOY_ISOLATION=process") != std::string::npos, r.err);

  Env isolated{{"HOMEBOY_MODULE_PATH", modules.string()}, {"HOMEBOY_ISOLATION", "process"}};
  auto i = cli.homeboy({"storage", "read", "/exit"}, isolated);
  BOOST_TEST(i.exit_code == 1);
  BOOST_TEST(error_code(i) == "storage.provider_crashed");
  BOOST_TEST(none_left("exits"));
}

BOOST_AUTO_TEST_CASE(cli_a_hang_is_a_timeout) {
  CliFixture cli;
  fs::path modules = dir / "modules";
  fixture_folder("hangs", "hang", 30, "in_process", modules);
  Env env{{"HOMEBOY_MODULE_PATH", modules.string()}, {"HOMEBOY_ISOLATION", "process"},
          {"HOMEBOY_STORAGE_TIMEOUT_SECS", "1"}};
  auto start = Clock::now();
  cli.homeboy({"storage", "list", "/"}, env);
  double command = seconds_since(start);  // a whole command that does not hang
  start = Clock::now();
  auto hang = cli.homeboy({"storage", "read", "/hang"}, env);
  double took = seconds_since(start);
  BOOST_TEST(hang.exit_code == 1);
  BOOST_TEST(error_code(hang) == "storage.timeout");
  // The whole command waited out the timeout (a baseline subtracted from it would make this
  // depend on how long one start took: under a sanitizer, on a busy machine, up to seconds).
  BOOST_TEST(took >= 0.9);
  BOOST_TEST(took - command < 2.0, "the timeout plus a second at most, beyond a command that does not hang");
  BOOST_TEST(cli.homeboy({"storage", "list", "/"}, env).exit_code == 0, "the next command works");
  BOOST_TEST(none_left("hangs"));
}

BOOST_AUTO_TEST_CASE(cli_module_test_names_the_crashing_case_and_runs_the_rest) {
  CliFixture cli;
  // The crash fixture dies on a write larger than its buffers: roundtrip_1mib, and the
  // concurrency case's 256 KiB writes.
  fs::path folder = fixture_folder("crashy", "crash", 5, "in_process");
  auto r = cli.homeboy({"module", "test", folder.string(), "--json"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST_REQUIRE(error_code(r) == "module.conformance_failed");
  auto envelope = r.json();
  const auto& data = envelope.at("error").at("details").as_object();
  BOOST_TEST(data.at("transport").as_string() == "isolated");
  std::map<std::string, json::object> cases;
  for (const auto& c : data.at("cases").as_array()) cases[std::string(c.at("name").as_string())] = c.as_object();
  BOOST_TEST(cases.size() >= 19u, "every case ran");
  BOOST_TEST_REQUIRE(cases.count("roundtrip_1mib"));
  BOOST_TEST(!cases["roundtrip_1mib"].at("passed").as_bool());
  std::string reason(cases["roundtrip_1mib"].at("reason").as_string());
  BOOST_TEST(reason.find("storage.provider_crashed") == 0, reason);
  BOOST_TEST(reason.find("SIGSEGV") != std::string::npos, reason);
  BOOST_TEST(cases["overwrite"].at("passed").as_bool(), "the case after the crash runs on a fresh helper");
  BOOST_TEST(cases["read_missing_not_found"].at("passed").as_bool());

  auto text = cli.homeboy({"module", "test", folder.string()});
  BOOST_TEST(text.out.find("FAIL  roundtrip_1mib: storage.provider_crashed") != std::string::npos, text.out);
  BOOST_TEST(text.out.find("crashy over isolated:") != std::string::npos, text.out);
  BOOST_TEST(none_left("crashy"));
}

BOOST_AUTO_TEST_SUITE_END()
