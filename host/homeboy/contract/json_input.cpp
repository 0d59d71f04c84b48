#include "homeboy/contract/json_input.hpp"

#include "homeboy/error.hpp"

#include <boost/json/stream_parser.hpp>

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
  json::stream_parser parser;
  json::error_code ec;
  std::size_t used = parser.write_some(text.data(), text.size(), ec);
  // The value ended and something other than whitespace follows it.
  if (!ec && used < text.size()) ec = json::error::extra_data;
  if (!ec) parser.finish(ec);
  if (!ec) return parser.release();
  std::size_t offset = used < text.size() ? used : text.size();
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw errors::invalid_argument(what + " is empty: it must be JSON");
  auto line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  line_start = line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1;
  auto line_end = text.find('\n', offset);
  std::string_view line =
      text.substr(line_start, line_end == std::string_view::npos ? std::string_view::npos : line_end - line_start);
  throw errors::invalid_argument(what + " is not valid JSON at " + line_and_column(text, offset) + " (" + ec.message() +
                                     "): " + excerpt(line, 120),
                                 {{"position", line_and_column(text, offset)}, {"offset", offset}});
}

}  // namespace homeboy
