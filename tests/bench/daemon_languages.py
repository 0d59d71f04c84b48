#!/usr/bin/python3
"""Reads across commands through module daemons in two languages, side by side.

Each round runs one whole `homeboy storage read --raw` (a 1 KiB file) through each provider
in turn, so both see the same machine load: the shipped Python daemon (sqlite-storage), the
Node.js example as a daemon (example-node; Node's `listen({fd: 3})` listens again on the
socket homeboy hands over), and, for reference, the same Node.js module without the daemon
(persistent: one process per command). Prints medians, 90th percentiles and the ratio of each
median to the Python daemon's, and whether any daemon was restarted during the run.

usage: daemon_languages.py --homeboy build/bin/homeboy [--reads 200] [--work DIR]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MODULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "modules")
CONTENT = "x" * 1023 + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homeboy", required=True)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--work")
    args = parser.parse_args()
    homeboy = os.path.abspath(args.homeboy)
    work = args.work or tempfile.mkdtemp(prefix="homeboy-bench-daemons-")
    shutil.rmtree(work, ignore_errors=True)
    runtime = os.path.join(work, "runtime")
    os.makedirs(runtime, mode=0o700)

    providers = [  # label, module folder, extra environment
        ("sqlite-storage daemon (Python)", os.path.join(MODULES, "sqlite-storage"), {}),
        ("example-node daemon (Node.js)", os.path.join(MODULES, "examples", "example-node"), {}),
        ("example-node persistent, no daemon", os.path.join(MODULES, "examples", "example-node"),
         {"HOMEBOY_STORAGE_TRANSPORT": "subprocess"}),
    ]
    envs = []
    for i, (label, module, extra) in enumerate(providers):
        env = dict(os.environ, HOMEBOY_CONFIG_DIR=os.path.join(work, "config-%d" % i), XDG_RUNTIME_DIR=runtime,
                   HOMEBOY_MODULE_PATH="", HOMEBOY_STORAGE_TRANSPORT="", HOMEBOY_QUIET="1")
        env.update(extra)
        run(homeboy, env, "module", "install", module, "--activate", "--no-check")
        run(homeboy, env, "storage", "write", "/bench", "--content", CONTENT)
        envs.append(env)

    def daemon_pids():
        out = run(homeboy, envs[0], "module", "daemons")
        return sorted(d["pid"] for d in json.loads(out)["data"]["daemons"])

    for env in envs:  # warm: the daemons run, the files are in the page cache
        for _ in range(10):
            read(homeboy, env)
    before = daemon_pids()

    # The two daemons side by side, in alternating order; then the reference without a
    # daemon, apart: a Node.js start per command loads the machine for the read after it.
    times = [[] for _ in providers]
    for round in range(args.reads):
        for i in (0, 1) if round % 2 else (1, 0):
            times[i].append(timed_read(homeboy, envs[i]))
    after = daemon_pids()
    for _ in range(max(args.reads // 5, 10)):
        times[2].append(timed_read(homeboy, envs[2]))

    load = os.getloadavg()[0]
    print("%d reads through each daemon, interleaved, %d without; load average %.2f at the end; %s" %
          (args.reads, len(times[2]), load, time.strftime("%Y-%m-%d")))
    print()
    print("| provider (whole `homeboy storage read --raw`, 1 KiB) | median ms | p90 ms | ratio to Python daemon |")
    print("|---|---:|---:|---:|")
    base = statistics.median(times[0])
    for (label, _, _), samples in zip(providers, times):
        median = statistics.median(samples)
        p90 = sorted(samples)[int(len(samples) * 0.9) - 1]
        print("| %s | %.2f | %.2f | %.2fx |" % (label, median, p90, median / base))
    print()
    print("daemons restarted during the timed reads: %s (pids %s before, %s after)" %
          ("none" if before == after else "YES", before, after))
    run(homeboy, envs[0], "module", "stop", "--all")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


def run(homeboy, env, *args):
    done = subprocess.run([homeboy, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit("homeboy %s failed (%d): %s%s" % (" ".join(args), done.returncode, done.stdout, done.stderr))
    return done.stdout


def timed_read(homeboy, env):
    start = time.perf_counter()
    read(homeboy, env)
    return (time.perf_counter() - start) * 1000


def read(homeboy, env):
    out = run(homeboy, env, "storage", "read", "--raw", "/bench")
    if out != CONTENT:
        sys.exit("a read answered %r" % out[:80])


if __name__ == "__main__":
    main()
