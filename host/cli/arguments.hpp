#pragma once
// Reading the command line against the command tables: global options anywhere on it, the
// command's own arguments and options, and every mistake named in homeboy's words (never
// Boost.Program_options' own).

#include "cli/command_table.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace homeboy::cli {

// The global options (command_table.hpp, global_options()), wherever they were given.
struct Globals {
  std::optional<std::filesystem::path> config_dir;
  std::optional<OutputMode> output;
  bool compact = false;
  bool quiet = false;
  bool verbose = false;
  bool help = false;
  bool version = false;
};

// The first `count` words of the line that are neither options nor values of options: what
// to run ("storage", "read"). Before a command is known, only global options' values are
// known to follow their option.
std::vector<std::string> leading_words(const std::vector<std::string>& args, std::size_t count = 2);

// Whether --help or -h (or --version, -V) is anywhere before "--": it wins over any mistake
// in the rest of the line.
bool asks_for(const std::vector<std::string>& args, std::string_view long_name, char short_name);

struct ParsedLine {
  Globals globals;
  po::variables_map values;  // the command's own arguments and options
};

// Reads the whole line for `command`, whose name is `words_before` words in (1 for a
// top-level command, 2 for a group's). `command` may be null when the line names only a
// group (or nothing): then only global options may appear. Throws cli.invalid_argument,
// naming the mistake and the fix; `invocation` ("homeboy storage read") names the command.
ParsedLine parse_line(const std::vector<std::string>& args, const CommandSpec* command, std::size_t words_before,
                      const std::string& invocation);

// "json" or "text"; nothing for anything else.
std::optional<OutputMode> parse_output_mode(std::string_view name) noexcept;

}  // namespace homeboy::cli
