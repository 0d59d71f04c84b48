// Spawn benchmark: what starting a module process costs, measured side by side in one run
// (interleaved rounds, medians), as ratios to the same work done without the host.
// Not a test: it prints, it does not judge.
//
//   build/tests/bench/bench_spawn [--quick]
//
// Rows:
// - one-shot spawn: homeboy::run_once of /bin/cat on one event (the host's launcher:
//   homeboy-reaper started by Boost.Process v2, the command under it, its pipes) against a
//   bare posix_spawn of /bin/cat with the same pipes;
// - persistent exchange: PersistentProcess::exchange with /bin/cat against a raw write +
//   read round trip on pipes;
// - one-shot `storage read` of a 1 KiB file through a scripted module, one process per
//   read: the shipped bash builtin-filesystem module, and a minimal Python reader
//   (/usr/bin/python3 -S), each against a direct std::ifstream read.
// bench_storage measures the same launcher among many other rows; this one is short enough
// to run before and after a change to the launcher, several times, on a busy machine.

#include "bench_util.hpp"
#include "homeboy/providers/registry.hpp"
#include "homeboy/transport/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

extern char** environ;

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

using homeboy::bench::median;

namespace {

// CPU time used so far by this process and by the children it has reaped, in microseconds.
double cpu_us() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    ::getrusage(who, &u);
    total += 1e6 * static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
             static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  }
  return total;
}

struct Measured {
  double wall_us;  // median wall time per operation
  double cpu_us;   // mean CPU time per operation, of this process and the processes it started:
                   // steadier than wall time on a machine other work keeps busy
};

// Runs each case `rounds` times in turn (interleaved, so drift hits all alike), `per_round`
// operations each.
std::vector<Measured> measure(const std::vector<std::function<void()>>& cases, int rounds, int per_round) {
  std::vector<std::vector<double>> samples(cases.size());
  std::vector<double> cpu(cases.size());
  for (auto& c : cases) c();  // warm-up
  for (int r = 0; r < rounds; ++r)
    for (std::size_t i = 0; i < cases.size(); ++i) {
      double c0 = cpu_us();
      for (int k = 0; k < per_round; ++k) {
        auto t0 = Clock::now();
        cases[i]();
        samples[i].push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
      cpu[i] += cpu_us() - c0;
    }
  std::vector<Measured> out;
  for (std::size_t i = 0; i < cases.size(); ++i) out.push_back({median(samples[i]), cpu[i] / (rounds * per_round)});
  return out;
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
  if (::write(in[1], input.data(), input.size()) < 0) std::abort();
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

// The two ends of an echo child (/bin/cat) on pipes, started without the host.
struct RawEcho {
  RawEcho() {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC)) std::abort();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    char* argv[] = {const_cast<char*>("/bin/cat"), nullptr};
    if (posix_spawn(&pid, "/bin/cat", &fa, nullptr, argv, environ) != 0) std::abort();
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    to = in[1];
    from = out[0];
  }
  ~RawEcho() {
    ::close(to);
    ::close(from);
    ::waitpid(pid, nullptr, 0);
  }
  void round_trip(const std::string& line) {
    if (::write(to, line.data(), line.size()) < 0) std::abort();
    std::size_t got = 0;
    char buf[4096];
    while (got < line.size()) {
      ssize_t n = ::read(from, buf, sizeof buf);
      if (n <= 0) std::abort();
      got += static_cast<std::size_t>(n);
    }
  }
  pid_t pid = -1;
  int to = -1, from = -1;
};

std::string direct_read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A minimal one-shot Python module that reads the file it is asked for.
homeboy::Module python_reader_module(const fs::path& dir) {
  fs::path folder = dir / "py-once";
  fs::create_directories(folder);
  std::ofstream(folder / "read.py") << R"(import json, sys
for line in sys.stdin:
    request = json.loads(line)
    try:
        with open(request["path"], encoding="utf-8") as f:
            answer = {"success": True, "data": f.read()}
    except OSError as e:
        answer = {"success": False, "error": str(e), "error_code": "io_error"}
    if "id" in request:
        answer["id"] = request["id"]
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
)";
  std::ofstream(folder / "py-once.json")
      << R"({"name": "Python one-shot reader", "version": "1.0.0", "runtime": {"executable": "/usr/bin/python3 -S read.py",
             "persistent": false}, "storage_provider": {"storage_type": "bench", "config": {}}})";
  return homeboy::load_module(folder);
}

void row(const char* name, const Measured& m, const Measured& base) {
  std::printf("| %-54s | %10.1f | %7.2fx | %9.1f | %7.2fx |\n", name, m.wall_us, m.wall_us / base.wall_us, m.cpu_us,
              m.cpu_us / base.cpu_us);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  int rounds = quick ? 5 : 15;
  std::string pattern = (fs::temp_directory_path() / "homeboy-bench-spawn-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) return 1;
  fs::path dir = pattern;
  fs::path modules = fs::read_symlink("/proc/self/exe").parent_path().parent_path().parent_path() / "share/homeboy/modules";
  auto script = homeboy::open_provider(homeboy::load_module(modules / "builtin-filesystem"), dir,
                                       homeboy::TransportPreference::subprocess);
  auto python = homeboy::open_provider(python_reader_module(dir), dir, homeboy::TransportPreference::automatic);
  std::string file = (dir / "f").string();
  std::ofstream(file) << std::string(1024, 'k');

  std::printf("homeboy spawn benchmark (%s; medians of %d interleaved rounds)\n\n", quick ? "quick" : "full", rounds);
  std::printf("| case | median wall us/op | ratio | mean CPU us/op | ratio |\n|---|---:|---:|---:|---:|\n");

  const std::string event = "{\"operation\":\"read\",\"path\":\"/x\"}\n";
  homeboy::Launch cat;
  cat.argv = {"/bin/cat"};
  auto spawn = measure({[&] { bare_spawn({"/bin/cat"}, event); },
                        [&] { homeboy::run_once(cat, event, std::chrono::seconds(10)); }},
                       rounds, 10);
  row("bare posix_spawn + pipes + waitpid (/bin/cat)", spawn[0], spawn[0]);
  row("homeboy::run_once (/bin/cat under homeboy-reaper)", spawn[1], spawn[0]);

  const std::string line = "{\"operation\":\"read\",\"path\":\"/x\",\"id\":1}";
  RawEcho raw;
  homeboy::PersistentProcess echo(cat);
  auto exchange = measure({[&] { raw.round_trip(line + "\n"); }, [&] { echo.exchange(line, std::chrono::seconds(5)); }},
                          rounds, 200);
  row("raw write + read round trip (/bin/cat)", exchange[0], exchange[0]);
  row("homeboy::PersistentProcess::exchange (/bin/cat)", exchange[1], exchange[0]);

  auto reads = measure({[&] { direct_read(file); }, [&] { script->read(file); }, [&] { python->read(file); }}, rounds, 3);
  row("direct std::ifstream read of 1 KiB", reads[0], reads[0]);
  row("one-shot storage read: bash builtin-filesystem module", reads[1], reads[0]);
  row("one-shot storage read: minimal Python module", reads[2], reads[0]);

  std::printf("\n- one-shot spawn / bare posix_spawn: %.2fx wall, %.2fx CPU\n", spawn[1].wall_us / spawn[0].wall_us,
              spawn[1].cpu_us / spawn[0].cpu_us);
  std::printf("- persistent exchange / raw round trip: %.2fx wall, %.2fx CPU\n", exchange[1].wall_us / exchange[0].wall_us,
              exchange[1].cpu_us / exchange[0].cpu_us);
  std::printf("- one-shot read, bash: %.0f us wall, %.0f us CPU; Python: %.0f us wall, %.0f us CPU\n", reads[1].wall_us,
              reads[1].cpu_us, reads[2].wall_us, reads[2].cpu_us);
  fs::remove_all(dir);
  return 0;
}
