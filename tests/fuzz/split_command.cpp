// Fuzz target: split_command, which turns a manifest's `executable` into argv.
//
// Invariants: it returns at least one word or throws std::invalid_argument; quoting each
// word again (single quotes, as a person would write it) and splitting gives the same
// words; with no quote or backslash in the input, it is a plain split at blanks.

#include "fuzz_support.hpp"

#include "homeboy/modules/manifest.hpp"

#include <stdexcept>
#include <string>
#include <vector>

using namespace homeboy;

namespace {

// 'word', with each ' written as '\'' (close, escaped quote, reopen).
std::string quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> plain_split(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto command = fuzz::as_text(data, size);
  std::vector<std::string> words;
  try {
    words = split_command(command);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  FUZZ_CHECK(!words.empty());

  std::string requoted;
  for (const auto& w : words) {
    if (!requoted.empty()) requoted += ' ';
    requoted += quoted(w);
  }
  std::vector<std::string> again;
  try {
    again = split_command(requoted);
  } catch (const std::invalid_argument&) {
    fuzz::invariant_broken("words quoted again split again", __FILE__, __LINE__, requoted);
  }
  FUZZ_CHECK_SAYING(again == words, requoted);

  if (command.find_first_of("'\"\\") == std::string_view::npos) FUZZ_CHECK(words == plain_split(command));
  return 0;
}
