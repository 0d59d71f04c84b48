#pragma once
// The one rule for ids, of modules and of projects, servers and components alike: an id
// names a file or a folder (<config>/modules/<id>/, <config>/projects/<id>.json), so it must
// be one usable, visible name.

#include <optional>
#include <string>
#include <string_view>

namespace homeboy {

inline constexpr std::size_t max_id_bytes = 200;

// Why `id` cannot be an id ("it is empty", ...), or nothing when it can.
std::optional<std::string> id_problem(std::string_view id);

// Throws config.invalid_id: "'x' is not a valid <what> id: <problem>".
void check_id(std::string_view id, std::string_view what);

}  // namespace homeboy
