#pragma once
// Waiting for descriptors: the one wait of homeboy's transports and CLI that is not a module's
// pipes (process.cpp drives those with Asio operations of its own). It runs on an Asio
// io_context, one per thread, so this header is free of Asio and only io.cpp compiles it.
//
// Used for the daemon's socket (daemon_transport.cpp), a daemon starting and stopping
// (daemon.cpp), the isolation helper's daemon (plugin_host.cpp) and standard input (cli/app.cpp).
// Every descriptor must be non-blocking where its reader relies on it: a wait says that a
// read or write will not block, or that the descriptor is at its end, closed or in error.

#include <chrono>
#include <span>

namespace homeboy::io {

using Clock = std::chrono::steady_clock;

enum class Want : unsigned char { read, write };

struct Interest {
  int fd = -1;
  Want want = Want::read;
  bool ready = false;  // set by wait()
};

enum class Interruptible : bool { no, yes };

// Waits until one or more of `interests` are ready (their `ready` set; true) or `deadline`
// passes (false; at once when it has passed already). With Interruptible::yes a SIGINT, SIGTERM or SIGHUP to homeboy, before or
// during the wait, throws `cli.interrupted` (throw_if_interrupted). A descriptor that cannot
// be waited for (a regular file) is ready at once, as poll(2) has it.
bool wait(std::span<Interest> interests, Clock::time_point deadline, Interruptible interruptible);

// One descriptor.
inline bool wait(int fd, Want want, Clock::time_point deadline, Interruptible interruptible) {
  Interest one{fd, want};
  return wait(std::span<Interest>(&one, 1), deadline, interruptible);
}

// Waits until the deadline, or (Interruptible::yes) until a signal to homeboy, which throws.
void sleep_until(Clock::time_point deadline, Interruptible interruptible);

}  // namespace homeboy::io
