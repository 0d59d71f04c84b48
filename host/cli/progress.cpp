#include "cli/progress.hpp"

#include <unistd.h>

#include <iostream>

namespace homeboy::cli {

TerminalProgress::TerminalProgress(std::string command, bool quiet)
    : command_(std::move(command)), on_(!quiet && ::isatty(STDERR_FILENO) == 1) {}

TerminalProgress::~TerminalProgress() {
  if (shown_) std::cerr << "\r\033[K" << std::flush;
}

void TerminalProgress::show(std::string_view phase, std::size_t done, std::size_t total) {
  if (!on_) return;
  auto now = std::chrono::steady_clock::now();
  if (shown_ && done != total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  shown_ = true;
  std::cerr << "\rhomeboy: " << command_ << ": " << phase << ' ' << done;
  if (total) std::cerr << '/' << total;
  std::cerr << "\033[K" << std::flush;
}

std::function<void(std::string_view, std::size_t, std::size_t)> TerminalProgress::callback() {
  if (!on_) return {};
  return [this](std::string_view phase, std::size_t done, std::size_t total) { show(phase, done, total); };
}

}  // namespace homeboy::cli
