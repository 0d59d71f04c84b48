#include "homeboy/config/archive.hpp"

#include "homeboy/error.hpp"
#include "homeboy/contract/limits.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <optional>

namespace json = boost::json;

namespace homeboy::archive {

namespace {

Error unsafe_path(std::string_view path, const std::string& why) {
  return Error(Errc::archive_unsafe_path, "the path '" + excerpt(path, 200) + "' " + why,
               {{"path", excerpt(path, limits::path_bytes)}});
}

// Where a problem is: "<source>, line N".
struct Place {
  std::string_view source;
  std::size_t line;
  std::string text() const { return std::string(source) + ", line " + std::to_string(line); }
};

Error problem(Errc errc, const Place& at, const std::string& message, std::vector<std::string> hints = {}) {
  return Error(errc, at.text() + ": " + message, {{"source", at.source}, {"line", at.line}}, std::move(hints));
}

json::object parse_line(std::string_view line, const Place& at, bool last_and_unterminated) {
  json::parse_options options;
  options.max_depth = limits::json_depth;
  json::error_code ec;
  json::value value = json::parse(line, ec, {}, options);
  if (ec) {
    if (last_and_unterminated)
      throw problem(Errc::archive_truncated, at,
                    "the last line is cut off (" + ec.message() + "); the archive is incomplete",
                    {"Export the archive again, or restore a complete copy."});
    throw problem(Errc::archive_invalid, at, "not a JSON object (" + ec.message() + "): " + excerpt(line, 80));
  }
  if (!value.is_object()) throw problem(Errc::archive_invalid, at, "not a JSON object: " + excerpt(line, 80));
  return std::move(value.as_object());
}

const json::string* string_field(const json::object& obj, std::string_view key, const Place& at, bool required) {
  const json::value* v = obj.if_contains(key);
  if (!v) {
    if (required) throw problem(Errc::archive_invalid, at, "\"" + std::string(key) + "\" is missing");
    return nullptr;
  }
  if (!v->is_string()) throw problem(Errc::archive_invalid, at, "\"" + std::string(key) + "\" must be a string");
  return &v->get_string();
}

std::optional<std::int64_t> integer(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.get_uint64());
  return std::nullopt;
}

Header parse_header(const json::object& obj, const Place& at) {
  const json::value* format = obj.if_contains("format");
  if (!format || !format->is_string() || format->get_string() != format_name)
    throw problem(Errc::archive_invalid, at,
                  "this is not a homeboy config archive: the first line must name \"format\": \"" +
                      std::string(format_name) + "\"",
                  {"Give a file written by `homeboy storage export`."});
  const json::value* version = obj.if_contains("version");
  auto number = version ? integer(*version) : std::nullopt;
  if (!number) throw problem(Errc::archive_invalid, at, "\"version\" must be an integer");
  if (*number != format_version)
    throw Error(
        Errc::archive_unsupported_version,
        at.text() + ": the archive is format version " + std::to_string(*number) + "; this homeboy reads version " +
            std::to_string(format_version) + " only",
        {{"source", at.source}, {"line", at.line}, {"version", *number}, {"supported", format_version}},
        {*number > format_version ? "Import it with the newer homeboy that wrote it, or export it again from there "
                                    "with this version's format."
                                  : "Export it again with this homeboy."});
  Header header;
  header.source_provider = std::string(*string_field(obj, "source_provider", at, true));
  header.created_at = std::string(*string_field(obj, "created_at", at, true));
  const json::value* documents = obj.if_contains("documents");
  auto count = documents ? integer(*documents) : std::nullopt;
  if (!count || *count < 0) throw problem(Errc::archive_invalid, at, "\"documents\" must be a count (an integer >= 0)");
  header.documents = static_cast<std::size_t>(*count);
  return header;
}

Document parse_document(const json::object& obj, const Place& at) {
  const json::string* path = string_field(obj, "path", at, true);
  try {
    check_relative_path(*path);
  } catch (const Error& e) {
    throw Error(e.errc(), at.text() + ": " + e.what(),
                {{"source", at.source}, {"line", at.line}, {"path", excerpt(*path, limits::path_bytes)}},
                {"Paths in an archive are relative to the config folder and stay inside it."});
  }
  const json::string* content = string_field(obj, "content", at, false);
  const json::string* encoded = string_field(obj, "content_base64", at, false);
  if (!content == !encoded)
    throw problem(Errc::archive_invalid, at, "a document has \"content\" or \"content_base64\", exactly one of them");
  Document doc{std::string(*path), {}};
  if (content) {
    doc.content = std::string(*content);
  } else {
    auto decoded = text::base64_decode(*encoded);
    if (!decoded) throw problem(Errc::archive_invalid, at, "\"content_base64\" is not valid base64 (RFC 4648, padded)");
    doc.content = std::move(*decoded);
  }
  // Refused here, by line, rather than by the provider half-way through writing.
  if (doc.content.size() > limits::content_bytes)
    throw Error(Errc::storage_too_large,
                at.text() + ": the document '" + excerpt(doc.path, 200) + "' is " + std::to_string(doc.content.size()) +
                    " bytes; one file holds at most " + std::to_string(limits::content_bytes) + " bytes (256 MiB)",
                {{"source", at.source}, {"line", at.line}, {"path", doc.path}, {"bytes", doc.content.size()},
                 {"limit", limits::content_bytes}},
                {"Remove the line or shrink the document; nothing was written."});
  return doc;
}

}  // namespace

void check_relative_path(std::string_view path) {
  if (path.empty()) throw unsafe_path(path, "is empty");
  if (path.front() == '/') throw unsafe_path(path, "is absolute; archive paths are relative to the config folder");
  if (path.size() > limits::path_bytes)
    throw unsafe_path(path, "is longer than " + std::to_string(limits::path_bytes) + " bytes");
  if (text::has_control(path)) throw unsafe_path(path, "contains a control character");
  std::size_t start = 0;
  while (true) {
    std::size_t end = path.find('/', start);
    std::string_view name = path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (name.empty()) throw unsafe_path(path, "has an empty name (a doubled or trailing '/')");
    if (name == "." || name == "..")
      throw unsafe_path(path, "contains '" + std::string(name) + "', which could lead outside the config folder");
    if (name.size() > limits::path_component_bytes)
      throw unsafe_path(path, "has a name longer than " + std::to_string(limits::path_component_bytes) + " bytes");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
}

std::string now_utc() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string write(Header header, std::vector<Document> documents) {
  std::sort(documents.begin(), documents.end(), [](const Document& a, const Document& b) { return a.path < b.path; });
  header.documents = documents.size();
  std::string out = json::serialize(json::object{{"format", format_name},
                                                 {"version", format_version},
                                                 {"source_provider", header.source_provider},
                                                 {"created_at", header.created_at},
                                                 {"documents", header.documents}});
  out += '\n';
  for (const auto& doc : documents) {
    check_relative_path(doc.path);
    if (!text::is_utf8(doc.path)) throw unsafe_path(doc.path, "is not valid UTF-8");
    json::object line{{"path", doc.path}};
    if (text::is_utf8(doc.content))
      line["content"] = doc.content;
    else
      line["content_base64"] = text::base64_encode(doc.content);
    out += json::serialize(line);
    out += '\n';
  }
  return out;
}

Archive parse(std::string_view text, std::string_view source) {
  if (text.empty())
    throw Error(Errc::archive_truncated, std::string(source) + " is empty: an archive starts with its header line",
                {{"source", source}, {"line", 0}});
  Archive archive;
  std::map<std::string, std::size_t, std::less<>> seen;  // path -> line
  std::size_t line_number = 0, at = 0;
  while (at < text.size()) {
    ++line_number;
    std::size_t end = text.find('\n', at);
    bool unterminated = end == std::string_view::npos;
    std::string_view line = text.substr(at, unterminated ? std::string_view::npos : end - at);
    at = unterminated ? text.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // tolerate CRLF from a checkout
    Place place{source, line_number};
    if (line.empty()) throw problem(Errc::archive_invalid, place, "the line is empty; every line is one JSON object");
    json::object obj = parse_line(line, place, unterminated);
    if (line_number == 1) {
      archive.header = parse_header(obj, place);
      continue;
    }
    if (archive.documents.size() == archive.header.documents)
      throw problem(
          Errc::archive_invalid, place,
          "the header announces " + std::to_string(archive.header.documents) + " documents, but there are more lines");
    Document doc = parse_document(obj, place);
    if (auto it = seen.find(doc.path); it != seen.end())
      throw Error(
          Errc::archive_duplicate_path,
          place.text() + ": the path '" + excerpt(doc.path, 200) + "' is already on line " + std::to_string(it->second),
          {{"source", source}, {"line", line_number}, {"first_line", it->second}, {"path", doc.path}},
          {"Keep one of the two lines."});
    seen.emplace(doc.path, line_number);
    archive.documents.push_back(std::move(doc));
  }
  if (archive.documents.size() < archive.header.documents)
    throw Error(Errc::archive_truncated,
                std::string(source) + ": the header announces " + std::to_string(archive.header.documents) +
                    " documents, but the archive holds " + std::to_string(archive.documents.size()) +
                    "; it was cut off",
                {{"source", source}, {"announced", archive.header.documents}, {"found", archive.documents.size()}},
                {"Export the archive again, or restore a complete copy."});
  // A document cannot also be the folder of another: "a" and "a/b" cannot both be files.
  for (const auto& [path, line] : seen) {
    for (std::size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      auto folder = seen.find(std::string_view(path).substr(0, slash));
      if (folder == seen.end()) continue;
      throw problem(Errc::archive_invalid, Place{source, folder->second},
                    "'" + excerpt(folder->first, 200) + "' is a document, but line " + std::to_string(line) +
                        " puts '" + excerpt(path, 200) + "' inside it as if it were a folder");
    }
  }
  return archive;
}

}  // namespace homeboy::archive
