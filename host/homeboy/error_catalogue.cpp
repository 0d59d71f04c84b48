#include "homeboy/error_catalogue.hpp"

#include <array>

namespace homeboy {

namespace {

using enum Errc;
constexpr ExitCode failure = ExitCode::failure, invalid = ExitCode::invalid, not_found = ExitCode::not_found;
constexpr bool retryable = true;

constexpr std::array catalogue{
    ErrorInfo{cli_invalid_argument, "cli.invalid_argument", invalid,
              "an argument or option is missing, unknown, repeated or malformed (JSON input included)",
              "Run `homeboy help <group> <command>` for the command's usage."},
    ErrorInfo{cli_unknown_command, "cli.unknown_command", invalid, "no such group or command",
              "Run `homeboy help` to see the groups and commands."},
    ErrorInfo{cli_confirmation_required, "cli.confirmation_required", invalid,
              "the command removes something and needs --force to go ahead", "Run it again with --force."},
    ErrorInfo{cli_interrupted, "cli.interrupted", ExitCode::interrupted_int,
              "SIGINT, SIGTERM or SIGHUP stopped the command; the exit code is 128 + the signal: 130, 143, 129", "",
              retryable},
    ErrorInfo{cli_output_failed, "cli.output_failed", failure,
              "stdout could not be written whole (a full disk, an I/O error): the answer is cut off; what the command "
              "did is done",
              ""},
    ErrorInfo{internal_error, "internal.error", failure, "a failure inside homeboy itself", ""},

    ErrorInfo{storage_not_found, "storage.not_found", not_found, "the path does not exist on the provider", ""},
    ErrorInfo{storage_invalid_path, "storage.invalid_path", invalid,
              "the path is empty, has a NUL byte, a '.' or '..' name, a reserved name or is too long", ""},
    ErrorInfo{storage_invalid_argument, "storage.invalid_argument", invalid,
              "the provider refused the operation as asked (reading a folder, deleting a folder without --recursive), or "
              "the host a check without a condition",
              ""},
    ErrorInfo{storage_too_large, "storage.too_large", invalid,
              "content, an answer or a batch above homeboy's limits (docs/storage-contract.md, Limits)", ""},
    ErrorInfo{storage_binary_unsupported, "storage.binary_unsupported", invalid,
              "content that is not UTF-8 for a provider without the \"binary\" capability; nothing was written", ""},
    ErrorInfo{storage_unsupported, "storage.unsupported", invalid,
              "the provider does not offer the operation or the condition asked for", ""},
    ErrorInfo{storage_conflict, "storage.conflict", failure,
              "an --if-version or --if-absent condition, or a check, did not hold; nothing changed", ""},
    ErrorInfo{storage_permission_denied, "storage.permission_denied", failure, "the provider was not allowed to do it",
              ""},
    ErrorInfo{storage_io_error, "storage.io_error", failure, "the provider failed for another reason", ""},
    ErrorInfo{storage_no_space, "storage.no_space", failure,
              "the storage is full (no space left on the file system or the database's disk, or a quota): nothing of "
              "the operation landed",
              "Free space where the provider keeps its data (`df -h` on that folder, or on the database server), then "
              "run the command again."},
    ErrorInfo{storage_unavailable, "storage.unavailable", failure,
              "the provider's backend cannot be reached (a database server is down, or only a read-only standby "
              "answers)",
              "", retryable},
    ErrorInfo{storage_invalid_config, "storage.invalid_config", invalid,
              "the provider's settings (storage_provider.config, or an environment variable it reads) are wrong; the "
              "message names the setting",
              "Fix the setting the message names, then check it with `homeboy storage status`."},
    ErrorInfo{storage_authentication_failed, "storage.authentication_failed", invalid,
              "the provider's backend refused the login (a wrong password or user)",
              "Check the password where the provider reads it (docs/backends/postgres.md: a password file or a "
              "service file)."},
    ErrorInfo{storage_aborted, "storage.aborted", failure,
              "not applied: another change of the same all-or-nothing batch failed", ""},
    ErrorInfo{storage_timeout, "storage.timeout", failure, "the provider did not answer within its timeout",
              "Raise runtime.timeout_secs in the module's manifest, or HOMEBOY_STORAGE_TIMEOUT_SECS for one run.",
              retryable},
    ErrorInfo{storage_not_run, "storage.not_run", failure,
              "an operation of a batch was not sent: the provider failed on an earlier part", "", retryable},
    ErrorInfo{storage_provider_failed, "storage.provider_failed", failure,
              "the module exited non-zero, was killed, or broke off its answer", "", retryable},
    ErrorInfo{storage_provider_crashed, "storage.provider_crashed", failure,
              "an isolated native plugin crashed (the signal is named)", ""},
    ErrorInfo{storage_provider_unavailable, "storage.provider_unavailable", failure,
              "the provider cannot be started or loaded", ""},
    ErrorInfo{storage_contract_violation, "storage.contract_violation", failure,
              "the provider's answer broke a rule of the storage contract (the rule is named)", ""},
    ErrorInfo{storage_untrusted_daemon, "storage.untrusted_daemon", failure,
              "a module daemon's socket is served by another user; nothing was sent", ""},
    ErrorInfo{storage_batch_failed, "storage.batch_failed", failure,
              "one or more operations of `storage batch` failed; each result is in details.results", ""},
    ErrorInfo{storage_config_protected, "storage.config_protected", invalid,
              "a raw `storage write|delete|ensure-dir|batch` would change projects, servers or components behind the "
              "config's rules; nothing was done",
              "Use the project, server or component command, or pass --force."},

    ErrorInfo{storage_same_provider, "storage.same_provider", invalid,
              "`storage migrate` to the provider the documents come from", ""},
    ErrorInfo{storage_document_conflict, "storage.document_conflict", invalid,
              "the target holds other content for documents being copied; nothing was written",
              "Pass --replace to overwrite them, or --skip-existing to keep the target's."},
    ErrorInfo{storage_migrate_incomplete, "storage.migrate_incomplete", failure,
              "documents could not be copied; nothing was pinned", ""},
    ErrorInfo{storage_import_incomplete, "storage.import_incomplete", failure, "documents could not be imported", ""},
    ErrorInfo{storage_export_failed, "storage.export_failed", failure,
              "documents could not be read, or the archive could not be written whole (to its file or to stdout)",
              ""},
    ErrorInfo{storage_extra_documents, "storage.extra_documents", invalid,
              "the target of `storage migrate` holds config documents the source does not; nothing was written",
              "Pass --prune to remove them (they are saved to an archive first)."},
    ErrorInfo{archive_invalid, "archive.invalid", invalid, "a line of the archive is not what the format says", ""},
    ErrorInfo{archive_truncated, "archive.truncated", invalid,
              "the archive is empty, cut off, or holds fewer documents than its header says", ""},
    ErrorInfo{archive_unsupported_version, "archive.unsupported_version", invalid,
              "the archive is of a format version this homeboy does not read", ""},
    ErrorInfo{archive_duplicate_path, "archive.duplicate_path", invalid, "two lines of the archive have the same path",
              ""},
    ErrorInfo{archive_unsafe_path, "archive.unsafe_path", invalid,
              "a path in the archive would leave the config tree or name homeboy's own files", ""},
    ErrorInfo{archive_invalid_config, "archive.invalid_config", invalid,
              "the archive's projects, servers or components break the config's rules (each problem is named by "
              "line); nothing was written",
              ""},

    ErrorInfo{config_no_config_dir, "config.no_config_dir", invalid,
              "homeboy cannot tell where its config lives (HOME is not set)",
              "Pass --config-dir DIR or set HOMEBOY_CONFIG_DIR."},
    ErrorInfo{config_unsafe_private_folder, "config.unsafe_private_folder", invalid,
              "a folder homeboy keeps private (the config folder, its run/ folder, the daemons' runtime folder) is "
              "not a folder of the user's, closed to others",
              ""},
    ErrorInfo{config_invalid_environment, "config.invalid_environment", invalid,
              "a HOMEBOY_* environment variable has a value homeboy does not take", ""},
    ErrorInfo{config_invalid_config, "config.invalid_config", invalid, "<config>/homeboy.json cannot be used", ""},
    ErrorInfo{config_write_failed, "config.write_failed", failure, "<config>/homeboy.json could not be written", ""},
    ErrorInfo{config_invalid_manifest, "config.invalid_manifest", invalid, "a module's manifest is broken", ""},
    ErrorInfo{config_untrusted_module, "config.untrusted_module", invalid,
              "a module fails the trust checks (docs/security.md)", ""},
    ErrorInfo{config_broken_provider, "config.broken_provider", invalid,
              "the provider to use, or one that may be it, is refused; homeboy does not pick another", ""},
    ErrorInfo{config_multiple_providers, "config.multiple_providers", invalid,
              "several storage providers are installed and none is picked in homeboy.json", ""},
    ErrorInfo{config_provider_would_hide_config, "config.provider_would_hide_config", invalid,
              "the one provider installed besides builtin-filesystem would hide the config documents "
              "builtin-filesystem holds; homeboy does not switch on its own",
              ""},
    ErrorInfo{config_unknown_provider, "config.unknown_provider", invalid,
              "homeboy.json picks a module that is not an installed storage provider",
              "Run `homeboy module list` to see the installed providers."},
    ErrorInfo{config_no_provider, "config.no_provider", invalid, "no storage provider is installed at all",
              "Reinstall homeboy, or set HOMEBOY_MODULE_PATH to a folder holding builtin-filesystem."},
    ErrorInfo{config_transport_unavailable, "config.transport_unavailable", invalid,
              "HOMEBOY_STORAGE_TRANSPORT asks for a way to run the provider that its manifest does not offer",
              "Unset HOMEBOY_STORAGE_TRANSPORT."},

    ErrorInfo{module_not_found, "module.not_found", not_found, "no module of that id is installed",
              "Run `homeboy module list` to see the installed modules."},
    ErrorInfo{module_not_a_provider, "module.not_a_provider", invalid,
              "the module is installed but is not a storage provider", ""},
    ErrorInfo{module_already_installed, "module.already_installed", invalid, "a module of that id is installed",
              "Install it under another id with --id NEW_ID, or remove the other one first."},
    ErrorInfo{module_not_removable, "module.not_removable", invalid,
              "the module was not installed by `homeboy module install` (a shipped module, or one on "
              "HOMEBOY_MODULE_PATH)",
              ""},
    ErrorInfo{module_holds_config, "module.holds_config", invalid,
              "uninstalling the provider in use would hide the config it holds", ""},
    ErrorInfo{module_conformance_failed, "module.conformance_failed", failure, "`module test` found cases that fail",
              ""},

    ErrorInfo{config_invalid_id, "config.invalid_id", invalid,
              "an id is empty, starts with '.', holds a slash, a backslash or a control character, or is too long", ""},
    ErrorInfo{config_invalid_document, "config.invalid_document", invalid,
              "a stored project, server or component is not a JSON object", "Fix or delete the file, then try again."},
    ErrorInfo{config_invalid_reference, "config.invalid_reference", invalid,
              "a project refers to a server or component that does not exist", ""},
    ErrorInfo{config_id_collision, "config.id_collision", invalid,
              "the id is used by another kind: ids are unique across projects, servers and components", ""},
    ErrorInfo{config_empty_patch, "config.empty_patch", invalid, "`set` was given an empty patch",
              "Pass a JSON object with the fields to change, e.g. '{\"name\": \"New name\"}'."},
    ErrorInfo{config_invalid_patch, "config.invalid_patch", invalid, "a patch tries to change \"id\"", ""},
    ErrorInfo{config_in_use, "config.in_use", invalid, "a server or component that a project refers to",
              "Remove the reference from those projects first (homeboy project set <id> ...)."},
    ErrorInfo{config_rename_failed, "config.rename_failed", failure,
              "a step of a rename failed; the message says whether everything was put back", ""},
    ErrorInfo{config_busy, "config.busy", failure,
              "other homeboy commands kept changing the same document; nothing was changed", "Run the command again.",
              retryable},
    ErrorInfo{config_lock_failed, "config.lock_failed", failure, "the config lock (<config>/.homeboy.lock) failed", ""},
    ErrorInfo{config_unhealthy, "config.unhealthy", invalid,
              "`homeboy doctor` found problems in the config; each is in details.problems with its fix", ""},
    ErrorInfo{project_not_found, "project.not_found", not_found, "no project of that id",
              "Run `homeboy project list` to see them all."},
    ErrorInfo{project_already_exists, "project.already_exists", invalid, "a project of that id exists",
              "Pass --skip-existing to leave existing ones alone, or use `set` to change it."},
    ErrorInfo{project_create_failed, "project.create_failed", invalid,
              "some projects of a `create` could not be created; each one's outcome is in details.items", ""},
    ErrorInfo{server_not_found, "server.not_found", not_found, "no server of that id",
              "Run `homeboy server list` to see them all."},
    ErrorInfo{server_already_exists, "server.already_exists", invalid, "a server of that id exists",
              "Pass --skip-existing to leave existing ones alone, or use `set` to change it."},
    ErrorInfo{server_create_failed, "server.create_failed", invalid,
              "some servers of a `create` could not be created; each one's outcome is in details.items", ""},
    ErrorInfo{component_not_found, "component.not_found", not_found, "no component of that id",
              "Run `homeboy component list` to see them all."},
    ErrorInfo{component_already_exists, "component.already_exists", invalid, "a component of that id exists",
              "Pass --skip-existing to leave existing ones alone, or use `set` to change it."},
    ErrorInfo{component_create_failed, "component.create_failed", invalid,
              "some components of a `create` could not be created; each one's outcome is in details.items", ""},
};

// Each entry sits at its enumerator's index, and every enumerator has one.
constexpr bool in_order() {
  for (std::size_t i = 0; i < catalogue.size(); ++i)
    if (static_cast<std::size_t>(catalogue[i].errc) != i) return false;
  return true;
}
static_assert(in_order(), "error_catalogue.cpp: the entries must follow the order of enum class Errc");
static_assert(catalogue.size() == static_cast<std::size_t>(component_create_failed) + 1,
              "error_catalogue.cpp: every Errc needs an entry");

}  // namespace

std::span<const ErrorInfo> error_catalogue() noexcept { return catalogue; }

const ErrorInfo& info(Errc errc) noexcept { return catalogue[static_cast<std::size_t>(errc)]; }

std::string_view to_string(Errc errc) noexcept { return info(errc).code; }

std::optional<Errc> parse_errc(std::string_view code) noexcept {
  for (const auto& entry : catalogue)
    if (entry.code == code) return entry.errc;
  return std::nullopt;
}

}  // namespace homeboy
