#pragma once
// homeboy's own environment variables that change how storage runs, read in one place and
// checked before any command starts: a value homeboy does not take stops the command with
// config.invalid_environment at once, rather than making every operation fail later (or
// being ignored by the transports that do not read it).

#include <chrono>
#include <optional>

namespace homeboy {

// HOMEBOY_STORAGE_TRANSPORT, HOMEBOY_ISOLATION and HOMEBOY_STORAGE_TIMEOUT_SECS. Throws
// config.invalid_environment naming the variable and the values it takes.
void check_environment();

// HOMEBOY_STORAGE_TIMEOUT_SECS: seconds above 0 and at most a day; nothing when unset.
// Throws config.invalid_environment.
std::optional<std::chrono::milliseconds> storage_timeout_override();

}  // namespace homeboy
