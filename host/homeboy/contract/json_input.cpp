#include "homeboy/contract/json_input.hpp"

#include "homeboy/contract/json_exact.hpp"
#include "homeboy/contract/limits.hpp"
#include "homeboy/error.hpp"

namespace json = boost::json;

namespace homeboy {

std::string line_and_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

json::value parse_json_input(std::string_view text, const std::string& what) {
  exact_json::Failure failure;
  if (auto value = exact_json::parse(text, limits::json_depth, failure)) return std::move(*value);
  std::size_t offset = failure.offset;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw errors::invalid_argument(what + " is empty: it must be JSON");
  auto line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  line_start = line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1;
  auto line_end = text.find('\n', offset);
  std::string_view line =
      text.substr(line_start, line_end == std::string_view::npos ? std::string_view::npos : line_end - line_start);
  json::object details{{"position", line_and_column(text, offset)}, {"offset", offset}};
  if (failure.duplicate_key) {
    details["key"] = *failure.duplicate_key;
    throw errors::invalid_argument(what + " gives the key \"" + excerpt(*failure.duplicate_key, 80) +
                                       "\" twice (at " + line_and_column(text, offset) + "): " + excerpt(line, 120),
                                   std::move(details))
        .with_hint("Keep one of the two; JSON readers disagree on which one counts.");
  }
  throw errors::invalid_argument(what + " is not valid JSON at " + line_and_column(text, offset) + " (" +
                                     failure.reason + "): " + excerpt(line, 120),
                                 std::move(details));
}

}  // namespace homeboy
