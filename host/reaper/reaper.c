/* homeboy-reaper: the supervisor between homeboy and one module process.
 *
 *   homeboy-reaper HOST_PID PROGRAM [ARG...]
 *   homeboy-reaper --daemon IDLE_MS PROGRAM [ARG...]
 *
 * It starts PROGRAM (no PATH lookup) in a process group of its own and stays its parent,
 * so that nothing the module starts outlives the command that started it:
 *
 * - It is a child subreaper (PR_SET_CHILD_SUBREAPER): every orphan of the module's tree is
 *   re-parented to it, whatever session or process group it moved to (`setsid`, double
 *   fork). When the module ends, it kills its children level by level until none is left.
 * - It watches the host through a pidfd: when homeboy dies, even by SIGKILL, it kills the
 *   module's tree at once. A pidfd follows the whole host process; PR_SET_PDEATHSIG would
 *   follow the host *thread* that started the module, and reach only one process.
 * - SIGTERM, SIGINT or SIGHUP (sent by the host) means "stop": the tree is killed the same way.
 *
 * It then ends the way the module ended (the same exit status, or the same signal), so the
 * host reports the module's end, not its own. A failure to set up or to exec PROGRAM is
 * written to fd 3 as two int32 (stage, errno); fd 3 reaching end of file without them
 * means PROGRAM runs. docs/security.md ("Process lifetime") says why this is a process of its own.
 *
 * With --daemon it supervises a module daemon instead (docs/module-authoring.md, "Daemons"),
 * which outlives the command that starts it but nothing else: see serve_daemon() below.
 *
 * It is built without the C library on x86-64:
 * glibc's start-up alone costs more than everything this program does (it probes the CPU
 * with CPUID, which traps to the hypervisor on a VM: ~270 us of the ~300 us a static glibc
 * binary takes to start here, against ~20 us without it), and it is paid on every spawn.
 * Elsewhere (or with HOMEBOY_REAPER_NOLIBC off) the same code is built on glibc through
 * syscall(2); only sys6() and the entry point differ.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same number on every architecture */
#endif

/* --- System calls: every one returns the result, or -errno --------------------------- */

#ifdef HOMEBOY_REAPER_NOLIBC
#ifndef __x86_64__
#error "HOMEBOY_REAPER_NOLIBC is for x86-64; build with the C library elsewhere"
#endif
static long sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long result;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return result;
}
#else
#include <unistd.h>
static long sys6(long n, long a, long b, long c, long d, long e, long f) {
  long result = syscall(n, a, b, c, d, e, f);
  return result < 0 ? -errno : result;
}
#endif

#define SYS0(n) sys6(SYS_##n, 0, 0, 0, 0, 0, 0)
#define SYS1(n, a) sys6(SYS_##n, (long)(a), 0, 0, 0, 0, 0)
#define SYS2(n, a, b) sys6(SYS_##n, (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(n, a, b, c) sys6(SYS_##n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(n, a, b, c, d) sys6(SYS_##n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define SYS5(n, a, b, c, d, e) sys6(SYS_##n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

typedef uint64_t kernel_sigset; /* what rt_sigprocmask and signalfd4 take: one bit per signal */
#define SIGBIT(sig) ((kernel_sigset)1 << ((sig) - 1))

static _Noreturn void exit_now(int code) {
  for (;;) SYS1(exit_group, code);
}

static void write_all(int fd, const char* text, size_t size) {
  while (size > 0) {
    long n = SYS3(write, fd, text, size);
    if (n == -EINTR) continue;
    if (n <= 0) return;
    text += n;
    size -= (size_t)n;
  }
}

static size_t length(const char* text) {
  size_t n = 0;
  while (text[n]) ++n;
  return n;
}

/* --- The supervisor --------------------------------------------------------------------- */

enum { status_fd = 3 };
/* Records on the status descriptor, two int32 each: a failure (stage, errno), or in daemon
 * mode the pids of the supervisor and of the module. */
enum { stage_setup = 1, stage_exec = 2, record_supervisor_pid = 3, record_program_pid = 4 };
enum { exit_setup_failed = 125, exit_exec_failed = 127 };

static void report_to(int fd, int32_t kind, int32_t value) {
  int32_t message[2] = {kind, value};
  write_all(fd, (const char*)message, sizeof message);
}

static void report_failure(int32_t stage, long error) { report_to(status_fd, stage, (int32_t)-error); }

static _Noreturn void setup_failed(long error) {
  report_failure(stage_setup, error);
  exit_now(exit_setup_failed);
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Kills every pid listed in a stream of decimal numbers separated by anything else.
 * Returns the number of processes signalled. */
static int kill_listed(int fd) {
  char buffer[4096];
  long pid = 0;
  int in_number = 0, count = 0;
  for (;;) {
    long n = SYS3(read, fd, buffer, sizeof buffer);
    if (n == -EINTR) continue;
    for (long i = 0; i < (n > 0 ? n : 0); ++i) {
      if (is_digit(buffer[i])) {
        pid = pid * 10 + (buffer[i] - '0');
        in_number = 1;
      } else if (in_number) {
        count += SYS2(kill, pid, SIGKILL) == 0;
        pid = 0;
        in_number = 0;
      }
    }
    if (n <= 0) break;
  }
  if (in_number) count += SYS2(kill, pid, SIGKILL) == 0;
  return count;
}

/* Is `name` (a /proc entry) a process whose parent is `parent`? */
static int is_child(const char* name, long parent) {
  char path[64] = "/proc/";
  size_t at = 6;
  for (size_t i = 0; name[i] && at < sizeof path - 6; ++i) path[at++] = name[i];
  const char* tail = "/stat";
  for (size_t i = 0; tail[i]; ++i) path[at++] = tail[i];
  path[at] = '\0';
  int fd = (int)SYS4(openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return 0;
  char text[512];
  long n = SYS3(read, fd, text, sizeof text - 1);
  SYS1(close, fd);
  if (n <= 0) return 0;
  /* "pid (name) state ppid ...": the name may hold spaces and parentheses, so start after the last ')' */
  long close_paren = -1;
  for (long i = 0; i < n; ++i)
    if (text[i] == ')') close_paren = i;
  long i = close_paren + 4; /* ") S " */
  if (close_paren < 0 || i >= n) return 0;
  long ppid = 0;
  for (; i < n && is_digit(text[i]); ++i) ppid = ppid * 10 + (text[i] - '0');
  return ppid == parent;
}

/* Sends SIGKILL to every direct child. Children are not reaped here, so their pids cannot
 * be reused before the signal lands. */
static int kill_children(long self) {
  int fd = (int)SYS4(openat, AT_FDCWD, "/proc/thread-self/children", O_RDONLY | O_CLOEXEC, 0);
  if (fd >= 0) {
    int count = kill_listed(fd);
    SYS1(close, fd);
    return count;
  }
  /* Kernels without CONFIG_PROC_CHILDREN: find the processes whose parent we are. */
  int dir = (int)SYS4(openat, AT_FDCWD, "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dir < 0) return 0;
  int count = 0;
  char buffer[8192] __attribute__((aligned(8)));
  long n;
  while ((n = SYS3(getdents64, dir, buffer, sizeof buffer)) > 0) {
    for (long at = 0; at < n;) {
      const char* record = buffer + at;
      unsigned short size = *(const unsigned short*)(record + 16); /* d_reclen, after d_ino and d_off */
      const char* name = record + 19;                               /* d_name, after d_type */
      if (is_digit(name[0]) && is_child(name, self)) {
        long pid = 0;
        for (size_t i = 0; is_digit(name[i]); ++i) pid = pid * 10 + (name[i] - '0');
        count += SYS2(kill, pid, SIGKILL) == 0;
      }
      at += size;
    }
  }
  SYS1(close, dir);
  return count;
}

/* Kills and reaps every descendant. Killing a child re-parents its own children to us (we
 * are their subreaper), so the loop walks the tree down to its last leaf. */
static void sweep(long self) {
  for (;;) {
    siginfo_t info;
    for (;;) { /* reap what has already ended */
      info.si_pid = 0;
      long r = SYS5(waitid, P_ALL, 0, &info, WEXITED | WNOHANG, 0);
      if (r == -EINTR) continue;
      if (r < 0) return; /* ECHILD: nothing is left */
      if (info.si_pid == 0) break;
    }
    kill_children(self);
    long r = SYS5(waitid, P_ALL, 0, &info, WEXITED, 0);
    if (r < 0 && r != -EINTR) return;
  }
}

/* Ends this process as the module ended: with the same exit status, or the same signal. */
static _Noreturn void exit_like(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    SYS2(prctl, PR_SET_DUMPABLE, 0); /* the module's crash must not dump the supervisor's core */
    unsigned long default_action[4] = {0, 0, 0, 0}; /* handler SIG_DFL, no flags, empty mask */
    SYS4(rt_sigaction, sig, default_action, 0, sizeof(kernel_sigset));
    kernel_sigset only = SIGBIT(sig);
    SYS4(rt_sigprocmask, SIG_UNBLOCK, &only, 0, sizeof only);
    SYS2(kill, SYS0(getpid), sig);
    exit_now(128 + sig);
  }
  exit_now(WIFEXITED(status) ? WEXITSTATUS(status) : exit_setup_failed);
}

static void kill_program(long program) {
  SYS2(kill, program, SIGKILL); /* in case it left its own process group */
  SYS2(kill, -program, SIGKILL);
}

/* Reaps the children that have ended. Returns 1 once the module itself has ended, with its
 * status; its process group is killed first, while its pid cannot yet be reused. */
static int reap_ended(long program, int* program_status) {
  for (;;) {
    siginfo_t info;
    info.si_pid = 0;
    long r = SYS5(waitid, P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT, 0);
    if (r == -EINTR) continue;
    if (r < 0 || info.si_pid == 0) return 0;
    if (info.si_pid == program) SYS2(kill, -program, SIGKILL);
    int status = 0;
    while (SYS4(wait4, info.si_pid, &status, 0, 0) == -EINTR) {
    }
    if (info.si_pid == program) {
      *program_status = status;
      return 1;
    }
  }
}

/* --- Daemon mode -------------------------------------------------------------------------
 *
 *   homeboy-reaper --daemon IDLE_MS PROGRAM [ARG...]
 *
 * Started by a homeboy command with fd 0 on /dev/null, fds 1 and 2 on the daemon's log, fd 3
 * the status pipe, fd 4 a Unix socket bound (not yet listening) at the daemon's path and
 * fd 5 the daemon's activity file. It supervises PROGRAM, a module daemon that outlives the
 * command but nothing else:
 *
 * - It forks once more and the first process exits at once: the command reaps it, and the
 *   supervisor is no process's child in the command (it is re-parented to init, or to the
 *   nearest subreaper). It starts a session of its own: no terminal, and no signal meant
 *   for the command's process group reaches it.
 * - It calls listen() itself, so SO_PEERCRED on a connection names it: homeboy checks that
 *   pid and uid against the daemon's state file. It reports its pid and the module's.
 * - The module gets the socket as fd 3, as in systemd socket activation: homeboy passes
 *   LISTEN_FDS=1 and a LISTEN_PID placeholder, which the module's process fills in.
 * - It is a child subreaper as in the host mode: nothing the module starts outlives it.
 * - Idle exit: every command holds a shared flock on the activity file while it is
 *   connected, and touches the file when it connects and when it leaves. Once the file is
 *   IDLE_MS old and the supervisor can lock it exclusively, nobody is using the daemon: it
 *   stops it, holding the lock until it is gone, so a command arriving meanwhile waits and
 *   then starts a fresh daemon.
 * - SIGTERM stops the daemon gracefully (the module gets SIGTERM and stop_grace_ms to exit),
 *   SIGINT or SIGHUP at once. Either way the whole tree is killed and the supervisor exits.
 */
enum { daemon_socket_fd = 4, daemon_activity_fd = 5 };
enum { stop_grace_ms = 1000, busy_recheck_ms = 1000 };

static long now_ms(int clock) {
  struct timespec t = {0, 0};
  SYS2(clock_gettime, clock, &t);
  return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int same_text(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

/* Milliseconds since a command last touched the activity file. */
static long idle_for(void) {
  struct statx st;
  if (SYS5(statx, daemon_activity_fd, "", AT_EMPTY_PATH, STATX_MTIME, &st) < 0) return 0;
  return now_ms(CLOCK_REALTIME) - ((long)st.stx_mtime.tv_sec * 1000 + (long)st.stx_mtime.tv_nsec / 1000000);
}

/* Overwrites the value of "LISTEN_PID=<placeholder>" in place with `pid`. */
static void fill_listen_pid(char** envp, long pid) {
  static const char name[] = "LISTEN_PID=";
  for (; *envp; ++envp) {
    size_t i = 0;
    while (name[i] && (*envp)[i] == name[i]) ++i;
    if (name[i]) continue;
    char* value = *envp + i;
    char digits[24];
    size_t n = 0;
    do {
      digits[n++] = (char)('0' + pid % 10);
      pid /= 10;
    } while (pid && n < sizeof digits);
    if (n > length(value)) return;
    for (size_t k = 0; k < n; ++k) value[k] = digits[n - 1 - k];
    value[n] = '\0';
    return;
  }
}

/* Waits up to `ms` for a signal. Returns its number, 0 when none came, -1 when it cannot wait. */
static int next_signal(int signal_fd, long ms) {
  struct pollfd fd = {signal_fd, POLLIN, 0};
  struct timespec timeout = {ms / 1000, (ms % 1000) * 1000000};
  long r = SYS5(ppoll, &fd, 1, &timeout, 0, sizeof(kernel_sigset));
  if (r == -EINTR || r == 0) return 0;
  if (r < 0) return -1;
  struct signalfd_siginfo info;
  if (SYS3(read, signal_fd, &info, sizeof info) != (long)sizeof info) return 0;
  return (int)info.ssi_signo;
}

/* Kills the module's tree and exits. Gracefully, the module first gets SIGTERM and
 * stop_grace_ms to exit (SIGINT or SIGHUP cut that short). */
static _Noreturn void stop_daemon(long self, long program, int signal_fd, int graceful) {
  int program_ended = 0, status = 0;
  if (graceful) {
    SYS2(kill, -program, SIGTERM);
    SYS2(kill, program, SIGTERM);
    long deadline = now_ms(CLOCK_MONOTONIC) + stop_grace_ms;
    for (long left; !program_ended && (left = deadline - now_ms(CLOCK_MONOTONIC)) > 0;) {
      int sig = next_signal(signal_fd, left);
      if (sig == SIGINT || sig == SIGHUP || sig < 0) break;
      program_ended = reap_ended(program, &status);
    }
  }
  if (!program_ended) kill_program(program); /* its pid is not reaped yet, so it cannot be reused */
  sweep(self);
  exit_now(0);
}

static int serve_daemon(int argc, char** argv, char** envp) {
  long idle_ms = 0;
  for (const char* c = argc > 2 ? argv[2] : ""; is_digit(*c); ++c) idle_ms = idle_ms * 10 + (*c - '0');
  if (argc < 4 || idle_ms <= 0) {
    const char* usage = "usage: homeboy-reaper --daemon IDLE_MS PROGRAM [ARG...]\n"
                        "Started by homeboy around each module daemon; not meant to be run by hand.\n";
    write_all(2, usage, length(usage));
    setup_failed(-EINVAL);
  }
  long r = SYS5(clone, SIGCHLD, 0, 0, 0, 0);
  if (r < 0) setup_failed(r);
  if (r > 0) exit_now(0); /* the command reaps this process; its child lives on */
  if ((r = SYS0(setsid)) < 0) setup_failed(r);
  long self = SYS0(getpid);
  if ((r = SYS2(prctl, PR_SET_CHILD_SUBREAPER, 1)) < 0) setup_failed(r);
  if ((r = SYS2(listen, daemon_socket_fd, 128)) < 0) setup_failed(r);
  SYS3(fcntl, daemon_activity_fd, F_SETFD, FD_CLOEXEC);

  /* SIGPIPE stays blocked (not handled): a status write to a command that died is EPIPE. */
  kernel_sigset handled = SIGBIT(SIGCHLD) | SIGBIT(SIGTERM) | SIGBIT(SIGINT) | SIGBIT(SIGHUP);
  kernel_sigset blocked = handled | SIGBIT(SIGPIPE), none = 0;
  if ((r = SYS4(rt_sigprocmask, SIG_SETMASK, &blocked, 0, sizeof blocked)) < 0) setup_failed(r);
  long signal_fd = SYS4(signalfd4, -1, &handled, sizeof handled, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd < 0) setup_failed(signal_fd);
  report_to(status_fd, record_supervisor_pid, (int32_t)self);

  long program = SYS5(clone, SIGCHLD, 0, 0, 0, 0);
  if (program < 0) setup_failed(program);
  if (program == 0) {
    if (SYS2(prctl, PR_SET_PDEATHSIG, SIGKILL) < 0 || SYS0(getppid) != self) exit_now(exit_setup_failed);
    SYS2(setpgid, 0, 0);
    SYS4(rt_sigprocmask, SIG_SETMASK, &none, 0, sizeof none);
    /* The socket becomes fd 3; the status pipe moves above it (closed by a successful exec). */
    long status = SYS3(fcntl, status_fd, F_DUPFD_CLOEXEC, daemon_activity_fd + 1);
    if (status < 0 || SYS3(dup3, daemon_socket_fd, status_fd, 0) < 0) exit_now(exit_setup_failed);
    SYS1(close, daemon_socket_fd);
    fill_listen_pid(envp, SYS0(getpid));
    r = SYS3(execve, argv[3], argv + 3, envp);
    report_to((int)status, stage_exec, (int32_t)-r);
    exit_now(exit_exec_failed);
  }
  SYS2(setpgid, program, program);
  report_to(status_fd, record_program_pid, (int32_t)program);
  SYS1(close, status_fd);
  SYS1(close, daemon_socket_fd); /* the module holds it: once the module is gone, connecting fails at once */

  long wait_ms = idle_ms;
  for (;;) {
    int sig = next_signal((int)signal_fd, wait_ms);
    if (sig < 0 || sig == SIGINT || sig == SIGHUP) stop_daemon(self, program, (int)signal_fd, 0);
    if (sig == SIGTERM) stop_daemon(self, program, (int)signal_fd, 1);
    int program_status = 0;
    if (sig == SIGCHLD && reap_ended(program, &program_status)) {
      sweep(self);
      exit_now(0);
    }
    long idle = idle_for();
    if (idle < idle_ms) {
      wait_ms = idle < 0 ? idle_ms : idle_ms - idle; /* touched "in the future": the clock was set back */
    } else if (SYS2(flock, daemon_activity_fd, LOCK_EX | LOCK_NB) == 0) {
      stop_daemon(self, program, (int)signal_fd, 1); /* the lock is held until the supervisor is gone */
    } else {
      wait_ms = idle_ms < busy_recheck_ms ? idle_ms : busy_recheck_ms; /* a command is connected */
    }
  }
}

static int supervise(int argc, char** argv, char** envp) {
  if (argc > 1 && same_text(argv[1], "--daemon")) return serve_daemon(argc, argv, envp);
  if (argc < 3) {
    const char* usage = "usage: homeboy-reaper HOST_PID PROGRAM [ARG...]\n"
                        "Started by homeboy around each module process; not meant to be run by hand.\n";
    write_all(2, usage, length(usage));
    setup_failed(-EINVAL);
  }
  long host = 0;
  for (const char* c = argv[1]; is_digit(*c); ++c) host = host * 10 + (*c - '0');
  long self = SYS0(getpid);
  /* Run by hand, fd 3 may be closed: hold its number, or the pidfd below would take it. */
  if (SYS3(fcntl, status_fd, F_GETFD, 0) < 0) SYS4(openat, AT_FDCWD, "/dev/null", O_WRONLY, 0);

  /* The pidfd is taken before the parent is checked: if the host is already gone the check
   * fails, and if it dies later the pidfd says so. */
  long host_fd = SYS2(pidfd_open, host, 0);
  if (host_fd < 0) setup_failed(host_fd);
  if (SYS0(getppid) != host) setup_failed(-ESRCH);
  long r = SYS2(prctl, PR_SET_CHILD_SUBREAPER, 1);
  if (r < 0) setup_failed(r);

  /* homeboy starts this program with every signal blocked (so that none of its handlers runs
   * in its vfork child): the mask is set here to what this program waits for, and the module
   * gets an empty one. */
  kernel_sigset handled = SIGBIT(SIGCHLD) | SIGBIT(SIGTERM) | SIGBIT(SIGINT) | SIGBIT(SIGHUP), none = 0;
  r = SYS4(rt_sigprocmask, SIG_SETMASK, &handled, 0, sizeof handled);
  if (r < 0) setup_failed(r);
  long signal_fd = SYS4(signalfd4, -1, &handled, sizeof handled, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd < 0) setup_failed(signal_fd);

  long program = SYS5(clone, SIGCHLD, 0, 0, 0, 0); /* fork(2) */
  if (program < 0) setup_failed(program);
  if (program == 0) {
    /* Only matters if the supervisor itself is SIGKILLed: the module goes with it. */
    if (SYS2(prctl, PR_SET_PDEATHSIG, SIGKILL) < 0 || SYS0(getppid) != self) exit_now(exit_setup_failed);
    SYS2(setpgid, 0, 0);
    SYS4(rt_sigprocmask, SIG_SETMASK, &none, 0, sizeof none);
    SYS3(fcntl, status_fd, F_SETFD, FD_CLOEXEC); /* a successful exec closes it: that is "started" */
    r = SYS3(execve, argv[2], argv + 2, envp);
    report_failure(stage_exec, r);
    exit_now(exit_exec_failed);
  }
  SYS2(setpgid, program, program); /* also here, so the group exists before any kill below */
  SYS1(close, status_fd);
  /* Our copies of the module's stdin, stdout and stderr would keep the host's pipes open. */
  long null_fd = SYS4(openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC, 0);
  for (int fd = 0; fd <= 2 && null_fd >= 0; ++fd)
    if (fd != null_fd) SYS3(dup3, null_fd, fd, 0);

  int program_status = 0, host_gone = 0;
  for (;;) {
    struct pollfd fds[2] = {{(int)signal_fd, POLLIN, 0}, {(int)host_fd, POLLIN, 0}};
    r = SYS5(ppoll, fds, host_gone ? 1 : 2, 0, 0, sizeof(kernel_sigset));
    if (r == -EINTR) continue;
    if (r < 0) {                      /* cannot watch any more: stop the module rather than lose it */
      kill_program(program);
      sweep(self);
      exit_like(SIGKILL);             /* the wait status of a process killed by SIGKILL */
    }
    if (!host_gone && fds[1].revents) {
      host_gone = 1;
      kill_program(program);
    }
    if (fds[0].revents) {
      struct signalfd_siginfo info;
      while (SYS3(read, signal_fd, &info, sizeof info) == (long)sizeof info)
        if (info.ssi_signo != SIGCHLD) kill_program(program);
      if (reap_ended(program, &program_status)) break;
    }
  }
  sweep(self);
  exit_like(program_status);
}

#ifdef HOMEBOY_REAPER_NOLIBC
/* The process entry: the kernel leaves argc, argv[], NULL, envp[], NULL on the stack. */
__attribute__((used, noreturn)) void homeboy_reaper_start(long* stack) {
  int argc = (int)stack[0];
  char** argv = (char**)(stack + 1);
  exit_now(supervise(argc, argv, argv + argc + 1));
}
__asm__(".text\n.global _start\n_start:\n xor %ebp, %ebp\n mov %rsp, %rdi\n and $-16, %rsp\n call homeboy_reaper_start\n hlt\n");
#else
int main(int argc, char** argv, char** envp) { return supervise(argc, argv, envp); }
#endif
