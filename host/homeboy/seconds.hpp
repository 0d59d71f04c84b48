#pragma once
// Seconds given by a person (a manifest, an environment variable) as whole milliseconds.

#include <chrono>

namespace homeboy {

// `secs` (above 0) rounded up to whole milliseconds: a duration above 0 never becomes 0 ms.
// Not std::ceil: that alone would make homeboy load libm on every start.
inline std::chrono::milliseconds milliseconds_up(double secs) {
  auto ms = static_cast<long long>(secs * 1000);
  if (static_cast<double>(ms) < secs * 1000) ++ms;
  return std::chrono::milliseconds(ms);
}

}  // namespace homeboy
