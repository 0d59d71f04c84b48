#include "cli/app.hpp"

#include "cli/output.hpp"
#include "homeboy/interrupt.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace fs = std::filesystem;

namespace homeboy::cli {

namespace {

constexpr std::string_view version_text = "homeboy 0.1.0 (storage contract 1, plugin ABI 1)";

// Each group by name, built only when asked for: a command needs its own group alone.
constexpr std::array<std::pair<std::string_view, Group (*)()>, 5> group_makers{{
    {"storage", storage_group},
    {"module", module_group},
    {"project", project_group},
    {"server", server_group},
    {"component", component_group},
}};

std::vector<Group> all_groups() {
  std::vector<Group> groups;
  for (const auto& [name, make] : group_makers) groups.push_back(make());
  return groups;
}

po::options_description global_options() {
  po::options_description desc("Global options");
  desc.add_options()
      ("config-dir", po::value<std::string>()->value_name("DIR"),
       "homeboy's config folder (default: $HOMEBOY_CONFIG_DIR, $XDG_CONFIG_HOME/homeboy, ~/.config/homeboy)")
      ("quiet,q", "no warnings on stderr (also HOMEBOY_QUIET=1)")
      ("help,h", "show this help")
      ("version", "print the version");
  return desc;
}

void print_top_help(std::ostream& out) {
  out << "Usage: homeboy [--config-dir DIR] <group> <command> [args]\n\n"
         "Every command prints a JSON envelope: {\"success\": true, \"data\": ...} or\n"
         "{\"success\": false, \"error\": ...}. Exit codes: 0 success, 1 provider or internal\n"
         "failure, 2 invalid input or config, 4 not found, 129/130/143 interrupted by\n"
         "SIGHUP/SIGINT/SIGTERM.\n\nGroups:\n";
  for (const auto& g : all_groups()) out << "  " << g.name << std::string(12 - g.name.size(), ' ') << g.summary << '\n';
  out << '\n' << global_options() << "\nRun `homeboy <group> --help` for a group's commands.\n";
}

void print_group_help(std::ostream& out, const Group& group) {
  out << "Usage: homeboy " << group.name << " <command> [args]\n\n" << group.summary << "\n\nCommands:\n";
  for (const auto& c : group.commands)
    out << "  " << c.name << std::string(c.name.size() < 12 ? 12 - c.name.size() : 1, ' ') << c.summary << '\n';
  out << "\nRun `homeboy " << group.name << " <command> --help` for a command's options.\n";
}

Error unknown(const std::string& what, const std::string& name, const std::vector<std::string>& known) {
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  return Error("cli.unknown_command", "unknown " + what + " '" + name + "'", ExitCode::invalid,
               {{"name", name}}, {"Known: " + list + ". Run `homeboy --help`."});
}

struct SplitArgs {
  std::vector<std::string> global;
  std::optional<std::string> group, command;
  std::vector<std::string> rest;
};

// stdin through poll(2) with the interrupt pipe: Ctrl-C ends a wait for input at once.
std::string read_stdin() {
  std::string data;
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) data.reserve(static_cast<std::size_t>(st.st_size));
  char buffer[65536];
  for (;;) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {interrupt_fd(), POLLIN, 0}};
    if (::poll(fds, fds[1].fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
      throw errors::internal(std::string("cannot wait for standard input: ") + std::strerror(errno));
    throw_if_interrupted();
    ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n == 0) return data;
    if (n > 0) {
      data.append(buffer, static_cast<std::size_t>(n));
    } else if (errno != EINTR && errno != EAGAIN) {
      throw errors::invalid_argument(std::string("cannot read standard input: ") + std::strerror(errno));
    }
  }
}

SplitArgs split(int argc, char** argv) {
  SplitArgs s;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--config-dir") {
      s.global.emplace_back(a);
      if (i + 1 < argc) s.global.emplace_back(argv[++i]);
      continue;
    }
    if (a.size() > 1 && a.front() == '-') {
      s.global.emplace_back(a);
      continue;
    }
    break;
  }
  if (i < argc) s.group = argv[i++];
  if (i < argc && std::string_view(argv[i]) != "--help" && std::string_view(argv[i]) != "-h") s.command = argv[i++];
  for (; i < argc; ++i) s.rest.emplace_back(argv[i]);
  return s;
}

}  // namespace

Context::Context(fs::path config_dir, std::ostream& out, bool raw_output, bool quiet)
    : config_dir_(std::move(config_dir)), out_(out), raw_output_(raw_output), quiet_(quiet) {}

void Context::warn(const std::string& message) const {
  if (!quiet_) std::cerr << "homeboy: warning: " << message << '\n';
}

const Catalog& Context::catalog() {
  if (!registry_) {
    registry_.emplace(discover(module_search_path(config_dir_)), config_dir_);
    for (const auto& w : registry_->catalog().warnings) warn(w);
  }
  return registry_->catalog();
}

Storage& Context::storage() {
  catalog();
  if (auto* active = registry_->active()) return *active;
  auto preference = transport_preference_from_env();
  Storage& storage = registry_->activate(preference, isolation_preference_from_env());
  if (const auto& reason = storage.provider().fallback_reason; reason && preference == TransportPreference::automatic)
    warn("module '" + storage.provider().module_id + "' runs its executable, not its native library (" + *reason + ")");
  return storage;
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

int run(int argc, char** argv, std::ostream& out, std::ostream& err) {
  // SIGINT, SIGTERM and SIGHUP: the module's tree is killed, scratch folders are removed on
  // the way out, and the run ends with `cli.interrupted` and 128 + the signal's number.
  install_interrupt_handlers([](int signal) { return render(interrupted_error(signal)); });
  bool raw = false;
  // Every outcome goes through here, with the signals held so the text comes out whole; a
  // signal that came first wins over whatever the command returned or threw.
  auto report = [&](const Error& error) {
    hold_interrupts();
    const Error& shown = interrupting_signal() ? interrupted_error(interrupting_signal()) : error;
    (raw ? err : out) << render(shown);
    (raw ? err : out).flush();
    return static_cast<int>(shown.exit_code());
  };
  try {
    SplitArgs args = split(argc, argv);
    po::variables_map globals;
    try {
      po::store(po::command_line_parser(args.global).options(global_options()).run(), globals);
    } catch (const po::error& e) {
      throw errors::invalid_argument(std::string(e.what()));
    }
    if (globals.count("version")) {
      out << version_text << '\n';
      return 0;
    }
    if (!args.group) {
      if (globals.count("help")) {
        print_top_help(out);
        return 0;
      }
      throw Error("cli.missing_command", "no command given", ExitCode::invalid, {},
                  {"Run `homeboy --help` to see the groups and commands."});
    }
    std::optional<Group> found;
    std::vector<std::string> names;
    for (const auto& [name, make] : group_makers) {
      names.emplace_back(name);
      if (name == *args.group) found = make();
    }
    if (!found) throw unknown("group", *args.group, names);
    const Group* group = &*found;
    if (!args.command) {
      print_group_help(out, *group);
      return 0;
    }
    const Command* command = nullptr;
    names.clear();
    for (const auto& c : group->commands) {
      names.push_back(c.name);
      if (c.name == *args.command) command = &c;
    }
    if (!command) throw unknown(group->name + " command", *args.command, names);

    po::options_description desc("Options");
    po::positional_options_description positional;
    desc.add_options()("help,h", "show this help");
    if (command->declare) command->declare(desc, positional);
    po::variables_map vm;
    try {
      po::store(po::command_line_parser(args.rest).options(desc).positional(positional).run(), vm);
      if (vm.count("help")) {
        out << "Usage: homeboy " << group->name << ' ' << command->name << ' ' << command->usage << "\n\n"
            << command->summary << "\n\n" << desc;
        return 0;
      }
      po::notify(vm);
      raw = (vm.count("raw") && vm["raw"].as<bool>()) ||
            (command->text_output && !(vm.count("json") && vm["json"].as<bool>())) ||
            (command->raw_when && command->raw_when(vm));
      set_hard_exit_fd(raw ? STDERR_FILENO : STDOUT_FILENO);
    } catch (const po::error& e) {
      throw Error("cli.invalid_argument", "homeboy " + group->name + " " + command->name + ": " + e.what(),
                  ExitCode::invalid, {{"command", group->name + "." + command->name}},
                  {"Usage: homeboy " + group->name + " " + command->name + " " + command->usage});
    }

    std::optional<fs::path> config_flag;
    if (globals.count("config-dir")) config_flag = globals["config-dir"].as<std::string>();
    const char* quiet_env = std::getenv("HOMEBOY_QUIET");
    bool quiet = globals.count("quiet") || (quiet_env && *quiet_env && std::string_view(quiet_env) != "0");
    Context ctx(resolve_config_dir(config_flag), out, raw, quiet);
    Reply reply = command->run(ctx, vm);
    hold_interrupts();
    throw_if_interrupted();  // it came during a step that could not be cut short
    if (reply.failure())
      print(raw ? err : out, reply);
    else if (!raw)
      print(out, reply);
    out.flush();
    err.flush();
    return reply.exit_code();
  } catch (const Error& e) {
    return report(e);
  } catch (const std::exception& e) {
    return report(errors::internal(e.what()));
  }
}

}  // namespace homeboy::cli
