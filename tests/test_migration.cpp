// `homeboy storage migrate|export|import` end to end: what the config tree holds, bad input
// refused before anything is written, runs that are interrupted or fail half-way and are
// finished by running them again, and homeboy.json kept intact.
#define BOOST_TEST_MODULE migration
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support.hpp"

#include <signal.h>
#include <sys/stat.h>

using namespace homeboy::test;
namespace json = boost::json;

namespace {

fs::path source_module(const std::string& id) { return fs::path(HOMEBOY_TEST_SOURCE_MODULES_DIR) / id; }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct MigrationFixture : CliFixture {
  // sqlite-storage with faults (tests/fixtures/modules/faulty_store.py), linked into the
  // config, so tests switch faults on and off in its folder.
  fs::path faulty;

  void install_faulty(std::vector<std::string> capabilities = {"binary"}) {
    faulty = ModuleBuilder(dir.path(), "faulty")
                 .executable("/usr/bin/python3 -S " +
                             (fs::path(HOMEBOY_TEST_FIXTURES_DIR) / "modules/faulty_store.py").string() + " " +
                             source_module("sqlite-storage").string())
                 .supports_batch()
                 .storage_type("sqlite")
                 .config(json::object{{"database_path", "faulty.db"}})
                 .capabilities(std::move(capabilities))
                 .write();
    auto r = homeboy({"module", "install", faulty.string(), "--link", "--no-check"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  }
  void faults(const std::string& json_text) {
    write_file(faulty / "faults.json", json_text);
    fs::remove(faulty / "writes.count");
  }
  void no_faults() {
    fs::remove(faulty / "faults.json");
    fs::remove(faulty / "writes.count");
  }

  // 3 servers, 5 components and `projects` projects on the active provider.
  void create_config(int projects) {
    BOOST_TEST_REQUIRE(homeboy({"server", "create", "--json", R"([{"id":"s1"},{"id":"s2"},{"id":"s3"}])"}).exit_code == 0);
    BOOST_TEST_REQUIRE(homeboy({"component", "create", "--json",
                                R"([{"id":"c1"},{"id":"c2"},{"id":"c3"},{"id":"c4"},{"id":"c5"}])"})
                           .exit_code == 0);
    json::array list;
    for (int i = 0; i < projects; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "p-%02d", i);
      list.emplace_back(json::object{{"id", id}, {"server_id", "s1"}, {"component_ids", json::array{"c1"}}});
    }
    BOOST_TEST_REQUIRE(homeboy({"project", "create", "--json", json::serialize(list)}).exit_code == 0);
  }

  std::string pinned() {
    auto text = read_file(dir / "config/homeboy.json");
    return text.empty() ? "" : std::string(json::parse(text).at("storage").as_string());
  }

  // The config's documents as an archive without its header line (which holds the time).
  std::string documents(const Env& env = {}) {
    auto r = homeboy({"storage", "export"}, env);
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    return r.out.substr(r.out.find('\n') + 1);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(migration, MigrationFixture)

BOOST_AUTO_TEST_CASE(the_config_tree_leaves_out_homeboys_own_files) {
  BOOST_TEST_REQUIRE(homeboy({"server", "create", "web-1"}).exit_code == 0);
  fs::path config = dir / "config";
  for (const char* folder : {"notes/sub", "modules", ".git", "projects"}) fs::create_directories(config / folder);
  write_file(config / "homeboy.json", R"({"storage": "builtin-filesystem"})");
  for (const char* file : {"notes/sub/keep.txt", "modules/README", ".git/HEAD", ".hidden", "projects/.homeboy-tmp",
                           "notes/a.lock", "storage.db", "storage.db-wal", "other.db-shm", "notes/kept.db"})
    write_file(config / file, "x");
  auto r = homeboy({"storage", "export"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  std::vector<std::string> paths;
  std::size_t at = r.out.find('\n') + 1;
  while (at < r.out.size()) {
    std::size_t end = r.out.find('\n', at);
    paths.emplace_back(json::parse(r.out.substr(at, end - at)).at("path").as_string());
    at = end + 1;
  }
  std::vector<std::string> expected = {"notes/kept.db", "notes/sub/keep.txt", "servers/web-1.json"};
  BOOST_TEST(paths == expected, r.out);
  BOOST_TEST(contains(r.out.substr(0, r.out.find('\n')), R"("documents":3)"));
}

BOOST_AUTO_TEST_CASE(a_config_folder_with_a_hidden_name_is_walked_all_the_same) {
  std::string hidden = (dir / ".homeboy").string();
  BOOST_TEST_REQUIRE(run_cli({"--config-dir", hidden, "server", "create", "web-1"}).exit_code == 0);
  auto r = run_cli({"--config-dir", hidden, "storage", "export"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  BOOST_TEST(contains(r.out, R"("documents":1)"), r.out);
  BOOST_TEST(contains(r.out, R"("path":"servers/web-1.json")"));
}

BOOST_AUTO_TEST_CASE(an_unknown_target_or_the_active_provider_is_refused_by_name) {
  create_config(2);
  auto r = homeboy({"storage", "migrate", "--to", "nope"});
  BOOST_TEST(r.exit_code == 4);
  BOOST_TEST(error_code(r) == "module.not_found");
  BOOST_TEST(contains(r.out, "'nope'"));
  r = homeboy({"storage", "migrate", "--to", "builtin-filesystem"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "storage.same_provider");
  BOOST_TEST(contains(r.out, "'builtin-filesystem' is already the provider"));
  // Its script and its native library keep the same files: nothing to move between them.
  r = homeboy({"storage", "migrate", "--to", "builtin-filesystem"}, {{"HOMEBOY_STORAGE_TRANSPORT", "subprocess"}});
  BOOST_TEST(error_code(r) == "storage.same_provider");
  BOOST_TEST(contains(r.out, "its native library and its script keep the same documents"));
  r = homeboy({"storage", "migrate", "--to", "builtin-filesystem", "--replace", "--skip-existing"});
  BOOST_TEST(error_code(r) == "cli.invalid_argument");
  BOOST_TEST(!fs::exists(dir / "config/homeboy.json"), "nothing pinned");
}

BOOST_AUTO_TEST_CASE(a_bad_archive_is_refused_by_line_and_nothing_is_written) {
  create_config(2);
  std::string before = documents();
  std::string good = homeboy({"storage", "export"}).out;
  fs::path other = dir / "other";
  auto import_into_other = [&](const std::string& text) {
    write_file(dir / "in.jsonl", text);
    return run_cli({"--config-dir", other.string(), "storage", "import", (dir / "in.jsonl").string()});
  };
  std::string header = good.substr(0, good.find('\n') + 1);
  std::string first = good.substr(header.size(), good.find('\n', header.size()) + 1 - header.size());
  struct Bad {
    std::string text, code, culprit;
  };
  std::vector<Bad> bad = {
      {good.substr(0, good.size() - 20), "archive.truncated", "cut off"},
      {header + first, "archive.truncated", "announces 10 documents"},
      {std::string(good).replace(good.find("\"version\":1"), 11, "\"version\":9"), "archive.unsupported_version",
       "version 9"},
      {header.substr(0, header.find("\"documents\"")) + "\"documents\":11}\n" + good.substr(header.size()) + first,
       "archive.duplicate_path", "components/c1.json"},
      {header + good.substr(header.size()).replace(good.substr(header.size()).find("components/c1.json"), 18,
                                                   "../escape/c1.json"),
       "archive.unsafe_path", "../escape/c1.json"},
      {header + good.substr(header.size()).replace(good.substr(header.size()).find("components/c1.json"), 18,
                                                   "homeboy.json"),
       "archive.unsafe_path", "homeboy.json"},
  };
  for (const auto& b : bad) {
    auto r = import_into_other(b.text);
    BOOST_TEST(r.exit_code == 2, b.code << ": " << r.out);
    BOOST_TEST(error_code(r) == b.code, r.out);
    BOOST_TEST(contains(r.out, b.culprit), b.code << " does not name '" << b.culprit << "': " << r.out);
    BOOST_TEST(contains(r.out, "in.jsonl"));
    BOOST_TEST(!fs::exists(other / "components"), b.code << ": something was written");
    BOOST_TEST(!fs::exists(other / "escape"));
    BOOST_TEST(!fs::exists(dir / "escape"));
  }
  BOOST_TEST(documents() == before);
}

BOOST_AUTO_TEST_CASE(import_refuses_differing_documents_unless_told_to_skip_or_replace) {
  create_config(2);
  std::string archive = homeboy({"storage", "export"}).out;
  BOOST_TEST_REQUIRE(homeboy({"server", "set", "s2", R"({"host": "changed"})"}).exit_code == 0);
  std::string changed = documents();
  auto r = homeboy({"storage", "import", "-"}, {}, archive);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "storage.document_conflict");
  BOOST_TEST(contains(r.out, "servers/s2.json"));
  BOOST_TEST(documents() == changed, "nothing was written");
  r = homeboy({"storage", "import", "-", "--dry-run"}, {}, archive);
  BOOST_TEST(r.json().at("data").at("conflicts").as_int64() == 1);
  BOOST_TEST(r.json().at("data").at("unchanged").as_int64() == 9);
  r = homeboy({"storage", "import", "-", "--skip-existing"}, {}, archive);
  BOOST_TEST(r.json().at("data").at("skipped").as_int64() == 1, r.out);
  BOOST_TEST(documents() == changed);
  r = homeboy({"storage", "import", "-", "--replace"}, {}, archive);
  BOOST_TEST(r.json().at("data").at("replaced").as_int64() == 1, r.out);
  BOOST_TEST(r.json().at("data").at("unchanged").as_int64() == 9);
  BOOST_TEST(documents() == archive.substr(archive.find('\n') + 1));
}

BOOST_AUTO_TEST_CASE(an_archive_moves_bytes_to_another_config_folder) {
  create_config(1);
  fs::create_directories(dir / "config/blobs");
  write_file(dir / "config/blobs/key.bin", std::string("\x00\xFF\xFE binary\n", 11));
  auto r = homeboy({"storage", "export", (dir / "backup.jsonl").string()});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  BOOST_TEST(r.json().at("data").at("documents").as_int64() == 10);
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat((dir / "backup.jsonl").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u, "the archive is the user's alone");
  BOOST_TEST(contains(read_file(dir / "backup.jsonl"), R"("path":"blobs/key.bin","content_base64":)"));

  fs::path other = dir / "elsewhere/config";
  r = run_cli({"--config-dir", other.string(), "storage", "import", (dir / "backup.jsonl").string()});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  BOOST_TEST(r.json().at("data").at("copied").as_int64() == 10);
  BOOST_TEST(read_file(other / "blobs/key.bin") == read_file(dir / "config/blobs/key.bin"));
  BOOST_TEST(read_file(other / "projects/p-00.json") == read_file(dir / "config/projects/p-00.json"));
  r = run_cli({"--config-dir", other.string(), "storage", "import", (dir / "backup.jsonl").string()});
  BOOST_TEST(r.json().at("data").at("unchanged").as_int64() == 10, "a second import changes nothing");
}

BOOST_AUTO_TEST_CASE(an_import_keeps_the_config_private_as_create_does) {
  BOOST_TEST_REQUIRE(homeboy({"server", "create", "secret", R"({"password": "hunter2"})"}).exit_code == 0);
  BOOST_TEST_REQUIRE(homeboy({"storage", "export", (dir / "backup.jsonl").string()}).exit_code == 0);
  auto mode = [](const fs::path& path) {
    struct stat st {};
    BOOST_TEST_REQUIRE(::stat(path.c_str(), &st) == 0, path);
    return st.st_mode & 07777;
  };
  mode_t umask_before = ::umask(022);
  fs::path fresh = dir / "fresh/config", open = dir / "open/config";
  fs::create_directories(open);
  fs::permissions(open, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  for (const auto& config : {fresh, open}) {
    BOOST_TEST_CONTEXT(config) {
      auto r = run_cli({"--config-dir", config.string(), "storage", "import", (dir / "backup.jsonl").string()});
      BOOST_TEST(r.exit_code == 0, r.out);
      BOOST_TEST(mode(config) == 0700u);
      BOOST_TEST(mode(config / "servers") == 0700u);
      BOOST_TEST(mode(config / "servers/secret.json") == 0600u);
    }
  }
  ::umask(umask_before);
}

BOOST_AUTO_TEST_CASE(an_archive_file_that_cannot_be_written_is_an_export_failure_naming_it) {
  create_config(1);
  std::string missing_folder = (dir / "missing/backup.jsonl").string();
  auto r = homeboy({"storage", "export", missing_folder});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(error_code(r) == "storage.export_failed", r.out);
  BOOST_TEST(r.json().at("error").at("details").at("output").as_string() == missing_folder);
  BOOST_TEST(contains(r.out, "No such file or directory; no archive was written"), r.out);
  fs::create_directories(dir / "a-folder");
  r = homeboy({"storage", "export", (dir / "a-folder").string()});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(error_code(r) == "storage.export_failed", r.out);
  BOOST_TEST(fs::is_empty(dir / "a-folder"), "no temporary file left behind");
}

BOOST_AUTO_TEST_CASE(an_interrupted_migrate_is_finished_by_running_it_again) {
  create_config(12);
  install_faulty();
  BOOST_TEST(pinned() == "builtin-filesystem", "install kept the provider holding the config");
  std::string source = documents();
  faults(R"({"kill_host_after_writes": 8})");
  auto r = homeboy({"storage", "migrate", "--to", "faulty"});
  BOOST_TEST(r.exit_code != 0);
  BOOST_TEST(r.out.empty(), "the host was killed in the middle: " << r.out);
  BOOST_TEST(pinned() == "builtin-filesystem", "nothing pinned by an interrupted run");
  no_faults();
  r = homeboy({"storage", "migrate", "--to", "faulty"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  auto data = r.json().at("data");
  BOOST_TEST(data.at("documents").as_int64() == 20);
  BOOST_TEST(data.at("unchanged").as_int64() == 8, r.out);
  BOOST_TEST(data.at("copied").as_int64() == 12);
  BOOST_TEST(data.at("failed").as_int64() == 0);
  BOOST_TEST(data.at("pinned").at("storage").as_string() == "faulty");
  BOOST_TEST(data.at("pinned").at("previous").as_string() == "builtin-filesystem");
  BOOST_TEST(pinned() == "faulty");
  BOOST_TEST(documents() == source, "the target holds the same documents");
  BOOST_TEST(fs::exists(dir / "config/projects/p-11.json"), "nothing deleted from the source");
}

BOOST_AUTO_TEST_CASE(a_migrate_interrupted_by_sigint_pins_nothing_and_is_finished_by_the_next_run) {
  create_config(12);
  install_faulty();
  faults(R"({"stall_after_writes": 5})");
  fs::remove(faulty / "stalled");
  BackgroundCli host({"--config-dir", config, "storage", "migrate", "--to", "faulty"}, {}, dir.path());
  BOOST_TEST_REQUIRE(eventually([&] { return fs::exists(faulty / "stalled"); }, std::chrono::seconds(60)),
                     "the migration never reached its 5th write");
  host.signal(SIGINT);
  auto result = host.wait(std::chrono::seconds(20));
  BOOST_TEST_REQUIRE(result.has_value(), "homeboy did not exit after SIGINT");
  BOOST_TEST(result->exit_code == 130, result->out);
  BOOST_TEST(error_code(*result) == "cli.interrupted");
  BOOST_TEST(pinned() == "builtin-filesystem");
  no_faults();
  auto r = homeboy({"storage", "migrate", "--to", "faulty"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  BOOST_TEST(r.json().at("data").at("unchanged").as_int64() == 5);
  BOOST_TEST(r.json().at("data").at("copied").as_int64() == 15);
}

BOOST_AUTO_TEST_CASE(an_interrupted_install_leaves_the_active_provider_picked) {
  homeboy::Module stalling = misbehaving_module(dir.path(), "slow-batch-writer");
  fs::path installed = dir / "config/modules" / stalling.id;
  BackgroundCli host({"--config-dir", config, "module", "install", stalling.dir.string()}, {}, dir.path());
  BOOST_TEST_REQUIRE(eventually([&] { return fs::exists(installed / "pid"); }, std::chrono::seconds(60)),
                     "the conformance check never started the module");
  host.signal(SIGINT);
  auto result = host.wait(std::chrono::seconds(20));
  BOOST_TEST_REQUIRE(result.has_value(), "homeboy did not exit after SIGINT");
  BOOST_TEST(result->exit_code == 130, result->out);
  BOOST_TEST(pinned() == "builtin-filesystem", "pinned before the module was copied");
  auto status = homeboy({"storage", "status"});
  BOOST_TEST(status.json().at("data").at("provider").at("module_id").as_string() == "builtin-filesystem", status.out);
}

BOOST_AUTO_TEST_CASE(documents_a_target_refuses_are_copied_by_the_next_run) {
  create_config(12);
  install_faulty({"binary", "atomic_batch"});
  faults(R"({"fail_writes_matching": "/servers/"})");
  auto r = homeboy({"storage", "migrate", "--to", "faulty"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(error_code(r) == "storage.migrate_incomplete");
  auto details = r.json().at("error").at("details");
  BOOST_TEST(details.at("failed").as_int64() == 3, r.out);
  BOOST_TEST(details.at("copied").as_int64() == 17, "an all-or-nothing batch does not hold back the others");
  BOOST_TEST(contains(json::serialize(details.at("failures")), "servers/s1.json"));
  BOOST_TEST(contains(json::serialize(details.at("failures")), "refusing to write"));
  BOOST_TEST(pinned() == "builtin-filesystem");
  no_faults();
  r = homeboy({"storage", "migrate", "--to", "faulty"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  BOOST_TEST(r.json().at("data").at("copied").as_int64() == 3);
  BOOST_TEST(r.json().at("data").at("unchanged").as_int64() == 17);
  BOOST_TEST(pinned() == "faulty");
}

BOOST_AUTO_TEST_CASE(a_document_that_reads_back_differently_fails_and_is_a_conflict_next_time) {
  create_config(2);
  install_faulty();
  faults(R"({"corrupt_writes_matching": "/projects/p-01"})");
  auto r = homeboy({"storage", "migrate", "--to", "faulty"});
  BOOST_TEST(error_code(r) == "storage.migrate_incomplete");
  BOOST_TEST(contains(r.out, "read back"), r.out);
  BOOST_TEST(r.json().at("error").at("details").at("failed").as_int64() == 1);
  BOOST_TEST(pinned() == "builtin-filesystem");
  no_faults();
  r = homeboy({"storage", "migrate", "--to", "faulty"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "storage.document_conflict");
  BOOST_TEST(contains(r.out, "projects/p-01.json"));
  BOOST_TEST(contains(r.out, "--replace"));
  r = homeboy({"storage", "migrate", "--to", "faulty", "--replace"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  BOOST_TEST(r.json().at("data").at("replaced").as_int64() == 1);
  BOOST_TEST(pinned() == "faulty");
}

BOOST_AUTO_TEST_CASE(a_text_only_target_is_told_apart_from_a_failing_one) {
  create_config(1);
  fs::create_directories(dir / "config/blobs");
  write_file(dir / "config/blobs/key.bin", "\xFF\xFE");
  install_faulty({});
  auto r = homeboy({"storage", "migrate", "--to", "faulty"});
  BOOST_TEST(error_code(r) == "storage.migrate_incomplete");
  BOOST_TEST(r.json().at("error").at("details").at("failed").as_int64() == 1);
  BOOST_TEST(r.json().at("error").at("details").at("copied").as_int64() == 9);
  BOOST_TEST(contains(r.out, "not UTF-8 text"), r.out);
}

BOOST_AUTO_TEST_CASE(extra_trees_come_along_with_path_and_the_pin_keeps_other_settings) {
  create_config(1);
  fs::create_directories(dir / "tree/sub");
  write_file(dir / "tree/sub/notes.txt", "kept in storage\n");
  write_file(dir / "config/homeboy.json", "{\"theme\": {\"dark\": true}, \"storage\": \"builtin-filesystem\", \"z\": 1}\n");
  install_faulty();
  auto r = homeboy({"storage", "migrate", "--to", "faulty", "--path", (dir / "tree").string(), "--dry-run"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  BOOST_TEST(r.json().at("data").at("plan").as_array().size() == 10u);
  BOOST_TEST(contains(r.out, (dir / "tree/sub/notes.txt").string()));
  BOOST_TEST(pinned() == "builtin-filesystem", "a dry run pins nothing");
  r = homeboy({"storage", "migrate", "--to", "faulty", "--path", (dir / "tree").string()});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  BOOST_TEST(r.json().at("data").at("copied").as_int64() == 10);
  BOOST_TEST(homeboy({"storage", "read", (dir / "tree/sub/notes.txt").string(), "--raw"}).out == "kept in storage\n");
  auto settings = json::parse(read_file(dir / "config/homeboy.json")).as_object();
  std::vector<std::string> keys;
  for (const auto& kv : settings) keys.emplace_back(kv.key());
  BOOST_TEST((keys == std::vector<std::string>{"theme", "storage", "z"}));
  BOOST_TEST(settings.at("storage").as_string() == "faulty");
  BOOST_TEST(settings.at("theme").at("dark").as_bool());
  r = homeboy({"storage", "migrate", "--to", "faulty", "--path", (dir / "config/modules").string()});
  BOOST_TEST(error_code(r) == "storage.same_provider");
  r = homeboy({"storage", "migrate", "--to", "builtin-filesystem", "--path", (dir / "config/modules").string()});
  BOOST_TEST(error_code(r) == "cli.invalid_argument");
  BOOST_TEST(contains(r.out, "installed modules"));
}

BOOST_AUTO_TEST_SUITE_END()
