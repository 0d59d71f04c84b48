// Persistent modules: one process for many requests, ids echoed, restart after a crash.
#define BOOST_TEST_MODULE persistent_transport
#include <boost/test/unit_test.hpp>

#include "homeboy/storage.hpp"
#include "homeboy/transport/subprocess_transport.hpp"
#include "support.hpp"

#include "homeboy/transport/process.hpp"

#include <sstream>
#include <thread>

using namespace homeboy;
using namespace homeboy::test;

namespace {

struct Fixture {
  ScratchDir dir;

  Module module(const std::string& mode, double timeout_secs = 5) {
    return ModuleBuilder(dir.path(), "persist-" + mode)
        .executable("bash " + (fs::path(HOMEBOY_TEST_FIXTURES_DIR) / "modules/persistent.sh").string() + " " + mode)
        .persistent()
        .timeout_secs(timeout_secs)
        .load();
  }

  std::vector<int> pids(const std::string& mode) {
    std::istringstream in(read_file(dir / ("persist-" + mode) / "pids"));
    std::vector<int> out;
    for (int pid; in >> pid;) out.push_back(pid);
    return out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(persistent, Fixture)

BOOST_AUTO_TEST_CASE(one_process_answers_many_requests) {
  {
    Storage s(ProviderInfo{"p", "t", homeboy::SelectedBy::named, std::nullopt, {}},
              std::make_unique<PersistentTransport>(module("ok"), dir.path()));
    BOOST_TEST(homeboy::to_string(s.transport_kind()) == "persistent");
    for (int i = 1; i <= 20; ++i) BOOST_TEST(s.read("/a") == "request " + std::to_string(i));
  }
  auto started = pids("ok");
  BOOST_TEST(started.size() == 1u);
  BOOST_TEST(!process_alive(started[0]), "the module exits when the host is done");
}

BOOST_AUTO_TEST_CASE(a_crash_fails_that_operation_and_the_next_gets_a_new_process) {
  {
    Storage s(ProviderInfo{"p", "t", homeboy::SelectedBy::named, std::nullopt, {}},
              std::make_unique<PersistentTransport>(module("crash-third"), dir.path()));
    BOOST_TEST(s.read("/a") == "request 1");
    BOOST_TEST(s.read("/a") == "request 2");
    BOOST_CHECK_EXCEPTION(s.read("/a"), Error, [](const Error& e) {
      return e.code() == "storage.provider_failed" && std::string(e.what()).find("signal 9") != std::string::npos;
    });
    BOOST_TEST(s.read("/a") == "request 1", "a restarted process answers the 4th operation");
  }
  auto started = pids("crash-third");
  BOOST_TEST(started.size() == 2u);
  for (int pid : started) BOOST_TEST(!process_alive(pid));
}

BOOST_AUTO_TEST_CASE(a_request_past_its_timeout_fails_and_the_next_gets_a_new_process) {
  {
    Storage s(ProviderInfo{"p", "t", homeboy::SelectedBy::named, std::nullopt, {}},
              std::make_unique<PersistentTransport>(module("hang-second", 1), dir.path()));
    BOOST_TEST(s.read("/a") == "request 1");
    auto start = std::chrono::steady_clock::now();
    BOOST_CHECK_EXCEPTION(s.read("/a"), Error, [](const Error& e) { return e.code() == "storage.timeout"; });
    BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(4)));
    BOOST_TEST(s.read("/a") == "request 1", "a fresh process answers");
  }
  auto started = pids("hang-second");
  BOOST_TEST(started.size() == 2u);
  for (int pid : started) BOOST_TEST(!process_alive(pid));
}

BOOST_AUTO_TEST_CASE(a_wrong_id_is_a_contract_violation) {
  Storage s(ProviderInfo{"p", "t", homeboy::SelectedBy::named, std::nullopt, {}},
            std::make_unique<PersistentTransport>(module("wrong-id"), dir.path()));
  BOOST_CHECK_EXCEPTION(s.read("/a"), Error, [](const Error& e) {
    return e.code() == "storage.contract_violation" && e.details().at("rule").as_string() == "id_mismatch";
  });
}

BOOST_AUTO_TEST_CASE(raw_bytes_follow_a_line_both_ways_and_the_output_cap_is_per_answer) {
  // /bin/cat echoes each request: a line, then raw bytes the answer line announces.
  Launch cat;
  cat.argv = {"/bin/cat"};
  PersistentProcess process(cat);
  const std::size_t mib = std::size_t{1} << 20;
  std::string payload(mib + 3, '\n');
  for (std::size_t i = 0; i < payload.size(); i += 4099) payload[i] = static_cast<char>(i & 0xFF);
  auto size_of = [&](std::string_view line) { return line == "raw" ? payload.size() : std::size_t{0}; };
  auto reply = process.exchange("raw", payload, std::chrono::seconds(10), size_of);
  BOOST_TEST_REQUIRE(reply.line.has_value());
  BOOST_TEST(*reply.line == "raw");
  BOOST_TEST((reply.payload == payload), "the raw bytes come back exact, newlines and all");
  BOOST_TEST((process.exchange("plain", std::chrono::seconds(10)).line == std::optional<std::string>("plain")));
  // 520 answers of 1 MiB: more than the 512 MiB one answer may hold, in all; each is far below.
  std::string chunk(mib, 'x');
  auto chunk_size = [&](std::string_view) { return chunk.size(); };
  int answered = 0;
  for (int i = 0; i < 520; ++i) {
    auto r = process.exchange("chunk", chunk, std::chrono::seconds(10), chunk_size);
    if (!r.line || r.payload.size() != chunk.size()) break;
    ++answered;
  }
  BOOST_TEST(answered == 520, "the process was cut off after " << answered << " MiB of answers");
  // A line that announces more than one answer may hold: stopped, nothing allocated for it.
  auto too_large = process.exchange("huge", {}, std::chrono::seconds(10),
                                    [](std::string_view) { return max_output_bytes + 1; });
  BOOST_TEST(too_large.too_large);
  BOOST_TEST(!too_large.line.has_value());
  BOOST_TEST(!process.exchange("after", std::chrono::seconds(10)).line.has_value(), "the process was stopped");
}

BOOST_AUTO_TEST_CASE(the_module_does_not_outlive_a_host_that_is_killed) {
  module("slow");  // writes the manifest
  // The host runs a 50-operation batch one by one through the slow module, and is
  // killed with SIGKILL half-way: no cleanup code of its own runs.
  std::string events = "[";
  for (int i = 0; i < 50; ++i) events += std::string(i ? "," : "") + "{\"operation\":\"read\",\"path\":\"/a\"}";
  events += "]";
  write_file(dir / "events.json", events);
  Launch command;
  command.argv = {"/bin/bash", "-c",
                  "\"$0\" storage batch --file \"$1\" >/dev/null & host=$!; sleep 1; kill -KILL $host; wait $host; exit 0",
                  homeboy_cli().string(), (dir / "events.json").string()};
  command.env = {{"HOMEBOY_MODULE_PATH", dir.path().string()}, {"HOMEBOY_CONFIG_DIR", (dir / "config").string()},
                 {"HOMEBOY_STORAGE_TRANSPORT", ""}};
  auto outcome = run_once(command, "", std::chrono::seconds(30));
  BOOST_TEST_REQUIRE(outcome.exit_code == 0, outcome.err_tail);
  auto started = pids("slow");
  BOOST_TEST_REQUIRE(started.size() == 1u);
  // The module sees EOF on stdin once its host is gone, finishes the request in hand and exits.
  for (int i = 0; i < 100 && process_alive(started[0]); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  BOOST_TEST(!process_alive(started[0]));
}

BOOST_AUTO_TEST_SUITE_END()
