#pragma once
// Shell completion. `homeboy completion bash|zsh|fish` prints a small script for the shell;
// the script asks homeboy itself what fits where the cursor is (`homeboy __complete WORDS`),
// and homeboy answers from the same command tables its parser reads, plus what is installed
// (module ids) and stored (project, server and component ids). So completion cannot drift
// from the commands, and knows what only homeboy can know.

#include "cli/command_table.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace homeboy::cli {

// The word that makes homeboy answer the shell instead of running a command.
inline constexpr std::string_view completer_word = "__complete";

CommandSpec completion_command();

// `words`: the words after `homeboy` up to and including the one being completed (maybe
// empty). Prints a first line saying what the shell should do (`words`: offer the lines
// that follow; `files` or `folders`: complete file or folder names itself), then one
// candidate per line, "candidate<TAB>description". Never fails: what cannot be known (a
// provider that does not open, say) is simply not offered.
void complete(const std::vector<std::string>& words, std::ostream& out);

}  // namespace homeboy::cli
