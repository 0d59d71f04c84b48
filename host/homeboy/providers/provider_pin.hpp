#pragma once
// Writes the `storage` key of <config>/homeboy.json, the file that picks the active provider
// (registry.hpp reads it). The file is replaced atomically (a temporary file in the same
// folder, flushed, then renamed over it), and every other key is kept as it was.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace homeboy {

struct PinChange {
  std::filesystem::path file;
  std::optional<std::string> before;  // the `storage` value before the change
  std::optional<std::string> after;   // and after it (nothing: the key is gone)
};

// Sets `storage` to `module_id`, or removes the key when it is nothing. Writes nothing when
// the value is already so. Throws config.invalid_config when the file is not a JSON object.
PinChange pin_provider(const std::filesystem::path& config_dir, const std::optional<std::string>& module_id);

// Replaces `file` with `text` atomically: a temporary file in the same folder, written,
// given `mode`, flushed to disk, then renamed over it. Throws config.write_failed.
void replace_file(const std::filesystem::path& file, const std::string& text, mode_t mode);

}  // namespace homeboy
