#pragma once
// homeboy's JSON envelope and its pretty printer.

#include "homeboy/error.hpp"

#include <boost/json/value.hpp>

#include <iosfwd>
#include <string>

namespace homeboy::cli {

// Two-space indented JSON, keys in insertion order, UTF-8 passed through.
std::string pretty(const boost::json::value& value);

boost::json::object success_envelope(boost::json::object data);
boost::json::object error_envelope(const Error& error);

void print(std::ostream& out, const boost::json::object& envelope);

}  // namespace homeboy::cli
