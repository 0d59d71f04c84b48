#include "homeboy/contract/json_text.hpp"

#include "homeboy/contract/json_exact.hpp"
#include "homeboy/text.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ostream>

namespace json = boost::json;

namespace homeboy {

namespace {

// The escapes Boost.JSON's serializer writes, so both write the same text: a short form
// for the usual controls, \u00xx for the other ones below 0x20, nothing else escaped.
char short_escape(unsigned char c) {
  switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    default: return c < 0x20 ? 'u' : 0;
  }
}

// Writes `s` escaped, without its quotes: each run needing no escape, and each escape, goes
// to `put` as it comes.
template <class Put>
void escape(std::string_view s, Put put) {
  static constexpr char hex[] = "0123456789abcdef";
  std::size_t run = 0;  // start of the bytes not yet written, which need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    char e = short_escape(static_cast<unsigned char>(s[i]));
    if (!e) continue;
    if (i > run) put(s.substr(run, i - run));
    if (e == 'u') {
      const char u[] = {'\\', 'u', '0', '0', hex[static_cast<unsigned char>(s[i]) >> 4], hex[s[i] & 15]};
      put(std::string_view(u, sizeof u));
    } else {
      const char pair[] = {'\\', e};
      put(std::string_view(pair, sizeof pair));
    }
    run = i + 1;
  }
  if (run < s.size()) put(s.substr(run));
}

}  // namespace

std::size_t escaped_size(std::string_view s) {
  std::size_t size = 2;
  escape(s, [&](std::string_view piece) { size += piece.size(); });
  return size;
}

void append_escaped(std::string& out, std::string_view s) {
  out.push_back('"');
  escape(s, [&](std::string_view piece) { out.append(piece); });
  out.push_back('"');
}

void escape_pieces(std::string_view s, const std::function<void(std::string_view)>& put) { escape(s, put); }

JsonWriter::JsonWriter(std::ostream& out) : out_(&out) { buffer_.reserve(flush_bytes + 256); }

void JsonWriter::flush() {
  if (!out_ || buffer_.empty()) return;
  out_->write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
}

void JsonWriter::put(std::string_view s) {
  if (out_ && buffer_.size() + s.size() > flush_bytes) {
    flush();
    if (s.size() > flush_bytes) {  // straight through: a long run is never copied
      out_->write(s.data(), static_cast<std::streamsize>(s.size()));
      return;
    }
  }
  buffer_.append(s);
}

void JsonWriter::indent() {
  if (!compact_) buffer_.append(levels_.size() * 2, ' ');
}

void JsonWriter::separate(bool first) {
  if (compact_) {
    if (!first) put(',');
    return;
  }
  put(first ? std::string_view("\n") : std::string_view(",\n"));
  indent();
}

void JsonWriter::close(char bracket) {
  bool empty = levels_.back().empty;
  levels_.pop_back();
  if (!empty && !compact_) {
    put('\n');
    indent();
  }
  put(bracket);
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (levels_.empty()) return;
  Level& level = levels_.back();
  separate(level.empty);
  level.empty = false;
}

void JsonWriter::begin_object() {
  before_value();
  put('{');
  levels_.push_back({true});
}

void JsonWriter::begin_array() {
  before_value();
  put('[');
  levels_.push_back({false});
}

void JsonWriter::end_object() { close('}'); }

void JsonWriter::end_array() { close(']'); }

void JsonWriter::key(std::string_view name) {
  Level& level = levels_.back();
  separate(level.empty);
  level.empty = false;
  escaped_text(name);
  put(compact_ ? std::string_view(":") : std::string_view(": "));
  after_key_ = true;
}

void JsonWriter::escaped(std::string_view s) {
  put('"');
  escape(s, [&](std::string_view piece) { put(piece); });
  put('"');
}

void JsonWriter::escaped_text(std::string_view s) {
  // JSON text is UTF-8: a string holding other bytes is shown with them as \xNN.
  if (text::is_utf8(s))
    escaped(s);
  else
    escaped(text::printable_utf8(s));
}

void JsonWriter::bytes_member(std::string_view key_name, std::string_view bytes) {
  if (text::is_utf8(bytes)) {
    key(key_name);
    string(bytes);
    return;
  }
  std::string encoded_key(key_name);
  encoded_key += "_base64";
  key(encoded_key);
  base64_string(bytes);
}

void JsonWriter::string(std::string_view s) {
  before_value();
  escaped_text(s);
}

void JsonWriter::base64_string(std::string_view bytes) {
  before_value();
  put('"');
  constexpr std::size_t piece = 3 * 16 * 1024;  // whole 3-byte groups: the pieces join up
  for (std::size_t at = 0; at < bytes.size(); at += piece) put(text::base64_encode(bytes.substr(at, piece)));
  put('"');
}

void JsonWriter::boolean(bool b) {
  before_value();
  put(b ? std::string_view("true") : std::string_view("false"));
}

void JsonWriter::number(std::uint64_t n) {
  before_value();
  put(std::to_string(n));
}

void JsonWriter::value(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      if (auto literal = exact_json::number_literal(v)) {  // a number as the user wrote it
        before_value();
        put(*literal);
        return;
      }
      begin_object();
      for (const auto& kv : v.get_object()) {
        key(kv.key());
        value(kv.value());
      }
      end_object();
      return;
    case json::kind::array:
      begin_array();
      for (const auto& item : v.get_array()) value(item);
      end_array();
      return;
    case json::kind::string:
      string(v.get_string());
      return;
    case json::kind::double_: {
      // homeboy's own numbers (a duration): the shortest text that reads back the same, as
      // people write it ("1.5", not Boost.JSON's "1.5E0"), with ".0" when it would look like
      // an integer. JSON has no infinity or NaN: null.
      before_value();
      double d = v.get_double();
      if (!std::isfinite(d)) {
        put("null");
        return;
      }
      // The fewest significant digits that read back as the same double (homeboy never sets a
      // locale, so "." is the decimal point). Not std::to_chars: its object in libstdc++
      // refers to libm, which every homeboy process would then load.
      char buffer[32];
      int size = 0;
      for (int digits = 1; digits <= 17; ++digits) {
        size = std::snprintf(buffer, sizeof buffer, "%.*g", digits, d);
        if (std::strtod(buffer, nullptr) == d) break;
      }
      std::string_view shortest(buffer, static_cast<std::size_t>(size));
      put(shortest);
      if (shortest.find_first_of(".e") == std::string_view::npos) put(".0");
      return;
    }
    default:
      before_value();
      put(json::serialize(v));
  }
}

std::string pretty(const json::value& value) {
  JsonWriter writer;
  writer.value(value);
  return std::move(writer.text());
}

std::string compact(const json::value& value) {
  JsonWriter writer;
  writer.set_compact(true);
  writer.value(value);
  return std::move(writer.text());
}

}  // namespace homeboy
