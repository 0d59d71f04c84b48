#pragma once
// homeboy's JSON envelope, written as it is made (homeboy/contract/json_text.hpp): a large result
// (a file's content, a listing, a batch's results) is never built as JSON values or held
// as text.

#include "homeboy/error.hpp"
#include "homeboy/contract/json_text.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace homeboy::cli {

// What a command hands back: the `data` object of its envelope. A member too large to build
// as a JSON value is written by a function instead, in its place among the others.
class Reply {
 public:
  using Writer = std::function<void(JsonWriter&)>;

  Reply(boost::json::object data = {}) : data_(std::move(data)) {}  // NOLINT: commands return objects
  Reply(std::initializer_list<std::pair<boost::json::string_view, boost::json::value_ref>> members)
      : data_(members) {}

  boost::json::object& data() noexcept { return data_; }

  // Adds the member `key`, written by `writer` when the envelope is printed.
  void stream(std::string_view key, Writer writer);

  // The command failed after all: the envelope is `error`'s, with this data as its details
  // (which may be too large to hold as JSON values: a batch's results).
  void fail(Error error) { failure_ = std::move(error); }

  const std::optional<Error>& failure() const noexcept { return failure_; }
  int exit_code() const noexcept { return failure_ ? static_cast<int>(failure_->exit_code()) : 0; }

  // The data object's members, streamed ones in their place.
  void write_data(JsonWriter& out) const;

 private:
  boost::json::object data_;
  std::map<std::string, Writer, std::less<>> streamed_;
  std::optional<Error> failure_;
};

// A duration as JSON seconds: a whole number when it is one (30, not 3E1).
boost::json::value seconds_json(std::chrono::milliseconds duration);

// The envelope, pretty-printed (or on one line, with `compact`) and followed by a newline:
// {"success": true, "data": ...}, or the failure's.
void print(std::ostream& out, const Reply& reply, bool compact = false);
void print(std::ostream& out, const Error& error, bool compact = false);
std::string render(const Error& error, bool compact = false);  // the same text, as a string

// The data of a reply as JSON values, streamed members included (for -o text, which lays
// them out for people).
boost::json::object materialize(const Reply& reply);

}  // namespace homeboy::cli
