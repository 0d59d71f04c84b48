// No process outlives its command: whatever a module starts dies with it, also what moved
// to a session of its own (setsid), and everything dies when homeboy itself is SIGKILLed.
#define BOOST_TEST_MODULE process_lifetime
#include <boost/test/unit_test.hpp>

#include "homeboy/storage.hpp"
#include "homeboy/transport/subprocess_transport.hpp"
#include "support.hpp"

#include <signal.h>

#include <thread>

using namespace homeboy;
using namespace homeboy::test;
using namespace std::chrono_literals;
using contract::Event;

namespace {

struct Fixture {
  ScratchDir dir;

  Module persistent(const std::string& mode) {
    return ModuleBuilder(dir.path(), "persist-" + mode)
        .executable("bash " + (fs::path(HOMEBOY_TEST_FIXTURES_DIR) / "modules/persistent.sh").string() + " " + mode)
        .persistent()
        .timeout_secs(5)
        .load();
  }

};

std::size_t files_in(const fs::path& folder) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) ++n;
  return n;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(process_lifetime, Fixture)

BOOST_AUTO_TEST_CASE(a_setsid_grandchild_dies_with_a_one_shot_module) {
  Module m = misbehaving_module(dir.path(), "setsid-child");
  OneShotTransport transport(m, dir.path());
  for (int run = 0; run < 3; ++run) {
    fs::remove(m.dir / "grandchild.pid");
    BOOST_TEST((transport.send(Event::read("/a")).data == std::optional<std::string>("ok")));
    int grandchild = read_pid(m.dir / "grandchild.pid");
    BOOST_TEST_REQUIRE(grandchild > 0);
    BOOST_TEST(!process_alive(grandchild), "run " << run << ": the setsid grandchild outlived its module");
  }
}

BOOST_AUTO_TEST_CASE(a_setsid_grandchild_dies_with_a_persistent_module) {
  Module m = persistent("setsid-child");
  int grandchild = -1;
  {
    Storage s(ProviderInfo{m.id, "test", homeboy::SelectedBy::named, std::nullopt, m.manifest_path},
              std::make_unique<PersistentTransport>(m, dir.path()));
    s.read("/a");
    s.read("/b");
    grandchild = read_pid(m.dir / "grandchild.pid");
    BOOST_TEST_REQUIRE(grandchild > 0);
    BOOST_TEST(process_alive(grandchild), "it lives as long as its module does");
  }
  BOOST_TEST(!process_alive(grandchild), "the setsid grandchild outlived its persistent module");
}

BOOST_AUTO_TEST_CASE(a_module_and_all_it_started_die_when_homeboy_is_sigkilled) {
  Module m = misbehaving_module(dir.path(), "slow-batch-writer");
  BackgroundCli host({"storage", "write", (dir / "x").string(), "--content", "x"}, only_provider(m, dir / "config"), dir.path());
  int module = wait_for_pid(m.dir / "pid");
  int grandchild = wait_for_pid(m.dir / "grandchild.pid");
  BOOST_TEST_REQUIRE(process_alive(module));
  BOOST_TEST_REQUIRE(process_alive(grandchild));

  host.signal(SIGKILL);
  BOOST_TEST_REQUIRE(host.wait(5s).has_value());
  BOOST_TEST(eventually([&] { return !process_alive(module) && !process_alive(grandchild); }, 2s),
             "left running: module " << process_alive(module) << ", setsid grandchild " << process_alive(grandchild));
  std::size_t written = files_in(m.dir / "out");
  std::this_thread::sleep_for(200ms);
  BOOST_TEST(files_in(m.dir / "out") == written, "files were still being written after homeboy was killed");
}

BOOST_AUTO_TEST_CASE(a_persistent_module_and_all_it_started_die_when_homeboy_is_sigkilled) {
  Module m = persistent("setsid-child");
  std::string events = "[";
  for (int i = 0; i < 50; ++i) events += std::string(i ? "," : "") + "{\"operation\":\"read\",\"path\":\"/a\"}";
  write_file(dir / "events.json", events + "]");
  BackgroundCli host({"storage", "batch", "--file", (dir / "events.json").string()}, only_provider(m, dir / "config"), dir.path());
  int grandchild = wait_for_pid(m.dir / "grandchild.pid");
  int module = wait_for_pid(m.dir / "pids");

  host.signal(SIGKILL);
  BOOST_TEST_REQUIRE(host.wait(5s).has_value());
  BOOST_TEST(eventually([&] { return !process_alive(module) && !process_alive(grandchild); }, 2s),
             "left running: module " << process_alive(module) << ", setsid grandchild " << process_alive(grandchild));
}

BOOST_AUTO_TEST_SUITE_END()
