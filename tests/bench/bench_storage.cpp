// Storage benchmark: per-operation medians, measured side by side in one run, printed as
// a table of ratios to plain file I/O. Not a test: it prints, it does not judge.
//
//   build/tests/bench/bench_storage [--quick]
//
// Rows: read and write of 1 KiB and 1 MiB files through (a) direct fstream code, (b) the
// native builtin-filesystem plugin through the full Storage facade (validation included),
// (c) the scripted builtin-filesystem module (bash + jq, one process per operation); and
// the one-shot spawn cost of the host's launcher against a bare posix_spawn.

#include "homeboy/process.hpp"
#include "homeboy/registry.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Runs each case `rounds` times in turn (interleaved, so drift hits all alike), `per_round`
// operations each, and returns the median microseconds per operation of every case.
std::vector<double> measure(const std::vector<std::function<void()>>& cases, int rounds, int per_round) {
  std::vector<std::vector<double>> samples(cases.size());
  for (auto& c : cases) c();  // warm-up
  for (int r = 0; r < rounds; ++r)
    for (std::size_t i = 0; i < cases.size(); ++i)
      for (int k = 0; k < per_round; ++k) {
        auto t0 = Clock::now();
        cases[i]();
        samples[i].push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
  std::vector<double> out;
  for (auto& s : samples) out.push_back(median(s));
  return out;
}

std::string direct_read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string s;
  in.seekg(0, std::ios::end);
  s.resize(static_cast<std::size_t>(in.tellg()));
  in.seekg(0);
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  return s;
}

void direct_write(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

void direct_atomic_write(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (::write(fd, content.data(), content.size()) < 0) std::perror("write");
  ::fsync(fd);
  ::close(fd);
  ::rename(tmp.c_str(), path.c_str());
}

// A bare posix_spawn of argv with three pipes: write the input, read stdout to EOF, reap.
void bare_spawn(const std::vector<std::string>& args, const std::string& input) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) std::abort();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) std::abort();
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (::write(in[1], input.data(), input.size()) < 0) std::perror("write");
  ::close(in[1]);
  char buf[65536];
  while (::read(out[0], buf, sizeof buf) > 0) {
  }
  while (::read(err[0], buf, sizeof buf) > 0) {
  }
  ::close(out[0]);
  ::close(err[0]);
  int status;
  ::waitpid(pid, &status, 0);
}

void row(const std::string& name, double us, double base) {
  char line[200];
  std::snprintf(line, sizeof line, "| %-52s | %12.1f | %8.2fx |", name.c_str(), us, base > 0 ? us / base : 0.0);
  std::cout << line << '\n';
}

void header(const std::string& title) {
  std::cout << "\n" << title << "\n\n| case | median us/op | ratio |\n|---|---:|---:|\n";
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  int rounds = quick ? 3 : 7;

  std::string pattern = (fs::temp_directory_path() / "homeboy-bench-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) return 1;
  fs::path dir = pattern;
  fs::path modules = fs::read_symlink("/proc/self/exe").parent_path().parent_path().parent_path() / "share/homeboy/modules";
  homeboy::Module module = homeboy::load_module(modules / "builtin-filesystem");
  auto native = homeboy::open_provider(module, dir, homeboy::TransportPreference::native, "bench");
  auto script = homeboy::open_provider(module, dir, homeboy::TransportPreference::subprocess, "bench");

  std::cout << "homeboy storage benchmark (" << (quick ? "quick" : "full") << "; medians of " << rounds
            << " interleaved rounds; ratio = case / direct I/O of the same size)\n";

  for (std::size_t size : {std::size_t{1024}, std::size_t{1} << 20}) {
    std::string label = size == 1024 ? "1 KiB" : "1 MiB";
    std::string content(size, 'x');
    for (std::size_t i = 0; i < size; i += 61) content[i] = '\n';
    std::string file = (dir / ("f-" + label.substr(0, 1))).string();
    direct_write(file, content);
    int fast = size == 1024 ? 400 : 40;
    int slow = size == 1024 ? 6 : 3;

    header("read, " + label);
    auto fast_read = measure({[&] { direct_read(file); }, [&] { native->read(file); }}, rounds, fast);
    auto slow_read = measure({[&] { direct_read(file); }, [&] { script->read(file); }}, rounds, slow);
    row("direct std::ifstream", fast_read[0], fast_read[0]);
    row("native builtin-filesystem via facade", fast_read[1], fast_read[0]);
    row("scripted builtin-filesystem (bash+jq, one-shot)", slow_read[1], fast_read[0]);

    header("write, " + label);
    auto fast_write = measure({[&] { direct_write(file, content); }, [&] { direct_atomic_write(file, content); },
                               [&] { native->write(file, content); }},
                              rounds, size == 1024 ? 40 : 10);
    auto slow_write = measure({[&] { script->write(file, content); }}, rounds, slow);
    row("direct std::ofstream (not atomic, no fsync)", fast_write[0], fast_write[0]);
    row("direct temp+fsync+rename", fast_write[1], fast_write[0]);
    row("native builtin-filesystem via facade (fsync)", fast_write[2], fast_write[0]);
    row("scripted builtin-filesystem (bash+jq, one-shot)", slow_write[0], fast_write[0]);
  }

  header("one-shot spawn: host launcher vs bare posix_spawn (/bin/cat, same pipes)");
  std::string event = "{\"operation\":\"read\",\"path\":\"/x\"}\n";
  homeboy::Command cat;
  cat.argv = {"/bin/cat"};
  auto spawn = measure({[&] { bare_spawn({"/bin/cat"}, event); },
                        [&] { homeboy::run_once(cat, event, std::chrono::seconds(10)); }},
                       rounds * 3, quick ? 20 : 40);
  row("bare posix_spawn + pipes + waitpid", spawn[0], spawn[0]);
  row("homeboy::run_once (posix_spawn + Process v2 + poll)", spawn[1], spawn[0]);

  fs::remove_all(dir);
  return 0;
}
