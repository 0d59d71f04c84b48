#include "homeboy/error.hpp"

#include "homeboy/text.hpp"

namespace homeboy {

Error::Error(Errc errc, std::string message, boost::json::object details, std::vector<std::string> hints)
    : std::runtime_error(message),
      errc_(errc),
      exit_code_(info(errc).exit),
      details_(std::move(details)),
      hints_(std::move(hints)) {
  if (hints_.empty() && !info(errc).hint.empty()) {
    hints_.emplace_back(info(errc).hint);
    default_hint_ = true;
  }
}

Error& Error::with_hint(std::string hint) & {
  if (hint.empty()) return *this;  // (a "did you mean" with nothing to suggest)
  if (default_hint_) hints_.clear();
  default_hint_ = false;
  hints_.push_back(std::move(hint));
  return *this;
}

Error&& Error::with_hint(std::string hint) && { return std::move(with_hint(std::move(hint))); }

Error&& Error::with_exit_code(ExitCode exit_code) && {
  exit_code_ = exit_code;
  return std::move(*this);
}

namespace errors {

Error invalid_argument(std::string message, boost::json::object details) {
  return Error(Errc::cli_invalid_argument, std::move(message), std::move(details));
}

Error internal(std::string message) { return Error(Errc::internal_error, std::move(message)); }

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
