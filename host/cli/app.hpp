#pragma once
// The `homeboy` command line: global options, groups, commands, and the run loop that
// turns every outcome into the JSON envelope and a documented exit code.

#include "cli/output.hpp"
#include "homeboy/registry.hpp"

#include <boost/json/object.hpp>
#include <boost/program_options.hpp>

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace homeboy::cli {

namespace po = boost::program_options;

// What a command needs from the run: the config dir, the modules, the one provider.
class Context {
 public:
  Context(std::filesystem::path config_dir, std::ostream& out, bool raw_output, bool quiet = false);

  const std::filesystem::path& config_dir() const noexcept { return config_dir_; }
  const Catalog& catalog();         // discovers on first use, warnings to stderr
  Storage& storage();               // activates the provider on first use; warns of a native fallback

  // "homeboy: warning: ..." on stderr, unless --quiet or HOMEBOY_QUIET=1.
  void warn(const std::string& message) const;
  bool quiet() const noexcept { return quiet_; }

  // `--raw`: the command writes bytes to out() and no envelope is printed.
  bool raw_output() const noexcept { return raw_output_; }
  std::ostream& out() noexcept { return out_; }

 private:
  std::filesystem::path config_dir_;
  std::optional<Registry> registry_;
  std::ostream& out_;
  bool raw_output_;
  bool quiet_;
};

struct Command {
  std::string name;
  std::string summary;
  std::string usage;                                   // e.g. "<path> [--raw]"
  std::function<void(po::options_description&, po::positional_options_description&)> declare;
  std::function<Reply(Context&, const po::variables_map&)> run;
  // Prints text for people unless --json is given (the envelope then goes to stderr on error).
  bool text_output = false;
  // When it answers true, the command writes bytes to out() itself (an archive on stdout) and
  // no envelope is printed, as with --raw.
  std::function<bool(const po::variables_map&)> raw_when = nullptr;
};

struct Group {
  std::string name;
  std::string summary;
  std::vector<Command> commands;
};

Group storage_group();
Group module_group();
Group project_group();
Group server_group();
Group component_group();

// `storage migrate|export|import`, part of the storage group.
std::vector<Command> migration_commands();

// A path from the command line, made absolute against the working directory.
std::string absolute_path(const std::string& path);

// Reads a whole file, or stdin when `name` is "-". Throws cli.invalid_argument naming it.
std::string read_input(const std::string& name);

int run(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace homeboy::cli
