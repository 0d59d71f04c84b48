#pragma once
// Native plugins: a shared object loaded with Boost.DLL and called through the C ABI in
// plugin-api/include/homeboy/storage_plugin.h. Answers become the same response model
// as a subprocess module's and pass the same validator.

#include "homeboy/modules/discovery.hpp"
#include "homeboy/transport/transport.hpp"

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace homeboy {

// Why a library could not be used. `kind` is stable: library_missing, not_a_library,
// entry_symbol_missing, no_common_abi, creation_failed; or invalid_config, when create()
// refused the provider config (HOMEBOY_ERR_INVALID_CONFIG) with the plugin's own message,
// which names the setting first ("conninfo.port: ...").
class NativeLoadError : public std::runtime_error {
 public:
  NativeLoadError(std::string kind, const std::string& message) : std::runtime_error(message), kind_(std::move(kind)) {}
  const std::string& kind() const noexcept { return kind_; }

 private:
  std::string kind_;
};

// Loads the module's runtime.library and creates an instance. Throws NativeLoadError.
std::unique_ptr<Transport> open_native(const Module& module, const std::filesystem::path& config_dir);

// The highest plugin ABI version this host speaks.
std::uint32_t host_abi_version() noexcept;

}  // namespace homeboy
