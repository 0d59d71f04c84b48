#pragma once
// homeboy's JSON envelope.

#include "homeboy/error.hpp"

#include <boost/json/object.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <iosfwd>

namespace homeboy::cli {

boost::json::object success_envelope(boost::json::object data);
boost::json::object error_envelope(const Error& error);

// A duration as JSON seconds: a whole number when it is one (30, not 3E1).
boost::json::value seconds_json(std::chrono::milliseconds duration);

// Pretty-printed (or on one line, with --compact), followed by a newline.
void print(std::ostream& out, const boost::json::object& envelope, bool compact = false);

}  // namespace homeboy::cli
