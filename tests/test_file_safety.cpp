// What the filesystem providers promise about the files they touch (docs/storage-contract.md,
// "The filesystem providers"): secrets stay secret, owners and modes are kept, set-ID bits
// never pass to a new owner, links follow a documented rule, a killed writer's temp file is
// cleaned up, unreadable things are refused at once, and every limit gives the same error
// whichever provider serves it. Run on the native plugin, the bash module and the PHP module.
#define BOOST_TEST_MODULE file_safety
#include <boost/test/unit_test.hpp>

#include "homeboy/contract/limits.hpp"
#include "homeboy/providers/registry.hpp"
#include "support.hpp"

#include <pwd.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

using namespace homeboy;
using namespace homeboy::test;
using contract::Event;

namespace {

struct Provider {
  std::string name;
  Module module;
  TransportPreference preference;
};

struct Fixture {
  ScratchDir dir;

  std::vector<Provider> providers() {
    Module builtin = load_module(bundled_module_dir("builtin-filesystem"));
    Module php = load_module(fs::path(HOMEBOY_TEST_SOURCE_MODULES_DIR) / "filesystem-php");
    return {{"native", builtin, TransportPreference::native},
            {"bash", builtin, TransportPreference::subprocess},
            {"php", php, TransportPreference::automatic}};
  }

  template <class Body>
  void on_each(Body body) {
    for (const auto& p : providers()) {
      auto storage = open_provider(p.module, dir / "config", p.preference);
      BOOST_TEST_CONTEXT("provider " << p.name) {
        fs::path area = dir / p.name;
        fs::create_directories(area);
        ::chmod(area.c_str(), 0755);
        body(*storage, area);
      }
    }
  }
};

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  BOOST_TEST_REQUIRE(::lstat(p.c_str(), &st) == 0, p);
  return st.st_mode;
}

uid_t owner_of(const fs::path& p) {
  struct stat st {};
  BOOST_TEST_REQUIRE(::lstat(p.c_str(), &st) == 0, p);
  return st.st_uid;
}

std::string code_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return std::string(e.code());
  }
  return "none";
}

std::optional<uid_t> nobody() {
  const passwd* pw = ::getpwnam("nobody");
  return pw ? std::optional<uid_t>(pw->pw_uid) : std::nullopt;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(file_safety, Fixture)

BOOST_AUTO_TEST_CASE(new_files_in_a_private_folder_are_private_and_a_replacement_keeps_the_mode) {
  on_each([&](Storage& s, const fs::path& area) {
    fs::path secret = area / "private";
    fs::create_directories(secret);
    ::chmod(secret.c_str(), 0700);
    s.write((secret / "token").string(), "s3cret");
    BOOST_TEST((mode_of(secret / "token") & 07777) == 0600u);
    s.ensure_dir((secret / "sub/deeper").string());
    BOOST_TEST((mode_of(secret / "sub") & 07777) == 0700u, "a folder made in a private folder is private");
    BOOST_TEST((mode_of(secret / "sub/deeper") & 07777) == 0700u);

    s.write((area / "shared").string(), "x");
    ::chmod((area / "shared").c_str(), 0640);
    s.write((area / "shared").string(), "y");
    BOOST_TEST((mode_of(area / "shared") & 07777) == 0640u, "the mode of the file replaced is kept");
  });
}

BOOST_AUTO_TEST_CASE(a_killed_writers_temp_file_is_secret_and_gone_after_the_next_write) {
  on_each([&](Storage& s, const fs::path& area) {
    // What a writer killed half-way leaves: the folder's temp file (or the bash module's
    // staging folder). It must not show in a listing, and the next write removes it.
    s.write((area / "a").string(), "a");
    write_file(area / ".homeboy-tmp", "half a secr");
    BOOST_TEST(s.list(area.string()).size() == 1u, "the temp file is never listed");
    s.write((area / "b").string(), "b");
    BOOST_TEST(!fs::exists(area / ".homeboy-tmp"));
    fs::create_directories(area / ".homeboy-tmp");
    write_file(area / ".homeboy-tmp/a", "staged");
    s.write((area / "a").string(), "again");
    BOOST_TEST(!fs::exists(area / ".homeboy-tmp"));
    BOOST_TEST(s.read((area / "a").string()) == "again");
  });
}

BOOST_AUTO_TEST_CASE(owners_are_kept_and_set_id_bits_never_pass_to_a_new_owner) {
  auto other = nobody();
  if (::geteuid() != 0 || !other) return;  // needs root to make a file someone else's
  on_each([&](Storage& s, const fs::path& area) {
    fs::path theirs = area / "theirs";
    write_file(theirs, "old");
    BOOST_TEST_REQUIRE(::chown(theirs.c_str(), *other, *other) == 0);
    ::chmod(theirs.c_str(), 0640);
    s.write(theirs.string(), "new");
    BOOST_TEST(owner_of(theirs) == *other, "overwriting keeps the owner");
    BOOST_TEST((mode_of(theirs) & 0777) == 0640u);

    fs::path setuid = area / "setuid";
    write_file(setuid, "#!/bin/sh\n");
    BOOST_TEST_REQUIRE(::chown(setuid.c_str(), *other, *other) == 0);
    BOOST_TEST_REQUIRE(::chmod(setuid.c_str(), 04755) == 0);
    s.write(setuid.string(), "#!/bin/sh\necho changed\n");
    mode_t mode = mode_of(setuid);
    BOOST_TEST(!((mode & S_ISUID) && owner_of(setuid) != *other), "a set-user-ID file changed owner");
    BOOST_TEST(owner_of(setuid) == *other);
  });
}

BOOST_AUTO_TEST_CASE(a_symbolic_link_is_written_through_and_a_hard_link_is_replaced) {
  on_each([&](Storage& s, const fs::path& area) {
    fs::create_directories(area / "real");
    write_file(area / "real/target", "old");
    fs::create_symlink(area / "real/target", area / "link");
    s.write((area / "link").string(), "through the link");
    BOOST_TEST(fs::is_symlink(area / "link"), "the link stays a link");
    BOOST_TEST(read_file(area / "real/target") == "through the link");

    fs::create_symlink(area / "nowhere", area / "dangling");
    BOOST_TEST(code_of([&] { s.write((area / "dangling").string(), "x"); }) == "storage.invalid_argument");
    BOOST_TEST(!fs::exists(area / "nowhere"), "a dangling link creates nothing");

    write_file(area / "one", "shared");
    fs::create_hard_link(area / "one", area / "two");
    s.write((area / "one").string(), "only one");
    BOOST_TEST(read_file(area / "one") == "only one");
    BOOST_TEST(read_file(area / "two") == "shared", "the other name keeps the old content");
  });
}

BOOST_AUTO_TEST_CASE(fifos_and_devices_are_refused_at_once) {
  on_each([&](Storage& s, const fs::path& area) {
    fs::path fifo = area / "fifo";
    BOOST_TEST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto started = std::chrono::steady_clock::now();
    BOOST_TEST(code_of([&] { s.read(fifo.string()); }) == "storage.invalid_argument");
    BOOST_TEST(code_of([&] { s.read("/dev/zero"); }) == "storage.invalid_argument");
    bool prompt = std::chrono::steady_clock::now() - started < std::chrono::seconds(5);
    BOOST_TEST(prompt, "a FIFO must not be waited on");
  });
}

BOOST_AUTO_TEST_CASE(fifos_and_devices_are_never_replaced_nor_deleted) {
  on_each([&](Storage& s, const fs::path& area) {
    fs::path fifo = area / "fifo-w";
    BOOST_TEST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    BOOST_TEST(code_of([&] { s.write(fifo.string(), "x"); }) == "storage.invalid_argument");
    BOOST_TEST(S_ISFIFO(mode_of(fifo)), "the FIFO is left alone");
    if (::geteuid() == 0) {
      fs::path device = area / "null";
      BOOST_TEST_REQUIRE(::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
      BOOST_TEST(code_of([&] { s.write(device.string(), "x"); }) == "storage.invalid_argument");
      BOOST_TEST(code_of([&] { s.remove(device.string()); }) == "storage.invalid_argument");
      BOOST_TEST(S_ISCHR(mode_of(device)), "the device is left alone");
    }
  });
}

BOOST_AUTO_TEST_CASE(execute_bits_are_kept_and_names_that_are_not_utf8_are_listed) {
  on_each([&](Storage& s, const fs::path& area) {
    fs::path tool = area / "tool";
    write_file(tool, "#!/bin/sh\n");
    ::chmod(tool.c_str(), 0750);
    s.write(tool.string(), "#!/bin/sh\necho new\n");
    BOOST_TEST((mode_of(tool) & 0777) == 0750u);

    fs::path odd = area / "odd";
    fs::create_directories(odd);
    write_file(odd / "caf\xe9", "latin-1 name");
    auto entries = s.list(odd.string());
    BOOST_TEST_REQUIRE(entries.size() == 1u);
    BOOST_TEST(entries[0].path == (odd / "caf\xe9").string(), "the name's bytes, unchanged");
  });
}

BOOST_AUTO_TEST_CASE(the_temp_name_is_reserved_and_a_loop_of_links_is_not_found) {
  on_each([&](Storage& s, const fs::path& area) {
    BOOST_TEST(code_of([&] { s.write((area / ".homeboy-tmp").string(), "x"); }) == "storage.invalid_path");
    BOOST_TEST(code_of([&] { s.ensure_dir((area / ".homeboy-tmp/sub").string()); }) == "storage.invalid_path");
    fs::create_symlink(area / "loop-b", area / "loop-a");
    fs::create_symlink(area / "loop-a", area / "loop-b");
    BOOST_TEST(code_of([&] { s.read((area / "loop-a").string()); }) == "storage.not_found");
  });
}

BOOST_AUTO_TEST_CASE(every_limit_gives_the_same_error_on_every_provider) {
  on_each([&](Storage& s, const fs::path& area) {
    // A file above the content limit: sparse, so it costs no disk.
    fs::path big = area / "big";
    write_file(big, "");
    fs::resize_file(big, limits::content_bytes + 1);
    BOOST_TEST(code_of([&] { s.read(big.string()); }) == "storage.too_large");
    auto batch = s.batch({Event::read(big.string())});
    BOOST_TEST((!batch[0].success && batch[0].effective_error_code() == contract::ErrorCode::too_large));

    std::string long_name(limits::path_component_bytes + 1, 'n');
    BOOST_TEST(code_of([&] { s.write((area / long_name).string(), "x"); }) == "storage.invalid_path");
    std::string long_path = area.string();
    while (long_path.size() <= limits::path_bytes) long_path += "/abcdefgh";
    BOOST_TEST(code_of([&] { s.read(long_path); }) == "storage.invalid_path");
    BOOST_TEST(code_of([&] { s.write((area / "w").string(), std::string(limits::content_bytes + 1, 'x')); }) ==
               "storage.too_large");
    std::vector<Event> many(limits::batch_operations + 1, Event::read((area / "w").string()));
    BOOST_TEST(code_of([&] { s.batch(many); }) == "storage.too_large");
  });
}

BOOST_AUTO_TEST_CASE(config_documents_are_private) {
  CliFixture cli;
  auto r = cli.homeboy({"server", "create", "web-1", "--json", R"({"password": "hunter2"})"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  fs::path config = cli.config;
  BOOST_TEST((mode_of(config) & 0777) == 0700u);
  BOOST_TEST((mode_of(config / "servers") & 0777) == 0700u);
  BOOST_TEST((mode_of(config / "servers/web-1.json") & 0777) == 0600u);
}

BOOST_AUTO_TEST_CASE(a_config_folder_of_another_user_is_refused_and_an_open_one_closed) {
  CliFixture cli;
  fs::path config = cli.config;
  fs::create_directories(config);
  fs::permissions(config, fs::perms::all, fs::perm_options::replace);  // 0777
  BOOST_TEST_REQUIRE(cli.homeboy({"server", "create", "a", "--json", "{}"}).exit_code == 0);
  BOOST_TEST((mode_of(config) & 0777) == 0700u, "a folder of the user's left open is closed");
  auto other = nobody();
  if (::geteuid() != 0 || !other) return;  // needs root to make the folder someone else's
  BOOST_TEST_REQUIRE(::chown(config.c_str(), *other, *other) == 0);
  auto r = cli.homeboy({"server", "create", "b", "--json", R"({"password": "hunter2"})"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "config.unsafe_private_folder");
  std::string message(r.json().at("error").at("message").as_string());
  BOOST_TEST(message.find("is owned by user id " + std::to_string(*other)) != std::string::npos, message);
  BOOST_TEST(!fs::exists(config / "servers/b.json"), "nothing was written there");
}

BOOST_AUTO_TEST_SUITE_END()
