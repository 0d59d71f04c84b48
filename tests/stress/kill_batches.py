"""SIGKILL `homeboy storage batch` of many writes at random moments, again and again, and check
what each kill left (docs/storage-contract.md, "Durability"):

  - every file holds, whole, the content of the batch before or of the batch killed: never
    a torn or mixed file, never an older one (old or new, file by file);
  - a batch homeboy acknowledged (exit 0 before the kill came) is complete: every file new;
  - after the next acknowledged batch, no temp file (.homeboy-tmp) is left in any folder.

Each batch writes a new generation of every file, spread over several folders, so it goes
through the group commit of the native plugin (or the bash or PHP module's staging): staged
files, one flush, the renames, each folder flushed once. The kill lands anywhere in that
(uniformly within a batch's usual duration), and the summary says where the kills landed:
before any file changed, part-way through the renames, after the last rename but before the
answer, or after the answer.

A SIGKILL is not a power loss: the kernel keeps what was written. What this proves is that no
moment of the sequence leaves a file torn or a temp file for good; the order that protects
against a power loss (every staged file on disk before any rename) is checked by
tests/stress/batch_barriers.sh from the system calls.

usage: kill_batches.py <homeboy> <scratch dir> <kills> <max seconds> [<files per folder> [<module folder>]]
(250 files in each of 4 folders by default: batches of 1,000 writes; with a module folder,
that module is installed and used; HOMEBOY_STORAGE_TRANSPORT passes through)
"""
import json
import os
import random
import shutil
import subprocess
import sys
import time

FOLDERS = 4
PAD = "x" * 1000


def content(gen, folder, index):
    return "gen %06d folder %d file %03d\n%s\n" % (gen, folder, index, PAD)


def main():
    homeboy, work, kills, budget = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    files_per_folder = int(sys.argv[5]) if len(sys.argv) > 5 else 250
    module = sys.argv[6] if len(sys.argv) > 6 else None
    shutil.rmtree(work, ignore_errors=True)
    store, config = os.path.join(work, "store"), os.path.join(work, "config")
    os.makedirs(config)
    env = dict(os.environ, HOMEBOY_MODULE_PATH="", HOMEBOY_QUIET="1")
    hb = [homeboy, "--config-dir", config]
    if module:
        subprocess.run(hb + ["module", "install", module, "--no-check", "--activate"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    folders = [os.path.join(store, "f%d" % k) for k in range(FOLDERS)]
    files = [(k, i, os.path.join(folders[k], "doc-%03d.json" % i)) for k in range(FOLDERS) for i in range(files_per_folder)]
    batch_file = os.path.join(work, "batch.json")

    def batch(gen):
        ops = [{"operation": "ensure_dir", "path": f} for f in folders]
        ops += [{"operation": "write", "path": path, "content": content(gen, k, i)} for k, i, path in files]
        with open(batch_file, "w") as out:
            json.dump(ops, out)
        return subprocess.Popen(hb + ["storage", "batch", "--file", batch_file], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def generations():
        """Each file's generation, or None when it is torn (not one whole content)."""
        seen = []
        for k, i, path in files:
            try:
                with open(path) as f:
                    text = f.read()
            except FileNotFoundError:
                seen.append(0)  # not written yet: generation 0
                continue
            try:
                gen = int(text[4:10])
            except ValueError:
                gen = None
            seen.append(gen if gen is not None and text == content(gen, k, i) else None)
        return seen

    def temp_files():
        return [os.path.join(d, ".homeboy-tmp") for d in folders if os.path.lexists(os.path.join(d, ".homeboy-tmp"))]

    problems = []
    # Three acknowledged batches first: the usual duration of one, and a known state.
    durations = []
    for gen in (1, 2, 3):
        started = time.monotonic()
        if batch(gen).wait() != 0:
            sys.exit("kill test: batch %d failed without a kill" % gen)
        durations.append(time.monotonic() - started)
    usual = sorted(durations)[1]
    before = [3] * len(files)
    if generations() != before:
        sys.exit("kill test: an acknowledged batch is incomplete before any kill")

    landed = {"before any file changed": 0, "part-way through the renames": 0,
              "after the renames, before the answer": 0, "after the answer (acknowledged)": 0}
    torn = older = incomplete = temps_after_next = 0
    started, done, gen = time.monotonic(), 0, 3
    while done < kills and time.monotonic() - started < budget:
        gen += 1
        process = batch(gen)
        time.sleep(random.uniform(0, usual * 1.25))
        process.kill()
        acknowledged = process.wait() == 0
        done += 1
        now = generations()
        torn += sum(1 for g in now if g is None)
        older += sum(1 for g, b in zip(now, before) if g is not None and g not in (b, gen))
        new = sum(1 for g in now if g == gen)
        if acknowledged:
            landed["after the answer (acknowledged)"] += 1
            if new != len(files):
                incomplete += 1
                problems.append("batch %d was acknowledged with %d of %d files written" % (gen, new, len(files)))
            if temp_files():
                temps_after_next += 1
                problems.append("temp files left after acknowledged batch %d: %s" % (gen, temp_files()))
        elif new == 0:
            landed["before any file changed"] += 1
        elif new < len(files):
            landed["part-way through the renames"] += 1
        else:
            landed["after the renames, before the answer"] += 1
        before = [g if g is not None else b for g, b in zip(now, before)]

    # One more batch, not killed: complete, and no temp file anywhere.
    gen += 1
    if batch(gen).wait() != 0:
        problems.append("the batch after the kills failed")
    final = generations()
    if final != [gen] * len(files):
        problems.append("the batch after the kills is incomplete")
    if temp_files():
        temps_after_next += 1
        problems.append("temp files left after the batch after the kills: %s" % temp_files())
    listed = subprocess.run(hb + ["storage", "list", folders[0]], env=env, capture_output=True, text=True)
    if ".homeboy-tmp" in listed.stdout or listed.returncode != 0:
        problems.append("storage list shows a temp file or fails: " + listed.stdout[:200])

    transport = json.loads(subprocess.run(hb + ["storage", "status"], env=env, capture_output=True,
                                          text=True).stdout)["data"]["provider"]
    print("kill test (%s, %s): %d SIGKILLs during batches of %d writes into %d folders in %.0f s "
          "(a batch takes about %.0f ms); %d torn files, %d files older than before the batch, "
          "%d acknowledged batches incomplete, %d times temp files left after the next write"
          % (transport["module_id"], transport["transport"], done, len(files), FOLDERS,
             time.monotonic() - started, usual * 1000, torn, older, incomplete, temps_after_next))
    for where, count in landed.items():
        print("  kills that landed %s: %d" % (where, count))
    for p in problems[:10]:
        print("kill test: " + p, file=sys.stderr)
    if torn or older or incomplete or temps_after_next or problems:
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
