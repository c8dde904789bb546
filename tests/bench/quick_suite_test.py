#!/usr/bin/python3
"""tests/bench/quick_suite_test.py ACTORLAB SOURCE_ROOT: the quick suite end
to end, as CI runs it. Runs `actorlab suite bench/suites/quick.toml --out
TMP`, then checks: exit 0; the result set has every workload x
configuration cell with all its repetitions, none failed, with aggregates;
the context names the suite and is not partial; scripts/compare reads it
(google/benchmark's compare.py alone and within scripts/compare with its
ratio table) and scripts/plot draws it.
Guards: a cell silently skipped, a failed self-check, a result set the
scripts cannot read. Exit 0 pass, 1 fail, 77 skip (meson's convention)."""
import json
import os
import subprocess
import sys
import tempfile
import tomllib


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def main():
    actorlab, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    suite_path = os.path.join(root, "bench", "suites", "quick.toml")
    with open(suite_path, "rb") as f:
        suite = tomllib.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "quick.json")
        run = subprocess.run([actorlab, "suite", suite_path, "--out", out], capture_output=True, text=True,
                             timeout=170, cwd=tmp)
        print(run.stderr[-3000:])
        if run.returncode != 0:
            fail(f"actorlab suite exited {run.returncode}\n{run.stdout[-3000:]}")
        with open(out) as f:
            data = json.load(f)
        ctx = data["context"]
        if ctx.get("actorlab_suite") != "quick" or ctx.get("actorlab_partial") is not False:
            fail(f"context: suite {ctx.get('actorlab_suite')!r}, partial {ctx.get('actorlab_partial')!r}")
        for key in ("cpu_model", "num_cpus", "kernel", "governor", "load_avg", "commit", "actorlab_warnings"):
            if key not in ctx:
                fail(f"context lacks {key}")
        workloads = [w["name"] for w in ctx["actorlab_workloads"]]
        labels = [c["label"] for c in ctx["actorlab_configs"]]
        if len(workloads) != len(suite["workload"]):
            fail(f"{len(workloads)} workloads in the result, {len(suite['workload'])} in the suite")
        reps = suite["repetitions"]
        iterations, aggregates = {}, set()
        for b in data["benchmarks"]:
            if b["run_type"] == "iteration":
                if b.get("error_occurred"):
                    fail(f"{b['name']} failed: {b.get('error_message')}")
                iterations[b["name"]] = iterations.get(b["name"], 0) + 1
            else:
                aggregates.add(b["run_name"])
        expected = [f"{w}/{l}" for w in workloads for l in labels]
        for name in expected:
            if iterations.get(name) != reps:
                fail(f"{name}: {iterations.get(name, 0)} repetitions, expected {reps}")
            if reps >= 2 and name not in aggregates:
                fail(f"{name}: no aggregates")
        if len(iterations) != len(expected):
            fail(f"unexpected cells: {sorted(set(iterations) - set(expected))}")
        for latency_workload in ("pingpong", "skewed"):
            entry = next(b for b in data["benchmarks"] if b["name"].startswith(latency_workload + "/"))
            if "latency_p9999_ns" not in entry or "rt_messages" not in entry:
                fail(f"{entry['name']}: no latency percentiles or runtime counters")
        # google/benchmark's own compare.py on the runner's real output (counters,
        # percentiles, warnings in the context), then scripts/compare around it.
        gbench = "/usr/share/benchmark/compare.py"
        if os.path.exists(gbench):
            run = subprocess.run(["/usr/bin/python3", gbench, "benchmarks", out, out], capture_output=True,
                                 text=True, timeout=120)
            if run.returncode != 0 or f"{expected[0]}_median" not in run.stdout:
                fail(f"compare.py exited {run.returncode}:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
        compare = subprocess.run(["/usr/bin/python3", os.path.join(root, "scripts", "compare"), out, out],
                                 capture_output=True, text=True, timeout=120)
        if compare.returncode != 0 or expected[0] not in compare.stdout or "1.00" not in compare.stdout:
            fail(f"scripts/compare exited {compare.returncode}:\n{compare.stdout[-2000:]}\n{compare.stderr[-2000:]}")
        plot = subprocess.run(["/usr/bin/python3", os.path.join(root, "scripts", "plot"), out, tmp],
                              capture_output=True, text=True, timeout=120)
        if plot.returncode != 0:
            fail(f"scripts/plot exited {plot.returncode}:\n{plot.stderr[-2000:]}")
        for kind in ("throughput", "latency", "latency-cdf"):
            for ext in ("png", "svg"):
                if not os.path.exists(os.path.join(tmp, f"quick-{kind}.{ext}")):
                    fail(f"scripts/plot wrote no quick-{kind}.{ext}")
    print(f"ok: {len(expected)} cells x {reps} repetitions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
