#pragma once
// The host's documented limits (docs/storage-contract.md, "Limits"). The host checks them
// itself, before or after a provider is involved, so every provider fails the same way.

#include <cstddef>

namespace homeboy::limits {

inline constexpr std::size_t content_bytes = std::size_t{256} << 20;   // one file's content
inline constexpr std::size_t answer_bytes = std::size_t{512} << 20;    // one subprocess answer on stdout
inline constexpr std::size_t path_bytes = 4095;                        // a whole path (PATH_MAX, less its NUL)
inline constexpr std::size_t path_component_bytes = 255;               // one name in a path
inline constexpr std::size_t batch_operations = 100000;                // operations in one batch request
inline constexpr std::size_t json_depth = 32;                          // nesting of any JSON the host parses
inline constexpr std::size_t manifest_bytes = std::size_t{16} << 20;   // a manifest file (config included)
inline constexpr std::size_t version_bytes = 256;                      // a version token

}  // namespace homeboy::limits
