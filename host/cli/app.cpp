#include "cli/app.hpp"

#include "cli/arguments.hpp"
#include "cli/completion.hpp"
#include "cli/help.hpp"
#include "cli/output.hpp"
#include "cli/text_output.hpp"
#include "homeboy/config/config_store.hpp"
#include "homeboy/modules/secrets.hpp"
#include "homeboy/platform.hpp"
#include "homeboy/transport/environment.hpp"
#include "homeboy/transport/fd.hpp"
#include "homeboy/transport/interrupt.hpp"
#include "homeboy/transport/io.hpp"
#include "homeboy/suggest.hpp"
#include "homeboy/text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;

namespace homeboy::cli {

namespace {

// stdin, waited for with the interrupt pipe (io::wait): Ctrl-C ends a wait for input at once.
// The wait is on a descriptor of homeboy's own where the system gives one: waiting makes a
// descriptor non-blocking, and stdin's open file description is the terminal's or the
// pipeline's, shared with the shell and other programs, for as long as homeboy waits (or for
// good, should homeboy be stopped or killed meanwhile).
std::string read_stdin() {
  std::string data;
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) data.reserve(static_cast<std::size_t>(st.st_size));
  Fd own(platform::reopen_for_waiting(STDIN_FILENO));
  int waited = own ? own.get() : STDIN_FILENO;  // a socket: io::wait gives its mode back
  char buffer[65536];
  for (;;) {
    io::wait(waited, io::Want::read, io::Clock::time_point::max(), io::Interruptible::yes);
    ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n == 0) return data;
    if (n > 0) {
      data.append(buffer, static_cast<std::size_t>(n));
    } else if (errno != EINTR && errno != EAGAIN) {
      throw errors::invalid_argument(std::string("cannot read standard input: ") + std::strerror(errno));
    }
  }
}

bool env_set(const char* name) {
  const char* value = std::getenv(name);
  return value && *value && std::string_view(value) != "0";
}

// How outcomes are shown. Known in part before the line is read (errors in the line itself
// are shown as -o and HOMEBOY_OUTPUT ask, as far as they can be told), wholly after.
struct Presentation {
  OutputMode output = OutputMode::json;
  bool output_given = false;  // by -o or HOMEBOY_OUTPUT
  bool compact = false;
  bool raw = false;  // the command writes to stdout itself: errors go to stderr

  std::string render(const Error& error) const {
    if (output != OutputMode::text) return cli::render(error, compact);
    std::ostringstream text;
    print_text_error(text, error);
    return text.str();
  }
};

std::optional<OutputMode> output_from_env() {
  const char* value = std::getenv("HOMEBOY_OUTPUT");
  if (!value || !*value) return std::nullopt;
  if (auto mode = parse_output_mode(value)) return mode;
  throw Error(Errc::config_invalid_environment, "HOMEBOY_OUTPUT must be json or text, not '" + std::string(value) + "'",
              {{"variable", "HOMEBOY_OUTPUT"}, {"value", value}}, {"Unset it, or set it to json or text."});
}

// A first look at -o and --compact, before the line is read properly: a mistake in the line
// is then reported the way the user asked for, when that can be told.
Presentation first_look(const std::vector<std::string>& args) {
  Presentation p;
  try {
    if (auto env = output_from_env()) p.output = *env, p.output_given = true;
  } catch (const Error&) {
    // Reported once the line is read.
  }
  for (std::size_t i = 0; i < args.size() && args[i] != "--"; ++i) {
    std::string_view a = args[i];
    std::optional<std::string_view> value;
    if (a == "--output" || a == "-o") {
      if (i + 1 < args.size()) value = args[i + 1];
    } else if (a.starts_with("--output=")) {
      value = a.substr(9);
    } else if (a.starts_with("-o") && a.size() > 2 && a[1] == 'o') {
      value = a.substr(2);
    }
    if (value)
      if (auto mode = parse_output_mode(*value)) p.output = *mode, p.output_given = true;
    if (a == "--compact") p.compact = true;
  }
  return p;
}

// Words people type for a command by another name: what they mean wins over what is spelt
// alike (`get` is `show`, not `set`).
std::optional<std::string> synonym(const std::string& typed, const std::vector<std::string>& known) {
  static const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> table{
      {"show", {"get", "view", "describe", "info", "display"}},
      {"read", {"cat", "get", "show"}},
      {"list", {"ls", "all", "index"}},
      {"delete", {"rm", "remove", "del", "destroy", "drop"}},
      {"rename", {"mv", "move"}},
      {"create", {"new", "add", "make", "mk"}},
      {"set", {"update", "edit", "modify", "change", "patch", "put"}},
      {"write", {"put", "save"}},
      {"ensure-dir", {"mkdir"}},
      {"uninstall", {"remove", "rm", "delete"}},
      {"status", {"info", "state"}},
  };
  for (const auto& [command, words] : table)
    if (std::find(words.begin(), words.end(), typed) != words.end() &&
        std::find(known.begin(), known.end(), command) != known.end())
      return std::string(command);
  return std::nullopt;
}

Error unknown_command(const std::string& name, const std::vector<std::string>& known, const std::string& where,
                      const std::string& help) {
  Error error(Errc::cli_unknown_command, "unknown " + where + " '" + name + "'", {{"name", name}});
  if (auto meant = synonym(name, known))
    error.with_hint(did_you_mean({*meant}));
  else if (auto guess = did_you_mean(suggest(name, known)); !guess.empty())
    error.with_hint(guess);
  return std::move(error).with_hint("Run `" + help + "` to see them.");
}

// stdout did not take the whole answer; `errc` says what was cut off.
Error output_failed(Errc errc, int error) {
  return Error(errc, std::string("cannot write to stdout: ") + std::strerror(error) + "; what reached it is cut off",
               {{"output", "stdout"}, {"reason", std::strerror(error)}});
}

std::vector<std::string>& remembered_secrets() {
  static std::vector<std::string> values;
  return values;
}

std::string without_secrets(std::string text) { return secrets::scrub(std::move(text), remembered_secrets()); }

boost::json::value without_secrets(const boost::json::value& v) {
  if (v.is_string()) return boost::json::value(without_secrets(std::string(v.get_string())));
  if (v.is_array()) {
    boost::json::array out;
    for (const auto& item : v.get_array()) out.push_back(without_secrets(item));
    return out;
  }
  if (v.is_object()) {
    boost::json::object out;
    for (const auto& kv : v.get_object()) out[kv.key()] = without_secrets(kv.value());
    return out;
  }
  return v;
}

}  // namespace

void remember_secrets(const Module& module) {
  if (!module.manifest.storage_provider) return;
  auto& known = remembered_secrets();
  for (auto& value : secrets::secret_values(*module.manifest.storage_provider))
    if (std::find(known.begin(), known.end(), value) == known.end()) known.push_back(std::move(value));
}

Error without_secrets(const Error& error) {
  if (remembered_secrets().empty()) return error;
  std::vector<std::string> hints;
  for (const auto& h : error.hints()) hints.push_back(without_secrets(h));
  Error out(error.errc(), without_secrets(std::string(error.what())), without_secrets(boost::json::value(error.details())).as_object(),
            std::move(hints));
  return error.errc() == Errc::cli_interrupted ? std::move(out).with_exit_code(error.exit_code()) : out;
}

Context::Context(fs::path config_dir, std::ostream& out, OutputMode output, bool raw_output, bool quiet)
    : config_dir_(std::move(config_dir)), out_(out), output_(output), raw_output_(raw_output), quiet_(quiet) {}

void Context::warn(const std::string& message) const {
  if (!quiet_) std::cerr << "homeboy: warning: " << text::escape_controls(without_secrets(message)) << '\n';
}

const Catalog& Context::catalog() {
  if (!registry_) {
    registry_.emplace(discover(module_search_path(config_dir_)), config_dir_);
    for (const auto& m : registry_->catalog().modules) remember_secrets(m);
    for (const auto& w : registry_->catalog().warnings) warn(w);
  }
  return registry_->catalog();
}

const Registry& Context::registry() {
  catalog();
  return *registry_;
}

namespace {

std::string millis(std::chrono::nanoseconds took) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f ms", static_cast<double>(took.count()) / 1e6);
  return buffer;
}

// "write /a/b.json", or "batch of 3 (2 read, 1 write)".
std::string request_text(const contract::Event& event) {
  if (event.operation != contract::Operation::batch)
    return std::string(contract::to_string(event.operation)) + " " + text::printable_utf8(event.path);
  std::map<std::string_view, std::size_t> counts;
  for (const auto& op : event.operations) ++counts[contract::to_string(op.operation)];
  std::string kinds;
  for (const auto& [name, n] : counts) kinds += (kinds.empty() ? "" : ", ") + std::to_string(n) + " " + std::string(name);
  return "batch of " + std::to_string(event.operations.size()) + " (" + kinds + ")";
}

}  // namespace

Storage& Context::storage() {
  catalog();
  if (auto* active = registry_->active()) return *active;
  auto preference = transport_preference_from_env();
  auto start = std::chrono::steady_clock::now();
  Storage& storage = registry_->activate(preference, isolation_preference_from_env());
  if (const auto& reason = storage.provider().fallback_reason; reason && preference == TransportPreference::automatic)
    warn("module '" + storage.provider().module_id + "' runs its executable, not its native library (" + *reason + ")");
  if (verbose_) {
    const auto& p = storage.provider();
    trace("provider " + p.module_id + " (" + std::string(to_string(storage.transport_kind())) + ", selected by " +
          std::string(to_string(p.selected_by)) + ", " + p.manifest_path.string() + "), ready in " +
          millis(std::chrono::steady_clock::now() - start));
    storage.set_trace([this](const contract::Event& request, std::chrono::nanoseconds took) {
      ++requests_;
      in_provider_ += took;
      trace(request_text(request) + ": " + millis(took));
    });
  }
  return storage;
}

void Context::trace(const std::string& line) const {
  if (verbose_) std::cerr << "homeboy: verbose: " << text::escape_controls(line) << '\n';
}

void Context::trace_summary(const std::string& command) const {
  trace(command + ": " + millis(std::chrono::steady_clock::now() - started_) + " in all, " + millis(in_provider_) +
        " of it in " + std::to_string(requests_) + (requests_ == 1 ? " provider request" : " provider requests"));
}

std::string absolute_path(const std::string& path) {
  if (path.empty()) return path;  // the facade names the problem
  return fs::absolute(fs::path(path)).lexically_normal().string();
}

std::string read_input(const std::string& name) {
  if (name == "-") return read_stdin();
  auto unreadable = [&](int error) {
    return errors::invalid_argument("cannot read file '" + name + "': " + std::strerror(error), {{"file", name}});
  };
  // Read into one buffer of the file's size: a large input is held once, not copied.
  int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw unreadable(errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw unreadable(errno);
  std::string data(S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 0, '\0');
  std::size_t filled = 0;
  char more[65536];  // what comes past the size fstat gave (or from a pipe or device)
  for (;;) {
    bool full = filled == data.size();
    ssize_t n = full ? ::read(fd, more, sizeof more) : ::read(fd, data.data() + filled, data.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw unreadable(errno);
    if (n == 0) break;
    if (full) data.append(more, static_cast<std::size_t>(n));
    filled += static_cast<std::size_t>(n);
  }
  data.resize(filled);
  return data;
}

int run(int argc, char** argv, OutputStream& out, std::ostream& err) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Presentation shown = first_look(args);
  std::string invocation = "homeboy";  // as far as the line named a group and a command
  Errc output_failure = Errc::cli_output_failed;  // the command's, once the line names one
  // stdout could not take an envelope (a full disk): it then goes to stderr rather than nowhere.
  auto lost_on_stdout = [&] {
    out.flush();
    return !shown.raw && out.error() != 0 && out.error() != EPIPE;
  };
  // Every outcome goes through here, with the signals held so the text comes out whole; a
  // signal that came first wins over whatever the command returned or threw.
  auto report = [&](const Error& error) {
    hold_interrupts();
    Error e = without_secrets(interrupting_signal() ? interrupted_error(interrupting_signal()) : error);
    // The catalogue's hint for a mistake in the line names the command it was made in.
    if (e.errc() == Errc::cli_invalid_argument && invocation != "homeboy" && e.hints().size() == 1 &&
        e.hints().front() == info(Errc::cli_invalid_argument).hint)
      e.with_hint("Run `homeboy help" + invocation.substr(7) + "` for the command's usage.");
    if (shown.output == OutputMode::text) {
      // A command that failed with its own answer as the details (a batch with failures, a
      // migration that could not copy everything) shows that answer too.
      if (const auto* command = e.details().if_contains("command"); command && !shown.raw) print_text(out, e.details());
      out.flush();
      print_text_error(err, e);
    } else {
      print(shown.raw ? err : out, e, shown.compact);
      if (lost_on_stdout()) print(err, e, shown.compact);
    }
    out.flush();
    err.flush();
    return static_cast<int>(e.exit_code());
  };
  // An answer that did not reach stdout whole fails the run, whatever the command did: a
  // backup cut off by a full disk must not exit 0. A reader that went away (EPIPE, once
  // SIGPIPE is ignored, as it is after a module process ran) ends it quietly, as SIGPIPE
  // itself would have.
  auto finish = [&](int code) {
    out.flush();
    if (!out.error() || code != 0) return code;
    if (out.error() == EPIPE) return static_cast<int>(ExitCode::failure);
    return report(output_failed(output_failure, out.error()));
  };
  if (!args.empty() && args.front() == completer_word) {
    complete({args.begin() + 1, args.end()}, out);
    return finish(0);
  }
  try {
    std::vector<std::string> words = leading_words(args);
    // What the line names: nothing (the overview), a group, a group's command, or a command
    // outside the groups.
    std::optional<GroupSpec> group;
    const CommandSpec* command = nullptr;
    if (!words.empty()) {
      for (const auto& entry : group_index())
        if (entry.name == words[0]) group = entry.make();
      for (const auto& c : top_commands())
        if (!group && c.name == words[0]) command = &c;
      if (!group && !command) {
        std::vector<std::string> known;
        for (const auto& entry : group_index()) known.emplace_back(entry.name);
        for (const auto& c : top_commands()) known.push_back(c.name);
        throw unknown_command(words[0], known, "group or command", "homeboy help");
      }
      invocation += " " + words[0];
      if (group && words.size() > 1) {
        command = group->find(words[1]);
        if (!command || command->hidden)
          throw unknown_command(words[1], group->command_names(), group->name + " command",
                                "homeboy help " + group->name);
        invocation += " " + words[1];
      }
    }
    // A command that prints text by default (help, version, completion) reports a mistake in
    // its line as text too, unless -o or HOMEBOY_OUTPUT says otherwise.
    if (command && !shown.output_given) shown.output = command->default_output;
    // -h/--help and -V/--version as the line gives them: read properly where the line can
    // be (`--content -V` is a value, not the switch); looked for where it cannot, since
    // asked for, help wins over whatever else the line holds.
    ParsedLine line;
    try {
      line = parse_line(args, command, command ? (group ? 2 : 1) : words.size(), invocation);
    } catch (const Error&) {
      line.globals.help = asks_for(args, "help", 'h');
      line.globals.version = asks_for(args, "version", 'V');
      if (!line.globals.help && !line.globals.version) throw;
      if (shown.output_given) line.globals.output = shown.output;
    }
    bool help = line.globals.help;
    if (!help && line.globals.version) {
      // -V is the version command, with whatever -o the line gives.
      for (const auto& c : top_commands())
        if (c.name == "version") command = &c;
      group.reset();
      line.values.clear();
    }
    if (help || !command) {
      // Bare `homeboy` and `homeboy <group>` show their help too: there is nothing to run.
      if (command)
        print_command_help(out, group ? &*group : nullptr, *command);
      else if (group)
        print_group_help(out, *group);
      else
        print_overview(out);
      return finish(0);
    }

    output_failure = command->output_failure;
    std::optional<OutputMode> env_output = output_from_env();
    shown.output = line.globals.output.value_or(env_output.value_or(command->default_output));
    // `module test --json`, from before -o: a command's own --json switch asks for the envelope.
    if (const OptionSpec* json = command->find("json"); json && !json->takes_value() && line.values["json"].as<bool>())
      shown.output = OutputMode::json;
    shown.compact = line.globals.compact;
    shown.raw = command->raw_when && command->raw_when(line.values, shown.output);
    if (group) check_environment();
    // SIGINT, SIGTERM and SIGHUP: the module's tree is killed, scratch folders are removed on
    // the way out, and the run ends with `cli.interrupted` and 128 + the signal's number.
    install_interrupt_handlers([shown](int signal) { return shown.render(interrupted_error(signal)); });
    set_hard_exit_fd(shown.raw || shown.output == OutputMode::text ? STDERR_FILENO : out.fd());

    bool quiet = line.globals.quiet || env_set("HOMEBOY_QUIET");
    Context ctx(resolve_config_dir(line.globals.config_dir), out, shown.output, shown.raw, quiet);
    ctx.set_verbose(line.globals.verbose);
    // A config folder that is not the user's own (another user's, a link) is the same error
    // on every command, before anything reads what is in it.
    if (group) check_config_folders(ctx.config_dir(), false);
    // Every command that looks at the config folder closes it when it is open, also those
    // that only read: what is in it (a manifest with a password) is the user's alone.
    if (group || command->name == "doctor") close_config_dir(ctx.config_dir());
    struct Summary {  // said however the command ends
      const Context& ctx;
      std::string command;
      ~Summary() { ctx.trace_summary(command); }
    } summary{ctx, invocation};
    Reply reply = command->run(ctx, line.values);
    if (reply.failure()) reply.fail(without_secrets(*reply.failure()));
    hold_interrupts();
    throw_if_interrupted();  // it came during a step that could not be cut short
    if (shown.output == OutputMode::text) {
      // A command that failed with its own answer (a batch with failures) shows that answer too.
      if (!shown.raw) print_text(out, materialize(reply));
      out.flush();
      if (reply.failure()) print_text_error(err, *reply.failure());
    } else if (reply.failure()) {
      print(shown.raw ? err : out, reply, shown.compact);
      if (lost_on_stdout()) print(err, reply, shown.compact);
    } else if (!shown.raw) {
      print(out, reply, shown.compact);
    }
    err.flush();
    return finish(reply.exit_code());
  } catch (const Error& e) {
    return report(e);
  } catch (const std::exception& e) {
    return report(errors::internal(e.what()));
  }
}

}  // namespace homeboy::cli
