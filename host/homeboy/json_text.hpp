#pragma once
// Human-readable JSON: two-space indentation, keys in insertion order, UTF-8 passed through.

#include <boost/json/value.hpp>

#include <string>

namespace homeboy {

std::string pretty(const boost::json::value& value);

}  // namespace homeboy
