#pragma once
// Human-readable JSON: two-space indentation, keys in insertion order, always valid UTF-8
// (bytes that are not are shown as \xNN; content meant to survive goes as base64 instead).

#include <boost/json/value.hpp>

#include <string>

namespace homeboy {

std::string pretty(const boost::json::value& value);
std::string compact(const boost::json::value& value);  // the same on one line, no spaces

}  // namespace homeboy
