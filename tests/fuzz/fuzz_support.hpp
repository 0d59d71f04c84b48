#pragma once
// What every fuzz target shares: the libFuzzer entry point's declaration, and invariant
// checks that abort (so libFuzzer records the input) in every build type, NDEBUG or not.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace homeboy::fuzz {

[[noreturn]] inline void invariant_broken(const char* what, const char* file, int line, std::string_view detail) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  if (!detail.empty()) std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits `text` at the first `separator`: {before, after}, or nothing when it is absent.
struct Split {
  bool found = false;
  std::string_view first, second;
};
inline Split split_at(std::string_view text, std::string_view separator) {
  auto at = text.find(separator);
  if (at == std::string_view::npos) return {false, text, {}};
  return {true, text.substr(0, at), text.substr(at + separator.size())};
}

}  // namespace homeboy::fuzz

#define FUZZ_CHECK(condition) FUZZ_CHECK_SAYING(condition, "")
#define FUZZ_CHECK_SAYING(condition, detail)                                           \
  do {                                                                                 \
    if (!(condition)) ::homeboy::fuzz::invariant_broken(#condition, __FILE__, __LINE__, (detail)); \
  } while (0)
