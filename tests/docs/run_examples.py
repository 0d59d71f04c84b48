#!/usr/bin/env python3
"""Runs the shell examples of a Markdown file, in order, and checks them against the text.

usage: run_examples.py --homeboy BIN --source SRC --work DIR [--postgres] [--replace OLD=NEW]... FILE.md

Every ```sh block runs as one bash script (set -e, pipefail) in a scratch folder of its own
for the file: a fresh HOME (so homeboy's config is ~/.config/homeboy), a copy of the shipped
modules as ./modules, `homeboy` first on PATH and as ./build/bin/homeboy (the README runs it
from the repository root after a build), and a runtime folder for module daemons (they
are stopped at the end). A block must end with exit status 0 unless an annotation says
otherwise. Every ```console block is a session: each `$ command` runs, and what it prints
(stdout and stderr, as a terminal shows them) must match the lines below it; `...` in an
expected line stands for any text, and a line of `...` alone for any lines.

Annotations are HTML comments right before a block (they do not show on a rendered page):
  <!-- not run: REASON -->          the block is not run (it needs root, a server, ...)
  <!-- doc-test: exit N -->         the block ends with exit status N
  <!-- doc-test: output has TEXT -->  its stdout holds TEXT (repeatable)
  <!-- doc-test: before: COMMAND --> runs COMMAND first, unseen (setting up what the text assumes)
  <!-- doc-test: needs postgres -->   the block talks to a PostgreSQL server: it runs only with
                                      --postgres, given when PG* name a server (the postgres tests)
--replace OLD=NEW rewrites OLD in every block before it runs: an install prefix the text
names (/usr/local/share/homeboy) stands for the build tree's, a server the text names for
the test's. $VAR and ${VAR} in NEW are the environment's values (a port known only when
the test runs).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
ANNOTATION = re.compile(r"^\s*<!--\s*(not run|doc-test):\s*(.*?)\s*-->\s*$")
BLOCK_SECONDS = 240


class Block:
    def __init__(self, line, kind, text, notes):
        self.line, self.kind, self.text, self.notes = line, kind, text, notes

    def note(self, key):
        return [value for k, value in self.notes if k == key]


def blocks_of(path):
    """The fenced blocks of `path` with their annotations, in order."""
    lines = open(path, encoding="utf-8").read().split("\n")
    blocks, notes, i = [], [], 0
    while i < len(lines):
        line = lines[i]
        annotation = ANNOTATION.match(line)
        fence = FENCE.match(line)
        if annotation:
            kind, value = annotation.groups()
            if kind == "not run":
                notes.append(("not run", value))
            else:
                key, _, rest = value.partition(":") if value.startswith("before:") else value.partition(" ")
                if value.startswith("output has "):
                    key, rest = "output has", value[len("output has "):]
                if value == "needs postgres":
                    key, rest = "needs", "postgres"
                notes.append((key.strip(), rest.strip()))
        elif fence:
            indent, kind = fence.groups()
            body, i = [], i + 1
            while i < len(lines) and not (FENCE.match(lines[i]) and FENCE.match(lines[i]).group(2) == ""):
                body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
                i += 1
            blocks.append(Block(i - len(body), kind, "\n".join(body) + "\n", notes))
            notes = []
        elif line.strip():
            notes = []
        i += 1
    return blocks


class Scratch:
    """HOME, working folder, PATH and runtime folder for one Markdown file."""

    def __init__(self, work, name, homeboy, source):
        self.root = os.path.join(work, name)
        shutil.rmtree(self.root, ignore_errors=True)
        self.home = os.path.join(self.root, "home")
        self.cwd = os.path.join(self.root, "cwd")
        self.runtime = os.path.join(self.root, "run")
        for folder in (self.home, self.cwd, self.runtime):
            os.makedirs(folder)
        os.chmod(self.runtime, 0o700)
        shutil.copytree(os.path.join(source, "modules"), os.path.join(self.cwd, "modules"),
                        ignore=shutil.ignore_patterns("CMakeLists.txt", "__pycache__"))
        os.makedirs(os.path.join(self.cwd, "build"))
        os.symlink(os.path.dirname(homeboy), os.path.join(self.cwd, "build", "bin"))
        for folder, _, files in os.walk(os.path.join(self.cwd, "modules")):
            os.chmod(folder, 0o755)
            for f in files:
                os.chmod(os.path.join(folder, f), 0o644)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("HOMEBOY_", "XDG_"))}
        self.env.update(HOME=self.home, XDG_RUNTIME_DIR=self.runtime, PWD=self.cwd,
                        PATH=os.path.dirname(homeboy) + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"))
        self.homeboy = homeboy

    def run(self, script):
        return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=self.cwd, env=self.env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=BLOCK_SECONDS)

    def session_command(self, command):
        return subprocess.run(["bash", "-c", command + " 2>&1"], cwd=self.cwd, env=self.env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=BLOCK_SECONDS)

    def close(self):
        # Module daemons outlive commands: stop those the examples started (their runtime
        # folder is this file's own).
        subprocess.run([self.homeboy, "module", "stop", "--all"], env=self.env, capture_output=True,
                       timeout=BLOCK_SECONDS)


def matches(expected, got):
    """Expected lines against got lines; '...' in a line is any text, a line '...' any lines."""
    if not expected:
        return not got
    head = expected[0]
    if head.strip() == "...":
        return any(matches(expected[1:], got[k:]) for k in range(len(got) + 1))
    if not got:
        return False
    pattern = "^" + ".*".join(re.escape(part) for part in head.split("...")) + "$"
    return re.match(pattern, got[0].rstrip()) is not None and matches(expected[1:], got[1:])


def run_session(scratch, block):
    """A console block: `$ command` lines, each followed by what it prints."""
    failures, steps = [], []
    for line in block.text.rstrip("\n").split("\n"):
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    for command, expected in steps:
        result = scratch.session_command(command)
        got = result.stdout.rstrip("\n").split("\n") if result.stdout.strip() else []
        if not matches(expected, got):
            failures.append("$ %s\nexpected:\n%s\ngot (exit %d):\n%s" %
                            (command, "\n".join(expected), result.returncode, "\n".join(got)))
    return failures


def run_block(scratch, block):
    script = "".join(command + "\n" for command in block.note("before")) + block.text
    result = scratch.run(script)
    want = int((block.note("exit") or ["0"])[0])
    problems = []
    if result.returncode != want:
        problems.append("exit status %d, the text says %d" % (result.returncode, want))
    for text in block.note("output has"):
        if text not in result.stdout:
            problems.append("stdout lacks %r" % text)
    if problems:
        return ["%s\n--- block\n%s--- stdout\n%s--- stderr\n%s" %
                ("; ".join(problems), block.text, result.stdout[-4000:], result.stderr[-4000:])]
    return []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--homeboy", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--postgres", action="store_true", help="run the blocks that need a PostgreSQL server")
    parser.add_argument("--replace", action="append", default=[], metavar="OLD=NEW")
    parser.add_argument("file")
    args = parser.parse_args()
    replacements = [(old, os.path.expandvars(new)) for old, new in (r.split("=", 1) for r in args.replace)]
    name = os.path.relpath(args.file, args.source).replace(os.sep, "_")
    scratch = Scratch(args.work, name, os.path.abspath(args.homeboy), args.source)
    ran = skipped = 0
    failures = []
    try:
        for block in blocks_of(args.file):
            where = "%s:%d" % (os.path.relpath(args.file, args.source), block.line)
            if block.kind not in ("sh", "console"):
                continue
            if block.note("not run"):
                skipped += 1
                print("%s: not run (%s)" % (where, block.note("not run")[0]))
                continue
            if "postgres" in block.note("needs") and not args.postgres:
                skipped += 1
                print("%s: not run here: it needs a PostgreSQL server (the postgres tests run it)" % where)
                continue
            for old, new in replacements:
                block.text = block.text.replace(old, new)
            ran += 1
            found = run_session(scratch, block) if block.kind == "console" else run_block(scratch, block)
            for failure in found:
                failures.append("%s: %s" % (where, failure))
            print("%s: %s" % (where, "FAILED" if found else "ok"))
    finally:
        scratch.close()
    for failure in failures:
        print("\n" + failure, file=sys.stderr)
    print("%d examples run, %d not run, %d failed" % (ran, skipped, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
