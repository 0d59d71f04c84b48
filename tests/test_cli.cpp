// The `homeboy` binary end to end: envelopes, exit codes, help, and the issue's scenarios.
#define BOOST_TEST_MODULE cli
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>

#include <sstream>

#include "homeboy/text.hpp"
#include "support.hpp"

using namespace homeboy::test;
namespace json = boost::json;

BOOST_FIXTURE_TEST_SUITE(cli, CliFixture)

// A native plugin that prints while it runs inside homeboy (the fixture prints on every read)
// prints to stderr: the envelope on stdout, and a raw read's bytes, stay what they are.
BOOST_AUTO_TEST_CASE(an_in_process_plugin_that_prints_cannot_reach_stdout) {
  fs::path folder = ModuleBuilder(dir / "modules", "chatty")
                        .library_file(fixture_plugin("chatty"))
                        .isolation("in_process")
                        .storage_type("memory")
                        .write();
  Env env = only_provider(homeboy::load_module(folder), config);
  // The fixture keeps its files in memory, for one process: a batch writes and reads back.
  auto batch = homeboy({"storage", "batch", "-"}, env,
                       R"([{"operation": "write", "path": "/a", "content": "hello"}, {"operation": "read", "path": "/a"}])");
  BOOST_TEST(batch.exit_code == 0, batch.out << batch.err);
  BOOST_TEST(batch.json().at("data").at("results").at(1).at("data") == json::value("hello"), batch.out);
  BOOST_TEST(batch.err.find("fixture: reading /a") != std::string::npos, batch.err);
  auto missing = homeboy({"storage", "read", "/b"}, env);
  BOOST_TEST(missing.exit_code == 4);
  BOOST_TEST(missing.json().at("error").at("code") == json::value("storage.not_found"), missing.out);
}

BOOST_AUTO_TEST_CASE(status_shows_the_native_default_provider) {
  auto r = homeboy({"storage", "status"});
  BOOST_TEST(r.exit_code == 0);
  auto provider = r.json().at("data").at("provider");
  BOOST_TEST(provider.at("module_id").as_string() == "builtin-filesystem");
  BOOST_TEST(provider.at("storage_type").as_string() == "filesystem");
  BOOST_TEST(provider.at("transport").as_string() == "native");
  BOOST_TEST(provider.at("fallback_reason").is_null());
  BOOST_TEST(provider.at("selected_by").as_string() == "default");
  BOOST_TEST(provider.at("manifest_path").as_string().ends_with("builtin-filesystem/builtin-filesystem.json"));
}

BOOST_AUTO_TEST_CASE(write_then_read_raw_gives_back_the_same_bytes_on_both_transports) {
  const std::string content = "a\n\n-n \\t \xC3\xA9";
  for (std::string transport : {"native", "subprocess"}) {
    BOOST_TEST_CONTEXT(transport) {
      Env env{{"HOMEBOY_STORAGE_TRANSPORT", transport}};
      std::string file = (dir / ("a-" + transport + ".txt")).string();
      auto w = homeboy({"storage", "write", file, "--content", content}, env);
      BOOST_TEST(w.exit_code == 0);
      BOOST_TEST(w.json().at("data").at("bytes").as_int64() == static_cast<std::int64_t>(content.size()));
      auto r = homeboy({"storage", "read", file, "--raw"}, env);
      BOOST_TEST(r.exit_code == 0);
      BOOST_TEST(r.out == content);
      auto stdin_write = homeboy({"storage", "write", file, "-"}, env, content + "\n\n");
      BOOST_TEST(stdin_write.exit_code == 0);
      BOOST_TEST(homeboy({"storage", "read", file, "--raw"}, env).out == content + "\n\n");
      auto enveloped = homeboy({"storage", "read", file}, env);
      BOOST_TEST(enveloped.json().at("data").at("content").as_string() == content + "\n\n");
    }
  }
}

// Standard input is often a terminal or a pipe shared with the shell and the rest of a
// pipeline: reading it (`storage write F -`) must leave its mode alone, while homeboy waits
// for input and after. A descriptor made non-blocking makes another program that reads it
// fail with EAGAIN (a foreground program while homeboy waits in the background, or anything
// after homeboy was stopped or killed in its wait).
BOOST_AUTO_TEST_CASE(reading_standard_input_leaves_it_blocking_for_whoever_shares_it) {
  std::string file = (dir / "from-stdin.txt").string();
  // The writer is late, so homeboy is waiting when the flags are read the first time.
  auto shared = run_cli_in_shell(R"({ sleep 0.6; printf 'piped bytes'; } | {
      "$@" <&0 >/dev/null & sleep 0.3
      awk '/^flags:/ {print $2}' /proc/self/fdinfo/0
      wait $! || exit 9
      awk '/^flags:/ {print $2}' /proc/self/fdinfo/0; })",
                                 {"--config-dir", (dir / "config").string(), "storage", "write", file, "-"});
  BOOST_TEST_REQUIRE(shared.exit_code == 0, shared.err);
  BOOST_TEST(read_file(file) == "piped bytes");
  std::istringstream lines(shared.out);
  std::string during, after;
  BOOST_TEST_REQUIRE(static_cast<bool>(lines >> during >> after), shared.out);
  BOOST_TEST((std::stoul(during, nullptr, 8) & O_NONBLOCK) == 0u, "the pipe's flags while homeboy waits: " << during);
  BOOST_TEST((std::stoul(after, nullptr, 8) & O_NONBLOCK) == 0u, "the pipe's flags after homeboy read it: " << after);
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_utf8_stay_bytes_and_the_envelope_stays_utf8) {
  const std::string bytes("\xff\x00 not text \xc3", 13);
  write_file(dir / "bytes.in", bytes);
  fs::create_directories(dir / "odd");
  write_file(dir / "odd" / "name-\xff", "x");
  for (std::string transport : {"native", "subprocess"}) {
    BOOST_TEST_CONTEXT(transport) {
      Env env{{"HOMEBOY_STORAGE_TRANSPORT", transport}};
      std::string file = (dir / ("bytes-" + transport)).string();
      BOOST_TEST(homeboy({"storage", "write", file, "--file", (dir / "bytes.in").string()}, env).exit_code == 0);
      BOOST_TEST(read_file(file) == bytes, "stored byte for byte");
      BOOST_TEST(homeboy({"storage", "read", file, "--raw"}, env).out == bytes);
      auto r = homeboy({"storage", "read", file}, env);
      BOOST_TEST(r.json().at("data").at("content_base64").as_string() == "/wAgbm90IHRleHQgww==");
      BOOST_TEST(!r.json().at("data").as_object().contains("content"));
    }
  }
  // A file name that is not UTF-8 is listed as path_base64, on every transport, and the
  // envelope is still valid JSON (Boost.JSON refuses invalid UTF-8 when it parses it).
  for (std::string transport : {"native", "subprocess"}) {
    auto listed = homeboy({"storage", "list", (dir / "odd").string()}, {{"HOMEBOY_STORAGE_TRANSPORT", transport}});
    BOOST_TEST(listed.exit_code == 0, listed.out);
    auto answer = listed.json();
    const auto& entry = answer.at("data").at("entries").at(0).as_object();
    BOOST_TEST(!entry.contains("path"));
    auto name = homeboy::text::base64_decode(entry.at("path_base64").as_string());
    BOOST_TEST_REQUIRE(name.has_value());
    BOOST_TEST(name->ends_with("name-\xff"));
  }
}

BOOST_AUTO_TEST_CASE(write_from_a_file_and_list_and_delete) {
  write_file(dir / "source.txt", "from a file\n");
  fs::create_directories(dir / "area");
  BOOST_TEST(homeboy({"storage", "write", (dir / "area/x").string(), "--file", (dir / "source.txt").string()}).exit_code == 0);
  BOOST_TEST(read_file(dir / "area/x") == "from a file\n");
  auto list = homeboy({"storage", "list", (dir / "area").string()});
  BOOST_TEST(list.json().at("data").at("entries").as_array().size() == 1u);
  BOOST_TEST(homeboy({"storage", "delete", (dir / "area/x").string()}).exit_code == 0);
  BOOST_TEST(!fs::exists(dir / "area/x"));
  BOOST_TEST(homeboy({"storage", "ensure-dir", (dir / "area/new/deep").string()}).exit_code == 0);
  BOOST_TEST(fs::is_directory(dir / "area/new/deep"));
}

BOOST_AUTO_TEST_CASE(not_found_is_exit_four_with_the_envelope) {
  auto r = homeboy({"storage", "read", (dir / "missing").string()});
  BOOST_TEST(r.exit_code == 4);
  BOOST_TEST(r.json().at("success").as_bool() == false);
  BOOST_TEST(error_code(r) == "storage.not_found");
  auto raw = homeboy({"storage", "read", (dir / "missing").string(), "--raw"});
  BOOST_TEST(raw.exit_code == 4);
  BOOST_TEST(raw.out.empty(), "--raw keeps stdout for content only");
  BOOST_TEST(raw.err.find("storage.not_found") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_exit_two_and_name_the_problem) {
  auto r = homeboy({"storage", "write", (dir / "x").string()});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "cli.invalid_argument");
  r = homeboy({"storage", "read"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(std::string(r.json().at("error").at("message").as_string()).find("path") != std::string::npos);
  r = homeboy({"storage", "fly"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "cli.unknown_command");
  r = homeboy({"storage", "read", "/x", "--bogus"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(std::string(r.json().at("error").at("message").as_string()).find("bogus") != std::string::npos);
  r = homeboy({"storage", "batch", "-"}, {}, "{not json");
  BOOST_TEST(r.exit_code == 2);
  r = homeboy({"storage", "status"}, {{"HOMEBOY_STORAGE_TRANSPORT", "teleport"}});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "config.invalid_environment");
  auto bare = run_cli({});
  BOOST_TEST(bare.exit_code == 0, "bare homeboy shows the overview, as bare `homeboy storage` shows its commands");
  BOOST_TEST(bare.out.find("Usage: homeboy") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(help_at_every_level) {
  auto top = run_cli({"--help"});
  BOOST_TEST(top.exit_code == 0);
  BOOST_TEST(top.out.find("storage") != std::string::npos);
  auto group = run_cli({"storage", "--help"});
  BOOST_TEST(group.exit_code == 0);
  BOOST_TEST(group.out.find("ensure-dir") != std::string::npos);
  auto command = run_cli({"storage", "write", "--help"});
  BOOST_TEST(command.exit_code == 0);
  BOOST_TEST(command.out.find("--content") != std::string::npos);
  BOOST_TEST(run_cli({"module", "show", "--help"}).out.find("Usage: homeboy module show") == 0);
}

BOOST_AUTO_TEST_CASE(batch_reports_each_result_and_exits_non_zero_on_any_failure) {
  fs::create_directories(dir / "b");
  std::string events = "[{\"operation\":\"write\",\"path\":\"" + (dir / "b/1").string() +
                       "\",\"content\":\"x\"},{\"operation\":\"read\",\"path\":\"" + (dir / "b/nope").string() + "\"}]";
  auto r = homeboy({"storage", "batch", "-"}, {}, events);
  BOOST_TEST(r.exit_code == 1);
  auto results = r.json().at("error").at("details").at("results").as_array();
  BOOST_TEST_REQUIRE(results.size() == 2u);
  BOOST_TEST(results[0].at("success").as_bool() == true);
  BOOST_TEST(results[1].at("success").as_bool() == false);
  BOOST_TEST(results[1].at("error_code").as_string() == "not_found");
  BOOST_TEST(read_file(dir / "b/1") == "x");
  std::string good = "[{\"operation\":\"read\",\"path\":\"" + (dir / "b/1").string() + "\"}]";
  write_file(dir / "events.json", good);
  auto ok = homeboy({"storage", "batch", "--file", (dir / "events.json").string()});
  BOOST_TEST(ok.exit_code == 0);
  BOOST_TEST(ok.json().at("data").at("results").as_array()[0].at("data").as_string() == "x");
}

BOOST_AUTO_TEST_CASE(a_sleeping_module_times_out_and_leaves_no_process) {
  ModuleBuilder(dir / "config/modules", "sleeper").executable("bash " + misbehave_script().string() + " hang").write();
  auto start = std::chrono::steady_clock::now();
  auto r = homeboy({"storage", "read", "/x"}, {{"HOMEBOY_STORAGE_TIMEOUT_SECS", "1"}});
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(6)));
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(error_code(r) == "storage.timeout");
  BOOST_TEST(!process_alive(read_pid(dir / "config/modules/sleeper/pid")));
}

BOOST_AUTO_TEST_CASE(success_with_error_is_a_contract_violation_naming_the_rule) {
  ModuleBuilder(dir / "config/modules", "liar")
      .executable("bash " + misbehave_script().string() + " success-with-error")
      .write();
  auto r = homeboy({"storage", "write", "/x", "--content", "y"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(error_code(r) == "storage.contract_violation");
  BOOST_TEST(r.json().at("error").at("details").at("rule").as_string() == "success_with_error");
  BOOST_TEST(std::string(r.json().at("error").at("message").as_string()).find("liar") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(two_providers_without_a_pick_exit_two_listing_both) {
  ModuleBuilder(dir / "config/modules", "alpha-store").executable("true").write();
  ModuleBuilder(dir / "config/modules", "beta-store").executable("true").write();
  auto r = homeboy({"storage", "status"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "config.multiple_providers");
  std::string message(r.json().at("error").at("message").as_string());
  BOOST_TEST(message.find("alpha-store") != std::string::npos);
  BOOST_TEST(message.find("beta-store") != std::string::npos);
  std::string hints = json::serialize(r.json().at("error").at("hints"));
  BOOST_TEST(hints.find("homeboy module uninstall alpha-store") != std::string::npos);

  write_file(dir / "config/homeboy.json", R"({"storage": "builtin-filesystem"})");
  auto picked = homeboy({"storage", "status"});
  BOOST_TEST(picked.exit_code == 0);
  BOOST_TEST(picked.json().at("data").at("provider").at("selected_by").as_string() == "config");
}

BOOST_AUTO_TEST_CASE(a_broken_library_falls_back_and_says_why) {
  fs::path module = dir / "config/modules/fs-copy";
  fs::create_directories(module);
  fs::copy(bundled_module_dir("builtin-filesystem"), module, fs::copy_options::recursive);
  fs::rename(module / "builtin-filesystem.json", module / "fs-copy.json");
  write_file(module / "libhomeboy_builtin_filesystem.so", "corrupted");
  auto status = homeboy({"storage", "status"});
  BOOST_TEST(status.exit_code == 0);
  auto provider = status.json().at("data").at("provider");
  BOOST_TEST(provider.at("transport").as_string() == "subprocess");
  BOOST_TEST(provider.at("fallback_reason").as_string().starts_with("not_a_library"));
  fs::remove(module / "libhomeboy_builtin_filesystem.so");
  provider = homeboy({"storage", "status"}).json().at("data").at("provider");
  BOOST_TEST(provider.at("fallback_reason").as_string().starts_with("library_missing"));
  std::string file = (dir / "fallback.txt").string();
  BOOST_TEST(homeboy({"storage", "write", file, "--content", "still works\n"}).exit_code == 0);
  BOOST_TEST(homeboy({"storage", "read", file, "--raw"}).out == "still works\n");
}

BOOST_AUTO_TEST_CASE(module_list_and_show_with_a_broken_manifest_warned_about) {
  ModuleBuilder(dir / "config/modules", "broken").manifest_text("{\"name\": 1}").write();
  auto list = homeboy({"module", "list"});
  BOOST_TEST(list.exit_code == 0);
  BOOST_TEST(list.err.find("broken.json") != std::string::npos, "warning on stderr names the file");
  bool has_builtin = false;
  auto modules = list.json().at("data").at("modules").as_array();
  for (const auto& m : modules)
    has_builtin = has_builtin || m.at("id").as_string() == "builtin-filesystem";
  BOOST_TEST(has_builtin);
  auto show = homeboy({"module", "show", "builtin-filesystem"});
  BOOST_TEST(show.exit_code == 0);
  BOOST_TEST(show.json().at("data").at("module").at("manifest_path").as_string().ends_with("builtin-filesystem.json"));
  auto missing = homeboy({"module", "show", "builtin"});
  BOOST_TEST(missing.exit_code == 4);
  BOOST_TEST(json::serialize(missing.json().at("error").at("hints")).find("builtin-filesystem") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(relative_paths_are_taken_from_the_working_directory) {
  auto r = homeboy({"storage", "read", "definitely/missing/relative"});
  BOOST_TEST(r.exit_code == 4);
  BOOST_TEST(r.json().at("error").at("details").at("path").as_string().starts_with("/"));
}

BOOST_AUTO_TEST_CASE(an_answer_that_cannot_be_written_to_stdout_fails_the_command) {
  BOOST_TEST_REQUIRE(homeboy({"server", "create", "s1", R"({"password": "x"})"}).exit_code == 0);
  auto on_full_disk = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config-dir", config});
    return run_cli_in_shell(R"(exec "$@" >/dev/full)", args);
  };
  // A backup on a full disk: exit 1 and the reason on stderr, with export's own code.
  for (std::vector<std::string> export_args : {std::vector<std::string>{"storage", "export"},
                                               std::vector<std::string>{"storage", "export", "-"}}) {
    auto r = on_full_disk(export_args);
    BOOST_TEST(r.exit_code == 1);
    auto error = json::parse(r.err).at("error");
    BOOST_TEST(error.at("code").as_string() == "storage.export_failed");
    BOOST_TEST(error.at("message").as_string() ==
               "cannot write to stdout: No space left on device; what reached it is cut off");
    BOOST_TEST(error.at("details").at("output").as_string() == "stdout");
  }
  auto list = on_full_disk({"server", "list"});
  BOOST_TEST(list.exit_code == 1);
  BOOST_TEST(json::parse(list.err).at("error").at("code").as_string() == "cli.output_failed", list.err);
  auto text = on_full_disk({"-o", "text", "server", "list"});
  BOOST_TEST(text.exit_code == 1);
  BOOST_TEST(text.err == "homeboy: error: cannot write to stdout: No space left on device; what reached it is cut off "
                         "(cli.output_failed)");
  BOOST_TEST(on_full_disk({"storage", "read", "--raw", config + "/servers/s1.json"}).exit_code == 1);
  BOOST_TEST(on_full_disk({"help"}).exit_code == 1);
  // A failure keeps its own exit code, and its envelope goes to stderr instead.
  auto missing = on_full_disk({"server", "show", "s2"});
  BOOST_TEST(missing.exit_code == 4);
  BOOST_TEST(json::parse(missing.err).at("error").at("code").as_string() == "server.not_found", missing.err);

  // A reader that went away (SIGPIPE ignored, so the write fails with EPIPE): exit 1, quietly,
  // as SIGPIPE itself would have ended it.
  auto gone = run_cli_in_shell(R"(trap '' PIPE; set -o pipefail; { sleep 0.5; exec "$@"; } | :)",
                               {"--config-dir", config, "storage", "export"});
  BOOST_TEST(gone.exit_code == 1);
  BOOST_TEST(gone.err.empty(), gone.err);
}

BOOST_AUTO_TEST_SUITE_END()
