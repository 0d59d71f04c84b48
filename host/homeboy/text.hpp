#pragma once
// Bytes and text: content is bytes, JSON strings are UTF-8. These helpers decide which is
// which and carry bytes through JSON (base64) without loss.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace homeboy::text {

// Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlongs,
// no surrogates, nothing above U+10FFFF), or nothing when the whole text is UTF-8.
std::optional<std::size_t> invalid_utf8_at(std::string_view bytes) noexcept;
inline bool is_utf8(std::string_view bytes) noexcept { return !invalid_utf8_at(bytes); }

// Standard base64 (RFC 4648, with padding).
std::string base64_encode(std::string_view bytes);
// Strict: only the standard alphabet, correct padding, no whitespace. Nothing when malformed.
std::optional<std::string> base64_decode(std::string_view encoded);

// base64_decode for a text that arrives in pieces, decoded as it comes: the bytes are
// appended to `out`, and finish() says whether the whole text was well-formed.
class Base64Decoder {
 public:
  void feed(std::string_view piece, std::string& out);  // after something malformed, the rest is ignored
  bool finish(std::string& out);

 private:
  static bool decode(const char* group, bool last, std::string& out);
  char group_[4] = {};
  int have_ = 0;  // characters of the group in progress, held in group_
  bool bad_ = false;
};

// For quoting in messages and JSON output: valid UTF-8 is kept as it is, every byte of an
// ill-formed sequence becomes the text "\xNN", so the result is always valid UTF-8.
std::string printable_utf8(std::string_view bytes);

// Unicode's control characters (general category Cc): C0 (U+0000..U+001F), DEL (U+007F) and
// C1 (U+0080..U+009F, the bytes C2 80..C2 9F in UTF-8). A terminal obeys them: ESC and CSI
// (U+009B) start escape sequences, NEL (U+0085) ends a line.
// The length in bytes of the control character that starts at `text[at]`, or 0.
std::size_t control_at(std::string_view text, std::size_t at) noexcept;
bool has_control(std::string_view text) noexcept;

// For a message on a terminal: printable_utf8(text) with every control character but a
// newline and a tab written out, as \xNN (C0, DEL) or \u00NN (C1).
std::string escape_controls(std::string_view text);

// A 64-bit FNV-1a digest as 16 hex digits: a name for content, not a secret.
std::string digest_hex(std::string_view bytes) noexcept;

}  // namespace homeboy::text
