// Loading native plugins: each failure classified, fallback to the executable, and the
// same validator as for subprocess modules.
#define BOOST_TEST_MODULE native_transport
#include <boost/test/unit_test.hpp>

#include "homeboy/transport/native_transport.hpp"
#include "homeboy/providers/registry.hpp"
#include "support.hpp"

using namespace homeboy;
using namespace homeboy::test;

namespace {

struct Fixture {
  ScratchDir dir;

  // A module offering `library` (copied into its folder, or named there when it does not
  // exist) and, when `with_executable`, the bash builtin-filesystem script as its fallback.
  Module module(const std::string& id, const fs::path& library, bool with_executable) {
    ModuleBuilder b(dir.path(), id);
    if (fs::exists(library))
      b.library_file(library);
    else
      b.library(library.filename().string());
    if (with_executable)
      b.executable("bash " + (bundled_module_dir("builtin-filesystem") / "storage.sh").string()).supports_batch();
    return b.load();
  }

  std::string load_failure(const fs::path& library) {
    try {
      open_native(module("m", library, false), dir.path());
    } catch (const NativeLoadError& e) {
      return e.kind() + ": " + e.what();
    }
    return "loaded";
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(native, Fixture)

BOOST_AUTO_TEST_CASE(a_good_plugin_loads_and_serves) {
  auto transport = open_native(module("good", fixture_plugin("good"), false), dir.path());
  BOOST_TEST(homeboy::to_string(transport->kind()) == "native");
  Storage s(ProviderInfo{"good", "test", homeboy::SelectedBy::named, std::nullopt, {}}, std::move(transport));
  s.write("/a", "hello\n");
  BOOST_TEST(s.read("/a") == "hello\n");
}

BOOST_AUTO_TEST_CASE(every_load_failure_is_classified) {
  BOOST_TEST(load_failure(dir / "absent.so").find("library_missing:") == 0);
  write_file(dir / "text.so", "this is not an ELF file\n");
  BOOST_TEST(load_failure(dir / "text.so").find("not_a_library:") == 0);
  BOOST_TEST(load_failure(fixture_plugin("missing_symbol")).find("entry_symbol_missing:") == 0);
  BOOST_TEST(load_failure(fixture_plugin("newer_only")).find("no_common_abi:") == 0);
  BOOST_TEST(load_failure(fixture_plugin("chooses_too_new")).find("no_common_abi:") == 0);
  std::string created = load_failure(fixture_plugin("create_fails"));
  BOOST_TEST(created.find("creation_failed:") == 0);
  BOOST_TEST(created.find("database is locked") != std::string::npos, "quotes the plugin's message");
  std::string transactions = load_failure(fixture_plugin("transactions_alone"));
  BOOST_TEST(transactions.find("creation_failed:") == 0);
  BOOST_TEST(transactions.find("sets HOMEBOY_CAP_TRANSACTIONS, which needs ABI version 2 (it chose 1)") != std::string::npos,
             transactions);
}

BOOST_AUTO_TEST_CASE(failures_fall_back_to_the_executable_and_say_why) {
  struct Case {
    fs::path library;
    std::string kind;
  };
  write_file(dir / "text.so", "not a library");
  for (const auto& c : {Case{dir / "absent.so", "library_missing"}, Case{dir / "text.so", "not_a_library"},
                        Case{fixture_plugin("missing_symbol"), "entry_symbol_missing"},
                        Case{fixture_plugin("newer_only"), "no_common_abi"},
                        Case{fixture_plugin("create_fails"), "creation_failed"}}) {
    auto storage = open_provider(module("fb-" + c.kind, c.library, true), dir.path(), TransportPreference::automatic);
    BOOST_TEST(homeboy::to_string(storage->transport_kind()) == "subprocess");
    BOOST_TEST_REQUIRE(storage->provider().fallback_reason.has_value());
    BOOST_TEST(storage->provider().fallback_reason->find(c.kind) == 0);
    storage->write((dir / "f.txt").string(), "via fallback");
    BOOST_TEST(storage->read((dir / "f.txt").string()) == "via fallback");
  }
}

BOOST_AUTO_TEST_CASE(without_an_executable_a_failure_is_an_error_naming_module_and_reason) {
  BOOST_CHECK_EXCEPTION(
      open_provider(module("only-lib", fixture_plugin("newer_only"), false), dir.path(),
                    TransportPreference::automatic),
      Error, [](const Error& e) {
        std::string m = e.what();
        return e.code() == "storage.provider_unavailable" && m.find("only-lib") != std::string::npos &&
               m.find("no_common_abi") != std::string::npos;
      });
}

BOOST_AUTO_TEST_CASE(the_transport_can_be_forced) {
  auto m = module("both", fixture_plugin("good"), true);
  BOOST_TEST(homeboy::to_string(open_provider(m, dir.path(), TransportPreference::subprocess)->transport_kind()) ==
             "subprocess");
  BOOST_TEST(homeboy::to_string(open_provider(m, dir.path(), TransportPreference::native)->transport_kind()) ==
             "native");
  auto broken = module("broken", fixture_plugin("create_fails"), true);
  BOOST_CHECK_THROW(open_provider(broken, dir.path(), TransportPreference::native), Error);
}

BOOST_AUTO_TEST_CASE(a_plugin_breaking_the_contract_is_a_violation_like_a_module) {
  auto storage =
      open_provider(module("liar", fixture_plugin("violation"), false), dir.path(), TransportPreference::automatic);
  auto rule = [&](auto&& call) {
    try {
      call();
    } catch (const Error& e) {
      BOOST_TEST(e.code() == "storage.contract_violation");
      BOOST_TEST(std::string(e.what()).find("liar") != std::string::npos);
      return std::string(e.details().at("rule").as_string());
    }
    return std::string("none");
  };
  BOOST_TEST(rule([&] { storage->read("/a"); }) == "read_without_data");
  BOOST_TEST(rule([&] { storage->write("/a", "x"); }) == "success_with_error");
}

BOOST_AUTO_TEST_CASE(the_example_c_plugin_serves_its_own_store) {
  ModuleBuilder b(dir.path(), "example-c");
  b.library_file(example_c_plugin()).config({{"root", (dir / "store").string()}});
  auto storage = open_provider(b.load(), dir.path(), TransportPreference::automatic);
  storage->ensure_dir("/notes");
  storage->write("/notes/a.txt", "a\n\n-n \\t \xC3\xA9");
  BOOST_TEST(storage->read("/notes/a.txt") == "a\n\n-n \\t \xC3\xA9");
  BOOST_TEST(read_file(dir / "store" / "notes" / "a.txt") == "a\n\n-n \\t \xC3\xA9");
  auto entries = storage->list("/notes");
  BOOST_TEST_REQUIRE(entries.size() == 1u);
  BOOST_TEST(entries[0].path == "/notes/a.txt");
  // The host refuses ".." before any plugin sees it.
  BOOST_CHECK_EXCEPTION(storage->read("/../etc/passwd"), Error,
                        [](const Error& e) { return e.code() == "storage.invalid_path"; });
}

BOOST_AUTO_TEST_CASE(refused_negotiations_say_what_the_plugin_answered) {
  std::string newer = load_failure(fixture_plugin("newer_only"));
  BOOST_TEST(newer.find("no_common_abi:") == 0);
  BOOST_TEST(newer.find("returned 4 (unsupported)") != std::string::npos, newer);
  std::string too_new = load_failure(fixture_plugin("chooses_too_new"));
  BOOST_TEST(too_new.find("chose ABI version " + std::to_string(host_abi_version() + 1)) != std::string::npos, too_new);
  std::string short_entry = load_failure(fixture_plugin("short_entry"));
  BOOST_TEST(short_entry.find("struct_size 8") != std::string::npos, short_entry);
  BOOST_TEST(load_failure(fixture_plugin("null_negotiate")).find("no negotiate function") != std::string::npos);
  BOOST_TEST(load_failure(fixture_plugin("null_create")).find("no create function") != std::string::npos);
}

// HOMEBOY_ERR_TOO_LARGE belongs to version 3: a plugin that negotiated it is understood, one
// that negotiated an earlier version and returns it anyway is read as io_error.
BOOST_AUTO_TEST_CASE(too_large_is_understood_from_a_plugin_that_negotiated_version_3) {
  auto storage = Registry(Catalog{{module("big", fixture_plugin("too_large"), false)}, {}, {}}, dir.path())
                     .open(module("big", fixture_plugin("too_large"), false), TransportPreference::native,
                           IsolationPreference::in_process);
  BOOST_CHECK_EXCEPTION(storage->read("/big"), Error, [](const Error& e) {
    BOOST_TEST(std::string(e.what()).find("larger than this fixture reads") != std::string::npos, e.what());
    return e.code() == "storage.too_large" && static_cast<int>(e.exit_code()) == 2;
  });
  auto old = Registry(Catalog{{module("old", fixture_plugin("too_large_v2"), false)}, {}, {}}, dir.path())
                 .open(module("old", fixture_plugin("too_large_v2"), false), TransportPreference::native,
                       IsolationPreference::in_process);
  BOOST_CHECK_EXCEPTION(old->read("/big"), Error, [](const Error& e) { return e.code() == "storage.io_error"; });
}

BOOST_AUTO_TEST_CASE(an_incomplete_operation_table_names_the_missing_member) {
  std::string short_table = load_failure(fixture_plugin("short_table"));
  BOOST_TEST(short_table.find("creation_failed:") == 0);
  BOOST_TEST(short_table.find("struct_size 16, version 1 needs at least 64") != std::string::npos, short_table);
  for (std::string member : {"read", "write", "list", "remove", "ensure_dir", "destroy"}) {
    std::string why = load_failure(fixture_plugin("null_" + member));
    BOOST_TEST(why.find("creation_failed:") == 0, why);
    BOOST_TEST(why.find("the member " + member + " is NULL") != std::string::npos, why);
  }
}

BOOST_AUTO_TEST_CASE(an_old_version_1_plugin_gets_its_batch_at_the_version_1_strides) {
  // Today's host tables are larger than version 1's: the batch arrays must still be laid
  // out the way the old plugin indexes them.
  auto storage =
      open_provider(module("old", fixture_plugin("v1_batch"), false), dir.path(), TransportPreference::automatic);
  auto r = storage->batch({contract::Event::write("/d/a", "alpha"), contract::Event::write("/d/b", "bravo"),
                           contract::Event::read("/d/a"), contract::Event::read("/d/b"), contract::Event::list("/d")});
  BOOST_TEST_REQUIRE(r.size() == 5u);
  BOOST_TEST(r[2].data.value_or("") == "alpha");
  BOOST_TEST(r[3].data.value_or("") == "bravo");
  BOOST_TEST(r[4].entries.value_or(std::vector<contract::Entry>{}).size() == 2u);
}

BOOST_AUTO_TEST_CASE(the_host_checks_what_it_promised_on_the_native_path_too) {
  auto rule_of = [&](const std::string& variant, auto&& call) {
    auto storage = open_provider(module("v-" + variant, fixture_plugin(variant), false), dir.path(),
                                 TransportPreference::automatic);
    try {
      call(*storage);
    } catch (const Error& e) {
      return e.code() == "storage.contract_violation" ? std::string(e.details().at("rule").as_string())
                                                      : std::string(e.code());
    }
    return std::string("none");
  };
  BOOST_TEST(rule_of("set_data_twice", [](Storage& s) {
               s.write("/a", "x");
               s.read("/a");
             }) == "data_set_twice");
  BOOST_TEST(rule_of("bad_list", [](Storage& s) { s.list("/rel"); }) == "entry_not_absolute");
  BOOST_TEST(rule_of("bad_list", [](Storage& s) { s.list("/outside"); }) == "entry_not_child");
  BOOST_TEST(rule_of("bad_list", [](Storage& s) { s.list("/dup"); }) == "entry_repeated");
  // A refused buffer is the limit's error, whatever the plugin made of it; never bad_alloc.
  BOOST_TEST(rule_of("huge_buffer", [](Storage& s) {
               s.write("/a", "x");
               s.read("/a");
             }) == "storage.too_large");
}

BOOST_AUTO_TEST_SUITE_END()
