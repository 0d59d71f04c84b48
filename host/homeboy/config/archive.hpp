#pragma once
// The portable archive of homeboy's config (docs/archive-format.md): JSON Lines, a header
// naming the format, its version, the source provider and the time, then one document per
// line with its path relative to the config folder. Documents come sorted by path, so an
// archive kept in git changes only where documents do.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace homeboy::archive {

inline constexpr std::string_view format_name = "homeboy-config-archive";
inline constexpr int format_version = 1;

struct Header {
  std::string source_provider;  // the module id the documents were exported from
  std::string created_at;       // RFC 3339, UTC: "2025-01-31T12:00:00Z"
  std::size_t documents = 0;    // how many document lines follow: a cut-off archive is caught
};

struct Document {
  std::string path;     // relative to the config folder, '/'-separated (check_relative_path)
  std::string content;  // bytes; written as "content_base64" when not UTF-8
  friend bool operator==(const Document&, const Document&) = default;
};

struct Archive {
  Header header;
  std::vector<Document> documents;  // in the archive's order
};

// The archive text. Documents are sorted by path; `header.documents` is set from them.
// Throws archive.unsafe_path for a path check_relative_path refuses.
std::string write(Header header, std::vector<Document> documents);

// Reads and checks the whole archive before the caller writes anything: the header (format,
// version, count), every line (one JSON object, a safe path, content or valid base64), no
// path twice, no document inside another, and as many documents as announced. Throws
// homeboy::Error (archive.invalid, archive.unsupported_version, archive.truncated,
// archive.unsafe_path, archive.duplicate_path) naming `source`, the line and the problem.
Archive parse(std::string_view text, std::string_view source);

// A clean path inside the config folder: not empty, relative, no empty, "." or ".." names,
// no NUL or control character, each name within the path limits. Throws archive.unsafe_path.
void check_relative_path(std::string_view path);

// The current time as RFC 3339 UTC, to the second.
std::string now_utc();

}  // namespace homeboy::archive
