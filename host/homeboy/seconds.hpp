#pragma once
// Seconds given by a person (a manifest, an environment variable) as whole milliseconds.

#include <chrono>
#include <string>

namespace homeboy {

// `secs` (above 0) rounded up to whole milliseconds: a duration above 0 never becomes 0 ms.
// Not std::ceil: that alone would make homeboy load libm on every start.
inline std::chrono::milliseconds milliseconds_up(double secs) {
  auto ms = static_cast<long long>(secs * 1000);
  if (static_cast<double>(ms) < secs * 1000) ++ms;
  return std::chrono::milliseconds(ms);
}

// A duration for a message: "30 s", "1.5 s", "0.25 s".
inline std::string seconds_text(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  std::string text = std::to_string(ms / 1000);
  if (auto fraction = ms % 1000) {
    std::string digits = std::to_string(1000 + (fraction < 0 ? -fraction : fraction)).substr(1);
    while (digits.back() == '0') digits.pop_back();
    text += "." + digits;
  }
  return text + " s";
}

}  // namespace homeboy
