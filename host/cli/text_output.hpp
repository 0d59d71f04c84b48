#pragma once
// `-o text`: what each command answers, written for people. Lists are aligned tables,
// show and status are `key: value` lines, a single change is one sentence. Errors go to
// stderr with their hints. The JSON envelope stays the format for scripts.

#include "homeboy/error.hpp"

#include <boost/json/object.hpp>

#include <iosfwd>

namespace homeboy::cli {

// The `data` of a command's envelope, by its "command" member; a command without a layout
// of its own is shown as `key: value` lines.
void print_text(std::ostream& out, const boost::json::object& data);

// "homeboy: error: <message> (<code>)", then "homeboy: hint: ..." for each hint.
void print_text_error(std::ostream& err, const Error& error);

}  // namespace homeboy::cli
