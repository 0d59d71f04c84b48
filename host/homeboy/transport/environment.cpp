#include "homeboy/transport/environment.hpp"

#include "homeboy/error.hpp"
#include "homeboy/seconds.hpp"

#include <cmath>
#include <cstdlib>
#include <string>

namespace homeboy {

std::optional<std::chrono::milliseconds> storage_timeout_override() {
  const char* env = std::getenv("HOMEBOY_STORAGE_TIMEOUT_SECS");
  if (!env || !*env) return std::nullopt;
  char* end = nullptr;
  double secs = std::strtod(env, &end);
  if (end && *end == '\0' && secs > 0 && std::isfinite(secs) && secs <= 86400)
    return milliseconds_up(secs);
  throw Error(
      Errc::config_invalid_environment,
      "HOMEBOY_STORAGE_TIMEOUT_SECS must be a number of seconds above 0 and at most 86400, not '" + std::string(env) +
          "'",
      {{"variable", "HOMEBOY_STORAGE_TIMEOUT_SECS"}, {"value", env}},
      {"Unset it to use each module's runtime.timeout_secs, or give seconds: HOMEBOY_STORAGE_TIMEOUT_SECS=60."});
}

}  // namespace homeboy
