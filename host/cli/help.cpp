#include "cli/help.hpp"

#include "cli/app.hpp"
#include "homeboy/contract/contract.hpp"
#include "homeboy/error_catalogue.hpp"
#include "homeboy/transport/native_transport.hpp"
#include "homeboy/suggest.hpp"

#include <algorithm>
#include <ostream>
#include <sstream>

namespace homeboy::cli {

namespace {

constexpr std::size_t width = 100;

struct Variable {
  std::string_view name;
  std::string_view meaning;
};

// The environment homeboy reads (docs/cli.md, "Global options and environment").
constexpr Variable environment[] = {
    {"HOMEBOY_CONFIG_DIR", "homeboy's config folder, when --config-dir is not given"},
    {"XDG_CONFIG_HOME", "the config folder is $XDG_CONFIG_HOME/homeboy when neither of the above is set"},
    {"HOMEBOY_OUTPUT", "json (the default) or text: the output when -o is not given"},
    {"HOMEBOY_QUIET", "any value but empty or 0 has the effect of --quiet"},
    {"HOMEBOY_MODULE_PATH",
     "colon-separated folders searched for modules before <config>/modules and the modules shipped with homeboy"},
    {"HOMEBOY_STORAGE_TRANSPORT", "auto (default), native or subprocess: force how the provider is reached"},
    {"HOMEBOY_ISOLATION",
     "auto (default), process or in_process: run every native plugin in a helper process of this command's own, "
     "or inside homeboy (also one whose manifest asks for a daemon)"},
    {"HOMEBOY_PLUGIN_HOST", "a helper program for native plugins, instead of a copy of homeboy (isolated) or the homeboy-plugin-host next to homeboy (daemon)"},
    {"HOMEBOY_STORAGE_TIMEOUT_SECS", "overrides every module's runtime.timeout_secs for this run (seconds, above 0)"},
    {"XDG_RUNTIME_DIR", "where module daemons keep their sockets: $XDG_RUNTIME_DIR/homeboy/, else /tmp/homeboy-<uid>/"},
};

// `text` wrapped at `width`, starting at `column`; every line after the first indented by
// `indent` spaces. A newline in `text` starts a new paragraph.
std::string wrap(std::string_view text, std::size_t indent, std::size_t column) {
  std::string out;
  bool first = true;
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t end = text.find_first_of(" \n", start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(start, end - start);
    if (!first && !word.empty()) {
      if (column + 1 + word.size() > width) {
        out += '\n' + std::string(indent, ' ');
        column = indent;
      } else {
        out += ' ';
        ++column;
      }
    }
    out += word;
    column += word.size();
    first = word.empty() && first;
    if (end < text.size() && text[end] == '\n') {
      out += "\n\n" + std::string(indent, ' ');
      column = indent;
      first = true;
    }
    start = end + 1;
  }
  return out;
}

// "  name      text", the text wrapped and aligned.
void row(std::ostream& out, std::string_view name, std::string_view text, std::size_t name_width) {
  out << "  " << name;
  std::size_t column = 2 + name.size();
  if (name.size() + 2 > name_width) {
    out << '\n' << std::string(name_width + 2, ' ');
    column = name_width + 2;
  } else {
    out << std::string(name_width - name.size(), ' ');
    column = name_width + 2;
  }
  out << wrap(text, name_width + 2, column) << '\n';
}

std::string command_line(const GroupSpec* group, const CommandSpec& command) {
  std::string line = "homeboy ";
  if (group) line += group->name + " ";
  line += command.name;
  if (!command.usage.empty()) line += " " + command.usage;
  return line;
}

void option_rows(std::ostream& out, const std::vector<OptionSpec>& options, bool arguments) {
  for (const auto& o : options)
    if (o.argument == arguments && !o.hidden) row(out, o.shown(), o.help, 24);
}

bool has(const std::vector<OptionSpec>& options, bool arguments) {
  for (const auto& o : options)
    if (o.argument == arguments && !o.hidden) return true;
  return false;
}

// roff: a leading dot or quote starts a request, a backslash an escape, and '-' is a hyphen.
std::string roff(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
  }
  if (!out.empty() && (out.front() == '.' || out.front() == '\'')) out.insert(0, "\\&");
  return out;
}

void help_topic(Context& ctx, const po::variables_map& vm) {
  std::ostream& out = ctx.out();
  if (vm["man"].as<bool>())
    return print_man_page(out, vm.count("prefix") ? vm["prefix"].as<std::string>() : std::string(HOMEBOY_INSTALL_PREFIX));
  if (!vm.count("topic")) return print_overview(out);
  std::string topic = vm["topic"].as<std::string>();
  if (topic == "errors") return print_error_codes(out);
  if (topic == "environment") return print_environment(out);
  std::optional<std::string> command;
  if (vm.count("command")) command = vm["command"].as<std::string>();
  for (const auto& entry : group_index()) {
    if (entry.name != topic) continue;
    GroupSpec group = entry.make();
    if (!command) return print_group_help(out, group);
    if (const CommandSpec* c = group.find(*command); c && !c->hidden) return print_command_help(out, &group, *c);
    throw Error(Errc::cli_unknown_command, "no command '" + *command + "' in group '" + group.name + "'",
                {{"group", group.name}, {"name", *command}})
        .with_hint(did_you_mean(suggest(*command, group.command_names())))
        .with_hint("Run `homeboy help " + group.name + "` to see its commands.");
  }
  for (const auto& c : top_commands())
    if (c.name == topic && !c.hidden && !command) return print_command_help(out, nullptr, c);
  std::vector<std::string> topics{"errors", "environment"};
  for (const auto& entry : group_index()) topics.emplace_back(entry.name);
  for (const auto& c : top_commands())
    if (!c.hidden) topics.push_back(c.name);
  Error error(Errc::cli_unknown_command, "no help on '" + topic + "'", {{"name", topic}});
  if (auto guess = did_you_mean(suggest(topic, topics)); !guess.empty()) error.with_hint(guess);
  throw std::move(error).with_hint("Run `homeboy help` for the groups and commands.");
}

}  // namespace

std::string version_text() {
  return "homeboy " HOMEBOY_VERSION " (storage contract " + std::to_string(contract::version) + ", plugin ABI " +
         std::to_string(host_abi_version()) + ")";
}

void print_overview(std::ostream& out) {
  out << "homeboy automates work on your projects, servers and components, from a config it keeps\n"
         "through one storage contract: on files, in SQLite, in PostgreSQL, or in a module of your own.\n\n"
         "Usage: homeboy [options] <group> <command> [args]\n\nGroups:\n";
  for (const auto& group : all_groups()) row(out, group.name, group.summary, 12);
  out << "\nCommands:\n";
  for (const auto& c : top_commands())
    if (!c.hidden) row(out, c.name, c.summary, 12);
  out << "\nOptions, anywhere on the line:\n";
  option_rows(out, global_options(), false);
  out << "\nEvery command prints a JSON envelope on stdout ({\"success\": true, \"data\": ...}), or text for\n"
         "people with -o text. Exit codes: 0 success, 1 provider or internal failure, 2 invalid input or\n"
         "config, 4 not found, 129/130/143 interrupted by SIGHUP/SIGINT/SIGTERM.\n\n"
         "Run `homeboy help <group>` for a group's commands, `homeboy help errors` for every error code,\n"
         "`homeboy help environment` for the variables homeboy reads.\n";
}

void print_group_help(std::ostream& out, const GroupSpec& group) {
  out << "Usage: homeboy " << group.name << " <command> [args]\n\n" << wrap(group.summary, 0, 0) << '\n';
  if (!group.details.empty()) out << '\n' << wrap(group.details, 0, 0) << '\n';
  out << "\nCommands:\n";
  std::size_t name_width = 12;
  for (const auto& c : group.commands)
    if (!c.hidden) row(out, c.name, c.summary, name_width);
  out << "\nRun `homeboy help " << group.name << " <command>` for a command's arguments and options.\n";
}

void print_command_help(std::ostream& out, const GroupSpec* group, const CommandSpec& command) {
  out << "Usage: " << command_line(group, command) << "\n\n" << wrap(command.summary, 0, 0) << '\n';
  if (!command.details.empty()) out << '\n' << wrap(command.details, 0, 0) << '\n';
  if (has(command.options, true)) {
    out << "\nArguments:\n";
    option_rows(out, command.options, true);
  }
  if (has(command.options, false)) {
    out << "\nOptions:\n";
    option_rows(out, command.options, false);
  }
  out << "\nGlobal options:\n";
  option_rows(out, global_options(), false);
}

void print_error_codes(std::ostream& out) {
  out << "Every error homeboy reports has a code, and each code one exit code; R marks the retryable ones\n"
         "(the same command, run again, may succeed; the envelope says \"retryable\": true):\n\n";
  std::size_t widest = 0;
  for (const auto& e : error_catalogue()) widest = std::max(widest, e.code.size());
  for (const auto& e : error_catalogue()) {
    // code, exit, retryable and meaning in aligned columns
    std::string name = std::string(e.code) + std::string(widest - e.code.size() + 2, ' ') +
                       std::to_string(static_cast<int>(e.exit));
    if (e.errc == Errc::cli_interrupted) name += "+";
    name += std::string(widest + 6 - name.size(), ' ') + (e.retryable ? "R" : "");
    row(out, name, e.meaning, widest + 10);
  }
  out << "\ncli.interrupted ends with 128 + the signal's number: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP).\n";
}

void print_environment(std::ostream& out) {
  out << "homeboy reads these environment variables:\n\n";
  for (const auto& v : environment) row(out, v.name, v.meaning, 30);
  out << "\nA HOMEBOY_* variable with a value homeboy does not take stops every command with\n"
         "config.invalid_environment (exit 2).\n";
}

std::string error_codes_markdown() {
  std::ostringstream out;
  out << "| code | exit | retryable | when |\n|---|---|---|---|\n";
  for (const auto& e : error_catalogue()) {
    std::string exit = e.errc == Errc::cli_interrupted ? "130, 143, 129" : std::to_string(static_cast<int>(e.exit));
    std::string meaning(e.meaning);
    // '|' would end the cell, '<config>' would be read as an HTML tag
    for (std::size_t at = 0; (at = meaning.find_first_of("|<", at)) != std::string::npos; at += 2)
      meaning.insert(at, 1, '\\');
    out << "| `" << e.code << "` | " << exit << " | " << (e.retryable ? "yes" : "no") << " | " << meaning << " |\n";
  }
  return out.str();
}

void print_man_page(std::ostream& out, const std::string& prefix) {
  out << ".TH HOMEBOY 1 \"\" \"" << roff(version_text()) << "\" \"User Commands\"\n"
      << ".SH NAME\nhomeboy \\- automation from a config of projects, servers and components, kept through one "
         "storage contract\n"
      << ".SH SYNOPSIS\n.B homeboy\n[\\fIoptions\\fR] \\fIgroup\\fR \\fIcommand\\fR [\\fIargs\\fR]\n"
      << ".SH DESCRIPTION\nEverything homeboy keeps goes through one storage contract, served by exactly one "
         "active provider: a native plugin or a subprocess module in any language. Every command prints a JSON "
         "envelope on stdout, or text for people with \\fB\\-o text\\fR.\n"
      << ".SH OPTIONS\nThese options may be given anywhere on the line.\n";
  for (const auto& o : global_options()) out << ".TP\n.B " << roff(o.shown()) << '\n' << roff(o.help) << '\n';
  auto command_section = [&](const GroupSpec* group, const CommandSpec& c) {
    out << ".TP\n.B " << roff(command_line(group, c)) << '\n' << roff(c.summary) << '\n';
    if (!c.details.empty()) out << ".IP\n" << roff(c.details) << '\n';
    for (const auto& o : c.options)
      if (!o.hidden) out << ".RS\n.TP\n.B " << roff(o.shown()) << '\n' << roff(o.help) << "\n.RE\n";
  };
  out << ".SH COMMANDS\n";
  for (const auto& group : all_groups()) {
    out << ".SS " << roff(group.name) << "\n" << roff(group.summary) << '\n';
    for (const auto& c : group.commands)
      if (!c.hidden) command_section(&group, c);
  }
  out << ".SS other commands\n";
  for (const auto& c : top_commands())
    if (!c.hidden) command_section(nullptr, c);
  out << ".SH ENVIRONMENT\n";
  for (const auto& v : environment) out << ".TP\n.B " << roff(v.name) << '\n' << roff(v.meaning) << '\n';
  out << ".SH EXIT STATUS\n0 success, 1 provider or internal failure, 2 invalid input or configuration, 4 not "
         "found, 128 + the signal's number when interrupted (130, 143, 129). Each error code has one exit "
         "status:\n";
  for (const auto& e : error_catalogue())
    out << ".TP\n.B " << roff(e.code) << " (" << static_cast<int>(e.exit)
        << (e.errc == Errc::cli_interrupted ? "+" : "") << (e.retryable ? ", retryable" : "") << ")\n"
        << roff(e.meaning) << '\n';
  // A few commands a new user types first, each with what it is for.
  static constexpr std::pair<std::string_view, std::string_view> examples[] = {
      {"homeboy storage status", "which provider keeps the config, and how"},
      {"homeboy server create web --json '{\"host\": \"web1.example.com\"}'", ""},
      {"homeboy project create site --json '{\"server_id\": \"web\"}'", ""},
      {"homeboy server set web host=web2.example.com port=2222", "fields as key=value"},
      {"homeboy -o text project list", "text for people"},
      {"homeboy server rename web web-1 --dry-run", "what would change"},
      {"homeboy doctor", "the provider and the config's rules, checked"},
      {"homeboy module install sqlite-storage", "a provider that ships with homeboy"},
      {"homeboy storage migrate --to sqlite-storage", "move the config there"},
      {"homeboy storage export backup.jsonl", "the config as a portable archive"},
      {"homeboy module new my-store --lang python", "start a provider of your own"},
  };
  out << ".SH EXAMPLES\n.nf\n";
  for (const auto& [command, why] : examples) {
    std::string line(command);
    if (!why.empty()) line += std::string(line.size() < 48 ? 48 - line.size() : 2, ' ') + "# " + std::string(why);
    out << roff(line) << '\n';
  }
  out << ".fi\n";
  std::string share = roff(prefix + "/share");
  out << ".SH FILES\n"
      << ".TP\n.I ~/.config/homeboy/\nthe config folder (or $HOMEBOY_CONFIG_DIR, $XDG_CONFIG_HOME/homeboy, "
         "\\-\\-config\\-dir): homeboy.json (which provider), modules/ (installed modules), projects/, servers/ and "
         "components/ (on the filesystem providers), .backups/ (what storage migrate \\-\\-prune removed), "
         ".homeboy.lock\n"
      << ".TP\n.I $XDG_RUNTIME_DIR/homeboy/\nthe sockets, logs and state of module daemons (/tmp/homeboy\\-UID/ "
         "without XDG_RUNTIME_DIR)\n"
      << ".TP\n.I " << share << "/homeboy/modules/\nthe modules that ship with homeboy, builtin\\-filesystem "
         "among them; homeboy module list \\-\\-available\n"
      << ".TP\n.I " << share << "/homeboy/kit/\nthe authoring kit: example modules and plugins\n"
      << ".TP\n.I " << share << "/doc/homeboy/\nREADME.md and docs/, the documentation\n"
      << ".SH SEE ALSO\n"
      << "homeboy help [GROUP [COMMAND] | errors | environment]; "
      << share << "/doc/homeboy/docs/cli.md (every command), config.md (projects, servers, components and their "
                  "rules), storage\\-contract.md, module\\-authoring.md, plugin\\-authoring.md, security.md, "
                  "backends/postgres.md\n";
}

CommandSpec help_command() {
  CommandSpec spec{
      "help",
      "Show help on a group, a command, the error codes or the environment.",
      "[GROUP [COMMAND] | errors | environment] [--man]",
      {argument("topic", "GROUP", "a group, a command outside the groups, errors or environment").optional(),
       argument("command", "COMMAND", "a command of that group").optional(),
       flag("man", "print the man page (roff) instead"),
       [] {
         // The build writes the man page of the prefix it installs into.
         OptionSpec prefix = option("prefix", "DIR", "the install prefix whose files the man page names");
         prefix.hidden = true;
         return prefix;
       }()},
      [](Context& ctx, const po::variables_map& vm) {
        help_topic(ctx, vm);
        return boost::json::object{};
      }};
  spec.default_output = OutputMode::text;
  spec.raw_when = [](const po::variables_map&, OutputMode) { return true; };
  return spec;
}

CommandSpec version_command() {
  CommandSpec spec{"version",
                   "Print homeboy's version, and the storage contract and plugin ABI it speaks.",
                   "",
                   {},
                   [](Context& ctx, const po::variables_map&) {
                     if (ctx.raw_output()) {
                       ctx.out() << version_text() << '\n';
                       return boost::json::object{};
                     }
                     return boost::json::object{{"command", "version"},
                                                {"version", HOMEBOY_VERSION},
                                                {"contract_version", contract::version},
                                                {"plugin_abi_version", host_abi_version()}};
                   }};
  spec.default_output = OutputMode::text;
  spec.raw_when = [](const po::variables_map&, OutputMode mode) { return mode == OutputMode::text; };
  return spec;
}

}  // namespace homeboy::cli
