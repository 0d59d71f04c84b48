#pragma once
// Human-readable JSON: two-space indentation, keys in insertion order, always valid UTF-8
// (bytes that are not are shown as \xNN; content meant to survive goes as base64 instead).

#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace homeboy {

std::string pretty(const boost::json::value& value);
std::string compact(const boost::json::value& value);  // the same on one line, no spaces

// A JSON string literal of `s`, escaped as Boost.JSON's serializer does (the quotes, the
// backslash and the control characters), appended to `out`; and how long it is.
void append_escaped(std::string& out, std::string_view s);
std::size_t escaped_size(std::string_view s);
// The same escaping without the quotes, handed to `put` run by run as it is made.
void escape_pieces(std::string_view s, const std::function<void(std::string_view)>& put);

// Writes the text pretty() makes (or compact() makes, with set_compact), piece by piece:
// into text(), or to a stream in pieces of about 64 KiB. Members and elements are written as they come, and a long string goes out
// as it is escaped, never copied whole: a document of any size costs only what its caller
// holds (a file's content, a listing), not a tree of values and a string of it.
class JsonWriter {
 public:
  JsonWriter() = default;                 // the text collects in text()
  explicit JsonWriter(std::ostream& out);  // the text goes to `out`; flush() at the end
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  void key(std::string_view name);          // inside an object, before each member's value
  void value(const boost::json::value& v);  // any value, laid out as pretty() does
  void string(std::string_view s);          // a string value without building a json::string
  void base64_string(std::string_view bytes);  // a string value: the base64 of `bytes`
  // The member `key` holding `bytes` as a string, or, when they are not UTF-8 (JSON text
  // cannot carry them), `key`_base64 holding their base64.
  void bytes_member(std::string_view key, std::string_view bytes);
  void boolean(bool b);
  void number(std::uint64_t n);

  void set_compact(bool compact) noexcept { compact_ = compact; }  // all on one line, no spaces

  void flush();  // hands what is buffered to the stream
  std::string& text() noexcept { return buffer_; }

 private:
  void before_value();
  void put(std::string_view s);
  void put(char c) {
    buffer_.push_back(c);
    if (out_ && buffer_.size() >= flush_bytes) flush();
  }
  void escaped(std::string_view s);
  void escaped_text(std::string_view s);
  void indent();
  void separate(bool first);  // what comes before a member or an element
  void close(char bracket);

  static constexpr std::size_t flush_bytes = 64 * 1024;
  struct Level {
    bool object;
    bool empty = true;
  };
  std::ostream* out_ = nullptr;
  std::string buffer_;
  std::vector<Level> levels_;
  bool after_key_ = false;
  bool compact_ = false;
};

}  // namespace homeboy
