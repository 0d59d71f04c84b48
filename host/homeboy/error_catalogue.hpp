#pragma once
// Every error code homeboy reports, declared once: its stable name, the exit code it ends a
// command with, what it means, and the hint shown when the place that raises it gives none
// of its own. `homeboy help errors` prints this table, the man page carries it, and a test
// holds docs/cli.md's table of codes to it.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace homeboy {

// Process exit codes. Values are part of the CLI contract.
enum class ExitCode : int {
  success = 0,
  failure = 1,  // internal or provider failure
  invalid = 2,  // validation or configuration error
  not_found = 4,
  interrupted_hup = 129,  // 128 + the signal's number (homeboy/transport/interrupt.hpp)
  interrupted_int = 130,
  interrupted_term = 143,
};

// One enumerator per code, in the catalogue's order (error_catalogue.cpp checks it at
// compile time).
enum class Errc : std::uint8_t {
  // The command line.
  cli_invalid_argument,
  cli_unknown_command,
  cli_confirmation_required,
  cli_interrupted,
  cli_output_failed,
  internal_error,
  // The storage facade and the providers.
  storage_not_found,
  storage_invalid_path,
  storage_invalid_argument,
  storage_too_large,
  storage_binary_unsupported,
  storage_unsupported,
  storage_conflict,
  storage_permission_denied,
  storage_io_error,
  storage_no_space,
  storage_unavailable,
  storage_invalid_config,
  storage_authentication_failed,
  storage_aborted,
  storage_timeout,
  storage_not_run,
  storage_provider_failed,
  storage_provider_crashed,
  storage_provider_unavailable,
  storage_contract_violation,
  storage_untrusted_daemon,
  storage_batch_failed,
  storage_config_protected,
  // Moving the config.
  storage_same_provider,
  storage_document_conflict,
  storage_migrate_incomplete,
  storage_import_incomplete,
  storage_export_failed,
  storage_extra_documents,
  archive_invalid,
  archive_truncated,
  archive_unsupported_version,
  archive_duplicate_path,
  archive_unsafe_path,
  archive_invalid_config,
  // Configuration: the config folder, the environment, modules and the provider choice.
  config_no_config_dir,
  config_unsafe_private_folder,
  config_invalid_environment,
  config_invalid_config,
  config_write_failed,
  config_invalid_manifest,
  config_untrusted_module,
  config_broken_provider,
  config_multiple_providers,
  config_provider_would_hide_config,
  config_unknown_provider,
  config_no_provider,
  config_transport_unavailable,
  // Modules.
  module_not_found,
  module_not_a_provider,
  module_already_installed,
  module_not_removable,
  module_holds_config,
  module_conformance_failed,
  // Projects, servers and components.
  config_invalid_id,
  config_invalid_document,
  config_invalid_reference,
  config_id_collision,
  config_empty_patch,
  config_invalid_patch,
  config_in_use,
  config_rename_failed,
  config_busy,
  config_lock_failed,
  config_unhealthy,
  project_not_found,
  project_already_exists,
  project_create_failed,
  server_not_found,
  server_already_exists,
  server_create_failed,
  component_not_found,
  component_already_exists,
  component_create_failed,  // the last: error_catalogue.cpp counts up to it
};

struct ErrorInfo {
  Errc errc;
  std::string_view code;     // "storage.not_found"
  ExitCode exit;             // cli.interrupted: 128 + the signal (130 for SIGINT)
  std::string_view meaning;  // when it happens, in a sentence
  std::string_view hint;     // shown when the error carries no hint of its own; may be empty
  // Running the same command again, unchanged, may succeed once a passing condition is over
  // (a server back up, another command done); every error envelope says it ("retryable").
  bool retryable = false;
};

// The whole catalogue, in declaration order.
std::span<const ErrorInfo> error_catalogue() noexcept;
const ErrorInfo& info(Errc errc) noexcept;
std::string_view to_string(Errc errc) noexcept;                  // its code
std::optional<Errc> parse_errc(std::string_view code) noexcept;  // from its code

}  // namespace homeboy
