#pragma once
// Progress for long commands: one line on stderr rewritten in place, at most ten times a
// second, and only when stderr is a terminal (and not --quiet), so scripts and logs get the
// envelope alone. On a terminal without cursor control (TERM=dumb or unset): plain lines,
// no escape codes, at most one every two seconds.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace homeboy::cli {

// Batches of fewer operations finish too soon for progress to be worth a line.
inline constexpr std::size_t progress_from_operations = 1000;

class TerminalProgress {
 public:
  TerminalProgress(std::string command, bool quiet);
  ~TerminalProgress();  // clears the line
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;

  // "homeboy: <command>: <phase> <done>/<total>" (just <done> when the total is 0). Does
  // nothing when stderr is not a terminal.
  void show(std::string_view phase, std::size_t done, std::size_t total);

  // show() as a callback, or an empty function when stderr is not a terminal.
  std::function<void(std::string_view, std::size_t, std::size_t)> callback();

 private:
  std::string command_;
  bool on_;
  bool plain_;
  bool shown_ = false;
  std::string phase_;
  std::size_t last_done_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace homeboy::cli
