#include "homeboy/error.hpp"

#include "homeboy/text.hpp"

namespace homeboy {

Error::Error(std::string code, std::string message, ExitCode exit_code,
             boost::json::object details, std::vector<std::string> hints)
    : std::runtime_error(message),
      code_(std::move(code)),
      exit_code_(exit_code),
      details_(std::move(details)),
      hints_(std::move(hints)) {}

Error& Error::with_hint(std::string hint) & {
  hints_.push_back(std::move(hint));
  return *this;
}

Error&& Error::with_hint(std::string hint) && {
  hints_.push_back(std::move(hint));
  return std::move(*this);
}

namespace errors {

Error invalid_argument(std::string message, boost::json::object details) {
  return Error("cli.invalid_argument", std::move(message), ExitCode::invalid, std::move(details));
}

Error config(std::string code, std::string message, boost::json::object details) {
  return Error(std::move(code), std::move(message), ExitCode::invalid, std::move(details));
}

Error internal(std::string message) {
  return Error("internal.error", std::move(message), ExitCode::failure);
}

}  // namespace errors

std::string excerpt(std::string_view text, std::size_t limit) { return excerpt_of_start(text, text.size(), limit); }

std::string excerpt_of_start(std::string_view start, std::size_t total, std::size_t limit) {
  if (total <= limit) return text::printable_utf8(start.substr(0, total));
  std::string cut(start.substr(0, limit));
  // Do not split a UTF-8 sequence: drop trailing continuation bytes and their lead byte.
  while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80) cut.pop_back();
  if (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0x80)) cut.pop_back();
  return text::printable_utf8(cut) + "... (" + std::to_string(total) + " bytes in all)";
}

}  // namespace homeboy
