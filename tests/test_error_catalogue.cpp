// The error catalogue: every code declared once, each raised somewhere, none raised that is
// not declared, and docs/cli.md's table of codes exactly the catalogue's.
#define BOOST_TEST_MODULE error_catalogue
#include <boost/test/unit_test.hpp>

#include "cli/help.hpp"
#include "homeboy/error.hpp"
#include "support.hpp"

#include <regex>
#include <set>
#include <sstream>

using namespace homeboy::test;
using homeboy::Errc;

namespace {

const fs::path source_dir = HOMEBOY_TEST_SOURCE_DIR;

// Every C++ source of the host, as one text.
std::string host_sources() {
  std::string all;
  for (const auto& entry : fs::recursive_directory_iterator(source_dir / "host"))
    if (entry.path().extension() == ".cpp" || entry.path().extension() == ".hpp")
      all += read_file(entry.path()) + "\n";
  return all;
}

// The enumerator's name for a code: "storage.not_found" -> "storage_not_found".
std::string enumerator(std::string_view code) {
  std::string name(code);
  for (char& c : name)
    if (c == '.') c = '_';
  return name;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_code_is_declared_once_with_a_meaning) {
  std::set<std::string> codes;
  std::size_t index = 0;
  for (const auto& e : homeboy::error_catalogue()) {
    BOOST_TEST_CONTEXT(e.code) {
      BOOST_TEST(static_cast<std::size_t>(e.errc) == index++);
      BOOST_TEST(codes.insert(std::string(e.code)).second, "declared twice");
      BOOST_TEST(std::regex_match(std::string(e.code), std::regex("[a-z]+\\.[a-z_]+")));
      BOOST_TEST(enumerator(e.code) == enumerator(homeboy::to_string(e.errc)));
      BOOST_TEST(!e.meaning.empty());
      BOOST_TEST((e.exit == homeboy::ExitCode::failure || e.exit == homeboy::ExitCode::invalid ||
                  e.exit == homeboy::ExitCode::not_found || e.errc == Errc::cli_interrupted));
      BOOST_TEST((homeboy::parse_errc(e.code) == std::optional<Errc>(e.errc)));
    }
  }
  BOOST_TEST(!homeboy::parse_errc("storage.nonsense"));
}

BOOST_AUTO_TEST_CASE(an_error_carries_its_default_hint_until_it_has_its_own) {
  homeboy::Error plain(Errc::config_busy, "busy");
  BOOST_TEST(static_cast<int>(plain.exit_code()) == 1);
  BOOST_TEST(plain.hints() == std::vector<std::string>{"Run the command again."});
  plain.with_hint("Or wait.");
  BOOST_TEST(plain.hints() == std::vector<std::string>{"Or wait."});
  homeboy::Error none(Errc::storage_io_error, "broken");
  BOOST_TEST(none.hints().empty());
  BOOST_TEST(std::string(none.code()) == "storage.io_error");
}

BOOST_AUTO_TEST_CASE(every_code_is_raised_somewhere_and_none_outside_the_catalogue) {
  std::string sources = host_sources();
  for (const auto& e : homeboy::error_catalogue())
    BOOST_TEST(sources.find("Errc::" + enumerator(e.code)) != std::string::npos,
               e.code << " is declared but raised nowhere");
  // No code is written out as text to build an Error: they all come from the catalogue.
  std::regex literal(R"(Error\(\s*"[a-z]+\.[a-z_]+")");
  std::istringstream lines(sources);
  for (std::string line; std::getline(lines, line);) BOOST_TEST(!std::regex_search(line, literal), line);
}

BOOST_AUTO_TEST_CASE(the_docs_table_of_codes_is_the_catalogue) {
  std::string doc = read_file(source_dir / "docs/cli.md");
  const std::string begin =
      "<!-- error codes: the catalogue's (host/homeboy/error_catalogue.cpp); tests/test_error_catalogue.cpp holds "
      "this table to it and prints it as it should read -->\n";
  auto start = doc.find(begin);
  BOOST_TEST_REQUIRE(start != std::string::npos, "docs/cli.md has no table of error codes");
  start += begin.size();
  auto end = doc.find("\n\n", start);
  std::string table = doc.substr(start, end == std::string::npos ? std::string::npos : end - start + 1);
  BOOST_TEST(table == homeboy::cli::error_codes_markdown(),
             "docs/cli.md's table differs from the catalogue; it should read:\n" << homeboy::cli::error_codes_markdown());
}
