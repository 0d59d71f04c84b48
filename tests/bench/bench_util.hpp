#pragma once
// What the benchmarks share: the median of a sample, and one whole process started and timed
// as a shell would start it (posix_spawn, no supervisor in between). Header-only; each
// benchmark is a program of its own.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

extern char** environ;

namespace homeboy::bench {

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// posix_spawn of argv (no PATH look-up) with `env` added to this process's environment, stdin
// and stdout on /dev/null; returns its wait status.
inline int spawn_and_wait(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> env_storage;
  for (char** e = environ; *e; ++e) env_storage.emplace_back(*e);
  env_storage.insert(env_storage.end(), env.begin(), env.end());
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  for (auto& e : env_storage) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data()) != 0) std::abort();
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// Ends the benchmark, naming the command, unless it succeeded or `may_fail`.
inline void check_exit(int status, const std::vector<std::string>& args, bool may_fail = false) {
  if (may_fail || (WIFEXITED(status) && WEXITSTATUS(status) == 0)) return;
  std::cerr << "bench: `";
  for (const auto& a : args) std::cerr << a << ' ';
  std::cerr << "` failed (wait status " << status << ")\n";
  std::exit(1);
}

// The wall time of one run, in microseconds, from the spawn to the reaped exit. The command
// must succeed unless `may_fail`.
inline double time_process(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                           bool may_fail = false) {
  auto t0 = std::chrono::steady_clock::now();
  int status = spawn_and_wait(args, env);
  double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  check_exit(status, args, may_fail);
  return us;
}

}  // namespace homeboy::bench
