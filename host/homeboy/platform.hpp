#pragma once
// The Linux-only calls of the host, in one place: what a port to another system starts from.
// platform_linux.cpp implements them on Linux and refuses to compile elsewhere; docs/security.md
// ("Linux-only parts") lists them with what a port would use instead.
//
// Not here: homeboy-reaper (host/reaper/reaper.c), a separate C program that is Linux-only as a
// whole (a child subreaper, a pidfd of the host); Boost.Process v2, which follows a process
// through a pidfd on Linux and by other means elsewhere; and Asio, which waits with epoll on
// Linux and with kqueue or poll elsewhere (transport/io.cpp, transport/process.cpp).

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

namespace homeboy::platform {

// The running executable, absolute, symbolic links resolved (/proc/self/exe). Empty, with
// `ec` set, when it cannot be told.
std::filesystem::path own_executable(std::error_code& ec);

// A descriptor that becomes readable once process `pid` (a child not yet reaped, so the pid
// cannot be reused meanwhile) has ended: a pidfd, close-on-exec. -1 with errno set when the
// kernel has none (Linux before 5.3).
int open_process_fd(pid_t pid) noexcept;

// Sends `sig` to the process behind the pidfd `pidfd` (pidfd_send_signal): unlike kill(2) it
// cannot reach another process that took the pid over. False when it could not be sent.
bool signal_process_fd(int pidfd, int sig) noexcept;

// What the system says of a running process (/proc/PID): when it started, in clock ticks since
// boot (with the pid, it tells a process from a later one that reused the pid); its parent;
// its name (the executable's, at most 15 bytes); the user it runs as. Nothing (an empty name)
// for a process that has ended, also one not reaped yet (a zombie) for the start time and parent.
std::optional<std::uint64_t> process_start_time(pid_t pid);
std::optional<pid_t> parent_process(pid_t pid);
std::string process_name(pid_t pid);
std::optional<uid_t> process_owner(pid_t pid);

// Who is at the other end of the connected Unix socket `fd`, as the system saw them connect
// (SO_PEERCRED): their user and process. Nothing when the system cannot tell.
struct Peer {
  uid_t uid = 0;
  pid_t pid = 0;
};
std::optional<Peer> socket_peer(int fd);

// A descriptor that stands for the folder `dir` itself (O_PATH), close-on-exec; -1 with errno
// set. With path_through_descriptor it names a file of that folder in a path short enough for
// a Unix socket address (/proc/self/fd/N/NAME), however long the folder's own path is.
int open_folder_handle(const std::filesystem::path& dir) noexcept;
std::string path_through_descriptor(int folder, const std::string& name);

// A descriptor of its own on what `fd` reads from (a pipe, FIFO or terminal; reopened through
// /proc/self/fd/N), read-only, non-blocking, close-on-exec: something to wait on without
// touching the flags of `fd`'s own open file description, which standard input shares with
// the shell and the rest of a pipeline. -1 when it cannot be reopened (a socket).
int reopen_for_waiting(int fd) noexcept;

// The absolute path the open descriptor `fd` refers to (/proc/self/fd/N); empty when the
// system cannot tell.
std::filesystem::path path_of_descriptor(int fd);

// Asks for a pipe buffer of `bytes` on the pipe `fd` (F_SETPIPE_SZ), so large content crosses
// it in fewer steps. Best effort: the system may keep its default (/proc/sys/fs/pipe-max-size).
void widen_pipe(int fd, int bytes) noexcept;

// Starts a copy of this process (fork(2) without exec: nothing is loaded or started again)
// to run `body`, and returns its pid; -1 with errno set when it cannot. The copy runs
// `body` with `fds` as its descriptors 0, 1 and 2 and no other, in `dir` (unless empty), in a
// process group of its own, under the name `name` (as ps shows it), with every standard signal
// at its default action (homeboy sets no handler for a real-time one) and none blocked; it ends with what `body` returns, by _exit (none of this
// program's exit handlers or buffers run twice). It never returns to the caller's code, and
// it ends when this process ends, even by SIGKILL: by the kernel's parent-death signal when
// started from the main thread, else by a thread of the copy that waits on a pidfd of this
// process, which kills the copy's whole process group. The caller reaps it.
pid_t start_copy(const int (&fds)[3], const std::filesystem::path& dir, const char* name, int (*body)());

// Makes this process non-dumpable: no core file, and another process of the same user (a
// module) cannot ptrace it or read its /proc/PID/environ and memory (prctl PR_SET_DUMPABLE).
void forbid_inspection() noexcept;

}  // namespace homeboy::platform
