#!/usr/bin/python3
"""tests/bench/shard_cli_test.py ACTORLAB SOURCE_ROOT: `actorlab suite
--shard` and `actorlab merge` as a user meets them.
Guards: shards that overlap or miss a cell (N = 1..5 and more shards than
workloads, the quick and the full suite); scheduler variables
(SLURM_ARRAY_TASK_ID/_COUNT/_MIN/_STEP/_MAX, JOB_COMPLETION_INDEX with
--shards) that map to other cells than --shard=I/N; a bad shard value or
variable that runs anyway, exits other than 2, or leaves a file; a split
that depends on the suite file's path; a merge that drops, duplicates or
reorders entries, loses a cell's machine, accepts shards of other suites,
commits or cell lists without --allow-mixed, accepts a cell twice, takes a
malformed file, or does not flag mixed kinds of machine; scripts/plot and
scripts/compare failing on a merged set; scripts/estimate counting other
cells for a shard than the program runs. Exit 0 pass, 1 fail."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else "."
BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_") and k != "JOB_COMPLETION_INDEX"}


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def run(argv, env=None, timeout=120):
    return subprocess.run(argv, capture_output=True, text=True, env=dict(BASE_ENV, **(env or {})), timeout=timeout)


def cells(actorlab, suite, args=(), env=None):
    r = run([actorlab, "suite", suite, *args, "--list-cells"], env)
    if r.returncode != 0:
        fail(f"--list-cells {args} {env}: exit {r.returncode}: {r.stderr}")
    return r.stdout.split(), r.stderr


def check_split(actorlab, suite, counts):
    whole, _ = cells(actorlab, suite)
    for n in counts:
        seen = []
        for i in range(n):
            part, err = cells(actorlab, suite, [f"--shard={i}/{n}"])
            if not part:
                fail(f"{suite} --shard={i}/{n}: no cells")
            if [c for c in whole if c in part] != part:
                fail(f"{suite} --shard={i}/{n}: cells not in the suite's order")
            seen += part
            est = run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "estimate"), suite, "/nonexistent",
                       f"--shard={i}/{n}"])
            if f"(shard {i}/{n}: {len(part)} of them)" not in est.stdout:
                fail(f"scripts/estimate --shard={i}/{n} does not count the {len(part)} cells: {est.stdout!r}")
        if sorted(seen) != sorted(whole) or len(set(seen)) != len(seen):
            fail(f"{suite}: {n} shards hold {len(seen)} cells ({len(set(seen))} distinct), the suite {len(whole)}")
    return whole


def check_env(actorlab, suite):
    n = 3
    for i in range(n):
        want, _ = cells(actorlab, suite, [f"--shard={i}/{n}"])
        sources = [
            ({"SLURM_ARRAY_TASK_ID": str(i), "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0"}, [],
             "SLURM_ARRAY_TASK_ID"),
            ({"SLURM_ARRAY_TASK_ID": str(i + 1), "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1",
              "SLURM_ARRAY_TASK_MAX": "3", "SLURM_ARRAY_TASK_STEP": "1"}, [], "SLURM_ARRAY_TASK_ID"),
            ({"SLURM_ARRAY_TASK_ID": str(1 + 2 * i), "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1",
              "SLURM_ARRAY_TASK_MAX": "5", "SLURM_ARRAY_TASK_STEP": "2"}, [], "SLURM_ARRAY_TASK_STEP"),
            ({"JOB_COMPLETION_INDEX": str(i)}, ["--shards=3"], "JOB_COMPLETION_INDEX"),
            ({"SLURM_ARRAY_TASK_ID": str(i), "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0"},
             [f"--shard={i}/3"], "agrees with SLURM_ARRAY_TASK_ID"),
        ]
        for env, args, said in sources:
            got, err = cells(actorlab, suite, args, env)
            if got != want:
                fail(f"{env} {args}: {len(got)} cells, not those of --shard={i}/{n}")
            if f"shard {i}/{n} (" not in err or said not in err:
                fail(f"{env} {args}: stderr does not say the shard and its source ({said}): {err!r}")


BAD = [
    ({}, ["--shard=3/3"], "--shard=3/3: I must be below N"),
    ({}, ["--shard=0/0"], "--shard=0/0: N must be 1 to 100000"),
    ({}, ["--shard=a/3"], "--shard: 'a/3' is not allowed"),
    ({}, ["--shard=1"], "--shard: '1' is not allowed; give I/N"),
    ({}, ["--shard=-1/3"], "--shard: '-1/3' is not allowed"),
    ({}, ["--shard=0/41"], "use at most 40 shards"),
    ({}, ["--shards=0"], "--shards: '0' is not allowed; give a whole number from 1"),
    ({}, ["--shards=3"], "--shards=3 takes the index from JOB_COMPLETION_INDEX"),
    ({"JOB_COMPLETION_INDEX": "1"}, [], "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but --shards is not"),
    ({"JOB_COMPLETION_INDEX": "x"}, ["--shards=3"], "JOB_COMPLETION_INDEX: 'x' is not allowed"),
    ({"JOB_COMPLETION_INDEX": "3"}, ["--shards=3"], "JOB_COMPLETION_INDEX=3 is not below --shards=3"),
    ({"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0"}, [],
     "SLURM_ARRAY_TASK_ID: 'x' is not allowed"),
    ({"SLURM_ARRAY_TASK_ID": "1"}, [], "SLURM_ARRAY_TASK_COUNT is not set"),
    ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, [], "SLURM_ARRAY_TASK_MIN is not set"),
    ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "0", "SLURM_ARRAY_TASK_MIN": "0"}, [],
     "SLURM_ARRAY_TASK_COUNT: '0' is not allowed"),
    ({"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"}, [],
     "SLURM_ARRAY_TASK_ID=0 is not in the array"),
    ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0",
      "SLURM_ARRAY_TASK_MAX": "7"}, [], "not a uniform range"),
    ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0"}, ["--shard=2/3"],
     "--shard=2/3 (shard 2/3) disagrees with SLURM_ARRAY_TASK_ID=1"),
    ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0"}, ["--shards=4"],
     "--shards=4 disagrees with SLURM_ARRAY_TASK_COUNT=3"),
    ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0",
      "JOB_COMPLETION_INDEX": "2"}, ["--shards=3"], "disagrees with JOB_COMPLETION_INDEX=2"),
    ({}, ["--shard="], "--shard: empty value"),
]


def check_bad(actorlab, suite, tmp):
    out = os.path.join(tmp, "never.json")
    for env, args, said in BAD:
        r = run([actorlab, "suite", suite, *args, "--out=" + out], env, timeout=10)
        if r.returncode != 2 or said not in r.stderr or r.stdout.strip():
            fail(f"{env} {args}: exit {r.returncode}, stderr {r.stderr!r}, stdout {r.stdout[:200]!r}; "
                 f"expected 2 and {said!r}")
        if os.path.exists(out):
            fail(f"{env} {args}: left {out}")


def load(path):
    with open(path) as f:
        return json.load(f)


def merge(actorlab, files, out, *extra):
    return run([actorlab, "merge", *files, "--out=" + out, *extra], timeout=60)


def check_merge(actorlab, root, tmp):
    suite = os.path.join(tmp, "tiny.toml")
    text = ('repetitions = 2\n[matrix]\npolicy = ["skynet", "steal"]\n'
            '[[workload]]\nname = "pingpong"\ncount = 2000\n[[workload]]\nname = "ring"\ncount = 5000\n'
            '[[workload]]\nname = "flood"\ncount = 5000\n')
    with open(suite, "w") as f:
        f.write(text)
    elsewhere = os.path.join(tmp, "host-b", "tiny.toml")  # another host's checkout: the same bytes
    os.makedirs(os.path.dirname(elsewhere))
    shutil.copy(suite, elsewhere)

    def suite_run(path, out, *args):
        r = run([actorlab, "suite", path, "--out=" + out, *args])
        if r.returncode != 0:
            fail(f"suite {path} {args}: exit {r.returncode}: {r.stderr[-1500:]}")
        return load(out)

    whole_path = os.path.join(tmp, "whole.json")
    whole = suite_run(suite, whole_path)
    shards = [os.path.join(tmp, f"shard-{i}.json") for i in range(3)]
    for i, out in enumerate(shards):
        doc = suite_run(elsewhere if i == 1 else suite, out, f"--shard={i}/3")
        block = doc["context"]["actorlab_shard"]
        if (block["index"], block["count"], block["source"], block["split"]) != (i, 3, "--shard", "workloads"):
            fail(f"shard {i}: actorlab_shard {block}")
        if doc["context"]["actorlab_suite_hash"] != whole["context"]["actorlab_suite_hash"]:
            fail("the suite hash depends on the file's path")
        if not doc["context"]["actorlab_suite_hash"].startswith("sha256:"):
            fail(f"suite hash {doc['context']['actorlab_suite_hash']}")
    merged_path = os.path.join(tmp, "merged.json")
    r = merge(actorlab, [shards[2], shards[0], shards[1]], merged_path)
    if r.returncode != 0:
        fail(f"merge: exit {r.returncode}: {r.stderr}")
    merged = load(merged_path)
    names = [b["name"] for b in merged["benchmarks"]]
    if names != [b["name"] for b in whole["benchmarks"]]:
        fail(f"merged names (order included) differ from the unsharded run's:\n{names}\n"
             f"{[b['name'] for b in whole['benchmarks']]}")
    total = sum(len(load(p)["benchmarks"]) for p in shards)
    if len(names) != total:
        fail(f"merge kept {len(names)} of {total} entries")
    for b in merged["benchmarks"]:
        if b.get("actorlab_machine", {}).get("kind") is None or b.get("actorlab_origin", {}).get("shard") is None:
            fail(f"entry {b['name']} has no actorlab_machine or actorlab_origin")
    ctx = merged["context"]
    if not ctx["actorlab_merge"]["complete"] or ctx["actorlab_runs_done"] != whole["context"]["actorlab_runs_done"]:
        fail(f"merged context: complete {ctx['actorlab_merge']['complete']}, runs {ctx['actorlab_runs_done']}")
    if ctx["actorlab_mixed_machines"] is not False or len(ctx["actorlab_machines"]) != 1:
        fail(f"one machine reported as {ctx['actorlab_machines']}")

    # Two of three: merged, with a warning and the missing shard named.
    r = merge(actorlab, shards[:2], os.path.join(tmp, "two.json"))
    if r.returncode != 0 or "shard 2/3 missing" not in r.stderr:
        fail(f"two of three shards: exit {r.returncode}: {r.stderr}")
    if load(os.path.join(tmp, "two.json"))["context"]["actorlab_merge"]["shards_missing"] != [2]:
        fail("two of three shards: shards_missing is not [2]")

    # Refusals: exit 2, the reason and the files named, nothing written.
    other_suite = os.path.join(tmp, "other.toml")
    with open(other_suite, "w") as f:
        f.write(text.replace("count = 5000\n", "count = 6000\n", 1))
    other = os.path.join(tmp, "other-1.json")
    suite_run(other_suite, other, "--shard=1/3")
    overridden = os.path.join(tmp, "spin-1.json")
    suite_run(suite, overridden, "--shard=1/3", "--spin=0")
    commit = os.path.join(tmp, "commit-1.json")
    doc = load(shards[1])
    doc["context"]["commit"] = "0123456789ab"
    with open(commit, "w") as f:
        json.dump(doc, f)
    notjson = os.path.join(tmp, "notjson.json")
    with open(notjson, "w") as f:
        f.write("{ not json")
    nobench = os.path.join(tmp, "nobench.json")
    with open(nobench, "w") as f:
        json.dump({"context": {}}, f)
    refused = [
        ([shards[0], shards[0]], [], f"cell pingpong/policy:skynet/threads:2 is in both {shards[0]} (shard 0/3)"),
        ([shards[0], whole_path], [], "is in both"),
        ([shards[0], other], [], "are of different suite files"),
        ([shards[0], commit], [], "were built from different commits: "),
        ([shards[0], overridden], [], "split different cell lists"),
        ([shards[0], notjson], [], f"{notjson}: not JSON"),
        ([shards[0], nobench], [], f"{nobench}: not an actorlab result set"),
        ([shards[0], os.path.join(tmp, "absent.json")], [], "absent.json': cannot open"),
        ([shards[0], tmp], [], "is a directory; give a JSON file"),
    ]
    out = os.path.join(tmp, "refused.json")
    for files, extra, said in refused:
        r = merge(actorlab, files, out, *extra)
        if r.returncode != 2 or said not in r.stderr:
            fail(f"merge {files}: exit {r.returncode}, stderr {r.stderr!r}; expected 2 and {said!r}")
        if os.path.exists(out):
            fail(f"merge {files}: wrote {out} though refused")
    for files, key in (([shards[0], other], "suites"), ([shards[0], commit], "commits")):
        r = merge(actorlab, files, out, "--allow-mixed")
        if r.returncode != 0 or "--allow-mixed" not in r.stderr:
            fail(f"merge {files} --allow-mixed: exit {r.returncode}: {r.stderr}")
        if load(out)["context"]["actorlab_merge"]["mixed"][key] is not True:
            fail(f"merge {files} --allow-mixed: mixed.{key} not set")
        os.remove(out)

    # Cells on two kinds of machine: merged, flagged in the context, per entry and on stderr.
    xeon = os.path.join(tmp, "xeon-2.json")
    doc = load(shards[2])
    doc["context"].update(cpu_model="Intel Xeon Gold 6338", num_cpus=64, host_name="node-7")
    with open(xeon, "w") as f:
        json.dump(doc, f)
    mixed_path = os.path.join(tmp, "mixed.json")
    r = merge(actorlab, [shards[0], shards[1], xeon], mixed_path)
    if r.returncode != 0 or "cells ran on 2 kinds of machine" not in r.stderr or "Intel Xeon Gold 6338, 64 CPUs" \
            not in r.stderr:
        fail(f"mixed machines: exit {r.returncode}: {r.stderr}")
    mixed = load(mixed_path)
    if mixed["context"]["actorlab_mixed_machines"] is not True or len(mixed["context"]["actorlab_machines"]) != 2:
        fail(f"mixed machines: context {mixed['context'].get('actorlab_machines')}")
    kinds = {b["name"]: b["actorlab_machine"]["kind"] for b in mixed["benchmarks"]}
    if kinds["flood/policy:steal/threads:2"] != "Intel Xeon Gold 6338, 64 CPUs" or \
            kinds["pingpong/policy:steal/threads:2"] == kinds["flood/policy:steal/threads:2"]:
        fail(f"mixed machines: per-entry kinds {kinds}")

    # A merged set merged again with nothing new is refused as duplicates; plot and compare read merged sets.
    r = merge(actorlab, [merged_path, shards[0]], out)
    if r.returncode != 2 or "is in both" not in r.stderr:
        fail(f"merged + shard 0: exit {r.returncode}: {r.stderr}")
    plots = os.path.join(tmp, "plots")
    r = run(["/usr/bin/python3", os.path.join(root, "scripts", "plot"), mixed_path, plots])
    if r.returncode != 0 or not os.path.exists(os.path.join(plots, "mixed-throughput.png")):
        fail(f"scripts/plot on a merged set: exit {r.returncode}: {r.stderr[-1500:]}")
    r = run(["/usr/bin/python3", os.path.join(root, "scripts", "compare"), merged_path,
             os.path.join(tmp, "whole.json")])
    if r.returncode != 0 or "ring/policy:steal/threads:2" not in r.stdout:
        fail(f"scripts/compare on a merged set: exit {r.returncode}: {r.stderr[-1500:]}")


def main():
    actorlab = os.path.abspath(sys.argv[1])
    root = os.path.abspath(sys.argv[2])
    quick = os.path.join(root, "bench", "suites", "quick.toml")
    check_split(actorlab, quick, [1, 2, 3, 4, 5, 12, 40])
    check_split(actorlab, os.path.join(root, "bench", "suites", "full.toml"), [1, 2, 3, 4, 5])
    check_env(actorlab, quick)
    with tempfile.TemporaryDirectory() as tmp:
        check_bad(actorlab, quick, tmp)
        check_merge(actorlab, root, tmp)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
