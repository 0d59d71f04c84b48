#pragma once
// Which module files the host trusts enough to load or run, in the spirit of sshd's
// StrictModes: nobody but the user (or root) may be able to change what homeboy executes.
// docs/security.md lists every check; each refusal names the path and the command that fixes it.

#include "homeboy/error.hpp"
#include "homeboy/modules/manifest.hpp"

#include <sys/types.h>

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace homeboy::trust {

// What the rule looks at, as stat(2) reports it.
struct Facts {
  uid_t owner = 0;
  mode_t mode = 0;  // st_mode: file type and permission bits
};

// How much a path must be protected.
enum class Place {
  // Module folders, what they hold, and search-path folders: nobody but the user or root
  // may change them or add to them.
  exclusive,
  // A folder above those: writable by others only with the sticky bit (like /tmp), which
  // keeps them from renaming or removing what the user or root owns in it.
  ancestor,
};

enum class Kind {
  writable_by_others,  // group or others may write it
  foreign_owner,       // owned by someone other than the user or root
  outside_module,      // a library, executable, manifest or script that leaves the module folder
  not_a_system_path,   // an executable outside the module folder and outside system_bin_dirs
  shadows_builtin,     // a second builtin-filesystem without "overrides_builtin": true
  unreadable,          // cannot be inspected at all
  readable_by_others,  // a manifest holding a secret (secrets.hpp) that group or others may read
};

std::string_view to_string(Kind kind) noexcept;

struct Problem {
  Kind kind;
  std::filesystem::path path;
  std::string what;  // a sentence naming the path
  std::string fix;   // a shell command, or what to change
};

// The rule for one path: owned by `user` or root, and not writable by group or others
// (a sticky folder is fine when `place` is ancestor).
std::optional<Problem> judge(const std::filesystem::path& path, const Facts& facts, uid_t user, Place place);

// The folders a bare executable name is looked up in after the module folder, and the only
// folders an executable outside the module folder may come from (owned by root, with every
// folder above them, and not writable by others). The same list is the modules' PATH.
inline constexpr std::array<std::string_view, 3> system_bin_dirs{"/usr/local/bin", "/usr/bin", "/bin"};
inline constexpr std::string_view system_path = "/usr/local/bin:/usr/bin:/bin";

// A search-path folder: exclusive itself (others could add modules), its ancestors as such.
// `root` is its real path (real_path()).
std::vector<Problem> check_search_root(const std::filesystem::path& root, uid_t user);

// Everything the host would load or run from a module folder: the folder (and, when it is a
// link, the folders above its target), the manifest, runtime.library, the executable and
// the files its arguments name inside the folder. `checked_root` is the real path of the
// search-path folder `dir` was found in (one of its entries), whose chain was checked
// already; when the folder's real parent is another one (or `checked_root` is empty), the
// folders above it are checked too.
// `manifest` may be null when the manifest did not parse.
std::vector<Problem> check_module(const std::filesystem::path& dir, const std::filesystem::path& manifest_path,
                                  const Manifest* manifest, uid_t user,
                                  const std::filesystem::path& checked_root = {});

// runtime.library: inside the module folder and trusted. A missing library is no problem
// here (the native transport reports it and falls back).
std::vector<Problem> check_library(const std::filesystem::path& dir, std::string_view library, uid_t user);

// argv[0] of runtime.executable as the host runs it: a word with a slash is taken relative
// to the module folder unless absolute; a bare word is looked for in the module folder, then
// in system_bin_dirs (never on the caller's PATH). `path` is empty when nothing was found.
struct Located {
  std::optional<std::filesystem::path> path;
  std::vector<Problem> problems;
};
Located locate_executable(std::string_view word, const std::filesystem::path& dir, uid_t user);

// config.untrusted_module for `module_id`, listing every problem with its fix as a hint.
Error untrusted(std::string_view module_id, const std::filesystem::path& manifest_path,
                const std::vector<Problem>& problems);

// `path` quoted for a POSIX shell when it needs to be.
std::string shell_quote(std::string_view text);

// std::filesystem::canonical(path, ec), in three system calls whatever the path's depth:
// libstdc++ (like realpath(3)) asks readlink(2) about every folder on the way, and the
// trust checks resolve many paths on every command.
std::filesystem::path real_path(const std::filesystem::path& path, std::error_code& ec);

// real_path(dir_real / name) when `dir_real` is a real path already: a plain name (one
// component) that is not a link is its own real path, which one lstat(2) tells.
std::filesystem::path real_child(const std::filesystem::path& dir_real, const std::filesystem::path& name,
                                 std::error_code& ec);

}  // namespace homeboy::trust
