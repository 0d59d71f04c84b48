#pragma once
// A module's manifest, `<id>/<id>.json`: what it is and how the host runs it.

#include "homeboy/contract/contract.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace homeboy {

// How a native library runs: inside homeboy's process (fast), or inside a helper process
// speaking the persistent framing, so a crash or a hang cannot take homeboy down.
enum class Isolation { in_process, process };

struct Runtime {
  std::optional<std::string> library;     // relative to the module folder
  std::optional<std::string> executable;  // split into argv, never given to a shell
  bool supports_batch = false;
  bool persistent = false;
  // One process serving every homeboy command of the user, over a Unix socket, until it
  // has been idle this long (docs/module-authoring.md, "Daemons").
  bool daemon = false;
  std::chrono::milliseconds idle{std::chrono::seconds(300)};
  Isolation isolation = Isolation::in_process;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  std::vector<std::string> env;           // names of host variables the module also gets ("PG*": a prefix)
};

// What an acknowledged change survives (docs/storage-contract.md, "Durability"): a power
// loss or an operating system crash (it is on stable storage before the answer), or only a
// crash of homeboy or of the provider's process.
enum class Durability { power_loss, process_crash };
std::string_view to_string(Durability d) noexcept;  // "power_loss", "process_crash"

struct StorageProvider {
  std::string storage_type;
  boost::json::object config;
  // What the executable offers beyond the core contract ("versions", "binary",
  // "atomic_batch", "transactions"); a native library declares its own through the ABI.
  contract::Capabilities capabilities;
  // Keys of `config` whose whole value is a secret ("secrets"), never shown (secrets.hpp).
  std::vector<std::string> secrets;
  // "storage_provider.durability": what the provider promises; nothing when it does not say.
  std::optional<Durability> durability;
  // "storage_provider.config.durability": "process_crash" when the user chose speed instead.
  std::optional<Durability> durability_chosen;
  // "raw_content" among the capabilities: as a persistent module, it takes a write's content
  // and gives a read's as bytes after their lines (contract::raw). A daemon offers it in its hello.
  bool raw_content = false;
};

struct Manifest {
  std::string name;
  std::string version;
  Runtime runtime;
  std::optional<StorageProvider> storage_provider;
  bool overrides_builtin = false;  // may replace the shipped builtin-filesystem
};

// Throws config.invalid_manifest naming `file` and the problem.
Manifest parse_manifest(std::string_view text, const std::filesystem::path& file);
Manifest load_manifest(const std::filesystem::path& file);

// Whether a manifest that failed to parse may still be meant as a storage provider: true
// unless it is a JSON object without a "storage_provider" key.
bool may_declare_storage_provider(std::string_view text);

// Splits a manifest's `executable` into argv: whitespace separates words, single and
// double quotes group, a backslash escapes the next character. No expansion of any kind.
// Throws std::invalid_argument on an unterminated quote or an empty command.
std::vector<std::string> split_command(std::string_view command);

}  // namespace homeboy
