// Secrets in a provider's config (docs/security.md, "Secrets in a provider's config"): what is
// a secret, how it is shown, and the manifest that holds one kept private. The postgres tests
// run every command against a real server with a password in its conninfo.
#define BOOST_TEST_MODULE secrets
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "homeboy/modules/secrets.hpp"
#include "support.hpp"

using namespace homeboy;
using namespace homeboy::test;
namespace json = boost::json;

namespace {

StorageProvider provider(json::object config, std::vector<std::string> declared = {}) {
  StorageProvider p;
  p.storage_type = "test";
  p.config = std::move(config);
  p.secrets = std::move(declared);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(passwords_in_connection_strings_are_masked_in_every_form) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"host=db password=s3cret user=u", "host=db password=******** user=u"},
      {"password = 'a b\\'c' host=db", "password = '********' host=db"},
      {"postgresql://alice:s3cret@db1,db2:5432/homeboy", "postgresql://alice:********@db1,db2:5432/homeboy"},
      {"postgres://alice:p%40ss@db/x?sslmode=require", "postgres://alice:********@db/x?sslmode=require"},
      {"postgresql://db/x?user=alice&password=s3cret&sslmode=require", "postgresql://db/x?user=alice&password=********&sslmode=require"},
      {"redis://:tok3n@cache:6379/0", "redis://:********@cache:6379/0"},
      {"host=db passwordless=true user=alice", "host=db passwordless=true user=alice"},
      {"postgresql://alice@db/x", "postgresql://alice@db/x"},
      {"nopassword=x", "nopassword=x"},
  };
  for (const auto& [given, shown] : cases) BOOST_TEST(secrets::redact_text(given) == shown, given);
}

BOOST_AUTO_TEST_CASE(the_secret_values_are_found_as_written_and_as_used) {
  auto values = secrets::secret_values(provider({{"conninfo", "postgresql://a:p%40ss-word@db/x"},
                                                 {"other", "password='it\\'s long'"},
                                                 {"token", "abc-123-def"},
                                                 {"short", "password=ab"}},
                                                {"token"}));
  for (const char* expected : {"p@ss-word", "p%40ss-word", "it's long", "it\\'s long", "abc-123-def"})
    BOOST_TEST((std::find(values.begin(), values.end(), expected) != values.end()), expected);
  BOOST_TEST((std::find(values.begin(), values.end(), "ab") == values.end()), "too short to search messages for");
  BOOST_TEST(secrets::scrub("failed for p@ss-word at db", values) == "failed for ******** at db");
}

BOOST_AUTO_TEST_CASE(declared_secrets_are_masked_whole_and_the_rest_is_kept) {
  auto shown = secrets::redacted_config(provider(
      {{"api_token", "t0k3n"}, {"conninfo", "host=db password=x1"}, {"empty", ""}, {"nested", {{"dsn", "password=y2"}}},
       {"port", 5432}},
      {"api_token", "empty"}));
  BOOST_TEST(shown.at("api_token") == json::value("********"));
  BOOST_TEST(shown.at("conninfo") == json::value("host=db password=********"));
  BOOST_TEST(shown.at("empty") == json::value(""), "an empty secret is nothing to hide");
  BOOST_TEST(shown.at("nested").at("dsn") == json::value("password=********"));
  BOOST_TEST(shown.at("port") == json::value(5432));
  BOOST_TEST(secrets::holds_secret(provider({{"api_token", "t"}}, {"api_token"})));
  BOOST_TEST(!secrets::holds_secret(provider({{"conninfo", "host=db user=u"}, {"api_token", ""}}, {"api_token"})));
}

BOOST_AUTO_TEST_CASE(a_manifest_holding_a_secret_must_not_be_readable_by_others) {
  ScratchDir dir;
  fs::path module = ModuleBuilder(dir / "modules", "vault")
                        .executable("/bin/true")
                        .config({{"conninfo", "host=db password=hunter2-long"}})
                        .write();
  fs::path manifest = module / "vault.json";
  fs::permissions(manifest, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read, fs::perm_options::replace);
  Catalog refused = discover({dir / "modules"});
  BOOST_TEST_REQUIRE(refused.find_refused("vault") != nullptr);
  const Error& why = refused.find_refused("vault")->reason;
  BOOST_TEST(std::string(why.code()) == "config.untrusted_module");
  BOOST_TEST(why.details().at("problems").at(0).at("kind") == json::value("readable_by_others"));
  BOOST_TEST(why.hints().front() == "chmod 600 " + manifest.string());
  BOOST_TEST(std::string(why.what()).find("hunter2-long") == std::string::npos);

  fs::permissions(manifest, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  BOOST_TEST(discover({dir / "modules"}).find("vault") != nullptr, "0600 is fine");
  // Without a secret, a readable manifest is fine too.
  ModuleBuilder(dir / "modules", "plain").executable("/bin/true").config({{"conninfo", "host=db"}}).write();
  BOOST_TEST(discover({dir / "modules"}).find("plain") != nullptr);
}

BOOST_AUTO_TEST_CASE(the_manifest_declares_its_secrets_as_a_list_of_keys) {
  ScratchDir dir;
  auto manifest = [&](const std::string& secrets) {
    return ModuleBuilder(dir.path(), "m")
        .manifest_text(R"({"name": "m", "version": "1", "runtime": {"executable": "/bin/true"},
                          "storage_provider": {"storage_type": "t", "config": {"token": "x"}, "secrets": )" +
                       secrets + "}}");
  };
  BOOST_TEST(manifest(R"(["token"])").load().manifest.storage_provider->secrets == std::vector<std::string>{"token"});
  for (const char* wrong : {R"("token")", R"([1])", R"([""])"}) {
    try {
      manifest(wrong).load();
      BOOST_ERROR("accepted " << wrong);
    } catch (const Error& e) {
      BOOST_TEST(std::string(e.what()).find("storage_provider.secrets") != std::string::npos, e.what());
    }
  }
}
