// The default provider's semantics (DESIGN.md section 3), one suite run on both of its
// transports: the native plugin and the bash module must behave identically.
#define BOOST_TEST_MODULE storage_semantics
#include <boost/test/unit_test.hpp>

#include "homeboy/providers/registry.hpp"
#include "support.hpp"

#include <thread>

using namespace homeboy;
using namespace homeboy::test;
using contract::ErrorCode;
using contract::Event;

namespace homeboy::contract {
std::ostream& operator<<(std::ostream& out, const Entry& e) {
  return out << e.path << (e.is_directory ? " (folder)" : " (file)");
}
}  // namespace homeboy::contract

namespace {

struct Fixture {
  ScratchDir dir;
  std::string root = dir.path().string();

  template <class Body>
  void on_each_transport(Body body) {
    Module module = load_module(bundled_module_dir("builtin-filesystem"));
    for (auto pref : {TransportPreference::native, TransportPreference::subprocess}) {
      auto storage = open_provider(module, dir.path(), pref);
      BOOST_TEST_CONTEXT("transport " << homeboy::to_string(storage->transport_kind())) {
        fs::path area = dir / std::string(homeboy::to_string(storage->transport_kind()));
        fs::create_directories(area);
        body(*storage, area.string());
      }
    }
  }
};

std::string error_code_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return std::string(e.code());
  }
  return "none";
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(semantics, Fixture)

BOOST_AUTO_TEST_CASE(write_then_read_is_byte_exact) {
  const std::vector<std::string> contents = {
      "", "a\n\n-n \\t \xC3\xA9", "trailing newlines\n\n\n", "-n", "-e \\n", "back\\slash \\\\", "\"quotes\" 'single'",
      "\xF0\x9F\x98\x80 emoji and \xE4\xB8\xAD\xE6\x96\x87", "tab\there\r\nCRLF", "$(echo nope) `x` ${HOME}",
      std::string(1 << 20, 'z') + "\n"};
  on_each_transport([&](Storage& s, const std::string& area) {
    int i = 0;
    for (const auto& content : contents) {
      std::string path = area + "/file" + std::to_string(i++);
      s.write(path, content);
      BOOST_TEST(s.read(path) == content);
      BOOST_TEST(read_file(path) == content, "the bytes on disk are the bytes written");
    }
  });
}

BOOST_AUTO_TEST_CASE(overwrite_replaces_and_leaves_no_temp_files) {
  on_each_transport([&](Storage& s, const std::string& area) {
    s.write(area + "/f", "first version, longer");
    s.write(area + "/f", "second");
    BOOST_TEST(s.read(area + "/f") == "second");
    auto entries = s.list(area);
    BOOST_TEST_REQUIRE(entries.size() == 1u);
    BOOST_TEST(entries[0].path == area + "/f");
  });
}

BOOST_AUTO_TEST_CASE(write_does_not_create_parents_and_ensure_dir_does) {
  on_each_transport([&](Storage& s, const std::string& area) {
    BOOST_TEST(error_code_of([&] { s.write(area + "/a/b/c.txt", "x"); }) == "storage.not_found");
    s.ensure_dir(area + "/a/b");
    s.ensure_dir(area + "/a/b");  // idempotent
    s.write(area + "/a/b/c.txt", "x");
    BOOST_TEST(s.read(area + "/a/b/c.txt") == "x");
    BOOST_TEST(error_code_of([&] { s.ensure_dir(area + "/a/b/c.txt"); }) == "storage.conflict");
  });
}

BOOST_AUTO_TEST_CASE(list_returns_immediate_children_sorted_with_kinds) {
  on_each_transport([&](Storage& s, const std::string& area) {
    s.ensure_dir(area + "/d/sub/deeper");
    s.write(area + "/d/b.txt", "");
    s.write(area + "/d/a.txt", "");
    s.write(area + "/d/.hidden", "");
    s.write(area + "/d/sub/grandchild.txt", "");
    auto entries = s.list(area + "/d");
    std::vector<contract::Entry> expected = {{area + "/d/.hidden", false},
                                             {area + "/d/a.txt", false},
                                             {area + "/d/b.txt", false},
                                             {area + "/d/sub", true}};
    BOOST_TEST(entries == expected, boost::test_tools::per_element());
    BOOST_TEST(s.list(area + "/missing").empty());
    BOOST_TEST(s.list(area + "/d/").size() == 4u);
  });
}

BOOST_AUTO_TEST_CASE(missing_paths_are_not_found) {
  on_each_transport([&](Storage& s, const std::string& area) {
    BOOST_TEST(error_code_of([&] { s.read(area + "/nope"); }) == "storage.not_found");
    BOOST_TEST(error_code_of([&] { s.remove(area + "/nope"); }) == "storage.not_found");
    s.write(area + "/f", "x");
    s.remove(area + "/f");
    BOOST_TEST(error_code_of([&] { s.read(area + "/f"); }) == "storage.not_found");
  });
}

BOOST_AUTO_TEST_CASE(folders_are_deleted_only_when_asked) {
  on_each_transport([&](Storage& s, const std::string& area) {
    s.ensure_dir(area + "/tree/x");
    s.write(area + "/tree/x/f", "1");
    BOOST_TEST(error_code_of([&] { s.remove(area + "/tree"); }) == "storage.invalid_argument");
    BOOST_TEST(fs::exists(area + "/tree/x/f"));
    s.remove(area + "/tree", true);
    BOOST_TEST(!fs::exists(area + "/tree"));
    BOOST_TEST(error_code_of([&] { s.read(area); }) == "storage.invalid_argument");
  });
}

BOOST_AUTO_TEST_CASE(batch_keeps_order_and_reports_partial_failure) {
  on_each_transport([&](Storage& s, const std::string& area) {
    auto results = s.batch({Event::write(area + "/1", "one"), Event::read(area + "/nope"), Event::read(area + "/1"),
                            Event::ensure_dir(area + "/d"), Event::list(area)});
    BOOST_TEST_REQUIRE(results.size() == 5u);
    BOOST_TEST(results[0].success);
    BOOST_TEST(!results[1].success);
    BOOST_TEST((results[1].effective_error_code() == ErrorCode::not_found));
    BOOST_TEST(*results[2].data == "one");
    BOOST_TEST(results[3].success);
    BOOST_TEST(results[4].entries->size() == 2u);

    std::string odd = area + "/new\nline 'quoted' $x";
    auto odd_results = s.batch({Event::write(odd, "n"), Event::read(odd)});
    BOOST_TEST(odd_results[0].success);
    BOOST_TEST(*odd_results[1].data == "n");
  });
}

// A batch's writes are made durable together (staged, one flush, the renames): each keeps
// the meaning it has alone, in order, on the native plugin, the bash module and the PHP module.
BOOST_AUTO_TEST_CASE(a_batch_of_writes_made_durable_together_keeps_each_write_s_meaning) {
  Module php = load_module(fs::path(HOMEBOY_TEST_SOURCE_MODULES_DIR) / "filesystem-php");
  auto run = [&](Storage& s, const std::string& area) {
    std::string a = area + "/a", b = area + "/b", priv = area + "/private";
    s.ensure_dir(a);
    s.ensure_dir(b);
    s.ensure_dir(a + "/sub");
    fs::create_directory(priv);
    fs::permissions(priv, fs::perms::owner_all, fs::perm_options::replace);
    s.write(a + "/old", "old");
    auto v0 = s.read_versioned(a + "/old").version;
    write_file(a + "/shared", "shared");
    fs::permissions(a + "/shared", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read,
                    fs::perm_options::replace);
    // What a killed batch leaves: the next batch's writes into the folder remove it.
    fs::create_directories(a + "/.homeboy-tmp");
    write_file(a + "/.homeboy-tmp/7", "half a file");

    contract::Condition at_v0 = v0 ? contract::Condition::matching(*v0) : contract::Condition{};
    auto r = s.batch({
        Event::write(a + "/x", "1"),                              // 0
        Event::write(b + "/y", "2"),                              // 1
        Event::write(a + "/old", "new", at_v0),                   // 2: the version read holds
        Event::write(a + "/x", "1b"),                             // 3: written twice: the later wins
        Event::write(a + "/z", "z", contract::Condition::absent()),   // 4
        Event::write(a + "/old", "again", at_v0),                 // 5: no longer that version
        Event::write(area + "/missing/q", "q"),                   // 6: no such folder
        Event::write(a + "/sub", "s"),                            // 7: a folder
        Event::write(priv + "/secret", "s"),                      // 8: new, in a private folder
        Event::write(a + "/shared", "shared 2"),                  // 9: keeps its mode
        Event::read(a + "/x"),                                    // 10
        Event::write(b + "/w", "w"),                              // 11
        Event::remove(b + "/y"),                                  // 12
        Event::remove(a + "/z"),                                  // 13
        Event::read(b + "/y"),                                    // 14
    });
    BOOST_TEST_REQUIRE(r.size() == 15u);
    for (int i : {0, 1, 2, 3, 4, 8, 9, 11, 12, 13}) BOOST_TEST(r[i].success, i << ": " << r[i].error.value_or(""));
    if (v0) BOOST_TEST((r[5].effective_error_code() == ErrorCode::conflict), r[5].error.value_or("succeeded"));
    BOOST_TEST((r[6].effective_error_code() == ErrorCode::not_found));
    BOOST_TEST((r[7].effective_error_code() == ErrorCode::invalid_argument));
    BOOST_TEST(*r[10].data == "1b", "a read sees every write before it");
    BOOST_TEST((r[14].effective_error_code() == ErrorCode::not_found), "and every delete");

    BOOST_TEST(read_file(a + "/x") == "1b");
    BOOST_TEST(read_file(b + "/y").empty());
    BOOST_TEST(!fs::exists(b + "/y"));
    BOOST_TEST(read_file(b + "/w") == "w");
    BOOST_TEST(read_file(a + "/old") == "new");
    BOOST_TEST(!fs::exists(a + "/z"));
    BOOST_TEST(read_file(a + "/shared") == "shared 2");
    BOOST_TEST(((fs::status(a + "/shared").permissions() & fs::perms::all) ==
                (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read)),
               "a replaced file keeps its mode");
    BOOST_TEST(((fs::status(priv + "/secret").permissions() & fs::perms::all) ==
                (fs::perms::owner_read | fs::perms::owner_write)),
               "a new file in a private folder is the owner's alone");
    for (const auto& folder : {a, b, priv}) BOOST_TEST(!fs::exists(folder + "/.homeboy-tmp"), folder);
    // The version a write reports is the file's.
    if (r[3].version) BOOST_TEST(*r[3].version == *s.read_versioned(a + "/x").version);

    // More folders than one group takes (the native plugin holds 128 at once; the scripted
    // modules stage one folder at a time).
    if (s.transport_kind() != TransportKind::native) return;
    std::vector<Event> many;
    for (int f = 0; f < 140; ++f) many.push_back(Event::ensure_dir(area + "/many/" + std::to_string(f)));
    for (int i = 0; i < 280; ++i)
      many.push_back(Event::write(area + "/many/" + std::to_string(i / 2) + "/" + std::to_string(i), std::to_string(i)));
    auto wrote = s.batch(std::move(many));
    for (const auto& w : wrote) BOOST_TEST_REQUIRE(w.success, w.error.value_or(""));
    for (int i = 0; i < 280; i += 37)
      BOOST_TEST(read_file(area + "/many/" + std::to_string(i / 2) + "/" + std::to_string(i)) == std::to_string(i));
  };
  on_each_transport(run);
  auto storage = open_provider(php, dir.path(), TransportPreference::subprocess);
  BOOST_TEST_CONTEXT("filesystem-php") {
    fs::path area = dir / "php";
    fs::create_directories(area);
    run(*storage, area.string());
  }
}

BOOST_AUTO_TEST_CASE(read_write_delete_many_keep_order) {
  on_each_transport([&](Storage& s, const std::string& area) {
    auto written = s.write_many({{area + "/x", "1"}, {area + "/missing/y", "2"}, {area + "/z", "3"}});
    BOOST_TEST_REQUIRE(written.size() == 3u);
    BOOST_TEST(written[0].success);
    BOOST_TEST(!written[1].success);
    BOOST_TEST(written[2].success);
    auto read = s.read_many({area + "/z", area + "/x"});
    BOOST_TEST(*read[0].data == "3");
    BOOST_TEST(*read[1].data == "1");
    auto deleted = s.delete_many({area + "/x", area + "/x"});
    BOOST_TEST(deleted[0].success);
    BOOST_TEST((deleted[1].effective_error_code() == ErrorCode::not_found));
  });
}

BOOST_AUTO_TEST_CASE(concurrent_writers_never_tear_or_collide) {
  on_each_transport([&](Storage&, const std::string& area) {
    Module module = load_module(bundled_module_dir("builtin-filesystem"));
    const std::string a(64 * 1024, 'a'), b(64 * 1024, 'b');
    std::atomic<int> torn{0}, failed{0};
    std::vector<std::thread> threads;
    bool native = area.ends_with("native");
    int rounds = native ? 200 : 10;
    for (int t = 0; t < 2; ++t)
      threads.emplace_back([&, t] {
        auto own =
            open_provider(module, dir.path(), native ? TransportPreference::native : TransportPreference::subprocess);
        for (int i = 0; i < rounds; ++i) {
          try {
            own->write(area + "/shared", t ? a : b);
            std::string seen = own->read(area + "/shared");
            if (seen != a && seen != b) ++torn;
          } catch (const Error&) {
            ++failed;
          }
        }
      });
    for (auto& th : threads) th.join();
    BOOST_TEST(torn.load() == 0);
    BOOST_TEST(failed.load() == 0);
  });
}

BOOST_AUTO_TEST_CASE(relative_and_empty_paths_are_refused_by_the_host) {
  on_each_transport([&](Storage& s, const std::string&) {
    BOOST_TEST(error_code_of([&] { s.read("relative/path"); }) == "storage.invalid_path");
    BOOST_TEST(error_code_of([&] { s.read(""); }) == "storage.invalid_path");
    BOOST_TEST(error_code_of([&] { s.read(std::string("/a\0b", 4)); }) == "storage.invalid_path");
    BOOST_TEST(error_code_of([&] { s.remove("/", true); }) == "storage.invalid_path");
    BOOST_TEST(error_code_of([&] { s.remove("//", true); }) == "storage.invalid_path");
    BOOST_TEST(error_code_of([&] { s.batch({Event::remove("/", true)}); }) == "storage.invalid_path");
  });
}

// builtin-filesystem has no transactions: a check is refused before anything of its batch
// is sent, as a condition is for a provider without versions.
BOOST_AUTO_TEST_CASE(a_check_goes_only_to_a_provider_with_transactions) {
  on_each_transport([&](Storage& s, const std::string& root) {
    BOOST_TEST(!s.capabilities().transactions);
    s.write(root + "/f", "x");
    BOOST_TEST(error_code_of([&] { s.check(root + "/f", contract::Condition::absent()); }) == "storage.unsupported");
    BOOST_TEST(error_code_of([&] {
                 s.batch({Event::write(root + "/g", "y"), Event::check(root + "/f", contract::Condition::absent())});
               }) == "storage.unsupported");
    BOOST_TEST(error_code_of([&] { s.read(root + "/g"); }) == "storage.not_found", "a write of the refused batch was sent");
  });
}

BOOST_AUTO_TEST_SUITE_END()
