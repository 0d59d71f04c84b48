#include "homeboy/text.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace homeboy::text {

namespace {

// Length of the well-formed UTF-8 sequence starting at `i`, or 0 when it is ill-formed.
std::size_t sequence_length(std::string_view s, std::size_t i) noexcept {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    if (lead == 0xE0) lo = 0xA0;  // overlong
    if (lead == 0xED) hi = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    if (lead == 0xF0) lo = 0x90;  // overlong
    if (lead == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  return len;
}

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<signed char, 256> decoding_table() {
  std::array<signed char, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  return table;
}

}  // namespace

std::optional<std::size_t> invalid_utf8_at(std::string_view bytes) noexcept {
  constexpr std::uint64_t high_bits = 0x8080808080808080ull;
  std::size_t i = 0;
  while (i < bytes.size()) {
    // Most content is ASCII: eight bytes at a time while no high bit is set.
    if (i + 8 <= bytes.size()) {
      std::uint64_t word;
      std::memcpy(&word, bytes.data() + i, 8);
      if (!(word & high_bits)) {
        i += 8;
        continue;
      }
    }
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = sequence_length(bytes, i);
    if (len == 0) return i;
    i += len;
  }
  return std::nullopt;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    unsigned v = at(i) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    unsigned v = (at(i) << 16) | (at(i + 1) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// One group of four characters into `out`; only the last group of a text may be padded.
bool Base64Decoder::decode(const char* group, bool last, std::string& out) {
  static constexpr auto table = decoding_table();
  std::size_t padding = 0;
  if (last && group[3] == '=') padding = group[2] == '=' ? 2 : 1;
  int v[4];
  for (int k = 0; k < 4; ++k) {
    if (k >= 4 - static_cast<int>(padding)) {
      v[k] = 0;
      continue;
    }
    v[k] = table[static_cast<unsigned char>(group[k])];
    if (v[k] < 0) return false;
  }
  // Bits below the padding must be zero, or two encodings would decode alike.
  if (padding == 1 && (v[2] & 0x3)) return false;
  if (padding == 2 && (v[1] & 0xF)) return false;
  unsigned triple = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                    (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
  char bytes[3] = {static_cast<char>((triple >> 16) & 0xFF), static_cast<char>((triple >> 8) & 0xFF),
                   static_cast<char>(triple & 0xFF)};
  out.append(bytes, 3 - padding);
  return true;
}

void Base64Decoder::feed(std::string_view piece, std::string& out) {
  // Each complete group waits until a character follows it: only then is it known not to be
  // the last one, which alone may carry padding.
  for (std::size_t i = 0; i < piece.size() && !bad_;) {
    if (have_ == 4) {
      bad_ = !decode(group_, false, out);
      have_ = 0;
      continue;
    }
    if (have_ == 0) {
      // Whole groups straight from the piece, all but the last one it holds.
      std::size_t groups = (piece.size() - i) / 4;
      for (; groups > 1 && !bad_; --groups, i += 4) bad_ = !decode(piece.data() + i, false, out);
      if (bad_) break;
    }
    group_[have_++] = piece[i++];
  }
}

bool Base64Decoder::finish(std::string& out) {
  if (bad_ || (have_ != 0 && have_ != 4)) return false;
  return have_ == 0 || decode(group_, true, out);
}

std::optional<std::string> base64_decode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size() / 4 * 3);
  Base64Decoder decoder;
  decoder.feed(encoded, out);
  if (!decoder.finish(out)) return std::nullopt;
  return out;
}

std::string printable_utf8(std::string_view bytes) {
  if (is_utf8(bytes)) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 16);
  std::size_t i = 0;
  while (i < bytes.size()) {
    std::size_t len = sequence_length(bytes, i);
    if (len == 0) {
      static constexpr char hex[] = "0123456789abcdef";
      auto b = static_cast<unsigned char>(bytes[i]);
      out += "\\x";
      out += hex[b >> 4];
      out += hex[b & 15];
      ++i;
    } else {
      out.append(bytes.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::size_t control_at(std::string_view text, std::size_t at) noexcept {
  auto byte = static_cast<unsigned char>(text[at]);
  if (byte < 0x20 || byte == 0x7f) return 1;
  // 0xC2 is never a continuation byte: C2 80..C2 9F is a C1 control wherever it stands.
  if (byte == 0xc2 && at + 1 < text.size() && (static_cast<unsigned char>(text[at + 1]) & 0xe0) == 0x80) return 2;
  return 0;
}

bool has_control(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (control_at(text, i)) return true;
  return false;
}

std::string escape_controls(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string printable = printable_utf8(text);
  std::string out;
  out.reserve(printable.size());
  for (std::size_t i = 0; i < printable.size();) {
    std::size_t length = control_at(printable, i);
    if (length == 0 || printable[i] == '\n' || printable[i] == '\t') {
      out += printable[i++];
      continue;
    }
    auto code = static_cast<unsigned char>(printable[i + length - 1]);  // C2 9B is U+009B
    out += length == 1 ? "\\x" : "\\u00";
    out += hex[code >> 4];
    out += hex[code & 15];
    i += length;
  }
  return out;
}

std::string digest_hex(std::string_view bytes) noexcept {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  std::string hex(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) hex[static_cast<std::size_t>(i)] = "0123456789abcdef"[hash & 15];
  return hex;
}

}  // namespace homeboy::text
