// The one-shot subprocess transport against modules that misbehave one way each.
#define BOOST_TEST_MODULE subprocess_transport
#include <boost/test/unit_test.hpp>

#include "homeboy/modules/discovery.hpp"
#include "homeboy/storage.hpp"
#include "homeboy/transport/process.hpp"
#include "homeboy/transport/subprocess_transport.hpp"
#include "support.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

using namespace homeboy;
using namespace homeboy::test;
using contract::Event;

namespace {

struct Fixture {
  ScratchDir dir;

  Storage storage(const std::string& mode, double timeout_secs = 30) {
    Module m = misbehaving_module(dir.path(), mode, timeout_secs);
    return Storage(ProviderInfo{m.id, "test", homeboy::SelectedBy::named, std::nullopt, m.manifest_path},
                   std::make_unique<OneShotTransport>(m, dir.path()));
  }

  // Runs `event` through the facade and returns the error it raised.
  Error failure(const std::string& mode, const Event& event, double timeout_secs = 30) {
    auto s = storage(mode, timeout_secs);
    try {
      if (event.operation == contract::Operation::batch)
        s.batch(event.operations);
      else
        s.execute(event);
    } catch (const Error& e) {
      return e;
    }
    BOOST_FAIL("module in mode " << mode << " did not fail");
    throw;
  }

  int module_pid(const std::string& mode) { return read_pid(dir / ("misbehave-" + mode) / "pid"); }
};

std::string rule_of(const Error& e) {
  BOOST_TEST(e.code() == "storage.contract_violation");
  return std::string(e.details().at("rule").as_string());
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(one_shot, Fixture)

BOOST_AUTO_TEST_CASE(a_hanging_module_times_out_and_leaves_no_process) {
  auto start = std::chrono::steady_clock::now();
  Error e = failure("hang", Event::read("/a"), 1);
  auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(e.code() == "storage.timeout");
  BOOST_TEST((took < std::chrono::seconds(5)));
  BOOST_TEST(!process_alive(module_pid("hang")));
}

BOOST_AUTO_TEST_CASE(the_timeout_can_be_overridden_from_the_environment) {
  ::setenv("HOMEBOY_STORAGE_TIMEOUT_SECS", "0.5", 1);
  auto start = std::chrono::steady_clock::now();
  Error e = failure("hang", Event::read("/a"), 60);
  ::unsetenv("HOMEBOY_STORAGE_TIMEOUT_SECS");
  BOOST_TEST(e.code() == "storage.timeout");
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(5)));
}

BOOST_AUTO_TEST_CASE(a_crash_is_a_failure_naming_the_signal) {
  Error e = failure("crash", Event::read("/a"));
  BOOST_TEST(e.code() == "storage.provider_failed");
  BOOST_TEST(std::string(e.what()).find("signal 11") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unreadable_answers_are_contract_violations) {
  BOOST_TEST(rule_of(failure("garbage", Event::read("/a"))) == "response_not_json");
  BOOST_TEST(rule_of(failure("truncated", Event::read("/a"))) == "response_not_json");
  BOOST_TEST(rule_of(failure("array", Event::read("/a"))) == "response_not_object");
  BOOST_TEST(rule_of(failure("empty", Event::read("/a"))) == "response_empty");
}

BOOST_AUTO_TEST_CASE(shape_rules_are_enforced_on_real_module_output) {
  BOOST_TEST(rule_of(failure("success-with-error", Event::write("/a", "x"))) == "success_with_error");
  BOOST_TEST(rule_of(failure("failure-without-error", Event::read("/a"))) == "failure_without_error");
  BOOST_TEST(rule_of(failure("read-without-data", Event::read("/a"))) == "read_without_data");
  BOOST_TEST(rule_of(failure("list-without-entries", Event::list("/a"))) == "list_without_entries");
  BOOST_TEST(rule_of(failure("bad-entry", Event::list("/a"))) == "entry_shape");
  BOOST_TEST(rule_of(failure("batch-wrong-count", Event::batch({Event::read("/a"), Event::read("/b")}))) ==
             "batch_result_count");
  BOOST_TEST(rule_of(failure("batch-lying-overall", Event::batch({Event::read("/a"), Event::read("/b")}))) ==
             "overall_success_mismatch");
}

BOOST_AUTO_TEST_CASE(ten_mib_of_stdout_arrives_whole) {
  auto s = storage("big-stdout");
  std::string data = s.read("/a");
  BOOST_TEST(data.size() == 10485760u);
  BOOST_TEST(data.find_first_not_of('a') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(ten_mib_of_stderr_does_not_block_the_answer) {
  auto s = storage("big-stderr");
  BOOST_TEST(s.read("/a") == "ok");
}

BOOST_AUTO_TEST_CASE(a_grandchild_holding_stdout_cannot_hang_the_host) {
  auto s = storage("grandchild", 20);
  auto start = std::chrono::steady_clock::now();
  BOOST_TEST(s.read("/a") == "ok");
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(5)));
  int grandchild = read_pid(dir / "misbehave-grandchild" / "grandchild.pid");
  for (int i = 0; i < 50 && process_alive(grandchild); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  BOOST_TEST(!process_alive(grandchild));
}

BOOST_AUTO_TEST_CASE(a_non_zero_exit_fails_even_with_valid_json_and_quotes_stderr) {
  Error e = failure("exit-nonzero", Event::read("/a"));
  BOOST_TEST(e.code() == "storage.provider_failed");
  BOOST_TEST(std::string(e.what()).find("status 3") != std::string::npos);
  BOOST_TEST(std::string(e.what()).find("something broke") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(not_found_maps_to_exit_code_four) {
  Error e = failure("not-found", Event::read("/a"));
  BOOST_TEST(e.code() == "storage.not_found");
  BOOST_TEST((e.exit_code() == ExitCode::not_found));
}

BOOST_AUTO_TEST_CASE(the_module_gets_argv_cwd_and_environment) {
  Module m = ModuleBuilder(dir.path(), "env-check")
                 .executable("bash -c 'echo \"{\\\"success\\\":true,\\\"data\\\":\\\"$PWD|$1|$HOMEBOY_MODULE_ID\\\"}\"' x")
                 .load();
  Storage s(ProviderInfo{m.id, "t", homeboy::SelectedBy::named, std::nullopt, m.manifest_path},
            std::make_unique<OneShotTransport>(m, dir.path()));
  BOOST_TEST(s.read("/a") == (dir / "env-check").string() + "|--storage-operation|env-check");
}

// What a module finds when it starts, as its author would check it: no signal ignored or
// blocked (homeboy itself ignores SIGPIPE, handles SIGINT, SIGTERM and SIGHUP, and blocks
// every signal while it launches), a process group of its own under a supervisor that has
// another of its own, and no descriptor of homeboy's besides stdin, stdout and stderr.
BOOST_AUTO_TEST_CASE(a_module_starts_with_default_signals_a_group_of_its_own_and_three_descriptors) {
  fs::path folder = ModuleBuilder(dir.path(), "start-state").executable("/bin/bash probe.sh").write();
  // The signal state is read by a program the module starts (awk), which gets what the module
  // was given: bash itself ignores SIGQUIT and blocks signals of its own while it waits.
  std::ofstream(folder / "probe.sh") << R"(cat >/dev/null
ignored=$(awk '/^SigIgn/ {print $2}' /proc/self/status)
blocked=$(awk '/^SigBlk/ {print $2}' /proc/self/status)
read -r -a own < /proc/$$/stat
read -r -a parent < /proc/${own[3]}/stat
extra=
for ((fd = 3; fd < 64; ++fd)); do [ -e /proc/$$/fd/$fd ] && extra="$extra $fd"; done
echo "{\"success\":true,\"data\":\"$ignored|$blocked|$$|${own[4]}|${own[3]}|${parent[4]}|$extra\"}"
)";
  Module m = load_module(folder);
  Storage s(ProviderInfo{m.id, "t", homeboy::SelectedBy::named, std::nullopt, m.manifest_path},
            std::make_unique<OneShotTransport>(m, dir.path()));
  std::string seen = s.read("/a");
  std::vector<std::string> f;
  for (std::size_t start = 0;;) {
    auto bar = seen.find('|', start);
    f.push_back(seen.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  BOOST_REQUIRE_MESSAGE(f.size() == 7, seen);
  BOOST_TEST(f[0] == "0000000000000000");  // SigIgn: SIGPIPE has its default action again
  BOOST_TEST(f[1] == "0000000000000000");  // SigBlk
  BOOST_TEST(f[3] == f[2]);                // the module leads a process group of its own
  BOOST_TEST(f[5] == f[4]);                // and so does its supervisor (homeboy-reaper)
  BOOST_TEST(f[5] != std::to_string(::getpgrp()));
  BOOST_TEST(f[6] == "");                  // no descriptor 3 to 63
}

// A launch the system refuses after the process was created (execve fails: one variable
// over the kernel's 128 KiB limit) is a std::system_error naming the supervisor, the child
// that failed is reaped, and homeboy goes on launching as before.
BOOST_AUTO_TEST_CASE(a_launch_whose_exec_fails_is_an_error_and_the_next_one_works) {
  Launch too_big;
  too_big.argv = {"/bin/cat"};
  too_big.env = {{"HUGE", std::string(200 * 1024, 'x')}};
  BOOST_CHECK_EXCEPTION(run_once(too_big, "", std::chrono::seconds(10)), std::system_error,
                        [](const std::system_error& e) {
                          return e.code().value() == E2BIG &&
                                 std::string(e.what()).find("homeboy-reaper") != std::string::npos;
                        });
  Launch cat;
  cat.argv = {"/bin/cat"};
  for (int i = 0; i < 3; ++i) {
    ProcessOutcome out = run_once(cat, "again\n", std::chrono::seconds(10));
    BOOST_TEST(out.exited_cleanly());
    BOOST_TEST(out.out == "again\n");
  }
}

BOOST_AUTO_TEST_CASE(a_missing_executable_is_reported_by_name) {
  Module m = ModuleBuilder(dir.path(), "no-exe").executable("definitely-not-a-program-xyz arg").load();
  BOOST_CHECK_EXCEPTION(OneShotTransport(m, dir.path()), Error, [](const Error& e) {
    return e.code() == "storage.provider_unavailable" &&
           std::string(e.what()).find("definitely-not-a-program-xyz") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(a_batch_goes_in_chunks_and_a_timed_out_chunk_says_what_ran) {
  // The module answers the first chunk and hangs on the second: each operation still has a
  // result, those of the hung chunk `timeout` (they may or may not have landed), the rest
  // `not_run`, and none succeeds that was not answered.
  auto s = storage("batch-then-hang", 1);
  std::vector<Event> writes;
  for (int i = 0; i < 5000; ++i) writes.push_back(Event::write("/x/" + std::to_string(i), "x"));
  auto started = std::chrono::steady_clock::now();
  auto results = s.batch(writes);
  bool prompt = std::chrono::steady_clock::now() - started < std::chrono::seconds(4);
  BOOST_TEST(prompt, "one timeout, not one per chunk");
  BOOST_TEST_REQUIRE(results.size() == writes.size());
  std::size_t ok = 0, timed_out = 0, not_run = 0;
  for (const auto& r : results) {
    if (r.success) ++ok;
    else if (r.effective_error_code() == contract::ErrorCode::timeout) ++timed_out;
    else if (r.effective_error_code() == contract::ErrorCode::not_run) ++not_run;
  }
  BOOST_TEST(ok > 0u, "the first chunk was answered");
  BOOST_TEST(ok < writes.size(), "the batch went in more than one chunk");
  BOOST_TEST(timed_out > 0u);
  BOOST_TEST(ok + timed_out + not_run == writes.size(), "every operation has a result");
  for (std::size_t i = 0; i + 1 < results.size(); ++i)
    BOOST_TEST(!(!results[i].success && results[i + 1].success), "an answered operation after an unanswered one");
  BOOST_TEST(!process_alive(module_pid("batch-then-hang")));
}

BOOST_AUTO_TEST_CASE(hundreds_of_modules_in_a_row_and_in_parallel) {
  Module m = ModuleBuilder(dir.path(), "echo")
                 .executable("/bin/sh -c 'cat >/dev/null; echo {\\\"success\\\":true,\\\"data\\\":\\\"ok\\\"}'")
                 .load();
  OneShotTransport transport(m, dir.path());
  for (int i = 0; i < 200; ++i) BOOST_REQUIRE(transport.send(Event::read("/a")).data == std::optional<std::string>("ok"));
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      OneShotTransport own(m, dir.path());
      for (int i = 0; i < 75; ++i)
        if (own.send(Event::read("/a")).data == std::optional<std::string>("ok")) ++good;
    });
  for (auto& th : threads) th.join();
  BOOST_TEST(good.load() == 300);
}

BOOST_AUTO_TEST_SUITE_END()
