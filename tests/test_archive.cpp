// The config archive format (docs/archive-format.md): what `storage export` writes and every
// way `storage import` refuses an archive before writing anything.
#define BOOST_TEST_MODULE archive
#include <boost/test/unit_test.hpp>

#include "homeboy/config/archive.hpp"
#include "homeboy/error.hpp"

#include <functional>

using namespace homeboy;

namespace {

const std::string header =
    R"({"format":"homeboy-config-archive","version":1,"source_provider":"sqlite-storage","created_at":"2025-01-31T12:00:00Z","documents":)";

std::string archive_of(std::size_t announced, const std::vector<std::string>& lines) {
  std::string text = header + std::to_string(announced) + "}\n";
  for (const auto& l : lines) text += l + "\n";
  return text;
}

// The error parse throws, checked for its code and for words of its message.
void expect_refused(const std::string& text, const std::string& code, const std::vector<std::string>& words) {
  try {
    archive::parse(text, "backup.jsonl");
  } catch (const Error& e) {
    BOOST_TEST(e.code() == code, "expected " << code << ", got " << e.code() << ": " << e.what());
    for (const auto& w : words)
      BOOST_TEST(std::string(e.what()).find(w) != std::string::npos, "'" << w << "' not in: " << e.what());
    return;
  }
  BOOST_FAIL("the archive was accepted; expected " << code);
}

}  // namespace

BOOST_AUTO_TEST_CASE(what_is_written_reads_back_the_same_bytes_sorted_by_path) {
  std::vector<archive::Document> docs = {
      {"servers/web-1.json", "{\"host\": \"web1\"}\n"},
      {"notes/deep/empty", ""},
      {"projects/caf\xC3\xA9.json", "line\n\n\"quoted\" \\ -n \xE2\x82\xAC\n"},
      {"blobs/not-utf8.bin", std::string("\xFF\xFE\x00\x01 bytes", 10)},
  };
  std::string text = archive::write({"builtin-filesystem", "2025-01-31T12:00:00Z", 0}, docs);
  BOOST_TEST(text.starts_with(
      R"({"format":"homeboy-config-archive","version":1,"source_provider":"builtin-filesystem","created_at":"2025-01-31T12:00:00Z","documents":4})"
      "\n"));
  BOOST_TEST(text.find(R"({"path":"blobs/not-utf8.bin","content_base64":"//4AASBieXRlcw=="})") != std::string::npos, text);
  BOOST_TEST(text.back() == '\n');

  auto parsed = archive::parse(text, "backup.jsonl");
  BOOST_TEST(parsed.header.source_provider == "builtin-filesystem");
  BOOST_TEST(parsed.header.created_at == "2025-01-31T12:00:00Z");
  BOOST_TEST(parsed.header.documents == 4u);
  std::sort(docs.begin(), docs.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  BOOST_TEST_REQUIRE(parsed.documents.size() == docs.size());
  for (std::size_t i = 0; i < docs.size(); ++i) {
    BOOST_TEST(parsed.documents[i].path == docs[i].path);
    BOOST_TEST((parsed.documents[i].content == docs[i].content), "content of " << docs[i].path);
  }
}

BOOST_AUTO_TEST_CASE(the_same_documents_always_give_the_same_lines) {
  std::vector<archive::Document> a = {{"b.json", "2"}, {"a.json", "1"}}, b = {{"a.json", "1"}, {"b.json", "2"}};
  auto one = archive::write({"x", "2025-01-01T00:00:00Z", 0}, a);
  auto two = archive::write({"x", "2025-01-01T00:00:00Z", 0}, b);
  BOOST_TEST(one == two);
  BOOST_TEST(archive::parse(archive::write({"x", archive::now_utc(), 0}, {}), "empty").documents.empty());
}

BOOST_AUTO_TEST_CASE(fields_a_later_version_one_archive_adds_are_ignored_and_crlf_is_read) {
  std::string text = R"({"format":"homeboy-config-archive","version":1,"source_provider":"p","created_at":"t","documents":1,"host":"laptop"})"
                     "\r\n"
                     R"({"path":"a.json","content":"x","sha256":"ignored"})"
                     "\r\n";
  auto parsed = archive::parse(text, "crlf.jsonl");
  BOOST_TEST_REQUIRE(parsed.documents.size() == 1u);
  BOOST_TEST(parsed.documents[0].content == "x");
}

BOOST_AUTO_TEST_CASE(a_cut_off_archive_is_refused_as_truncated) {
  std::string whole = archive_of(2, {R"({"path":"a.json","content":"x"})", R"({"path":"b.json","content":"y"})"});
  expect_refused("", "archive.truncated", {"backup.jsonl", "empty"});
  expect_refused(whole.substr(0, whole.size() - 8), "archive.truncated", {"line 3", "cut off"});
  expect_refused(whole.substr(0, whole.find("{\"path\":\"b.json")), "archive.truncated",
                 {"announces 2 documents", "holds 1"});
  expect_refused(whole.substr(0, 30), "archive.truncated", {"line 1"});
  BOOST_TEST(archive::parse(whole.substr(0, whole.size() - 1), "no final newline").documents.size() == 2u);
}

BOOST_AUTO_TEST_CASE(another_format_or_version_is_refused_with_the_version_named) {
  expect_refused(R"({"format":"something-else","version":1})" "\n", "archive.invalid", {"not a homeboy config archive"});
  expect_refused("[1, 2]\n", "archive.invalid", {"line 1", "not a JSON object"});
  expect_refused(R"({"format":"homeboy-config-archive","version":2,"source_provider":"p","created_at":"t","documents":0})" "\n",
                 "archive.unsupported_version", {"version 2", "reads version 1"});
  expect_refused(R"({"format":"homeboy-config-archive","version":"1","source_provider":"p","created_at":"t","documents":0})" "\n",
                 "archive.invalid", {"\"version\" must be an integer"});
  expect_refused(R"({"format":"homeboy-config-archive","version":1,"created_at":"t","documents":0})" "\n", "archive.invalid",
                 {"\"source_provider\" is missing"});
  expect_refused(R"({"format":"homeboy-config-archive","version":1,"source_provider":"p","created_at":"t","documents":-1})" "\n",
                 "archive.invalid", {"\"documents\" must be a count"});
}

BOOST_AUTO_TEST_CASE(a_repeated_path_names_both_lines) {
  expect_refused(archive_of(3, {R"({"path":"a.json","content":"x"})", R"({"path":"b.json","content":"y"})",
                                R"({"path":"a.json","content":"z"})"}),
                 "archive.duplicate_path", {"line 4", "'a.json'", "line 2"});
}

BOOST_AUTO_TEST_CASE(paths_that_could_leave_the_config_folder_are_refused) {
  for (std::string path :
       {"../etc/passwd", "projects/../../x", "./a.json", "/etc/passwd", "a//b", "a/", "", "a/\\u0001b"}) {
    std::string line = R"({"path":")" + path + R"(","content":"x"})";
    expect_refused(archive_of(1, {line}), "archive.unsafe_path", {"backup.jsonl, line 2"});
  }
  BOOST_CHECK_THROW(archive::check_relative_path(std::string(256, 'n')), Error);
  BOOST_CHECK_NO_THROW(archive::check_relative_path("projects/a..b.json"));
  BOOST_CHECK_NO_THROW(archive::check_relative_path("notes/.../x"));
  BOOST_CHECK_THROW(archive::write({"p", "t", 0}, {{"../x", "y"}}), Error);
}

BOOST_AUTO_TEST_CASE(a_path_with_a_control_character_is_refused_c1_included) {
  for (std::string path : {"servers/a\\u001b[2J.json", "servers/a\\u007f.json", "servers/a\\u009b2J.json",
                           "servers/a\\u0085.json"}) {
    BOOST_TEST_CONTEXT(path) {
      std::string line = R"({"path":")" + path + R"(","content":"x"})";
      expect_refused(archive_of(1, {line}), "archive.unsafe_path", {"backup.jsonl, line 2", "control character"});
    }
  }
  BOOST_CHECK_THROW(archive::check_relative_path("servers/evil\xC2\x9B" "2J.json"), Error);
  BOOST_CHECK_NO_THROW(archive::check_relative_path("servers/no\xC2\xA0" "break\xE2\x80\x9B.json"));
}

BOOST_AUTO_TEST_CASE(every_line_is_checked) {
  expect_refused(archive_of(1, {R"({"path":"a.json"})"}), "archive.invalid", {"line 2", "\"content\" or \"content_base64\""});
  expect_refused(archive_of(1, {R"({"path":"a.json","content":"x","content_base64":"eA=="})"}), "archive.invalid",
                 {"exactly one"});
  expect_refused(archive_of(1, {R"({"path":"a.json","content_base64":"not base64!"})"}), "archive.invalid",
                 {"not valid base64"});
  expect_refused(archive_of(1, {R"({"path":7,"content":"x"})"}), "archive.invalid", {"\"path\" must be a string"});
  expect_refused(archive_of(1, {R"({"path":"a.json","content":"x"} trailing)"}), "archive.invalid", {"line 2"});
  expect_refused(archive_of(2, {R"({"path":"a.json","content":"x"})", "", R"({"path":"b.json","content":"x"})"}),
                 "archive.invalid", {"line 3", "empty"});
  expect_refused(archive_of(1, {R"({"path":"a.json","content":"x"})", R"({"path":"b.json","content":"x"})"}),
                 "archive.invalid", {"line 3", "announces 1"});
  expect_refused(archive_of(2, {R"({"path":"notes","content":"x"})", R"({"path":"notes/a","content":"x"})"}),
                 "archive.invalid", {"line 2", "'notes' is a document", "line 3"});
  std::string deep(100, '[');
  expect_refused(archive_of(1, {deep}), "archive.invalid", {"line 2"});
}
