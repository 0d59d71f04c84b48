#pragma once
// The `homeboy` command line: reads the line against the command tables, runs the command,
// and turns every outcome into the JSON envelope (or text, with -o text) and a documented
// exit code.

#include "cli/output.hpp"
#include "cli/output_stream.hpp"
#include "cli/command_table.hpp"
#include "homeboy/providers/registry.hpp"

#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

namespace homeboy::cli {

// What a command needs from the run: the config dir, the modules, the one provider, and how
// its answer is shown.
class Context {
 public:
  Context(std::filesystem::path config_dir, std::ostream& out, OutputMode output, bool raw_output, bool quiet);

  const std::filesystem::path& config_dir() const noexcept { return config_dir_; }
  const Catalog& catalog();         // discovers on first use, warnings to stderr
  const Registry& registry();       // the same, for opening a provider the command names
  Storage& storage();               // activates the provider on first use; warns of a native fallback

  // "homeboy: warning: ..." on stderr, unless --quiet or HOMEBOY_QUIET=1.
  void warn(const std::string& message) const;
  bool quiet() const noexcept { return quiet_; }

  // --verbose: the provider, its transport and each request to it, timed, on stderr; and at
  // the end, the whole command's time.
  void set_verbose(bool on) noexcept { verbose_ = on; }
  void trace(const std::string& line) const;
  // "<command>: 5.3 ms in all, 1.2 ms of it in 4 provider requests", when verbose.
  void trace_summary(const std::string& command) const;

  OutputMode output() const noexcept { return output_; }
  // The command writes to out() itself (a file's content, an archive, text as it goes) and
  // no envelope is printed.
  bool raw_output() const noexcept { return raw_output_; }
  std::ostream& out() noexcept { return out_; }

 private:
  std::filesystem::path config_dir_;
  std::optional<Registry> registry_;
  std::ostream& out_;
  OutputMode output_;
  bool raw_output_;
  bool quiet_;
  bool verbose_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::size_t requests_ = 0;
  std::chrono::nanoseconds in_provider_{0};
};

// A path from the command line, made absolute against the working directory.
std::string absolute_path(const std::string& path);

// Reads a whole file, or stdin when `name` is "-". Throws cli.invalid_argument naming it.
std::string read_input(const std::string& name);

// Runs the line and returns the exit code. An answer that does not reach `out` whole fails
// the run (exit 1, reported on `err`), whatever the command did.
int run(int argc, char** argv, OutputStream& out, std::ostream& err);

}  // namespace homeboy::cli
