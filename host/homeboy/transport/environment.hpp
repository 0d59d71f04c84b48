#pragma once
// The environment variable that changes how long a transport waits for a provider. It is
// checked before any storage command starts (providers/registry.hpp, check_environment), so a
// value homeboy does not take stops the command at once rather than failing every operation.

#include <chrono>
#include <optional>

namespace homeboy {

// HOMEBOY_STORAGE_TIMEOUT_SECS: seconds above 0 and at most a day; nothing when unset.
// Throws config.invalid_environment naming the variable and the values it takes.
std::optional<std::chrono::milliseconds> storage_timeout_override();

}  // namespace homeboy
