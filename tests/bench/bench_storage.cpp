// Storage benchmark: per-operation medians, measured side by side in one run, printed as
// a table of ratios to plain file I/O. Not a test: it prints, it does not judge.
//
//   build/tests/bench/bench_storage [--quick] [--cli | --daemon | --bulk | --postgres]
//   (--cli: only the whole-process rows; --daemon: only the module daemon row)
//
// Rows: read and write of 1 KiB and 1 MiB files through (a) direct fstream code, (b) the
// native builtin-filesystem plugin through the full Storage facade (validation included),
// (c) the scripted builtin-filesystem module (bash, one process per operation); and
// the one-shot spawn cost of the host's launcher against a bare posix_spawn; then 1,000
// reads of 1 KiB through every kind of provider (native, persistent, batch, one-shot),
// the persistent framing against a raw pipe round trip, whole CLI processes with their
// peak memory, how `storage list` and `project list` scale from 1,000 to 100,000 items,
// the peak memory of large batches and files, and issue 15's targets with what this run
// measured for each; bulk work (issue 21: batches of 1 to 100,000 writes through every
// shipped provider and two peers, with SVG plots, the bulk commands, their flushes counted
// by strace); and, when HOMEBOY_BENCH_POSTGRES names a server, the postgres plugin
// (bench_postgres). Native plugins are measured in-process and isolated
// (in a copy of homeboy), next to persistent Python modules (/usr/bin/python3): the
// sqlite-storage module and a minimal file reader; and whole CLI processes served by the
// sqlite-storage daemon against the native default.

#include "bench_util.hpp"
#include "homeboy/transport/process.hpp"
#include "homeboy/providers/registry.hpp"

#include <boost/json.hpp>

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
#include <cstdlib>

extern char** environ;

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

using homeboy::bench::median;
using homeboy::bench::check_exit;
using homeboy::bench::spawn_and_wait;
using homeboy::bench::time_process;

namespace {

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

// --- whole processes, timed and with their peak memory ------------------------------------

struct Run {
  double us = 0;      // wall time, from spawn to reaped
  long peak_kib = 0;  // peak RSS of the process tree (GNU time's %M)
};


// The peak RSS of one run, in KiB, as GNU time reports it (what tests/scale/memory_bounds.sh
// asserts). Not from this process's own wait4: posix_spawn's child shares this process's
// memory until it execs, and the kernel counts that in its peak.
long peak_process(const std::vector<std::string>& args, const std::vector<std::string>& env = {}, bool may_fail = false) {
  static const std::string report = (fs::temp_directory_path() / ("homeboy-bench-peak-" + std::to_string(::getpid()))).string();
  std::vector<std::string> timed{"/usr/bin/time", "-f", "%M", "-o", report};
  timed.insert(timed.end(), args.begin(), args.end());
  check_exit(spawn_and_wait(timed, env), args, may_fail);
  std::ifstream in(report);
  std::string line, last;  // after a failure, GNU time says so on a line of its own first
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  fs::remove(report);
  return std::atol(last.c_str());
}

// Median time of `count` runs, and the peak memory of one more.
Run median_run(const std::vector<std::string>& args, int count, const std::vector<std::string>& env = {}) {
  std::vector<double> us;
  for (int i = 0; i < count; ++i) us.push_back(time_process(args, env));
  return {median(us), peak_process(args, env)};
}

double mib(long kib) { return static_cast<double>(kib) / 1024; }

// What this run measured for issue 15's table, printed at the end with the targets.
struct Issue15 {
  double read_raw_ratio = 0;             // storage read --raw (native) / cat
  double exchange_ratio = 0;             // persistent exchange / raw pipe round trip
  long batch_10k_kib = 0;                // peak RSS, native batch of 10,000 small reads
  std::size_t batch_10k_content = 0;     // the bytes those reads carry
  double projects_10k_ms = 0;            // project list, 10,000 projects (native)
  long projects_10k_kib = 0;
  double list_100k_ratio = 0;            // storage list of 100,000 entries / ls -f
  double bash_read_ms = 0;               // one-shot read through the bash module
} issue15;

fs::path homeboy_exe() { return fs::read_symlink("/proc/self/exe").parent_path().parent_path().parent_path() / "bin/homeboy"; }

void row(const std::string& name, double us, double base) {
  char line[200];
  std::snprintf(line, sizeof line, "| %-56s | %12.1f | %8.2fx |", name.c_str(), us, base > 0 ? us / base : 0.0);
  std::cout << line << '\n';
}

void header(const std::string& title) {
  std::cout << "\n" << title << "\n\n| case | median us/op | ratio |\n|---|---:|---:|\n";
}

void process_header(const std::string& title) {
  std::cout << "\n" << title << "\n\n| case | median ms | ratio | peak RSS MiB |\n|---|---:|---:|---:|\n";
}

void process_row(const std::string& name, const Run& run, double base_us) {
  char line[220];
  std::snprintf(line, sizeof line, "| %-56s | %9.2f | %8.2fx | %12.1f |", name.c_str(), run.us / 1000,
                base_us > 0 ? run.us / base_us : 0.0, mib(run.peak_kib));
  std::cout << line << '\n';
}

// --- 1,000 reads of 1 KiB through every kind of provider ------------------------------

fs::path source_modules() { return fs::path(HOMEBOY_BENCH_SOURCE_MODULES_DIR); }

homeboy::Module sqlite_module(const fs::path& dir, bool persistent) {
  // The shipped sqlite-storage module, persistent (its daemon mode is measured on its own,
  // whole-process) or forced to one process per operation.
  fs::path folder = dir / (persistent ? "sqlite-storage" : "sqlite-oneshot");
  fs::create_directories(folder);
  fs::copy_file(source_modules() / "sqlite-storage/storage.py", folder / "storage.py", fs::copy_options::overwrite_existing);
  std::ifstream in(source_modules() / "sqlite-storage/sqlite-storage.json");
  std::stringstream text;
  text << in.rdbuf();
  std::string manifest = text.str();
  if (!persistent) manifest.replace(manifest.find("\"persistent\": true"), 18, "\"persistent\": false");
  manifest.replace(manifest.find("\"daemon\": true"), 14, "\"daemon\": false");
  std::ofstream(folder / (folder.filename().string() + ".json")) << manifest;
  return homeboy::load_module(folder);
}

// A minimal persistent Python module that reads the file it is asked for: the least a
// scripted provider can do per request.
homeboy::Module python_reader_module(const fs::path& dir) {
  fs::path folder = dir / "py-reader";
  fs::create_directories(folder);
  std::ofstream(folder / "read.py") << R"(import json, sys
for line in sys.stdin:
    request = json.loads(line)
    try:
        with open(request["path"], encoding="utf-8") as f:
            answer = {"success": True, "data": f.read()}
    except OSError as e:
        answer = {"success": False, "error": str(e), "error_code": "io_error"}
    answer["id"] = request["id"]
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
)";
  std::ofstream(folder / "py-reader.json")
      << R"({"name": "Python reader", "version": "1.0.0", "runtime": {"executable": "/usr/bin/python3 -S read.py",
             "persistent": true}, "storage_provider": {"storage_type": "bench", "config": {}}})";
  return homeboy::load_module(folder);
}

double per_op(const std::function<void()>& op, int count) {
  auto t0 = Clock::now();
  for (int i = 0; i < count; ++i) op();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / count;
}

// Raw round trip to an echo child (/bin/cat) over pipes, without the host.
double raw_pipe_round_trip(int count) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC)) std::abort();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  char* argv[] = {const_cast<char*>("/bin/cat"), nullptr};
  pid_t pid;
  if (posix_spawn(&pid, "/bin/cat", &fa, nullptr, argv, environ) != 0) std::abort();
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  std::string line = "{\"operation\":\"read\",\"path\":\"/x\",\"id\":1}\n";
  char buf[4096];
  double us = per_op([&] {
    if (::write(in[1], line.data(), line.size()) < 0) std::abort();
    std::size_t got = 0;
    while (got < line.size()) {
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) std::abort();
      got += static_cast<std::size_t>(n);
    }
  }, count);
  ::close(in[1]);
  ::close(out[0]);
  ::waitpid(pid, nullptr, 0);
  return us;
}

void bench_throughput(const fs::path& dir, const fs::path& modules, bool quick) {
  const int files = 1000;
  fs::path data = dir / "many";
  fs::create_directories(data);
  std::vector<std::string> paths;
  std::string content(1024, 'k');
  for (int i = 0; i < files; ++i) {
    paths.push_back((data / std::to_string(i)).string());
    direct_write(paths.back(), content);
  }
  homeboy::Module builtin = homeboy::load_module(modules / "builtin-filesystem");
  auto native = homeboy::open_provider(builtin, dir, homeboy::TransportPreference::native);
  auto script = homeboy::open_provider(builtin, dir, homeboy::TransportPreference::subprocess);
  auto python = homeboy::open_provider(sqlite_module(dir, true), dir, homeboy::TransportPreference::automatic);
  auto python_once = homeboy::open_provider(sqlite_module(dir, false), dir, homeboy::TransportPreference::automatic);
  auto isolated =
      homeboy::open_provider(builtin, dir, homeboy::TransportPreference::native, homeboy::IsolationPreference::process);
  auto python_reader = homeboy::open_provider(python_reader_module(dir), dir, homeboy::TransportPreference::automatic);
  // The Python module stores in its database: load the same 1,000 files into it first.
  python->ensure_dir(data.string());
  std::vector<std::pair<std::string, std::string>> load;
  for (const auto& p : paths) load.emplace_back(p, content);
  python->write_many(load);

  // The bare persistent exchange (an echo child, no provider work), measured in the same
  // rounds as the providers: the isolation target is stated against it.
  homeboy::Launch cat;
  cat.argv = {"/bin/cat"};
  homeboy::PersistentProcess echo(cat);
  const std::string echo_line = "{\"operation\":\"read\",\"path\":\"/x\",\"id\":1}";

  int rounds = quick ? 3 : 5;
  std::vector<double> direct, nat, iso, exchange, pers, py_reader, bash_batch, py_batch, bash_batch100;
  for (int r = 0; r < rounds; ++r) {
    int k = 0;
    direct.push_back(per_op([&] { direct_read(paths[k++ % files]); }, files));
    k = 0;
    nat.push_back(per_op([&] { native->read(paths[k++ % files]); }, files));
    k = 0;
    iso.push_back(per_op([&] { isolated->read(paths[k++ % files]); }, files));
    exchange.push_back(per_op([&] { echo.exchange(echo_line, std::chrono::seconds(5)); }, files));
    k = 0;
    pers.push_back(per_op([&] { python->read(paths[k++ % files]); }, files));
    k = 0;
    py_reader.push_back(per_op([&] { python_reader->read(paths[k++ % files]); }, files));
    bash_batch.push_back(per_op([&] { script->read_many(paths); }, 1) / files);
    py_batch.push_back(per_op([&] { python->read_many(paths); }, 1) / files);
    std::vector<std::string> hundred(paths.begin(), paths.begin() + 100);
    bash_batch100.push_back(per_op([&] { script->read_many(hundred); }, 1));
  }
  int samples = quick ? 3 : 7;
  std::vector<double> bash_once, py_once, bash_batch1;
  for (int i = 0; i < samples; ++i) {
    bash_once.push_back(per_op([&] { script->read(paths[i]); }, 1));
    py_once.push_back(per_op([&] { python_once->read(paths[i]); }, 1));
    bash_batch1.push_back(per_op([&] { script->read_many({paths[i]}); }, 1));
  }
  double base = median(direct);
  header("1,000 reads of 1 KiB files, per read (ratio to direct I/O)");
  row("direct std::ifstream", base, base);
  row("native builtin-filesystem plugin, in-process", median(nat), base);
  row("native builtin-filesystem plugin, isolated", median(iso), base);
  row("persistent exchange with an echo child (no provider)", median(exchange), base);
  row("persistent Python module (sqlite-storage)", median(pers), base);
  row("persistent Python file reader (minimal)", median(py_reader), base);
  row("batch of 1,000 to the bash module", median(bash_batch), base);
  row("batch of 1,000 to the Python module", median(py_batch), base);
  row("one-shot bash module, one process per read", median(bash_once), base);
  row("one-shot Python module, one process per read", median(py_once), base);

  double rtt = 0, framed = 0;
  {
    std::vector<double> raw, host;
    homeboy::Launch cat;
    cat.argv = {"/bin/cat"};
    for (int r = 0; r < rounds; ++r) {
      raw.push_back(raw_pipe_round_trip(2000));
      homeboy::PersistentProcess child(cat);
      std::string line = "{\"operation\":\"read\",\"path\":\"/x\",\"id\":1}";
      host.push_back(per_op([&] { child.exchange(line, std::chrono::seconds(5)); }, 2000));
    }
    rtt = median(raw);
    framed = median(host);
  }
  header("persistent framing: the host's exchange vs a raw pipe round trip (echo child /bin/cat)");
  row("raw write + read round trip", rtt, rtt);
  row("homeboy::PersistentProcess::exchange", framed, rtt);

  double spawn1 = median(bash_batch1), spawn100 = median(bash_batch100), batch1000 = median(bash_batch) * files;
  double marginal = (spawn100 - spawn1) / 99;
  issue15.exchange_ratio = framed / rtt;
  issue15.bash_read_ms = median(bash_once) / 1000;
  std::cout << "\nTargets (same run):\n";
  std::printf("- persistent exchange / raw round trip: %.2fx (target <= 1.5x; was <= 3x)\n", framed / rtt);
  std::printf("- isolated read %.1f us = in-process %.1f us + %.1f us of isolation; / (persistent exchange %.1f us +"
              " in-process %.1f us): %.2fx (target <= 1.5x)\n",
              median(iso), median(nat), median(iso) - median(nat), median(exchange), median(nat),
              median(iso) / (median(exchange) + median(nat)));
  std::printf("- isolated / persistent Python per read: %.2fx (sqlite-storage), %.2fx (minimal reader)\n",
              median(iso) / median(pers), median(iso) / median(py_reader));
  std::printf("- one-shot Python / persistent Python, per read: %.0fx (target >= 100x)\n", median(py_once) / median(pers));
  std::printf("- bash batch of 1,000: %.1f ms; one spawn (batch of 1) %.1f ms + 1,000 x %.3f ms marginal (from a batch of 100)"
              " = %.1f ms; ratio %.2fx (target <= 2x)\n",
              batch1000 / 1000, spawn1 / 1000, marginal / 1000, (spawn1 + 1000 * marginal) / 1000,
              batch1000 / (spawn1 + 1000 * marginal));
}

// --- whole CLI processes -------------------------------------------------------------------

void bench_cli(const fs::path& dir, bool quick) {
  fs::path exe = homeboy_exe();
  fs::path file = dir / "cli.txt";
  direct_write(file.string(), std::string(1024, 'c'));
  fs::path config = dir / "cli-config";
  fs::create_directories(config / "modules");
  std::vector<std::string> cat{"/bin/cat", file.string()},
      read{exe.string(), "--config-dir", config.string(), "storage", "read", "--raw", file.string()};
  int n = quick ? 15 : 41;
  std::vector<double> cat_us, read_us;
  for (int i = 0; i < n; ++i) {  // interleaved: drift hits both alike
    cat_us.push_back(time_process(cat));
    read_us.push_back(time_process(read));
  }
  Run cat_run{median(cat_us), peak_process(cat)};
  Run read_run{median(read_us), peak_process(read)};
  issue15.read_raw_ratio = read_run.us / cat_run.us;
  // 1,000 installed modules, each a small manifest.
  for (int i = 0; i < 1000; ++i) {
    fs::path m = config / "modules" / ("module-" + std::to_string(i));
    fs::create_directories(m);
    std::ofstream(m / ("module-" + std::to_string(i) + ".json"))
        << "{\"name\":\"Module " << i << "\",\"version\":\"1.0.0\",\"runtime\":{\"executable\":\"bash run.sh\"}}";
  }
  Run modules = median_run({exe.string(), "--config-dir", config.string(), "module", "list"}, n);
  process_header("whole processes (cold start each time: posix_spawn and waitpid, no supervisor; peak RSS from GNU time)");
  process_row("cat F (1 KiB)", cat_run, cat_run.us);
  process_row("homeboy storage read --raw F (native default)", read_run, cat_run.us);
  process_row("homeboy module list, 1,000 modules installed", modules, cat_run.us);
  std::printf("\nTargets (same run):\n- storage read --raw / cat: %.2fx (target <= 1.5x)\n"
              "- module list with 1,000 modules: %.1f ms (target < 100 ms)\n",
              issue15.read_raw_ratio, modules.us / 1000);

  // 10 MiB through the isolation helper (raw bytes after a line that announces them) and
  // in-process, interleaved.
  fs::path big = dir / "cli-10mib.txt", source = dir / "cli-10mib-source.txt";
  std::string content(std::size_t{10} << 20, 'x');
  for (std::size_t i = 0; i < content.size(); i += 61) content[i] = '\n';
  direct_write(source.string(), content);
  direct_write(big.string(), content);
  std::vector<std::string> in_process{"HOMEBOY_ISOLATION=in_process"}, isolated{"HOMEBOY_ISOLATION=process"};
  std::vector<std::string> read_big{exe.string(), "--config-dir", config.string(), "storage", "read", "--raw", big.string()},
      write_big{exe.string(), "--config-dir", config.string(), "storage", "write", (dir / "cli-10mib-out.txt").string(),
                "--file", source.string()};
  std::vector<double> r_in, r_iso, w_in, w_iso;
  for (int i = 0; i < (quick ? 9 : 21); ++i) {
    r_in.push_back(time_process(read_big, in_process));
    r_iso.push_back(time_process(read_big, isolated));
    w_in.push_back(time_process(write_big, in_process));
    w_iso.push_back(time_process(write_big, isolated));
  }
  Run read_in{median(r_in), peak_process(read_big, in_process)}, read_iso{median(r_iso), peak_process(read_big, isolated)};
  Run write_in{median(w_in), peak_process(write_big, in_process)}, write_iso{median(w_iso), peak_process(write_big, isolated)};
  process_header("a 10 MiB file, whole processes, in-process and isolated (HOMEBOY_ISOLATION; the write fsyncs)");
  process_row("storage read --raw, in-process", read_in, read_in.us);
  process_row("storage read --raw, isolated", read_iso, read_in.us);
  process_row("storage write --file, in-process", write_in, write_in.us);
  process_row("storage write --file, isolated", write_iso, write_in.us);
  std::printf("\nTargets (same run):\n- 10 MiB read isolated / in-process: %.2fx (target <= 2x)\n"
              "- 10 MiB write isolated / in-process: %.2fx (target <= 2x)\n",
              read_iso.us / read_in.us, write_iso.us / write_in.us);
}

// --- how listings scale -------------------------------------------------------------------

// A folder of `count` empty files, entry-000000 ...
fs::path entries_folder(const fs::path& dir, int count) {
  fs::path folder = dir / ("entries-" + std::to_string(count));
  fs::create_directories(folder);
  char name[32];
  for (int i = 0; i < count; ++i) {
    std::snprintf(name, sizeof name, "entry-%06d", i);
    int fd = ::open((folder / name).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) std::abort();
    ::close(fd);
  }
  return folder;
}

// A config folder holding `count` projects.
fs::path projects_config(const fs::path& dir, int count) {
  fs::path config = dir / ("projects-" + std::to_string(count));
  fs::create_directories(config / "projects");
  for (int i = 0; i < count; ++i)
    std::ofstream(config / "projects" / ("project-" + std::to_string(i) + ".json"))
        << "{\n  \"id\": \"project-" << i << "\",\n  \"name\": \"Project " << i
        << "\",\n  \"component_ids\": [\"api\", \"web\"]\n}\n";
  return config;
}

void bench_scale(const fs::path& dir, bool quick) {
  fs::path exe = homeboy_exe();
  fs::path empty_config = dir / "scale-config";
  std::cout << "\nscale: storage list of a folder and project list, by number of items (native default;\n"
               "median of " << (quick ? 3 : 5) << " runs, 3 at 100,000)\n\n"
               "| items | storage list ms | peak RSS MiB | ls -f ms | ratio to ls -f | project list ms | peak RSS MiB |\n"
               "|---:|---:|---:|---:|---:|---:|---:|\n";
  for (int count : {1000, 10000, 100000}) {
    int n = count == 100000 ? 3 : (quick ? 3 : 5);
    fs::path folder = entries_folder(dir, count), config = projects_config(dir, count);
    std::vector<std::string> list{exe.string(), "--config-dir", empty_config.string(), "storage", "list", folder.string()};
    std::vector<double> list_us, ls_us;
    for (int i = 0; i < n; ++i) {  // interleaved with ls -f: drift hits both alike
      list_us.push_back(time_process(list));
      ls_us.push_back(time_process({"/bin/ls", "-f", folder.string()}));
    }
    long list_kib = peak_process(list);
    Run projects = median_run({exe.string(), "--config-dir", config.string(), "project", "list"}, n);
    double ratio = median(list_us) / median(ls_us);
    char line[200];
    std::snprintf(line, sizeof line, "| %7d | %15.1f | %12.1f | %8.1f | %13.2fx | %15.1f | %12.1f |", count,
                  median(list_us) / 1000, mib(list_kib), median(ls_us) / 1000, ratio, projects.us / 1000,
                  mib(projects.peak_kib));
    std::cout << line << '\n';
    if (count == 100000) issue15.list_100k_ratio = ratio;
    if (count == 10000) issue15.projects_10k_ms = projects.us / 1000, issue15.projects_10k_kib = projects.peak_kib;
    fs::remove_all(folder);
    fs::remove_all(config);
  }
}

// --- peak memory of large work --------------------------------------------------------------

void bench_memory(const fs::path& dir) {
  fs::path exe = homeboy_exe();
  fs::path config = dir / "memory-config", small = dir / "small";
  fs::create_directories(small);
  const std::vector<std::string> native{}, script{"HOMEBOY_STORAGE_TRANSPORT=subprocess"};
  auto homeboy = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {exe.string(), "--config-dir", config.string()});
    return args;
  };
  std::cout << "\npeak memory (one run each; the whole process tree's peak RSS, from GNU time)\n\n"
               "| case | peak RSS MiB | bound MiB | within |\n|---|---:|---:|---|\n";
  auto report = [](const std::string& name, long kib, double bound_bytes) {
    char line[200];
    std::snprintf(line, sizeof line, "| %-58s | %12.1f | %9.1f | %-6s |", name.c_str(), mib(kib),
                  bound_bytes / (1 << 20), static_cast<double>(kib) * 1024 <= bound_bytes ? "yes" : "NO");
    std::cout << line << '\n';
  };
  // 10,000 reads of 15-byte files, in one batch.
  std::string reads = "[";
  for (int i = 0; i < 10000; ++i) {
    char content[16];
    std::snprintf(content, sizeof content, "content %07d", i);
    std::string path = (small / (std::string("f") + std::to_string(i))).string();
    direct_write(path, content);
    reads += std::string(i ? "," : "") + "{\"operation\":\"read\",\"path\":\"" + path + "\"}";
  }
  std::ofstream(dir / "reads.json") << reads << "]";
  std::size_t content = 10000 * 15;
  double bound = static_cast<double>(content + (std::size_t{16} << 20));
  long n10k = peak_process(homeboy({"storage", "batch", "--file", (dir / "reads.json").string()}), native);
  long s10k = peak_process(homeboy({"storage", "batch", "--file", (dir / "reads.json").string()}), script);
  issue15.batch_10k_kib = n10k;
  issue15.batch_10k_content = content;
  report("batch of 10,000 reads of 15 bytes (native)", n10k, bound);
  report("batch of 10,000 reads of 15 bytes (bash module)", s10k, bound);
  // 100,000 failing reads: bounded by what goes in and comes out.
  std::string failing = "[";
  for (int i = 0; i < 100000; ++i)
    failing += std::string(i ? "," : "") + "{\"operation\":\"read\",\"path\":\"" + (dir / "missing").string() + "/f" +
               std::to_string(i) + "\"}";
  failing += "]";
  std::ofstream(dir / "failing.json") << failing;
  long f100k = peak_process(homeboy({"storage", "batch", "--file", (dir / "failing.json").string()}), native, true);
  std::size_t output = 0;
  {
    std::string out_file = (dir / "failing.out").string();
    std::string command = exe.string() + " --config-dir " + config.string() + " storage batch --file " +
                          (dir / "failing.json").string() + " > " + out_file;
    if (std::system(command.c_str()) == -1) std::abort();
    output = fs::file_size(out_file);
  }
  report("batch of 100,000 failing reads (native; bound: in + out + 16 MiB)", f100k,
         static_cast<double>(failing.size() + output + (std::size_t{16} << 20)));
  // A 100 MiB text file, read and written.
  std::size_t size = std::size_t{100} << 20;
  std::string text(size, 'x');
  for (std::size_t i = 76; i < size; i += 77) text[i] = '\n';
  fs::path big = dir / "big", out = dir / "big-out";
  direct_write(big.string(), text);
  std::string().swap(text);
  for (const auto& [label, env] : {std::pair{std::string("native"), native}, std::pair{std::string("bash module"), script}}) {
    report("read --raw of a 100 MiB file (" + label + ")",
           peak_process(homeboy({"storage", "read", "--raw", big.string()}), env), 3.0 * size);
    report("read of a 100 MiB file, JSON envelope (" + label + ")",
           peak_process(homeboy({"storage", "read", big.string()}), env), 3.0 * size);
    report("write of a 100 MiB file (" + label + ")",
           peak_process(homeboy({"storage", "write", out.string(), "--file", big.string()}), env), 3.0 * size);
    fs::remove(out);
  }
  fs::remove(big);
  fs::remove_all(small);
}

void print_issue15(double daemon_ratio) {
  auto yes = [](bool met) { return met ? "yes" : "NO"; };
  char line[400];
  std::cout << "\nissue 15, measured in this run\n\n| row | target | measured | met |\n|---|---|---|---|\n";
  std::snprintf(line, sizeof line,
                "| whole-process `storage read --raw` via the sqlite-storage daemon / the same via native | <= 2x | %.2fx | %s |\n",
                daemon_ratio, yes(daemon_ratio <= 2));
  std::cout << line;
  std::snprintf(line, sizeof line, "| whole-process `storage read --raw` native / `cat` | <= 1.5x | %.2fx | %s |\n",
                issue15.read_raw_ratio, yes(issue15.read_raw_ratio <= 1.5));
  std::cout << line;
  std::snprintf(line, sizeof line, "| persistent exchange / raw pipe round trip | <= 1.5x | %.2fx | %s |\n",
                issue15.exchange_ratio, yes(issue15.exchange_ratio <= 1.5));
  std::cout << line;
  double bound = static_cast<double>(issue15.batch_10k_content + (std::size_t{16} << 20));
  std::snprintf(line, sizeof line,
                "| peak RSS, native batch of 10,000 small reads | <= content + 16 MiB (%.1f MiB) | %.1f MiB | %s |\n",
                bound / (1 << 20), mib(issue15.batch_10k_kib), yes(static_cast<double>(issue15.batch_10k_kib) * 1024 <= bound));
  std::cout << line;
  std::snprintf(line, sizeof line,
                "| `project list`, 10,000 projects (native) | < 150 ms and < 64 MiB | %.1f ms, %.1f MiB | %s |\n",
                issue15.projects_10k_ms, mib(issue15.projects_10k_kib),
                yes(issue15.projects_10k_ms < 150 && issue15.projects_10k_kib < 64 * 1024));
  std::cout << line;
  std::snprintf(line, sizeof line, "| `storage list` of 100,000 entries / `ls -f` of the same folder | <= 3x time | %.2fx | %s |\n",
                issue15.list_100k_ratio, yes(issue15.list_100k_ratio <= 3));
  std::cout << line;
  std::snprintf(line, sizeof line, "| one-shot bash read | <= 12 ms | %.1f ms | %s |\n", issue15.bash_read_ms,
                yes(issue15.bash_read_ms <= 12));
  std::cout << line;
}


// --- PostgreSQL: the postgres plugin against a reachable server ---------------------------
//
// Runs when HOMEBOY_BENCH_POSTGRES names a conninfo ("" for the PG* variables alone):
//   HOMEBOY_BENCH_POSTGRES='host=/tmp/pg port=5433 dbname=bench' build/tests/bench/bench_storage --postgres
// Every operation once through the postgres plugin and once through the native
// builtin-filesystem plugin (the same facade), 1,000 writes as one batch (one transaction)
// against 1,000 single writes, and whole CLI processes with 1,000 projects. It works in a
// namespace of its own and removes what it wrote.

#ifdef HOMEBOY_BENCH_POSTGRES_MODULE_DIR
fs::path postgres_module(const fs::path& parent, const std::string& conninfo, const std::string& ns) {
  fs::path folder = parent / "postgres";
  fs::create_directories(folder);
  fs::copy_file(fs::path(HOMEBOY_BENCH_POSTGRES_MODULE_DIR) / "libhomeboy_postgres.so", folder / "libhomeboy_postgres.so",
                fs::copy_options::overwrite_existing);
  boost::json::object manifest{
      {"name", "PostgreSQL Storage"},
      {"version", "1.0.0"},
      {"runtime", {{"library", "libhomeboy_postgres.so"}}},
      {"storage_provider", {{"storage_type", "postgres"}, {"config", {{"conninfo", conninfo}, {"namespace", ns}}}}}};
  std::ofstream(folder / "postgres.json") << boost::json::serialize(manifest);
  return folder;
}

// Median microseconds of `op(i)` over `count` calls, each timed alone.
double each(int count, const std::function<void(int)>& op) {
  std::vector<double> samples;
  for (int i = 0; i < count; ++i) {
    auto t0 = Clock::now();
    op(i);
    samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return median(samples);
}

void bench_postgres(const fs::path& dir, const fs::path& modules, bool quick) {
  const char* conninfo = std::getenv("HOMEBOY_BENCH_POSTGRES");
  if (!conninfo) {
    std::cout << "\n(PostgreSQL rows skipped: set HOMEBOY_BENCH_POSTGRES to a conninfo to run them)\n";
    return;
  }
  const std::string ns = "bench-" + std::to_string(::getpid());
  fs::path config = dir / "pg-config";
  fs::create_directories(config / "modules");
  homeboy::Module module = homeboy::load_module(postgres_module(config / "modules", conninfo, ns));
  std::ofstream(config / "homeboy.json") << "{\"storage\": \"postgres\"}\n";
  auto pg = homeboy::open_provider(module, config, homeboy::TransportPreference::native);
  auto fsn = homeboy::open_provider(homeboy::load_module(modules / "builtin-filesystem"), dir,
                                    homeboy::TransportPreference::native);
  const std::string area = (dir / "pg-area").string();
  const std::string content(1024, 'p');
  for (auto* s : {pg.get(), fsn.get()}) {
    s->ensure_dir(area + "/list");
    for (int i = 0; i < 10; ++i) s->write(area + "/list/" + std::to_string(i), content);
    s->write(area + "/f", content);
  }
  int rounds = quick ? 3 : 7, per_round = quick ? 30 : 100;
  auto pair = [&](const std::function<void(homeboy::Storage&)>& op) {
    return measure({[&] { op(*fsn); }, [&] { op(*pg); }}, rounds, per_round);
  };
  auto read = pair([&](homeboy::Storage& s) { s.read(area + "/f"); });
  auto write = pair([&](homeboy::Storage& s) { s.write(area + "/f", content); });
  auto conditional = pair([&](homeboy::Storage& s) {
    s.write(area + "/f", content, homeboy::contract::Condition::matching(*s.read_versioned(area + "/f").version));
  });
  auto list = pair([&](homeboy::Storage& s) { s.list(area + "/list"); });
  auto ensure = pair([&](homeboy::Storage& s) { s.ensure_dir(area + "/list"); });
  int deletes = quick ? 100 : 300;
  for (auto* s : {pg.get(), fsn.get()}) {
    std::vector<std::pair<std::string, std::string>> files;
    for (int i = 0; i < deletes; ++i) files.emplace_back(area + "/d" + std::to_string(i), content);
    s->write_many(files);
  }
  double remove_fs = each(deletes, [&](int i) { fsn->remove(area + "/d" + std::to_string(i)); });
  double remove_pg = each(deletes, [&](int i) { pg->remove(area + "/d" + std::to_string(i)); });

  header("PostgreSQL plugin, one operation (1 KiB; ratio to the native builtin-filesystem plugin)");
  auto rows = [&](const std::string& op, double fs_us, double pg_us) {
    row(op + ": builtin-filesystem (native)", fs_us, fs_us);
    row(op + ": postgres", pg_us, fs_us);
  };
  rows("read", read[0], read[1]);
  rows("write", write[0], write[1]);
  rows("read + write if version", conditional[0], conditional[1]);
  rows("list, 10 entries", list[0], list[1]);
  rows("ensure_dir, existing", ensure[0], ensure[1]);
  rows("delete", remove_fs, remove_pg);

  // 1,000 writes: one batch (one transaction) against one call each.
  std::vector<std::pair<std::string, std::string>> thousand;
  for (int i = 0; i < 1000; ++i) thousand.emplace_back(area + "/many-" + std::to_string(i), content);
  std::vector<double> batch_pg, single_pg, batch_fs, single_fs;
  for (int r = 0; r < (quick ? 2 : 5); ++r) {
    batch_pg.push_back(per_op([&] { pg->write_many(thousand); }, 1) / 1000);
    single_pg.push_back(per_op([&] { for (const auto& [p, c] : thousand) pg->write(p, c); }, 1) / 1000);
    batch_fs.push_back(per_op([&] { fsn->write_many(thousand); }, 1) / 1000);
    single_fs.push_back(per_op([&] { for (const auto& [p, c] : thousand) fsn->write(p, c); }, 1) / 1000);
  }
  header("PostgreSQL plugin, 1,000 writes of 1 KiB, per write (ratio to 1,000 single postgres writes)");
  row("postgres, 1,000 single writes", median(single_pg), median(single_pg));
  row("postgres, one batch of 1,000 (one transaction)", median(batch_pg), median(single_pg));
  row("builtin-filesystem (native), 1,000 single writes", median(single_fs), median(single_pg));
  row("builtin-filesystem (native), one batch of 1,000", median(batch_fs), median(single_pg));

  // Whole processes: each one connects anew.
  fs::path exe = fs::read_symlink("/proc/self/exe").parent_path().parent_path().parent_path() / "bin/homeboy";
  std::vector<std::pair<std::string, std::string>> projects;
  fs::path fs_config = dir / "pg-fs-config";
  fs::create_directories(fs_config / "projects");
  for (int i = 0; i < 1000; ++i) {
    std::string id = "project-" + std::to_string(i);
    std::string doc = "{\n  \"id\": \"" + id + "\",\n  \"name\": \"Project " + std::to_string(i) +
                      "\",\n  \"component_ids\": [\"api\", \"web\"]\n}\n";
    projects.emplace_back((config / "projects" / (id + ".json")).string(), doc);
    direct_write((fs_config / "projects" / (id + ".json")).string(), doc);
  }
  pg->ensure_dir((config / "projects").string());
  pg->write_many(projects);
  int n = quick ? 9 : 21;
  auto cli = [&](const fs::path& folder, std::vector<std::string> args) {
    args.insert(args.begin(), {exe.string(), "--config-dir", folder.string()});
    std::vector<double> us;
    for (int i = 0; i < n; ++i) us.push_back(time_process(args));
    return median(us);
  };
  double read_fs = cli(fs_config, {"storage", "read", "--raw", area + "/f"});
  double read_pg = cli(config, {"storage", "read", "--raw", area + "/f"});
  double list_fs = cli(fs_config, {"project", "list"});
  double list_pg = cli(config, {"project", "list"});
  header("PostgreSQL plugin, whole processes (cold start and a new connection each time)");
  row("homeboy storage read --raw F: builtin-filesystem", read_fs, read_fs);
  row("homeboy storage read --raw F: postgres", read_pg, read_fs);
  row("homeboy project list, 1,000 projects: builtin-filesystem", list_fs, list_fs);
  row("homeboy project list, 1,000 projects: postgres", list_pg, list_fs);

  pg->remove(area, true);
  pg->remove((config / "projects").string(), true);
}
#endif
// --- whole process through the sqlite-storage daemon ---------------------------------------


// The ratio of a read through the daemon to the same read through the native default.
double bench_daemon(const fs::path& dir, bool quick) {
  fs::path exe = fs::read_symlink("/proc/self/exe").parent_path().parent_path().parent_path() / "bin/homeboy";
  // Its own runtime folder, so the daemon is this run's alone and stopped at the end.
  fs::path runtime = dir / "runtime";
  fs::create_directories(runtime);
  ::setenv("XDG_RUNTIME_DIR", runtime.c_str(), 1);
  fs::path file = dir / "daemon.txt";
  direct_write(file.string(), std::string(1024, 'd'));
  fs::path native_config = dir / "daemon-native-config", sqlite_config = dir / "daemon-sqlite-config";
  fs::create_directories(native_config);
  std::string config_flag = "--config-dir";
  auto homeboy = [&](const fs::path& config, std::vector<std::string> args) {
    args.insert(args.begin(), {exe.string(), config_flag, config.string()});
    return args;
  };
  time_process(homeboy(sqlite_config, {"module", "install", (source_modules() / "sqlite-storage").string()}));
  time_process(homeboy(sqlite_config, {"storage", "ensure-dir", dir.string()}));
  time_process(homeboy(sqlite_config, {"storage", "write", file.string(), "--content", std::string(1024, 'd')}));
  auto native_read = homeboy(native_config, {"storage", "read", "--raw", file.string()});
  auto daemon_read = homeboy(sqlite_config, {"storage", "read", "--raw", file.string()});

  int n = quick ? 15 : 41;
  std::vector<double> native, daemon;
  time_process(daemon_read);  // the daemon starts here, once
  for (int i = 0; i < n; ++i) {
    native.push_back(time_process(native_read));
    daemon.push_back(time_process(daemon_read));
  }
  time_process(homeboy(sqlite_config, {"module", "stop", "--all"}));
  ::unsetenv("XDG_RUNTIME_DIR");

  double native_us = median(native), daemon_us = median(daemon);
  header("whole processes through a module daemon (interleaved; started by posix_spawn, no supervisor)");
  row("homeboy storage read --raw F (native default)", native_us, native_us);
  row("homeboy storage read --raw F (sqlite-storage daemon)", daemon_us, native_us);
  std::printf("\nTargets (same run):\n- storage read --raw via the sqlite-storage daemon / native: %.2fx (target <= 2x)\n",
              daemon_us / native_us);
  return daemon_us / native_us;
}

// --- bulk work and durability (issue 21) ----------------------------------------------------
// Bulk commands as whole processes, side by side with their peers, interleaved:
//   - a `storage batch` of N small writes into one folder through every shipped provider
//     (the native plugin, the bash and PHP modules, the sqlite-storage daemon), against
//     `cp -r` of the same files then `sync -f`, and the same rows in one SQLite transaction
//     (the sqlite3 program, its defaults: rollback journal, synchronous=FULL), for N from 1
//     to 100,000: time and peak memory, as a table and as SVG plots (gnuplot);
//   - migrate, import, export, bulk create and rename of a much-referenced server, with the
//     ratios issue 21 asks for;
//   - the flushes (fsync, fdatasync, syncfs) and renames of each, counted by strace.

namespace bulk {

std::string document(std::size_t i) {
  return "{\n  \"id\": \"doc-" + std::to_string(i) + "\",\n  \"name\": \"Document " + std::to_string(i) +
         "\",\n  \"settings\": {\"php\": \"8.2\", \"hosts\": [\"a\", \"b\"]}\n}\n";
}

// stdout of a command (posix_spawn, stdin on /dev/null).
std::string capture(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  std::vector<std::string> env_storage;
  for (char** e = environ; *e; ++e) env_storage.emplace_back(*e);
  env_storage.insert(env_storage.end(), env.begin(), env.end());
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  for (const auto& e : env_storage) envp.push_back(const_cast<char*>(e.c_str()));
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  int out[2];
  if (::pipe(out) != 0) std::abort();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data()) != 0) std::abort();
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  std::string text;
  char buffer[65536];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return text;
}

bool have(const char* program) { return ::access(program, X_OK) == 0; }

// The flushes and renames of one run, from `strace -f -c` (the command and every process it
// starts). Zeroes when strace is not installed.
struct Syscalls {
  long fsync = 0, fdatasync = 0, syncfs = 0, renames = 0;
  long barriers() const { return fsync + fdatasync + syncfs; }
};
Syscalls count_syscalls(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  Syscalls out;
  if (!have("/usr/bin/strace")) return out;
  std::string report = (fs::temp_directory_path() / ("homeboy-bench-strace-" + std::to_string(::getpid()))).string();
  std::vector<std::string> traced{"/usr/bin/strace", "-f", "-qq", "-c", "-o", report,
                                  "-e", "trace=fsync,fdatasync,syncfs,rename,renameat,renameat2"};
  traced.insert(traced.end(), args.begin(), args.end());
  check_exit(spawn_and_wait(traced, env), args, false);
  // Rows: "% time  seconds  usecs/call  calls  [errors]  syscall"; the name is last, calls fourth.
  std::ifstream in(report);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    if (w.size() < 5 || !std::isdigit(static_cast<unsigned char>(w[3][0]))) continue;
    long calls = std::atol(w[3].c_str());
    const std::string& name = w.back();
    if (name == "fsync") out.fsync += calls;
    if (name == "fdatasync") out.fdatasync += calls;
    if (name == "syncfs") out.syncfs += calls;
    if (name.starts_with("rename")) out.renames += calls;
  }
  fs::remove(report);
  return out;
}

// One way of putting N documents into a folder: what it runs (one or more processes, timed
// together) and what it needs done, untimed, before each run.
struct Way {
  std::string name;
  std::function<void()> prepare;
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> env;
  std::function<long()> extra_peak_kib;  // the peak of a process that is not a child (a daemon)
};

// One run of `way`: its wall time and, with `peak`, its peak memory, from GNU time wrapped
// around each command (a millisecond more per process: for a single run of a large size).
Run run_way(const Way& way, bool peak = false) {
  way.prepare();
  Run run;
  for (const auto& c : way.commands) {
    if (!peak) {
      run.us += time_process(c, way.env);
      continue;
    }
    auto t0 = Clock::now();
    run.peak_kib = std::max(run.peak_kib, peak_process(c, way.env));
    run.us += std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  }
  if (peak && way.extra_peak_kib) run.peak_kib = std::max(run.peak_kib, way.extra_peak_kib());
  return run;
}
double run_once(const Way& way) { return run_way(way).us; }
long peak_once(const Way& way) { return run_way(way, true).peak_kib; }

struct Setup {
  fs::path dir, exe, runtime;
  std::vector<std::string> hb(const fs::path& config, std::vector<std::string> args) const {
    args.insert(args.begin(), {exe.string(), "--config-dir", config.string()});
    return args;
  }
  // Moves `path` out of the way, into a trash folder emptied at the end. Deleting between runs
  // would bias the next: ext4 (here without a journal) then searches past the inodes just
  // freed for every file it creates, and a disk with discard takes milliseconds per freed file.
  void discard(const fs::path& path) const {
    static int next = 0;
    if (!fs::exists(fs::symlink_status(path))) return;
    fs::create_directories(dir / "trash");
    fs::rename(path, dir / "trash" / std::to_string(next++));
  }
};

// The peak RSS of the one sqlite-storage daemon running now (VmHWM), in KiB.
long daemon_peak_kib(const Setup& s, const fs::path& config) {
  auto listed = boost::json::parse(capture(s.hb(config, {"module", "daemons"})));
  long peak = 0;
  for (const auto& d : listed.at("data").at("daemons").as_array()) {
    std::ifstream status("/proc/" + std::to_string(d.at("pid").to_number<long>()) + "/status");
    for (std::string line; std::getline(status, line);)
      if (line.starts_with("VmHWM:")) peak = std::max(peak, std::atol(line.c_str() + 6));
  }
  return peak;
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

// The batch of N writes into `folder`, as `storage batch --file` takes it.
fs::path batch_file(const Setup& s, const fs::path& folder, std::size_t n) {
  fs::path file = s.dir / ("bulk-batch-" + std::to_string(n) + ".json");
  std::string text = "[";
  for (std::size_t i = 0; i < n; ++i) {
    boost::json::object op{{"operation", "write"}, {"path", (folder / ("doc-" + std::to_string(i) + ".json")).string()},
                           {"content", document(i)}};
    text += (i ? ",\n" : "\n") + boost::json::serialize(op);
  }
  write_text(file, text + "\n]\n");
  return file;
}

// The same rows in one SQLite transaction.
fs::path sql_file(const Setup& s, std::size_t n) {
  fs::path file = s.dir / ("bulk-" + std::to_string(n) + ".sql");
  std::string text = "CREATE TABLE docs (path TEXT PRIMARY KEY, content BLOB);\nBEGIN;\n";
  for (std::size_t i = 0; i < n; ++i) {
    std::string doc = document(i);
    text += "INSERT INTO docs VALUES ('/docs/doc-" + std::to_string(i) + ".json', '" + doc + "');\n";
  }
  write_text(file, text + "COMMIT;\n");
  return file;
}

struct Series {
  std::string name;
  std::vector<double> ms;  // per size, median; < 0 when not measured
  std::vector<double> mib;
};

void print_syscall_row(const std::string& name, std::size_t docs, const Syscalls& c) {
  char line[300];
  std::snprintf(line, sizeof line, "| %-58s | %7zu | %6ld | %9ld | %6ld | %7ld | %8.3f |", name.c_str(), docs, c.fsync,
                c.fdatasync, c.syncfs, c.renames, docs ? static_cast<double>(c.barriers()) / docs : 0.0);
  std::cout << line << '\n';
}

void syscall_header(const std::string& title) {
  std::cout << "\n" << title
            << "\n\n| command | docs | fsync | fdatasync | syncfs | renames | flushes per doc |\n"
               "|---|---:|---:|---:|---:|---:|---:|\n";
}

// Time and peak memory of a batch of N writes, for every way, N from 1 to 100,000.
void batch_sizes(const Setup& s, const fs::path& plots, bool quick, std::size_t max_size, double& ratio_cp_1k,
                 double& ratio_daemon_10k) {
  fs::path native_config = s.dir / "bulk-native", php_config = s.dir / "bulk-php", sqlite_config = s.dir / "bulk-sqlite";
  fs::create_directories(native_config);
  time_process(s.hb(php_config, {"module", "install", (source_modules() / "filesystem-php").string(), "--no-check"}));
  time_process(s.hb(sqlite_config, {"module", "install", (source_modules() / "sqlite-storage").string(), "--no-check"}));
  fs::path target = s.dir / "bulk-target" / "docs", copy_source = s.dir / "bulk-source";
  fs::path db = s.dir / "bulk-sqlite3.db";

  std::vector<std::size_t> sizes;
  for (std::size_t n = 1; n <= max_size; n *= 10) sizes.push_back(n);
  std::vector<Series> series{{"builtin-filesystem (native)", {}, {}}, {"builtin-filesystem (bash script)", {}, {}},
                             {"filesystem-php", {}, {}},            {"sqlite-storage (daemon)", {}, {}},
                             {"cp -r, then sync -f", {}, {}},       {"sqlite3, one transaction", {}, {}}};
  auto fresh_folder = [&] {
    s.discard(target.parent_path());
    fs::create_directories(target);
  };
  for (std::size_t n : sizes) {
    fs::path batch = batch_file(s, target, n), sql = sql_file(s, n);
    s.discard(copy_source);
    fs::create_directories(copy_source);
    for (std::size_t i = 0; i < n; ++i) direct_write((copy_source / ("doc-" + std::to_string(i) + ".json")).string(), document(i));
    auto sqlite_fresh = [&] {
      time_process(s.hb(sqlite_config, {"storage", "delete", target.parent_path().string(), "--recursive", "--force"}), {},
                   true);
      time_process(s.hb(sqlite_config, {"storage", "ensure-dir", target.string()}));
    };
    std::vector<Way> ways{
        {series[0].name, fresh_folder, {s.hb(native_config, {"storage", "batch", "--file", batch.string()})}, {}, {}},
        {series[1].name, fresh_folder, {s.hb(native_config, {"storage", "batch", "--file", batch.string()})},
         {"HOMEBOY_STORAGE_TRANSPORT=subprocess"}, {}},
        {series[2].name, fresh_folder, {s.hb(php_config, {"storage", "batch", "--file", batch.string()})}, {}, {}},
        {series[3].name, sqlite_fresh, {s.hb(sqlite_config, {"storage", "batch", "--file", batch.string()})}, {},
         [&] { return daemon_peak_kib(s, sqlite_config); }},
        {series[4].name, [&] { s.discard(target.parent_path()); fs::create_directories(target.parent_path()); },
         {{"/bin/cp", "-r", copy_source.string(), target.string()}, {"/bin/sync", "-f", target.string()}}, {}, {}},
        {series[5].name, [&] { fs::remove(db); }, {{"/usr/bin/sqlite3", db.string(), ".read " + sql.string()}}, {}, {}},
    };
    // Fewer rounds for larger sizes; one run, timed and measured at once, from 10,000 on in a
    // quick run and at 100,000.
    int rounds = n <= 1000 ? (quick ? 3 : 5) : n <= 10000 ? (quick ? 1 : 3) : 1;
    std::vector<std::vector<double>> us(ways.size());
    std::vector<long> peak(ways.size(), -1);
    auto skipped = [&](std::size_t w) { return w == 5 && !have("/usr/bin/sqlite3"); };
    // The daemon's own peak: a daemon started for the measured run, so it is that run's.
    auto restart_daemon = [&] { time_process(s.hb(sqlite_config, {"module", "stop", "--all"})); };
    for (int r = 0; r < rounds; ++r)
      for (std::size_t w = 0; w < ways.size(); ++w) {
        if (skipped(w)) continue;
        if (rounds > 1) {
          us[w].push_back(run_once(ways[w]));
          continue;
        }
        if (w == 3) restart_daemon();
        Run run = run_way(ways[w], true);
        us[w].push_back(run.us);
        peak[w] = run.peak_kib;
      }
    for (std::size_t w = 0; w < ways.size(); ++w) {
      if (rounds > 1 && !skipped(w)) {
        if (w == 3) restart_daemon();
        peak[w] = peak_once(ways[w]);
      }
      series[w].ms.push_back(us[w].empty() ? -1 : median(us[w]) / 1000);
      series[w].mib.push_back(peak[w] < 0 ? -1 : mib(peak[w]));
    }
  }
  time_process(s.hb(sqlite_config, {"module", "stop", "--all"}));

  std::cout << "\nstorage batch of N small writes (about 100 bytes each) into one folder, whole processes: median ms"
               " (interleaved; 5 rounds up to 1,000, 3 at 10,000, 1 at 100,000) and peak RSS MiB (one more run;"
               " the daemon's own peak for sqlite-storage)\n\n| case |";
  for (std::size_t n : sizes) std::cout << " " << n << " ms | MiB |";
  std::cout << "\n|---|";
  for (std::size_t i = 0; i < sizes.size(); ++i) std::cout << "---:|---:|";
  std::cout << '\n';
  for (const auto& se : series) {
    std::printf("| %-34s |", se.name.c_str());
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      if (se.ms[i] < 0) std::printf(" - | - |");
      else std::printf(" %.1f | %.1f |", se.ms[i], se.mib[i]);
    }
    std::printf("\n");
  }
  if (sizes.size() > 3) ratio_cp_1k = series[0].ms[3] / series[4].ms[3];
  if (sizes.size() > 4) ratio_daemon_10k = series[0].ms[4] / series[3].ms[4];

  // The plots: the data, then gnuplot (tests/bench/plot_bulk.gp) when it is installed.
  fs::create_directories(plots);
  std::ofstream data(plots / "bulk.dat");
  data << "N";  // a header line, the legend's names: time then peak memory of each series
  for (const auto& se : series) data << " \"" << se.name << "\" \"" << se.name << "\"";
  data << '\n';
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    data << sizes[i];
    for (const auto& se : series) {
      if (se.ms[i] < 0) data << " NaN NaN";
      else data << ' ' << se.ms[i] << ' ' << se.mib[i];
    }
    data << '\n';
  }
  data.close();
  fs::path script = fs::path(HOMEBOY_BENCH_SOURCE_MODULES_DIR).parent_path() / "tests/bench/plot_bulk.gp";
  if (have("/usr/bin/gnuplot")) {
    time_process({"/usr/bin/gnuplot", "-e", "data='" + (plots / "bulk.dat").string() + "'; outdir='" + plots.string() + "'",
                  script.string()});
    std::cout << "\nplots: " << (plots / "bulk-time.svg").string() << ", " << (plots / "bulk-memory.svg").string() << '\n';
  } else {
    std::cout << "\nplots: gnuplot is not installed (cmake/setup-debian.sh installs it); the data is in "
              << (plots / "bulk.dat").string() << '\n';
  }
}

// Bulk commands: migrate, import, export, bulk create, rename, each timed (interleaved, median)
// and its flushes counted.
void bulk_commands(const Setup& s, bool quick, double& migrate_ratio, double& create_ratio) {
  const std::size_t n = 10000, created = 1000;
  // A native config of 10,000 projects, made once.
  fs::path native_template = s.dir / "cmd-native-template", sqlite_template = s.dir / "cmd-sqlite-template";
  std::string projects = "[";
  for (std::size_t i = 0; i < n; ++i)
    projects += std::string(i ? "," : "") + "{\"id\": \"project-" + std::to_string(i) + "\", \"name\": \"Project " +
                std::to_string(i) + "\", \"settings\": {\"php\": \"8.2\", \"hosts\": [\"a\", \"b\"]}}";
  write_text(s.dir / "cmd-projects.json", projects + "]");
  time_process(s.hb(native_template, {"project", "create", "--json", "@" + (s.dir / "cmd-projects.json").string()}));
  // The same documents in sqlite-storage, and nothing of them left on disk.
  fs::copy(native_template, sqlite_template, fs::copy_options::recursive);
  time_process(s.hb(sqlite_template, {"module", "install", (source_modules() / "sqlite-storage").string(), "--no-check"}));
  time_process(s.hb(sqlite_template, {"storage", "migrate", "--to", "sqlite-storage"}));
  time_process(s.hb(sqlite_template, {"module", "stop", "--all"}));
  s.discard(sqlite_template / "projects");
  fs::path archive = s.dir / "cmd-archive.jsonl";
  time_process(s.hb(native_template, {"storage", "export", archive.string()}));
  // 1,000 projects for a bulk create, and a server they all refer to, for a rename.
  std::string thousand = "[";
  for (std::size_t i = 0; i < created; ++i)
    thousand += std::string(i ? "," : "") + "{\"id\": \"site-" + std::to_string(i) + "\", \"server_id\": \"web-1\"}";
  write_text(s.dir / "cmd-thousand.json", thousand + "]");
  fs::path rename_template = s.dir / "cmd-rename-template";
  time_process(s.hb(rename_template, {"server", "create", "web-1"}));
  time_process(s.hb(rename_template, {"project", "create", "--json", "@" + (s.dir / "cmd-thousand.json").string()}));
  fs::path create_config = s.dir / "cmd-create";
  auto with_server = [&] {
    s.discard(create_config);
    time_process(s.hb(create_config, {"server", "create", "web-1"}));
  };

  fs::path work = s.dir / "cmd-work";
  auto copy_of = [&](const fs::path& from) {
    return [&, from] {
      time_process(s.hb(work, {"module", "stop", "--all"}), {}, true);
      s.discard(work);
      fs::copy(from, work, fs::copy_options::recursive);
    };
  };
  auto fresh = [&] {
    time_process(s.hb(work, {"module", "stop", "--all"}), {}, true);
    s.discard(work);
  };
  std::vector<Way> ways{
      {"storage migrate, 10,000 projects: sqlite-storage -> native", copy_of(sqlite_template),
       {s.hb(work, {"storage", "migrate", "--to", "builtin-filesystem"})}, {}, {}},
      {"storage migrate, 10,000 projects: native -> sqlite-storage",
       [&] {
         copy_of(native_template)();
         time_process(s.hb(work, {"module", "install", (source_modules() / "sqlite-storage").string(), "--no-check"}));
       },
       {s.hb(work, {"storage", "migrate", "--to", "sqlite-storage"})}, {}, {}},
      {"storage import, 10,000 projects into native", fresh, {s.hb(work, {"storage", "import", archive.string()})}, {}, {}},
      {"storage export, 10,000 projects from native", [&] { fs::remove(s.dir / "cmd-out.jsonl"); },
       {s.hb(native_template, {"storage", "export", (s.dir / "cmd-out.jsonl").string()})}, {}, {}},
      {"project create, 1,000 at once (native)", with_server,
       {s.hb(create_config, {"project", "create", "--json", "@" + (s.dir / "cmd-thousand.json").string()})}, {}, {}},
      {"project list, the same 1,000 (native)", [] {}, {s.hb(create_config, {"project", "list"})}, {}, {}},
      {"server rename, 1,000 projects refer to it (native)", copy_of(rename_template),
       {s.hb(work, {"server", "rename", "web-1", "web-2"})}, {}, {}},
  };
  // The last round also measures peak memory (GNU time around the command: a millisecond
  // more, on commands of a tenth of a second and more).
  int rounds = quick ? 1 : 3;
  std::vector<std::vector<double>> us(ways.size());
  std::vector<long> peak(ways.size());
  for (int r = 0; r < rounds; ++r)
    for (std::size_t w = 0; w < ways.size(); ++w) {
      Run run = run_way(ways[w], r == rounds - 1);
      us[w].push_back(run.us);
      peak[w] = run.peak_kib;
    }
  time_process(s.hb(work, {"module", "stop", "--all"}), {}, true);

  process_header("bulk commands, whole processes (median of " + std::to_string(rounds) +
                 " interleaved runs; ratio to the first row of its pair: the other direction, or project list)");
  double m[7];
  for (std::size_t w = 0; w < ways.size(); ++w) m[w] = median(us[w]);
  double base[7] = {m[1], m[1], m[2], m[3], m[5], m[5], m[6]};
  for (std::size_t w = 0; w < ways.size(); ++w) process_row(ways[w].name, {m[w], peak[w]}, base[w]);
  migrate_ratio = m[0] / m[1];
  create_ratio = m[4] / m[5];

  // The flushes of each, counted. The sqlite-storage daemon is no child of the command, so
  // the migrations count the native side only (the batch table below counts sqlite-storage
  // as a persistent module: one commit, one flush, per batch).
  syscall_header("flushes and renames, counted by strace -f -c (the command and every process it starts;"
                 " not the sqlite-storage daemon)");
  for (std::size_t w = 0; w < ways.size(); ++w) {
    if (w == 5) continue;  // a list writes nothing
    ways[w].prepare();
    std::size_t docs = w == 4 || w == 6 ? created : n;
    print_syscall_row(ways[w].name, docs, count_syscalls(ways[w].commands[0], ways[w].env));
  }
  time_process(s.hb(work, {"module", "stop", "--all"}), {}, true);
}

// The flushes of a batch of 1,000 writes by provider and folders touched.
void batch_syscalls(const Setup& s) {
  fs::path native_config = s.dir / "bulk-native", php_config = s.dir / "bulk-php", sqlite_config = s.dir / "bulk-sqlite";
  syscall_header("flushes and renames of a storage batch of 1,000 writes, counted by strace -f -c");
  for (std::size_t folders : {std::size_t{1}, std::size_t{10}, std::size_t{100}}) {
    fs::path root = s.dir / "sys-target";
    std::string text = "[";
    for (std::size_t f = 0; f < folders; ++f)
      text += std::string(f ? "," : "") + "{\"operation\": \"ensure_dir\", \"path\": \"" + (root / std::to_string(f)).string() + "\"}";
    for (std::size_t i = 0; i < 1000; ++i) {
      std::size_t folder = i * folders / 1000;  // one folder after the other
      boost::json::object op{{"operation", "write"},
                             {"path", (root / std::to_string(folder) / ("doc-" + std::to_string(i) + ".json")).string()},
                             {"content", document(i)}};
      text += ',';
      text += boost::json::serialize(op);
    }
    write_text(s.dir / "sys-batch.json", text + "]");
    std::string label = " into " + std::to_string(folders) + (folders == 1 ? " folder" : " folders");
    auto run = [&](const std::string& name, const fs::path& config, std::vector<std::string> env) {
      s.discard(root);
      print_syscall_row(name + label, 1000,
                        count_syscalls(s.hb(config, {"storage", "batch", "--file", (s.dir / "sys-batch.json").string()}), env));
    };
    run("native", native_config, {});
    run("bash script", native_config, {"HOMEBOY_STORAGE_TRANSPORT=subprocess"});
    run("filesystem-php", php_config, {});
    run("sqlite-storage (persistent)", sqlite_config, {"HOMEBOY_STORAGE_TRANSPORT=subprocess"});
  }
  // For the peers: cp -r (no flush) then one syncfs.
  std::cout << "(cp -r then sync -f: no flush while copying, then 1 syncfs; sqlite3 in one transaction: a few"
               " fsyncs of its journal and database, whatever the number of rows)\n";
}

void run(const fs::path& dir, const fs::path& plots, bool quick, std::size_t max_size) {
  Setup s{dir, homeboy_exe(), dir / "bulk-runtime"};
  fs::create_directories(s.runtime);
  ::setenv("XDG_RUNTIME_DIR", s.runtime.c_str(), 1);  // this run's daemons, stopped at the end
  ::setenv("HOMEBOY_QUIET", "1", 1);  // the set-up's warnings (a provider that stays active) are expected
  double cp_1k = 0, daemon_10k = 0, migrate = 0, create = 0;
  batch_sizes(s, plots, quick, max_size, cp_1k, daemon_10k);
  bulk_commands(s, quick, migrate, create);
  batch_syscalls(s);
  auto cleaning = Clock::now();
  fs::remove_all(dir / "trash");
  std::printf("\n(deleting the files written took %.0f s)\n",
              std::chrono::duration<double>(Clock::now() - cleaning).count());
  ::unsetenv("XDG_RUNTIME_DIR");
  ::unsetenv("HOMEBOY_QUIET");
  std::printf("\nIssue 21's targets (same run):\n"
              "- native storage batch of 1,000 small writes / cp -r + sync -f: %.2fx (target <= 2x)\n"
              "- native storage batch of 10,000 small writes / the sqlite-storage daemon: %.2fx (target <= 3x)\n"
              "- storage migrate of 10,000 documents sqlite-storage -> native / native -> sqlite-storage: %.2fx"
              " (target <= 3x)\n"
              "- project create of 1,000 projects (native) / project list of them: %.2fx (target <= 10x)\n",
              cp_1k, daemon_10k, migrate, create);
}

}  // namespace bulk

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, postgres_only = false;  // --postgres: only the PostgreSQL rows
  // --bulk: only the bulk rows (issue 21); --plots DIR: where their SVGs go; --bulk-max N: the
  // largest batch plotted (10,000 by default: on the project's machine, deleting the 100,000
  // files of each run between runs alone takes minutes)
  bool bulk_only = false, cli_only = false;  // --cli: only the whole-process rows
  bool daemon_only = false;                    // --daemon: only the module daemon row
  fs::path plots = fs::read_symlink("/proc/self/exe").parent_path() / "plots";
  std::size_t bulk_max = 10000;
  for (int i = 1; i < argc; ++i) {
    quick = quick || std::string(argv[i]) == "--quick";
    postgres_only = postgres_only || std::string(argv[i]) == "--postgres";
    bulk_only = bulk_only || std::string(argv[i]) == "--bulk";
    cli_only = cli_only || std::string(argv[i]) == "--cli";
    daemon_only = daemon_only || std::string(argv[i]) == "--daemon";
    if (std::string(argv[i]) == "--plots" && i + 1 < argc) plots = fs::absolute(argv[++i]);
    if (std::string(argv[i]) == "--bulk-max" && i + 1 < argc) bulk_max = std::stoul(argv[++i]);
  }
  int rounds = quick ? 3 : 7;

  std::string pattern = (fs::temp_directory_path() / "homeboy-bench-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) return 1;
  fs::path dir = pattern;
  fs::path modules = fs::read_symlink("/proc/self/exe").parent_path().parent_path().parent_path() / "share/homeboy/modules";
  homeboy::Module module = homeboy::load_module(modules / "builtin-filesystem");
  auto native = homeboy::open_provider(module, dir, homeboy::TransportPreference::native);
  auto isolated =
      homeboy::open_provider(module, dir, homeboy::TransportPreference::native, homeboy::IsolationPreference::process);
  auto script = homeboy::open_provider(module, dir, homeboy::TransportPreference::subprocess);

  std::cout << "homeboy storage benchmark (" << (quick ? "quick" : "full") << "; medians of " << rounds
            << " interleaved rounds; ratio = case / direct I/O of the same size)\n";
#ifdef HOMEBOY_BENCH_POSTGRES_MODULE_DIR
  if (postgres_only) {
    bench_postgres(dir, modules, quick);
    fs::remove_all(dir);
    return 0;
  }
#endif
  if (bulk_only) {
    bulk::run(dir, plots, quick, bulk_max);
    fs::remove_all(dir);
    return 0;
  }
  if (cli_only) {
    bench_cli(dir, quick);
    fs::remove_all(dir);
    return 0;
  }
  if (daemon_only) {
    bench_daemon(dir, quick);
    fs::remove_all(dir);
    return 0;
  }

  for (std::size_t size : {std::size_t{1024}, std::size_t{1} << 20}) {
    std::string label = size == 1024 ? "1 KiB" : "1 MiB";
    std::string content(size, 'x');
    for (std::size_t i = 0; i < size; i += 61) content[i] = '\n';
    std::string file = (dir / ("f-" + label.substr(0, 1))).string();
    direct_write(file, content);
    int fast = size == 1024 ? 400 : 40;
    int slow = size == 1024 ? 6 : 3;

    header("read, " + label);
    auto fast_read =
        measure({[&] { direct_read(file); }, [&] { native->read(file); }, [&] { isolated->read(file); }}, rounds, fast);
    auto slow_read = measure({[&] { direct_read(file); }, [&] { script->read(file); }}, rounds, slow);
    row("direct std::ifstream", fast_read[0], fast_read[0]);
    row("native builtin-filesystem via facade", fast_read[1], fast_read[0]);
    row("isolated builtin-filesystem via facade", fast_read[2], fast_read[0]);
    row("scripted builtin-filesystem (bash module, one-shot)", slow_read[1], fast_read[0]);

    header("write, " + label);
    auto fast_write = measure({[&] { direct_write(file, content); }, [&] { direct_atomic_write(file, content); },
                               [&] { native->write(file, content); }, [&] { isolated->write(file, content); }},
                              rounds, size == 1024 ? 40 : 10);
    auto slow_write = measure({[&] { script->write(file, content); }}, rounds, slow);
    row("direct std::ofstream (not atomic, no fsync)", fast_write[0], fast_write[0]);
    row("direct temp+fsync+rename", fast_write[1], fast_write[0]);
    row("native builtin-filesystem via facade (fsync)", fast_write[2], fast_write[0]);
    row("isolated builtin-filesystem via facade (fsync)", fast_write[3], fast_write[0]);
    row("scripted builtin-filesystem (bash module, one-shot)", slow_write[0], fast_write[0]);
  }

  header("one-shot spawn: host launcher vs bare posix_spawn (/bin/cat, same pipes)");
  std::string event = "{\"operation\":\"read\",\"path\":\"/x\"}\n";
  homeboy::Launch cat;
  cat.argv = {"/bin/cat"};
  auto spawn = measure({[&] { bare_spawn({"/bin/cat"}, event); },
                        [&] { homeboy::run_once(cat, event, std::chrono::seconds(10)); }},
                       rounds * 3, quick ? 20 : 40);
  row("bare posix_spawn + pipes + waitpid", spawn[0], spawn[0]);
  row("homeboy::run_once (homeboy-reaper + Process v2 + Asio)", spawn[1], spawn[0]);

  bench_throughput(dir, modules, quick);
  bench_cli(dir, quick);
#ifdef HOMEBOY_BENCH_POSTGRES_MODULE_DIR
  bench_postgres(dir, modules, quick);
#endif
  double daemon_ratio = bench_daemon(dir, quick);
  bench_scale(dir, quick);
  bench_memory(dir);
  bulk::run(dir, plots, quick, bulk_max);
  print_issue15(daemon_ratio);
  fs::remove_all(dir);
  return 0;
}
