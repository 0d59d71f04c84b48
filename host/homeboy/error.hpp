#pragma once
// One error type for the whole host: a stable code from the catalogue (error_catalogue.hpp),
// a message a person can act on, structured details and hints. The CLI turns it into
// homeboy's JSON envelope, or into text.

#include "homeboy/error_catalogue.hpp"

#include <boost/json/object.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace homeboy {

class Error : public std::runtime_error {
 public:
  // Without hints of its own, the error carries the catalogue's default hint for `errc`.
  Error(Errc errc, std::string message, boost::json::object details = {}, std::vector<std::string> hints = {});

  Errc errc() const noexcept { return errc_; }
  std::string_view code() const noexcept { return to_string(errc_); }
  ExitCode exit_code() const noexcept { return exit_code_; }
  // Whether the same command, run again unchanged, may succeed (the catalogue's word).
  bool retryable() const noexcept { return info(errc_).retryable; }
  const boost::json::object& details() const noexcept { return details_; }
  const std::vector<std::string>& hints() const noexcept { return hints_; }

  // Adds a hint; the first one of its own replaces the catalogue's default.
  Error& with_hint(std::string hint) &;
  Error&& with_hint(std::string hint) &&;

  // For cli.interrupted only, whose exit code is 128 + the signal's number.
  Error&& with_exit_code(ExitCode exit_code) &&;

 private:
  Errc errc_;
  ExitCode exit_code_;
  boost::json::object details_;
  std::vector<std::string> hints_;
  bool default_hint_ = false;  // hints_ holds only the catalogue's default
};

// Named factories for the two errors raised from everywhere.
namespace errors {
Error invalid_argument(std::string message, boost::json::object details = {});  // cli.invalid_argument
Error internal(std::string message);                                            // internal.error
}  // namespace errors

// Shortens text for quoting in an error message: keeps the start, marks the cut, and shows
// bytes that are not UTF-8 as \xNN so the message stays valid UTF-8.
std::string excerpt(std::string_view text, std::size_t limit = 200);
// The same when only the start of the text is at hand (at least `limit` bytes of it, or all),
// and `total` is its whole size: what a large answer read as it arrived leaves to quote.
std::string excerpt_of_start(std::string_view start, std::size_t total, std::size_t limit = 200);

}  // namespace homeboy
