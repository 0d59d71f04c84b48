#include "cli/progress.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

namespace homeboy::cli {

namespace {

// A terminal that cannot move its cursor or clear a line (TERM=dumb, or no TERM at all, as
// in an editor's shell buffer) gets plain lines instead of one line redrawn in place.
bool plain_terminal() {
  const char* term = std::getenv("TERM");
  return !term || !*term || std::strcmp(term, "dumb") == 0;
}

}  // namespace

TerminalProgress::TerminalProgress(std::string command, bool quiet)
    : command_(std::move(command)), on_(!quiet && ::isatty(STDERR_FILENO) == 1), plain_(plain_terminal()) {}

TerminalProgress::~TerminalProgress() {
  if (shown_ && !plain_) std::cerr << "\r\033[K" << std::flush;
}

void TerminalProgress::show(std::string_view phase, std::size_t done, std::size_t total) {
  if (!on_) return;
  auto now = std::chrono::steady_clock::now();
  // Plain lines come less often, and always when a phase starts or ends.
  bool news = phase != phase_ || done == total;
  auto every = plain_ ? std::chrono::milliseconds(2000) : std::chrono::milliseconds(100);
  if (shown_ && !news && now - last_ < every) return;
  if (plain_ && shown_ && phase == phase_ && done == last_done_) return;
  last_ = now;
  shown_ = true;
  phase_ = phase;
  last_done_ = done;
  std::cerr << (plain_ ? "" : "\r") << "homeboy: " << command_ << ": " << phase << ' ' << done;
  if (total) std::cerr << '/' << total;
  std::cerr << (plain_ ? "\n" : "\033[K") << std::flush;
}

std::function<void(std::string_view, std::size_t, std::size_t)> TerminalProgress::callback() {
  if (!on_) return {};
  return [this](std::string_view phase, std::size_t done, std::size_t total) { show(phase, done, total); };
}

}  // namespace homeboy::cli
