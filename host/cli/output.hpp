#pragma once
// homeboy's JSON envelope.

#include "homeboy/error.hpp"

#include <boost/json/object.hpp>

#include <iosfwd>

namespace homeboy::cli {

boost::json::object success_envelope(boost::json::object data);
boost::json::object error_envelope(const Error& error);

// Pretty-printed, followed by a newline.
void print(std::ostream& out, const boost::json::object& envelope);

}  // namespace homeboy::cli
