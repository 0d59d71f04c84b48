#pragma once
// Interruption of homeboy by SIGINT, SIGTERM or SIGHUP (docs/cli.md, "Interruption").
//
// The handlers only record the signal and make a pipe readable; they are async-signal-safe.
// Every wait on a module watches that pipe (process.cpp, io.cpp), so an exchange in progress ends at
// once: the module's process tree is killed, `cli.interrupted` is thrown, and the stack
// unwinds through the usual clean-up (scratch folders, open providers). Nothing new starts
// afterwards. Code running in-process (a native plugin call, file I/O) cannot be cut short
// safely: the signal is honoured as soon as it returns. If that takes longer than
// `interrupt_deadline`, or a second signal comes, the handler ends the process at once with
// the same envelope and exit code; module processes then die with their supervisor's host,
// and scratch folders may be left.

#include "homeboy/error.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace homeboy {

inline constexpr std::chrono::seconds interrupt_deadline{2};

// The signal that interrupted this run, or 0.
int interrupting_signal() noexcept;

// Readable from the first signal on (it is never drained); -1 while no handler is installed.
int interrupt_fd() noexcept;

// `cli.interrupted`, naming the signal; its exit code is 128 + the signal's number.
Error interrupted_error(int signal);

// Throws interrupted_error() once a signal has arrived.
void throw_if_interrupted();

// For the CLI, once, before any module starts. A signal that homeboy was started with
// ignored (as under nohup) stays ignored. `hard_exit_text(signal)` is rendered here for each
// signal: the path that exits from the handler cannot build it then.
void install_interrupt_handlers(const std::function<std::string(int)>& hard_exit_text);

// Where an exit from the handler writes its text: 1 (stdout, the default) or 2 (stderr,
// when the command writes raw bytes on stdout).
void set_hard_exit_fd(int fd) noexcept;

// Blocks the signals from here on, in this thread: the result is being printed and must
// come out whole. A signal arriving now stays pending, and the run ends as it was.
void hold_interrupts() noexcept;

}  // namespace homeboy
