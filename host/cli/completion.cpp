#include "cli/completion.hpp"

#include "cli/app.hpp"
#include "homeboy/config/config_store.hpp"
#include "homeboy/providers/registry.hpp"

#include <algorithm>
#include <ostream>
#include <sstream>

namespace fs = std::filesystem;

namespace homeboy::cli {

namespace {

// The scripts only hand the words to `homeboy __complete` and act on its answer.
constexpr std::string_view bash_script = R"script(# homeboy completion for bash: eval "$(homeboy completion bash)"
_homeboy() {
  local IFS=$'\n' line word cur i
  local -a words=() answer=() candidates=()
  # bash cuts words at ':' (COMP_WORDBREAKS): an id holding one ("web:8080") is put back
  # together, and what is offered then drops the part bash keeps before the last ':'.
  for ((i = 1; i <= COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if ((${#words[@]})) && [[ $word == : || ${COMP_WORDS[i - 1]} == : ]]; then
      words[${#words[@]} - 1]+=$word
    else
      words+=("$word")
    fi
  done
  cur=${words[${#words[@]} - 1]}
  answer=($("${COMP_WORDS[0]}" __complete "${words[@]}" 2>/dev/null)) || return 0
  case ${answer[0]} in
    files) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    folders)  # folders, and any candidates after the directive
      compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      for line in "${answer[@]:1}"; do [[ ${line%%$'\t'*} == "$cur"* ]] && COMPREPLY+=("${line%%$'\t'*}"); done ;;
    *)
      for line in "${answer[@]:1}"; do candidates+=("${line%%$'\t'*}"); done
      COMPREPLY=("${candidates[@]}") ;;
  esac
  if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
    for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=${COMPREPLY[i]#"${cur%"${cur##*:}"}"}; done
  fi
}
complete -F _homeboy homeboy
)script";

constexpr std::string_view zsh_script = R"script(#compdef homeboy
# homeboy completion for zsh: eval "$(homeboy completion zsh)", or save it as _homeboy on $fpath
_homeboy() {
  local -a answer candidates
  local line
  answer=("${(@f)$(${words[1]} __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
  case ${answer[1]} in
    files) _files ;;
    folders)
      for line in "${(@)answer[2,-1]}"; do [[ -n $line ]] && candidates+=("${${line%%$'\t'*}//:/\\:}"); done
      (( ${#candidates} )) && _describe -t homeboy homeboy candidates
      _files -/ ;;
    *)
      for line in "${(@)answer[2,-1]}"; do
        [[ -n $line ]] || continue
        if [[ $line == *$'\t'* ]]; then
          candidates+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
        else
          candidates+=("${line//:/\\:}")
        fi
      done
      _describe -t homeboy homeboy candidates ;;
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _homeboy "$@"; else compdef _homeboy homeboy; fi
)script";

constexpr std::string_view fish_script = R"script(# homeboy completion for fish: homeboy completion fish | source
function __homeboy_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l answer ($words[1] __complete $words[2..-1] 2>/dev/null)
    switch "$answer[1]"
        case files
            __fish_complete_path (commandline -ct)
        case folders
            __fish_complete_directories (commandline -ct)
            printf '%s\n' $answer[2..-1]
        case '*'
            printf '%s\n' $answer[2..-1]
    end
end
complete -c homeboy -f -a '(__homeboy_complete)'
)script";

struct Candidate {
  std::string word;
  std::string description;
};

// What the words before the cursor say: the group and command, and what is expected next.
class Position {
 public:
  explicit Position(const std::vector<std::string>& before) {
    for (std::size_t i = 0; i < before.size(); ++i) {
      const std::string& w = before[i];
      if (w == "=" && last_option_ && last_option_->takes_value()) {
        expecting_ = last_option_;  // bash splits --output=text at the '='
        last_option_ = nullptr;
      } else if (expecting_) {
        if (expecting_->name == "config-dir") config_dir_ = w;
        expecting_ = nullptr;
      } else if (!options_ended_ && w == "--") {
        options_ended_ = true;
      } else if (!options_ended_ && w.size() > 1 && w.front() == '-') {
        option(w);
      } else {
        word(w);
      }
    }
  }

  const OptionSpec* expecting() const noexcept { return expecting_; }
  bool options_ended() const noexcept { return options_ended_; }
  const GroupSpec* group() const noexcept { return group_ ? &*group_ : nullptr; }
  const CommandSpec* command() const noexcept { return command_; }
  bool lost() const noexcept { return lost_; }
  const std::vector<std::string>& arguments() const noexcept { return arguments_; }
  fs::path config_dir() const { return resolve_config_dir(config_dir_); }

 private:
  // The option a word names (--name, or --name=value), for the command reached so far.
 public:
  const OptionSpec* find_long(std::string_view name) const {
    for (const auto& g : global_options())
      if (g.name == name) return &g;
    if (command_)
      if (const OptionSpec* o = command_->find(name); o && !o->argument) return o;
    return nullptr;
  }

 private:
  const OptionSpec* find_short(char c) const {
    for (const auto& g : global_options())
      if (g.short_name == c) return &g;
    return command_ ? command_->find_short(c) : nullptr;
  }

  void option(const std::string& w) {
    const OptionSpec* spec = nullptr;
    bool value_given = false;
    if (w.starts_with("--")) {
      auto eq = w.find('=');
      spec = find_long(std::string_view(w).substr(2, eq == std::string::npos ? std::string::npos : eq - 2));
      if (spec && eq != std::string::npos && spec->name == "config-dir") config_dir_ = w.substr(eq + 1);
      value_given = eq != std::string::npos;
    } else {
      for (std::size_t k = 1; k < w.size(); ++k) {
        spec = find_short(w[k]);
        if (spec && spec->takes_value()) {
          value_given = k + 1 < w.size();
          break;
        }
      }
    }
    last_option_ = spec;
    if (spec && spec->takes_value() && !value_given) expecting_ = spec;
  }

  void word(const std::string& w) {
    last_option_ = nullptr;
    if (lost_) return;
    if (!group_ && !command_) {
      for (const auto& entry : group_index())
        if (entry.name == w) {
          group_ = entry.make();
          return;
        }
      for (const auto& c : top_commands())
        if (c.name == w) {
          command_ = &c;
          return;
        }
      lost_ = true;
    } else if (group_ && !command_) {
      command_ = group_->find(w);
      lost_ = !command_;
    } else {
      arguments_.push_back(w);
    }
  }

  std::optional<GroupSpec> group_;
  const CommandSpec* command_ = nullptr;
  const OptionSpec* expecting_ = nullptr;
  const OptionSpec* last_option_ = nullptr;
  std::optional<fs::path> config_dir_;
  std::vector<std::string> arguments_;
  bool options_ended_ = false;
  bool lost_ = false;
};

std::vector<Candidate> module_ids(const fs::path& config_dir, bool providers_only) {
  std::vector<Candidate> out;
  Catalog catalog = discover(module_search_path(config_dir));
  for (const auto& m : catalog.modules)
    if (!providers_only || m.is_storage_provider()) out.push_back({m.id, m.manifest.name});
  for (const auto& r : catalog.refused)
    if (!providers_only || r.possible_provider) out.push_back({r.id, "refused: " + std::string(r.reason.code())});
  return out;
}

std::vector<Candidate> shipped_ids(const fs::path& config_dir) {
  std::vector<Candidate> out;
  Catalog installed = discover(module_search_path(config_dir));
  for (const auto& m : discover({available_modules_dir()}).modules)
    out.push_back({m.id, installed.find(m.id) ? m.manifest.name + " (installed)" : m.manifest.name + " (ships with homeboy)"});
  return out;
}

std::vector<Candidate> entity_ids(const fs::path& config_dir, std::string_view group) {
  std::vector<Candidate> out;
  for (EntityKind kind : all_kinds) {
    if (to_string(kind) != group) continue;
    Registry registry(discover(module_search_path(config_dir)), config_dir);
    Storage& storage = registry.activate(transport_preference_from_env(), isolation_preference_from_env());
    for (auto& id : ConfigStore(storage, config_dir).ids(kind)) out.push_back({std::move(id), std::string(group)});
  }
  return out;
}

// What fits as the value of `spec`; a directive instead of candidates for files and folders.
std::vector<Candidate> values(const OptionSpec& spec, const Position& at, std::string& directive) {
  std::vector<Candidate> out;
  switch (spec.completes) {
    case Completion::file: directive = "files"; break;
    case Completion::folder: directive = "folders"; break;
    case Completion::module:
    case Completion::provider: out = module_ids(at.config_dir(), spec.completes == Completion::provider); break;
    case Completion::installable:  // folders, and the shipped ids besides them
      directive = "folders";
      out = shipped_ids(at.config_dir());
      break;
    case Completion::testable:
      out = module_ids(at.config_dir(), false);
      for (auto& c : shipped_ids(at.config_dir()))
        if (std::none_of(out.begin(), out.end(), [&](const Candidate& o) { return o.word == c.word; }))
          out.push_back(std::move(c));
      break;
    case Completion::entity:
      if (at.group()) out = entity_ids(at.config_dir(), at.group()->name);
      break;
    case Completion::choice:
      for (const auto& c : spec.choices) out.push_back({c, {}});
      break;
    case Completion::nothing: break;
  }
  return out;
}

std::vector<Candidate> answer(const std::vector<std::string>& words, std::string& directive) {
  std::vector<std::string> before(words.begin(), words.end() - (words.empty() ? 0 : 1));
  std::string current = words.empty() ? std::string() : words.back();
  Position at(before);
  std::vector<Candidate> out;
  if (at.lost()) return out;
  if (const OptionSpec* expecting = at.expecting()) return values(*expecting, at, directive);
  if (auto eq = current.find('='); current.starts_with("--") && eq != std::string::npos) {
    // --name=value as one word (zsh, fish): the values, each with its option in front.
    const OptionSpec* spec = at.find_long(std::string_view(current).substr(2, eq - 2));
    if (!spec || !spec->takes_value()) return out;
    for (auto& c : values(*spec, at, directive)) out.push_back({current.substr(0, eq + 1) + c.word, c.description});
    return out;
  }
  if (!at.options_ended() && current.starts_with("-")) {
    if (at.command())
      for (const auto& o : at.command()->options)
        if (!o.argument && !o.hidden) out.push_back({"--" + o.name, o.help});
    for (const auto& g : global_options()) out.push_back({"--" + g.name, g.help});
    return out;
  }
  if (!at.group() && !at.command()) {
    for (const auto& g : all_groups()) out.push_back({g.name, g.summary});
    for (const auto& c : top_commands())
      if (!c.hidden) out.push_back({c.name, c.summary});
    return out;
  }
  if (at.group() && !at.command()) {
    for (const auto& c : at.group()->commands)
      if (!c.hidden) out.push_back({c.name, c.summary});
    return out;
  }
  const CommandSpec& command = *at.command();
  std::size_t index = at.arguments().size();
  if (!at.group() && command.name == "help") {
    if (index == 0) {
      for (const auto& g : all_groups()) out.push_back({g.name, g.summary});
      for (const auto& c : top_commands())
        if (!c.hidden) out.push_back({c.name, c.summary});
      out.push_back({"errors", "every error code and its exit code"});
      out.push_back({"environment", "the variables homeboy reads"});
    } else if (index == 1) {
      for (const auto& entry : group_index())
        if (entry.name == at.arguments()[0])
          for (const auto& c : entry.make().commands)
            if (!c.hidden) out.push_back({c.name, c.summary});
    }
    return out;
  }
  std::vector<const OptionSpec*> arguments;
  for (const auto& o : command.options)
    if (o.argument && !o.hidden) arguments.push_back(&o);
  if (!arguments.empty() && index >= arguments.size() && arguments.back()->repeatable) index = arguments.size() - 1;
  if (index < arguments.size()) return values(*arguments[index], at, directive);
  return out;
}

std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c == '\n' || c == '\t') c = ' ';
  return out;
}

}  // namespace

CommandSpec completion_command() {
  CommandSpec spec{
      "completion",
      "Print the shell completion script for bash, zsh or fish.",
      "SHELL",
      {argument("shell", "SHELL", "bash, zsh or fish").one_of({"bash", "zsh", "fish"})},
      [](Context& ctx, const po::variables_map& vm) {
        std::string shell = vm["shell"].as<std::string>();
        if (shell == "bash")
          ctx.out() << bash_script;
        else if (shell == "zsh")
          ctx.out() << zsh_script;
        else if (shell == "fish")
          ctx.out() << fish_script;
        else
          throw errors::invalid_argument("completion scripts are for bash, zsh or fish, not '" + shell + "'");
        return boost::json::object{};
      },
      "bash: eval \"$(homeboy completion bash)\" in ~/.bashrc. zsh: eval \"$(homeboy completion zsh)\" "
      "in ~/.zshrc (after compinit). fish: homeboy completion fish > "
      "~/.config/fish/completions/homeboy.fish."};
  spec.default_output = OutputMode::text;
  spec.raw_when = [](const po::variables_map&, OutputMode) { return true; };
  return spec;
}

void complete(const std::vector<std::string>& words, std::ostream& out) {
  std::string directive = "words";
  std::vector<Candidate> candidates;
  try {
    candidates = answer(words, directive);
  } catch (const std::exception&) {
    // Nothing to offer: a completion never prints an error into the user's line.
  }
  std::string current = words.empty() ? std::string() : words.back();
  out << directive << '\n';
  for (const auto& c : candidates)
    if (c.word.starts_with(current))
      out << one_line(c.word) << (c.description.empty() ? "" : "\t") << one_line(c.description) << '\n';
}

}  // namespace homeboy::cli
