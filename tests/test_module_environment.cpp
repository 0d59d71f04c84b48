// What a module can see (docs/security.md): a minimal environment plus the variables its
// manifest names, and its provider config in a private file, whatever its size.
#define BOOST_TEST_MODULE module_environment
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "homeboy/transport/subprocess_transport.hpp"
#include "support.hpp"

#include <sys/stat.h>

#include <map>
#include <set>
#include <sstream>

using namespace homeboy;
using namespace homeboy::test;
namespace json = boost::json;

namespace {

// Answers every event with its environment (`env -0`, one NUL-separated entry each) and,
// when it has one, facts about its provider config file.
constexpr std::string_view report_script = R"SH(cat >/dev/null
{
  env -0
  if [[ -n ${HOMEBOY_STORAGE_CONFIG_FILE:-} ]]; then
    printf 'file.mode=%s\0' "$(stat -c %a "$HOMEBOY_STORAGE_CONFIG_FILE")"
    printf 'folder.mode=%s\0' "$(stat -c %a "$(dirname "$HOMEBOY_STORAGE_CONFIG_FILE")")"
    printf 'file.blob_length=%s\0' "$(jq -r '.blob | length' "$HOMEBOY_STORAGE_CONFIG_FILE")"
  fi
} | jq -Rs '{success: true, data: .}'
)SH";

std::map<std::string, std::string> parse_report(const std::string& data) {
  std::map<std::string, std::string> vars;
  std::istringstream in(data);
  for (std::string entry; std::getline(in, entry, '\0');) {
    auto eq = entry.find('=');
    if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return vars;
}

struct Fixture : CliFixture {
  fs::path modules = dir / "config/modules";

  ModuleBuilder reporter() {
    ModuleBuilder b(modules, "reporter");
    b.executable("bash report.sh");
    return b;
  }

  std::map<std::string, std::string> report(const ModuleBuilder& builder, const Env& env = {}) {
    fs::path folder = builder.write();
    write_file(folder / "report.sh", std::string(report_script));
    auto r = homeboy({"storage", "read", "/anything"}, env);
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.out << r.err);
    return parse_report(std::string(r.json().at("data").at("content").as_string()));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(environment, Fixture)

BOOST_AUTO_TEST_CASE(a_module_sees_the_minimal_environment_and_no_secrets) {
  auto vars = report(reporter(), {{"SECRET_TOKEN", "hunter2"}, {"AWS_SECRET_ACCESS_KEY", "k"}, {"LC_TIME", "C"},
                                  {"LANG", "C.UTF-8"}, {"HOMEBOY_STORAGE_TIMEOUT_SECS", "20"}, {"TERM", "xterm"}});
  BOOST_TEST(!vars.count("SECRET_TOKEN"));
  BOOST_TEST(!vars.count("AWS_SECRET_ACCESS_KEY"));
  BOOST_TEST(!vars.count("TERM"));
  BOOST_TEST(!vars.count("HOMEBOY_STORAGE_TIMEOUT_SECS"), "only the HOMEBOY_ variables a module is promised");
  BOOST_TEST(vars["PATH"] == "/usr/local/bin:/usr/bin:/bin");
  BOOST_TEST(vars["LC_TIME"] == "C");
  BOOST_TEST(vars["LANG"] == "C.UTF-8");
  if (const char* home = std::getenv("HOME")) BOOST_TEST(vars["HOME"] == home);
  BOOST_TEST(vars["HOMEBOY_MODULE_ID"] == "reporter");
  BOOST_TEST(vars["HOMEBOY_MODULE_DIR"] == (modules / "reporter").string());
  BOOST_TEST(vars["HOMEBOY_CONFIG_DIR"] == config);
  BOOST_TEST(vars["HOMEBOY_CONTRACT_VERSION"] == std::to_string(contract::version));
  BOOST_TEST(vars["HOMEBOY_STORAGE_CONFIG"] == "{}");
  BOOST_TEST(vars["HOMEBOY_STORAGE_CONFIG_FILE"].starts_with(config + "/run/"));
  std::set<std::string> allowed{"PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ", "TMPDIR", "PWD", "SHLVL", "_",
                                "OLDPWD"};
  for (const auto& [name, value] : vars) {
    bool fine = allowed.count(name) || name.starts_with("LC_") || name.starts_with("HOMEBOY_") ||
                name.starts_with("file.") || name.starts_with("folder.");
    BOOST_TEST(fine, "unexpected variable " << name);
  }
}

BOOST_AUTO_TEST_CASE(a_module_sees_the_variables_its_manifest_names) {
  auto vars = report(reporter().env({"PGHOST", "AWS_PROFILE", "NOT_SET_ANYWHERE_XYZ"}),
                     {{"PGHOST", "db.internal"}, {"AWS_PROFILE", "prod"}, {"SECRET_TOKEN", "hunter2"}});
  BOOST_TEST(vars["PGHOST"] == "db.internal");
  BOOST_TEST(vars["AWS_PROFILE"] == "prod");
  BOOST_TEST(!vars.count("NOT_SET_ANYWHERE_XYZ"));
  BOOST_TEST(!vars.count("SECRET_TOKEN"));
  // Naming PATH passes the host's PATH instead of the fixed one.
  auto with_path = report(reporter().env({"PATH"}), {{"PATH", "/usr/bin:/bin:/opt/tools/bin"}});
  BOOST_TEST(with_path["PATH"] == "/usr/bin:/bin:/opt/tools/bin");
}

BOOST_AUTO_TEST_CASE(a_prefix_passes_a_family_of_variables_and_no_more) {
  auto vars = report(reporter().env({"PG*", "HOME*"}), {{"PGHOST", "db.internal"},
                                                        {"PGPASSFILE", "/home/me/.pgpass"},
                                                        {"PG", "bare"},
                                                        {"XPGHOST", "not this one"},
                                                        {"HOMEBOY_STORAGE_TIMEOUT_SECS", "20"}});
  BOOST_TEST(vars["PGHOST"] == "db.internal");
  BOOST_TEST(vars["PGPASSFILE"] == "/home/me/.pgpass");
  BOOST_TEST(vars["PG"] == "bare");
  BOOST_TEST(!vars.count("XPGHOST"));
  BOOST_TEST(!vars.count("HOMEBOY_STORAGE_TIMEOUT_SECS"), "a prefix never passes homeboy's own variables");
}

BOOST_AUTO_TEST_CASE(runtime_env_holds_names_only) {
  auto problem = [](const std::string& env) {
    try {
      parse_manifest(R"({"name":"x","version":"1","runtime":{"executable":"true","env":)" + env + "}}", "/m/x/x.json");
      return std::string();
    } catch (const Error& e) {
      return std::string(e.details().at("problem").as_string());
    }
  };
  BOOST_TEST(problem(R"(["PGHOST", "_X1"])") == "");
  BOOST_TEST(problem(R"("PGHOST")") == "\"runtime.env\" must be an array of variable names");
  BOOST_TEST(problem(R"(["PGHOST=db"])").find("variable names") != std::string::npos);
  BOOST_TEST(problem(R"(["1X"])").find("variable names") != std::string::npos);
  BOOST_TEST(problem(R"(["HOMEBOY_CONFIG_DIR"])").find("the host sets the HOMEBOY_ variables") != std::string::npos);
  BOOST_TEST(problem(R"(["PG*", "AWS_*"])") == "");
  BOOST_TEST(problem(R"(["*"])").find("a prefix of one followed by *") != std::string::npos);
  BOOST_TEST(problem(R"(["P*G"])").find("variable names") != std::string::npos);
  BOOST_TEST(problem(R"(["HOMEBOY_*"])").find("the host sets the HOMEBOY_ variables") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_ten_mib_provider_config_reaches_the_module_through_a_private_file) {
  const std::size_t size = 10u << 20;
  auto vars = report(reporter().config({{"blob", std::string(size, 'x')}}));
  BOOST_TEST(vars["file.blob_length"] == std::to_string(size));
  BOOST_TEST(vars["file.mode"] == "600");
  BOOST_TEST(vars["folder.mode"] == "700");
  BOOST_TEST(!vars.count("HOMEBOY_STORAGE_CONFIG"), "too big for the environment: the file only");
}

BOOST_AUTO_TEST_CASE(a_small_config_comes_both_ways_and_its_file_is_reused_then_replaced) {
  auto first = report(reporter().config({{"blob", "small"}, {"database_path", "x.db"}}));
  BOOST_TEST(json::parse(first["HOMEBOY_STORAGE_CONFIG"]) == json::parse(read_file(first["HOMEBOY_STORAGE_CONFIG_FILE"])));
  BOOST_TEST(first["file.blob_length"] == "5");
  auto again = report(reporter().config({{"blob", "small"}, {"database_path", "x.db"}}));
  BOOST_TEST(again["HOMEBOY_STORAGE_CONFIG_FILE"] == first["HOMEBOY_STORAGE_CONFIG_FILE"]);
  auto changed = report(reporter().config({{"blob", "changed"}}));
  BOOST_TEST(changed["HOMEBOY_STORAGE_CONFIG_FILE"] != first["HOMEBOY_STORAGE_CONFIG_FILE"]);
  BOOST_TEST(!fs::exists(first["HOMEBOY_STORAGE_CONFIG_FILE"]), "the older config of the module is gone");
}

BOOST_AUTO_TEST_CASE(the_config_folder_must_be_private_and_the_users_own) {
  fs::create_directories(dir / "config");
  fs::create_directories(dir / "config/run");
  fs::permissions(dir / "config/run", fs::perms::owner_all | fs::perms::group_read | fs::perms::others_exec);
  report(reporter());
  BOOST_TEST(((fs::status(dir / "config/run").permissions() & fs::perms::all) == fs::perms::owner_all),
             "a folder of the user's that was too open is closed to 0700");

  fs::remove_all(dir / "config/run");
  fs::create_directories(dir / "elsewhere");
  fs::create_directory_symlink(dir / "elsewhere", dir / "config/run");
  auto r = homeboy({"storage", "read", "/anything"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(error_code(r) == "config.unsafe_private_folder");
  BOOST_TEST(fs::is_empty(dir / "elsewhere"), "nothing written through the link");
}

BOOST_AUTO_TEST_CASE(the_sqlite_module_reads_a_ten_mib_config_from_its_file) {
  fs::path source = fs::path(HOMEBOY_TEST_SOURCE_MODULES_DIR) / "sqlite-storage";
  fs::path copy = dir / "sqlite-storage";
  fs::copy(source, copy, fs::copy_options::recursive);
  fs::remove(copy / "storage.db");
  json::value manifest = json::parse(read_file(copy / "sqlite-storage.json"));
  auto& cfg = manifest.at("storage_provider").at("config").as_object();
  cfg["database_path"] = "big-config.db";
  cfg["padding"] = std::string(10u << 20, 'p');
  write_file(copy / "sqlite-storage.json", json::serialize(manifest));
  BOOST_TEST_REQUIRE(homeboy({"module", "install", copy.string()}).exit_code == 0);
  BOOST_TEST(homeboy({"storage", "ensure-dir", "/notes"}).exit_code == 0);
  BOOST_TEST(homeboy({"storage", "write", "/notes/a", "--content", "big config\n"}).exit_code == 0);
  BOOST_TEST(homeboy({"storage", "read", "/notes/a", "--raw"}).out == "big config\n");
  BOOST_TEST(fs::exists(dir / "config/big-config.db"), "the database_path from the file was honoured");
}

BOOST_AUTO_TEST_SUITE_END()
