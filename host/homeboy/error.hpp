#pragma once
// One error type for the whole host: a stable code, a message a person can act on,
// structured details and hints. The CLI turns it into homeboy's JSON envelope.

#include <boost/json/object.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace homeboy {

// Process exit codes, documented in docs/cli.md. Values are part of the CLI contract.
enum class ExitCode : int {
  success = 0,
  failure = 1,    // internal or provider failure
  invalid = 2,    // validation or configuration error
  not_found = 4,
  interrupted_hup = 129,   // 128 + the signal's number (homeboy/interrupt.hpp)
  interrupted_int = 130,
  interrupted_term = 143,
};

class Error : public std::runtime_error {
 public:
  Error(std::string code, std::string message, ExitCode exit_code,
        boost::json::object details = {}, std::vector<std::string> hints = {});

  const std::string& code() const noexcept { return code_; }
  ExitCode exit_code() const noexcept { return exit_code_; }
  const boost::json::object& details() const noexcept { return details_; }
  const std::vector<std::string>& hints() const noexcept { return hints_; }

  Error& with_hint(std::string hint) &;
  Error&& with_hint(std::string hint) &&;

 private:
  std::string code_;
  ExitCode exit_code_;
  boost::json::object details_;
  std::vector<std::string> hints_;
};

// Named factories, so the same failure always reads the same way.
namespace errors {
Error invalid_argument(std::string message, boost::json::object details = {});
Error config(std::string code, std::string message, boost::json::object details = {});
Error internal(std::string message);
}  // namespace errors

// Shortens text for quoting in an error message: keeps the start, marks the cut, and shows
// bytes that are not UTF-8 as \xNN so the message stays valid UTF-8.
std::string excerpt(std::string_view text, std::size_t limit = 200);
// The same when only the start of the text is at hand (at least `limit` bytes of it, or all),
// and `total` is its whole size: what a large answer read as it arrived leaves to quote.
std::string excerpt_of_start(std::string_view start, std::size_t total, std::size_t limit = 200);

}  // namespace homeboy
