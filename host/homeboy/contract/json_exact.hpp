#pragma once
// JSON that a person wrote, kept exactly as written: a number keeps its text, so
// 12345678901234567890123, -0, 1.0, 1.50 and 1e999 come back as they went in (a double
// cannot hold them; Boost.JSON would turn them into 1.2345678901234568E22, 0, 1E0, ...),
// and an object that names a key twice is refused rather than silently keeping one.
//
// Integers that fit 64 bits (and are not -0) stay int64/uint64 values. Every other number
// is a *number literal*: an object with one member whose key is a byte sequence no JSON text
// can produce (it is not UTF-8), holding the number's text. JsonWriter writes it back as
// that text; deep merges, comparisons and copies treat it as one value. Nothing else ever
// builds such an object, so it cannot be mistaken for a document's own.

#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace homeboy::exact_json {

// The number `literal` (valid JSON number text, not checked here) as a value.
boost::json::value number(std::string_view literal);

// The text of a number literal, or nothing when `v` is not one.
std::optional<std::string_view> number_literal(const boost::json::value& v) noexcept;

// Any JSON number, as its text: an int64/uint64 in decimal, a literal as written.
std::optional<std::string> number_text(const boost::json::value& v);

struct Failure {
  std::size_t offset = 0;                    // where in the text
  std::string reason;                        // "syntax error", "the key \"a\" is given twice", ...
  std::optional<std::string> duplicate_key;  // set when that is what is wrong
};

// Parses one JSON value (surrounding whitespace allowed), at most `max_depth` levels deep.
// Nothing, with `failure` filled, when the text is not JSON, holds more than one value, or
// repeats a key in an object.
std::optional<boost::json::value> parse(std::string_view text, std::size_t max_depth, Failure& failure);

}  // namespace homeboy::exact_json
