#pragma once
// Help for people, made from the command tables and the error catalogue: the overview, a
// group's commands, a command's arguments and options, the error codes, the environment,
// and the same as a man page (homeboy.1).

#include "cli/command_table.hpp"

#include <iosfwd>
#include <string>

namespace homeboy::cli {

std::string version_text();  // "homeboy 0.1.0 (storage contract 2, plugin ABI 2)"

void print_overview(std::ostream& out);
void print_group_help(std::ostream& out, const GroupSpec& group);
// `group` is null for a command outside the groups (help, version, completion).
void print_command_help(std::ostream& out, const GroupSpec* group, const CommandSpec& command);
void print_error_codes(std::ostream& out);
void print_environment(std::ostream& out);
// The man page, naming the files of an install under `prefix` (/usr, /usr/local).
void print_man_page(std::ostream& out, const std::string& prefix);

// The catalogue as the Markdown table docs/cli.md carries (tests hold the two together).
std::string error_codes_markdown();

CommandSpec help_command();
CommandSpec version_command();

}  // namespace homeboy::cli
