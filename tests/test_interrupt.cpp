// SIGINT, SIGTERM and SIGHUP: homeboy kills the module's processes, removes its scratch
// folders, prints `cli.interrupted` and exits 128 + the signal's number.
#define BOOST_TEST_MODULE interrupt
#include <boost/test/unit_test.hpp>

#include "support.hpp"

#include <boost/json.hpp>

#include <signal.h>

#include <thread>

using namespace homeboy;
using namespace homeboy::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Fixture {
  ScratchDir dir;

  // `homeboy storage write` through a module that keeps writing files and never answers,
  // interrupted by `sig` once the module and its setsid grandchild run.
  void interrupt_a_writing_module(int sig, const std::string& name, int exit_code) {
    Module m = misbehaving_module(dir.path(), "slow-batch-writer");
    BackgroundCli host({"storage", "write", (dir / "x").string(), "--content", "x"}, only_provider(m, dir / "config"), dir.path());
    int module = wait_for_pid(m.dir / "pid");
    int grandchild = wait_for_pid(m.dir / "grandchild.pid");

    host.signal(sig);
    auto result = host.wait(10s);
    BOOST_TEST_REQUIRE(result.has_value(), "homeboy did not exit after " << name);
    check_interrupted(*result, name, exit_code);
    // Gone by the time homeboy exits: homeboy killed them, it did not leave it to chance.
    BOOST_TEST(!process_alive(module));
    BOOST_TEST(!process_alive(grandchild));
    std::size_t written = files_in(m.dir / "out");
    std::this_thread::sleep_for(200ms);
    BOOST_TEST(files_in(m.dir / "out") == written, "files were still being written after homeboy exited");
  }

  static std::size_t files_in(const fs::path& folder) {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) ++n;
    return n;
  }

  static void check_interrupted(const CliResult& result, const std::string& name, int exit_code) {
    BOOST_TEST(result.exit_code == exit_code, "stdout: " << result.out << "\nstderr: " << result.err);
    auto envelope = result.json();
    BOOST_TEST(envelope.at("success").as_bool() == false);
    BOOST_TEST(envelope.at("error").at("code").as_string() == "cli.interrupted");
    BOOST_TEST(envelope.at("error").at("details").at("signal").as_string() == name);
  }

  // A module folder whose only runtime is the fixture plugin that holds a read for 20 s.
  Module slow_plugin() {
    fs::path folder = ModuleBuilder(dir.path(), "slow-native").library("libslow.so").write();
    fs::copy_file(fixture_plugin("slow"), folder / "libslow.so");
    return load_module(folder);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(interrupt, Fixture)

BOOST_AUTO_TEST_CASE(sigint_kills_the_module_tree_and_exits_130) { interrupt_a_writing_module(SIGINT, "SIGINT", 130); }

BOOST_AUTO_TEST_CASE(sigterm_kills_the_module_tree_and_exits_143) {
  interrupt_a_writing_module(SIGTERM, "SIGTERM", 143);
}

BOOST_AUTO_TEST_CASE(sighup_kills_the_module_tree_and_exits_129) { interrupt_a_writing_module(SIGHUP, "SIGHUP", 129); }

BOOST_AUTO_TEST_CASE(a_persistent_module_is_interrupted_too) {
  Module m = ModuleBuilder(dir.path(), "persist")
                 .executable("bash " + (fs::path(HOMEBOY_TEST_FIXTURES_DIR) / "modules/persistent.sh").string() +
                             " setsid-child")
                 .persistent()
                 .load();
  std::string events = "[";
  for (int i = 0; i < 50; ++i) events += std::string(i ? "," : "") + "{\"operation\":\"read\",\"path\":\"/a\"}";
  write_file(dir / "events.json", events + "]");
  BackgroundCli host({"storage", "batch", "--file", (dir / "events.json").string()}, only_provider(m, dir / "config"), dir.path());
  int grandchild = wait_for_pid(m.dir / "grandchild.pid");
  int module = wait_for_pid(m.dir / "pids");

  host.signal(SIGTERM);
  auto result = host.wait(10s);
  BOOST_TEST_REQUIRE(result.has_value());
  check_interrupted(*result, "SIGTERM", 143);
  BOOST_TEST(!process_alive(module));
  BOOST_TEST(!process_alive(grandchild));
}

BOOST_AUTO_TEST_CASE(module_test_removes_its_scratch_folders) {
  Module m = misbehaving_module(dir.path(), "slow-batch-writer");
  fs::create_directory(dir / "tmp");
  BackgroundCli host({"module", "test", m.dir.string(), "--json"},
                     {{"TMPDIR", (dir / "tmp").string()}, {"HOMEBOY_CONFIG_DIR", (dir / "config").string()}},
                     dir.path());
  int grandchild = wait_for_pid(m.dir / "grandchild.pid");
  BOOST_TEST_REQUIRE(!fs::is_empty(dir / "tmp"), "module test made no scratch folder under TMPDIR");

  host.signal(SIGINT);
  auto result = host.wait(10s);
  BOOST_TEST_REQUIRE(result.has_value());
  check_interrupted(*result, "SIGINT", 130);
  BOOST_TEST(!process_alive(grandchild));
  BOOST_TEST(!process_alive(read_pid(m.dir / "pid")));
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir / "tmp")) left.push_back(entry.path().filename().string());
  BOOST_TEST(left.empty(), "left in TMPDIR: " << (left.empty() ? "" : left.front()));
}

// A native plugin call runs in homeboy's own process: it cannot be cut short safely, so the
// first signal is honoured when it returns, or after interrupt_deadline (2 s) at the latest.
BOOST_AUTO_TEST_CASE(a_native_call_is_given_the_deadline_then_homeboy_exits) {
  Module m = slow_plugin();
  fs::path marker = dir / "inside-the-call";
  BackgroundCli host({"storage", "read", marker.string()}, only_provider(m, dir / "config"), dir.path());
  BOOST_TEST_REQUIRE(eventually([&] { return fs::exists(marker); }, 10s), "the plugin was never called");

  auto sent = Clock::now();
  host.signal(SIGINT);
  auto result = host.wait(10s);
  auto took = Clock::now() - sent;
  BOOST_TEST_REQUIRE(result.has_value(), "homeboy did not exit within 10 s of SIGINT");
  check_interrupted(*result, "SIGINT", 130);
  BOOST_TEST((took >= 1s), "it should wait for the call, up to the deadline");
  BOOST_TEST((took < 6s));
}

BOOST_AUTO_TEST_CASE(a_second_signal_exits_at_once) {
  Module m = slow_plugin();
  fs::path marker = dir / "inside-the-call";
  BackgroundCli host({"storage", "read", marker.string()}, only_provider(m, dir / "config"), dir.path());
  BOOST_TEST_REQUIRE(eventually([&] { return fs::exists(marker); }, 10s), "the plugin was never called");

  auto sent = Clock::now();
  host.signal(SIGINT);
  std::this_thread::sleep_for(100ms);
  host.signal(SIGINT);
  auto result = host.wait(10s);
  auto took = Clock::now() - sent;
  BOOST_TEST_REQUIRE(result.has_value());
  check_interrupted(*result, "SIGINT", 130);
  BOOST_TEST((took < 1500ms), "a second signal must not wait for the deadline");
}

BOOST_AUTO_TEST_SUITE_END()
