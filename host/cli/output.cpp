#include "cli/output.hpp"

#include "homeboy/json_text.hpp"

#include <boost/json.hpp>

#include <ostream>

namespace json = boost::json;

namespace homeboy::cli {

json::object success_envelope(json::object data) {
  json::object env;
  env["success"] = true;
  env["data"] = std::move(data);
  return env;
}

json::object error_envelope(const Error& error) {
  json::array hints;
  for (const auto& h : error.hints()) hints.emplace_back(json::object{{"message", h}});
  json::object err;
  err["code"] = error.code();
  err["message"] = error.what();
  err["details"] = error.details();
  err["hints"] = std::move(hints);
  json::object env;
  env["success"] = false;
  env["error"] = std::move(err);
  return env;
}

void print(std::ostream& out, const json::object& envelope, bool compact) {
  out << (compact ? homeboy::compact(envelope) : pretty(envelope)) << '\n';
}

boost::json::value seconds_json(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  return ms % 1000 == 0 ? boost::json::value(ms / 1000) : boost::json::value(static_cast<double>(ms) / 1000.0);
}

}  // namespace homeboy::cli
