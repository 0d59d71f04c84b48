#pragma once
// The command tables: every group, command, argument and option of `homeboy`, declared
// once as data. The parser, the help, the shell completion and the man page are all made
// from them, so none of them can tell a different story.

#include "cli/output.hpp"

#include <boost/json/object.hpp>
#include <boost/program_options/variables_map.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace homeboy::cli {

namespace po = boost::program_options;

class Context;

// What a value is, for the shell to complete it.
// What an argument's value completes to. installable: folders and the ids of the modules shipped
// with homeboy; testable: installed and shipped ids.
enum class Completion { nothing, file, folder, module, provider, entity, choice, installable, testable };

// An argument (positional) or an option of a command.
struct OptionSpec {
  std::string name;        // --name; for an argument, its key in the variables map
  std::string value_name;  // "TEXT", "ID"; empty for a switch
  std::string help;
  char short_name = '\0';
  bool argument = false;  // given by position, shown as <value_name>
  bool required = false;
  bool repeatable = false;
  bool hidden = false;  // accepted, never shown (help, completion, man page)
  Completion completes = Completion::nothing;
  std::vector<std::string> choices{};  // Completion::choice

  bool takes_value() const noexcept { return !value_name.empty(); }
  std::string shown() const;  // "<PATH>", "--content TEXT", "-r, --recursive"

  OptionSpec&& also(char short_name) &&;
  OptionSpec&& optional() &&;
  OptionSpec&& needed() &&;  // an option that must be given
  OptionSpec&& repeat() &&;
  OptionSpec&& completing(Completion what) &&;
  OptionSpec&& one_of(std::vector<std::string> values) &&;
};

OptionSpec argument(std::string name, std::string value_name, std::string help);  // required; .optional()
OptionSpec option(std::string name, std::string value_name, std::string help);
OptionSpec flag(std::string name, std::string help);

enum class OutputMode { json, text };

// What a command returns: the `data` of its envelope (cli/output.hpp).
using CommandRun = std::function<Reply(Context&, const po::variables_map&)>;

struct CommandSpec {
  std::string name;
  std::string summary;  // one line, for lists
  std::string usage;    // the synopsis after "homeboy <group> <name> "
  std::vector<OptionSpec> options;
  CommandRun run;
  std::string details{};  // more for `help` and the man page; may be empty
  // The output when neither -o nor HOMEBOY_OUTPUT says: JSON, except for `module test`.
  OutputMode default_output = OutputMode::json;
  // When it answers true, the command writes bytes to out() itself (a file's content, an
  // archive) and no envelope is printed; errors then go to stderr.
  std::function<bool(const po::variables_map&, OutputMode)> raw_when = nullptr;
  // What an answer that could not be written to stdout whole is reported as (a full disk):
  // the command's own code where what it prints is its product (`storage export`'s archive).
  Errc output_failure = Errc::cli_output_failed;
  bool hidden = false;  // for the shell's use, not listed

  const OptionSpec* find(std::string_view name) const noexcept;
  const OptionSpec* find_short(char short_name) const noexcept;
};

struct GroupSpec {
  std::string name;
  std::string summary;
  std::vector<CommandSpec> commands;
  std::string details{};

  const CommandSpec* find(std::string_view name) const noexcept;
  std::vector<std::string> command_names() const;
};

// Groups by name, each built only when asked for: a command needs its own group alone.
struct GroupEntry {
  std::string_view name;
  GroupSpec (*make)();
};
const std::vector<GroupEntry>& group_index();
std::vector<GroupSpec> all_groups();

// The groups, each defined next to its commands.
GroupSpec storage_group();
GroupSpec module_group();
GroupSpec project_group();
GroupSpec server_group();
GroupSpec component_group();

// `storage migrate|export|import`, part of the storage group; `module daemons|stop`, part of
// the module group.
std::vector<CommandSpec> migration_commands();
std::vector<CommandSpec> daemon_commands();

// The options every command takes, anywhere on the line.
const std::vector<OptionSpec>& global_options();

// `homeboy doctor`: the provider and the config it holds, checked.
CommandSpec doctor_command();

// `homeboy module new`: a starter module or plugin from the authoring kit.
CommandSpec module_new_command();

// The commands outside the groups: help, version, completion, doctor.
const std::vector<CommandSpec>& top_commands();

}  // namespace homeboy::cli
