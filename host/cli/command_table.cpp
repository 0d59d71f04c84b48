#include "cli/command_table.hpp"

#include "cli/completion.hpp"
#include "cli/help.hpp"

#include <algorithm>

namespace homeboy::cli {

std::string OptionSpec::shown() const {
  // <path> for a name, SPEC or - as they are.
  if (argument)
    return value_name == "-" || value_name.find_first_of("abcdefghijklmnopqrstuvwxyz") == std::string::npos
               ? value_name
               : "<" + value_name + ">";
  std::string text = short_name ? std::string("-") + short_name + ", --" + name : "--" + name;
  return takes_value() ? text + " " + value_name : text;
}

OptionSpec&& OptionSpec::also(char s) && {
  short_name = s;
  return std::move(*this);
}

OptionSpec&& OptionSpec::optional() && {
  required = false;
  return std::move(*this);
}

OptionSpec&& OptionSpec::needed() && {
  required = true;
  return std::move(*this);
}

OptionSpec&& OptionSpec::repeat() && {
  repeatable = true;
  return std::move(*this);
}

OptionSpec&& OptionSpec::completing(Completion what) && {
  completes = what;
  return std::move(*this);
}

OptionSpec&& OptionSpec::one_of(std::vector<std::string> values) && {
  completes = Completion::choice;
  choices = std::move(values);
  return std::move(*this);
}

OptionSpec argument(std::string name, std::string value_name, std::string help) {
  OptionSpec spec{std::move(name), std::move(value_name), std::move(help)};
  spec.argument = true;
  spec.required = true;
  return spec;
}

OptionSpec option(std::string name, std::string value_name, std::string help) {
  return OptionSpec{std::move(name), std::move(value_name), std::move(help)};
}

OptionSpec flag(std::string name, std::string help) { return OptionSpec{std::move(name), {}, std::move(help)}; }

const OptionSpec* CommandSpec::find(std::string_view wanted) const noexcept {
  for (const auto& o : options)
    if (o.name == wanted) return &o;
  return nullptr;
}

const OptionSpec* CommandSpec::find_short(char wanted) const noexcept {
  for (const auto& o : options)
    if (!o.argument && o.short_name == wanted) return &o;
  return nullptr;
}

const CommandSpec* GroupSpec::find(std::string_view wanted) const noexcept {
  for (const auto& c : commands)
    if (c.name == wanted) return &c;
  return nullptr;
}

std::vector<std::string> GroupSpec::command_names() const {
  std::vector<std::string> names;
  for (const auto& c : commands)
    if (!c.hidden) names.push_back(c.name);
  return names;
}

const std::vector<GroupEntry>& group_index() {
  static const std::vector<GroupEntry> index{
      {"storage", storage_group}, {"module", module_group},       {"project", project_group},
      {"server", server_group},   {"component", component_group},
  };
  return index;
}

std::vector<GroupSpec> all_groups() {
  std::vector<GroupSpec> groups;
  for (const auto& entry : group_index()) groups.push_back(entry.make());
  return groups;
}

const std::vector<OptionSpec>& global_options() {
  static const std::vector<OptionSpec> options{
      option("config-dir", "DIR",
             "homeboy's config folder (default: $HOMEBOY_CONFIG_DIR, $XDG_CONFIG_HOME/homeboy, ~/.config/homeboy)")
          .completing(Completion::folder),
      option("output", "FORMAT", "json (the default) or text, for people (also HOMEBOY_OUTPUT)")
          .also('o')
          .one_of({"json", "text"}),
      flag("compact", "JSON on one line instead of pretty-printed"),
      flag("quiet", "no warnings and no progress on stderr (also HOMEBOY_QUIET=1)").also('q'),
      flag("verbose", "on stderr: the provider and transport that serve the command, and each request's time")
          .also('v'),
      flag("help", "show help for the group or command before it").also('h'),
      flag("version", "print homeboy's version").also('V'),
  };
  return options;
}

const std::vector<CommandSpec>& top_commands() {
  static const std::vector<CommandSpec> commands{
      help_command(),
      version_command(),
      completion_command(),
      doctor_command(),
  };
  return commands;
}

}  // namespace homeboy::cli
