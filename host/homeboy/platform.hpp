#pragma once
// The Linux-only calls of the host, in one place: what a port to another system starts from.
// platform_linux.cpp implements them on Linux and refuses to compile elsewhere; docs/security.md
// ("Linux-only parts") lists them with what a port would use instead.
//
// Not here: homeboy-reaper (host/reaper/reaper.c), a separate C program that is Linux-only as a
// whole (a child subreaper, a pidfd of the host); Boost.Process v2, which follows a process
// through a pidfd on Linux and by other means elsewhere; and, for now, the daemon transport's
// own calls (transport/daemon.cpp: pidfd_open and pidfd_send_signal to stop a daemon, the
// start time in /proc/PID/stat, /proc/self/fd/N/NAME for a socket path too long for sun_path).

#include <sys/types.h>

#include <filesystem>
#include <system_error>

namespace homeboy::platform {

// The running executable, absolute, symbolic links resolved (/proc/self/exe). Empty, with
// `ec` set, when it cannot be told.
std::filesystem::path own_executable(std::error_code& ec);

// A descriptor that becomes readable once process `pid` (a child not yet reaped, so the pid
// cannot be reused meanwhile) has ended: a pidfd, close-on-exec. -1 with errno set when the
// kernel has none (Linux before 5.3).
int open_process_fd(pid_t pid) noexcept;

// The absolute path the open descriptor `fd` refers to (/proc/self/fd/N); empty when the
// system cannot tell.
std::filesystem::path path_of_descriptor(int fd);

// Asks for a pipe buffer of `bytes` on the pipe `fd` (F_SETPIPE_SZ), so large content crosses
// it in fewer steps. Best effort: the system may keep its default (/proc/sys/fs/pipe-max-size).
void widen_pipe(int fd, int bytes) noexcept;

// Makes this process non-dumpable: no core file, and another process of the same user (a
// module) cannot ptrace it or read its /proc/PID/environ and memory (prctl PR_SET_DUMPABLE).
void forbid_inspection() noexcept;

}  // namespace homeboy::platform
