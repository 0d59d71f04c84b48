// Whole homeboy commands for a team on PostgreSQL, measured side by side in one run (medians of
// interleaved runs; ratios are what to read). Not a test: it prints, it does not judge.
//
//   tests/bench/teams.sh [build dir] [--quick]     (starts a durable throwaway server itself)
//   build/tests/bench/bench_teams [--quick]        (under `cluster.sh run`: PG* name the server)
//
// Rows, each a whole process (posix_spawn to waitpid, no supervisor around it):
//   - `homeboy storage read --raw F`: the native builtin-filesystem default; postgres as it
//     ships (its plugin in a daemon, the connection kept across commands); postgres loaded in
//     homeboy's process (HOMEBOY_ISOLATION=in_process, every command loads libpq and connects);
//     and the native default isolated in a copy of homeboy (HOMEBOY_ISOLATION=process);
//   - `homeboy storage write F --content ...` repeated as separate commands (1,000 of each,
//     interleaved): the native default (which fsyncs the file and its folder) and postgres
//     (one commit each, the server with fsync and synchronous_commit on), and the same writes
//     as one `storage batch` command of each.
// Then issue 20's targets with what this run measured.

#include "bench_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

using homeboy::bench::median;
using homeboy::bench::time_process;

namespace {

struct Case {
  std::string name;
  std::vector<std::string> args;
  std::vector<std::string> env;
};

// Runs every case `rounds` times, in turn (the order rotates each round, so drift and the
// machine's load hit them alike); the median of each.
std::vector<double> side_by_side(const std::vector<Case>& cases, int rounds) {
  std::vector<std::vector<double>> samples(cases.size());
  for (int r = 0; r < rounds; ++r)
    for (std::size_t k = 0; k < cases.size(); ++k) {
      std::size_t i = (k + static_cast<std::size_t>(r)) % cases.size();
      samples[i].push_back(time_process(cases[i].args, cases[i].env));
    }
  std::vector<double> out;
  for (auto& s : samples) out.push_back(median(s));
  return out;
}

void row(const std::string& name, double us, double base) {
  std::printf("| %-70s | %9.2f | %6.2fx |\n", name.c_str(), us / 1000, base > 0 ? us / base : 0.0);
}

void header(const std::string& title) {
  std::printf("\n%s\n\n| command | median ms | ratio |\n|---|---:|---:|\n", title.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  fs::path build = fs::read_symlink("/proc/self/exe").parent_path().parent_path().parent_path();
  std::string homeboy = (build / "bin/homeboy").string();

  std::string pattern = (fs::temp_directory_path() / "homeboy-bench-teams-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) return 1;
  fs::path dir = pattern;
  fs::path runtime = dir / "run", native = dir / "native-config", postgres = dir / "postgres-config";
  fs::create_directories(runtime);
  fs::permissions(runtime, fs::perms::owner_all, fs::perm_options::replace);
  fs::create_directories(native);
  // Every command gets the same environment but for what a case changes: the daemons of this
  // run live in its own runtime folder, and no module path of the caller's is searched.
  ::setenv("XDG_RUNTIME_DIR", runtime.c_str(), 1);
  ::setenv("HOMEBOY_MODULE_PATH", "", 1);
  ::unsetenv("HOMEBOY_ISOLATION");
  ::unsetenv("HOMEBOY_CONFIG_DIR");
  auto command = [&](const fs::path& config, std::vector<std::string> args) {
    args.insert(args.begin(), {homeboy, "--config-dir", config.string()});
    return args;
  };
  auto setup = [&](const fs::path& config, std::vector<std::string> args) { time_process(command(config, args), {}); };

  // postgres as a team installs it (the shipped manifest: a daemon), in a namespace of its own.
  setup(postgres, {"module", "install", HOMEBOY_BENCH_POSTGRES_MODULE_DIR, "--no-check"});
  fs::path manifest = postgres / "modules/postgres/postgres.json";
  std::string text;
  {
    std::ifstream in(manifest);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::string from = "\"namespace\": \"default\"", to = "\"namespace\": \"bench-" + std::to_string(::getpid()) + "\"";
  if (text.find(from) == std::string::npos) return 1;
  text.replace(text.find(from), from.size(), to);
  std::ofstream(manifest, std::ios::trunc) << text;
  std::ofstream(postgres / "homeboy.json") << "{\"storage\": \"postgres\"}\n";
  fs::path area = dir / "area";  // on disk for the native default, a path in the database for postgres
  const std::string kib(1024, 'k');
  setup(native, {"storage", "ensure-dir", area.string()});
  setup(native, {"storage", "write", (area / "f").string(), "--content", kib});
  setup(postgres, {"storage", "ensure-dir", area.string()});
  setup(postgres, {"storage", "write", (area / "f").string(), "--content", kib});
  setup(postgres, {"module", "stop", "postgres"});  // the first measured command starts it afresh

  int rounds = quick ? 15 : 41;
  std::string file = (area / "f").string();
  std::vector<Case> reads{
      {"native default (builtin-filesystem in homeboy's process)", command(native, {"storage", "read", "--raw", file}), {}},
      {"postgres as shipped (its daemon: connection kept)", command(postgres, {"storage", "read", "--raw", file}), {}},
      {"postgres in homeboy's process (HOMEBOY_ISOLATION=in_process)", command(postgres, {"storage", "read", "--raw", file}),
       {"HOMEBOY_ISOLATION=in_process"}},
      {"native default isolated (HOMEBOY_ISOLATION=process)", command(native, {"storage", "read", "--raw", file}),
       {"HOMEBOY_ISOLATION=process"}},
  };
  time_process(reads[1].args, {});  // starts the daemon: later commands find it, as a team member's do
  auto read = side_by_side(reads, rounds);

  std::printf("homeboy whole commands for a team (%s; medians of %d interleaved runs each)\n", quick ? "quick" : "full",
              rounds);
  header("`homeboy storage read --raw F`, 1 KiB (ratio to the native default)");
  for (std::size_t i = 0; i < reads.size(); ++i) row(reads[i].name, read[i], read[0]);

  // Separate `storage write` commands, one new file each, interleaved native / postgres.
  int writes = quick ? 200 : 1000;
  std::vector<double> native_writes, postgres_writes;
  auto start = Clock::now();
  double native_total = 0, postgres_total = 0;
  for (int i = 0; i < writes; ++i) {
    std::string name = (area / "w").string() + std::to_string(i);
    double a = time_process(command(native, {"storage", "write", name, "--content", kib}), {});
    double b = time_process(command(postgres, {"storage", "write", name, "--content", kib}), {});
    native_writes.push_back(a);
    postgres_writes.push_back(b);
    native_total += a;
    postgres_total += b;
  }
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  header("`homeboy storage write F --content <1 KiB>`, " + std::to_string(writes) +
         " separate commands each, interleaved (ratio to the native default)");
  row("native default (fsync of the file and its folder)", median(native_writes), median(native_writes));
  row("postgres as shipped (one commit each; fsync and synchronous_commit on)", median(postgres_writes),
      median(native_writes));
  std::printf("\nIn all: native %.1f s, postgres %.1f s (%.2fx), %.0f s of wall time for both.\n", native_total / 1e6,
              postgres_total / 1e6, postgres_total / native_total, wall);

  // The same writes as one `storage batch` command (other files, written afresh each time).
  fs::path batch_file = dir / "batch.json";
  {
    std::ofstream out(batch_file);
    out << '[';
    for (int i = 0; i < writes; ++i)
      out << (i ? "," : "") << "{\"operation\":\"write\",\"path\":\"" << (area / "b").string() << i
          << "\",\"content\":\"" << kib << "\"}";
    out << "]\n";
  }
  std::vector<Case> batches{
      {"native default", command(native, {"storage", "batch", "--file", batch_file.string()}), {}},
      {"postgres as shipped", command(postgres, {"storage", "batch", "--file", batch_file.string()}), {}},
  };
  auto batch = side_by_side(batches, quick ? 3 : 5);
  header("the same " + std::to_string(writes) + " writes: separate commands in all / one `storage batch` command");
  row("native default: one batch (median)", batch[0], batch[0]);
  row("native default: separate commands, in all", native_total, batch[0]);
  row("postgres as shipped: one batch (median)", batch[1], batch[1]);
  row("postgres as shipped: separate commands, in all", postgres_total, batch[1]);

  double pg_read = read[1] / read[0], isolated = read[3] / read[0], write = postgres_total / native_total;
  auto met = [](bool yes) { return yes ? "yes" : "no"; };
  std::printf("\nIssue 20's targets (same run):\n\n| row | target | measured | met |\n|---|---|---:|---|\n");
  std::printf("| whole-process `storage read --raw` through postgres / the native default | <= 2x | %.2fx | %s |\n",
              pg_read, met(pg_read <= 2));
  std::printf("| a native plugin's whole-process read isolated / in-process | <= 1.5x | %.2fx | %s |\n", isolated,
              met(isolated <= 1.5));
  std::printf("| %d separate `storage write` commands through postgres / the native default | <= 1.5x | %.2fx | %s |\n",
              writes, write, met(write <= 1.5));
  std::printf("\n(postgres in homeboy's process, as every command paid before: %.2fx the native default)\n",
              read[2] / read[0]);

  time_process(command(postgres, {"storage", "delete", area.string(), "--recursive"}), {});
  time_process(command(postgres, {"module", "stop", "postgres"}), {});
  fs::remove_all(dir);
  return 0;
}
