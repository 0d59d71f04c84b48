#include "cli/arguments.hpp"

#include "homeboy/error.hpp"
#include "homeboy/suggest.hpp"

#include <boost/program_options.hpp>

namespace homeboy::cli {

namespace {

const OptionSpec* global_option(std::string_view name) {
  for (const auto& o : global_options())
    if (o.name == name) return &o;
  return nullptr;
}

const OptionSpec* global_short(char c) {
  for (const auto& o : global_options())
    if (o.short_name == c) return &o;
  return nullptr;
}

// Reads the command line once, left to right; everything it finds wrong is an error in
// homeboy's words.
class LineReader {
 public:
  LineReader(const std::vector<std::string>& args, const CommandSpec* command, std::size_t words_before,
             std::string invocation)
      : args_(args), command_(command), words_before_(words_before), invocation_(std::move(invocation)) {}

  ParsedLine read() {
    bool options_ended = false;
    for (i_ = 0; i_ < args_.size(); ++i_) {
      const std::string& a = args_[i_];
      if (options_ended || a == "-" || a.size() < 2 || a.front() != '-') {
        word(a);
      } else if (a == "--") {
        options_ended = true;
      } else if (a.starts_with("--")) {
        long_option(a);
      } else {
        short_options(a);
      }
    }
    ParsedLine parsed{globals_, {}};
    if (command_) store(parsed.values);
    return parsed;
  }

 private:
  [[noreturn]] void fail(std::string message, std::vector<std::string> hints = {}) const {
    if (command_) hints.push_back("Usage: " + invocation_ + (command_->usage.empty() ? "" : " " + command_->usage));
    hints.push_back("Run `homeboy help" + invocation_.substr(std::string_view("homeboy").size()) + "` for more.");
    Error error = errors::invalid_argument(std::move(message), {{"command", invocation_}});
    for (auto& h : hints) error.with_hint(std::move(h));
    throw error;
  }

  // The next word as the value of `option` (given as `shown`).
  std::string next_value(const OptionSpec& option, const std::string& shown) {
    if (i_ + 1 >= args_.size()) fail(shown + " needs a value (" + option.value_name + ")");
    return args_[++i_];
  }

  void global(const OptionSpec& option, std::optional<std::string> value, const std::string& shown) {
    if (option.takes_value() && !value) value = next_value(option, shown);
    if (!option.takes_value() && value) fail(shown + " takes no value");
    if (option.name == "config-dir") {
      if (value->empty()) fail("--config-dir needs a folder");
      globals_.config_dir = *value;
    } else if (option.name == "output") {
      globals_.output = parse_output_mode(*value);
      if (!globals_.output) {
        std::vector<std::string> hints;
        // -o was the archive's file before it was the output format.
        if (command_ && command_->name == "export") hints.push_back("To write an archive to a file: homeboy storage export FILE");
        fail(shown + " takes json or text, not '" + *value + "'", std::move(hints));
      }
    } else if (option.name == "compact") {
      globals_.compact = true;
    } else if (option.name == "quiet") {
      globals_.quiet = true;
    } else if (option.name == "verbose") {
      globals_.verbose = true;
    } else if (option.name == "help") {
      globals_.help = true;
    } else if (option.name == "version") {
      globals_.version = true;
    }
  }

  void own(const OptionSpec& option, std::optional<std::string> value, const std::string& shown) {
    if (option.takes_value() && !value) value = next_value(option, shown);
    if (!option.takes_value() && value) fail(shown + " takes no value");
    if (value && !option.repeatable && seen(option.name)) fail(shown + " is given more than once");
    if (!value && seen(option.name)) return;  // a switch given twice is still on
    given_.emplace_back(option.name, value);
  }

  void long_option(const std::string& a) {
    auto eq = a.find('=');
    std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    std::optional<std::string> value;
    if (eq != std::string::npos) value = a.substr(eq + 1);
    if (const OptionSpec* g = global_option(name)) return global(*g, std::move(value), "--" + name);
    if (command_)
      if (const OptionSpec* o = command_->find(name); o && !o->argument) return own(*o, std::move(value), "--" + name);
    unknown("--" + name);
  }

  void short_options(const std::string& a) {
    for (std::size_t k = 1; k < a.size(); ++k) {
      char c = a[k];
      std::string shown = std::string("-") + c;
      const OptionSpec* g = global_short(c);
      const OptionSpec* o = g ? nullptr : command_ ? command_->find_short(c) : nullptr;
      if (!g && !o) unknown(shown);
      const OptionSpec& spec = g ? *g : *o;
      std::optional<std::string> value;
      if (spec.takes_value() && k + 1 < a.size()) value = a.substr(k + 1);  // -otext
      g ? global(spec, std::move(value), shown) : own(spec, std::move(value), shown);
      if (spec.takes_value()) return;
    }
  }

  [[noreturn]] void unknown(const std::string& shown) const {
    std::vector<std::string> known;
    for (const auto& o : global_options()) known.push_back("--" + o.name);
    if (command_)
      for (const auto& o : command_->options)
        if (!o.argument && !o.hidden) known.push_back("--" + o.name);
    std::vector<std::string> hints;
    if (auto guess = did_you_mean(suggest(shown, known)); !guess.empty()) hints.push_back(guess);
    fail("unknown option " + shown + (command_ ? " for `" + invocation_ + "`" : ""), std::move(hints));
  }

  void word(const std::string& a) {
    if (words_seen_++ < words_before_) return;
    std::vector<const OptionSpec*> arguments;
    if (command_)
      for (const auto& o : command_->options)
        if (o.argument) arguments.push_back(&o);
    std::size_t index = positionals_++;
    if (!arguments.empty() && index >= arguments.size() && arguments.back()->repeatable) index = arguments.size() - 1;
    if (index >= arguments.size()) {
      std::string takes;
      for (const auto* o : arguments) {
        if (!takes.empty()) takes += ' ';
        takes += o->shown();
      }
      fail("unexpected argument '" + a + "': `" + invocation_ + "` takes " +
           (takes.empty() ? std::string("no arguments") : takes));
    }
    given_.emplace_back(arguments[index]->name, a);
  }

  bool seen(const std::string& name) const {
    for (const auto& [n, v] : given_)
      if (n == name) return true;
    return false;
  }

  // Program_options stores and types the values, handed over as they were read (no second
  // tokenizing: a value may be empty or start with '-'); every check that can fail was made
  // above.
  void store(po::variables_map& values) const {
    po::options_description description;
    for (const auto& o : command_->options) {
      if (!o.takes_value())
        description.add_options()(o.name.c_str(), po::bool_switch());
      else if (o.repeatable)
        description.add_options()(o.name.c_str(), po::value<std::vector<std::string>>()->composing());
      else
        description.add_options()(o.name.c_str(), po::value<std::string>());
    }
    po::parsed_options parsed(&description);
    for (const auto& [name, value] : given_) {
      po::option option;
      option.string_key = name;
      if (value) option.value.push_back(*value);
      option.original_tokens.push_back("--" + name);
      parsed.options.push_back(std::move(option));
    }
    try {
      po::store(parsed, values);
      po::notify(values);
    } catch (const po::error& e) {
      throw errors::internal("the command line was read but could not be stored: " + std::string(e.what()));
    }
    for (const auto& o : command_->options)
      if (o.required && !values.count(o.name))
        fail(o.argument ? "missing " + o.shown() + ": `" + invocation_ + "` needs it"
                        : "--" + o.name + " " + o.value_name + " is required");
  }

  const std::vector<std::string>& args_;
  const CommandSpec* command_;
  std::size_t words_before_;
  std::string invocation_;
  std::size_t i_ = 0;
  std::size_t words_seen_ = 0;
  std::size_t positionals_ = 0;
  Globals globals_;
  std::vector<std::pair<std::string, std::optional<std::string>>> given_;
};

}  // namespace

std::vector<std::string> leading_words(const std::vector<std::string>& args, std::size_t count) {
  std::vector<std::string> words;
  for (std::size_t i = 0; i < args.size() && words.size() < count; ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (a.size() > 1 && a.front() == '-') {
      // A global option with its value in the next word: skip that word too.
      if (a.starts_with("--")) {
        const OptionSpec* g = global_option(a.substr(2));
        if (g && g->takes_value()) ++i;
      } else if (const OptionSpec* g = global_short(a.back()); g && g->takes_value() && a.size() == 2) {
        ++i;
      }
      continue;
    }
    words.push_back(a);
  }
  return words;
}

bool asks_for(const std::vector<std::string>& args, std::string_view long_name, char short_name) {
  for (const auto& a : args) {
    if (a == "--") return false;
    if (a.size() > 2 && a.starts_with("--") && std::string_view(a).substr(2) == long_name) return true;
    // A cluster of short switches such as -qh; a short option's value (-ohelp) is not one.
    if (a.size() > 1 && a[0] == '-' && a[1] != '-') {
      for (std::size_t k = 1; k < a.size(); ++k) {
        if (a[k] == short_name) return true;
        if (const OptionSpec* g = global_short(a[k]); !g || g->takes_value()) break;
      }
    }
  }
  return false;
}

ParsedLine parse_line(const std::vector<std::string>& args, const CommandSpec* command, std::size_t words_before,
                      const std::string& invocation) {
  return LineReader(args, command, words_before, invocation).read();
}

std::optional<OutputMode> parse_output_mode(std::string_view name) noexcept {
  if (name == "json") return OutputMode::json;
  if (name == "text") return OutputMode::text;
  return std::nullopt;
}

}  // namespace homeboy::cli
