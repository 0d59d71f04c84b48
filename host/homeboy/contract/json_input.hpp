#pragma once
// JSON that a person typed or wrote in a file (a SPEC, a batch of events): parsed with the
// same limits as everything else, and a mistake named by line and column.

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace homeboy {

// Parses `text`; `what` names it in the error ("SPEC", "the events in batch.json"). Throws
// cli.invalid_argument: "<what> is not valid JSON at line 2, column 14 (<why>): <that line>".
boost::json::value parse_json_input(std::string_view text, const std::string& what);

// "line 2, column 14" for the byte at `offset` of `text` (columns count characters).
std::string line_and_column(std::string_view text, std::size_t offset);

}  // namespace homeboy
