#!/usr/bin/python3
"""tests/bench/watch_cli_test.py ACTORLAB: the run watch as a user meets it.
Targets: `bench --workload=pingpong --max-actors=1` waiting 120 s and then
saying "a message was lost or the run stalled" (it must fail at once, exit 1,
saying the spawn was refused and naming --max-actors, and still write its
result set with actorlab_verdict "refused"); --stall / --run-limit taking a
value that is not a finite number of seconds in range (exit 2 at once,
naming the flag and the value, never taking the next argument for an empty
one, no result file), for `bench` and `suite` alike.
Exit 0 pass, 1 fail."""
import json
import os
import subprocess
import sys
import tempfile
import time


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def run(args, seconds):
    start = time.monotonic()
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        fail(f"{' '.join(args)} did not end within {seconds + 30} s")
    took = time.monotonic() - start
    if took > seconds:
        fail(f"{' '.join(args)} took {took:.1f} s, expected under {seconds} s")
    return proc


def main():
    actorlab = sys.argv[1]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    quick = os.path.join(root, "bench", "suites", "quick.toml")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "refused.json")
        proc = run([actorlab, "bench", "--workload=pingpong", "--max-actors=1", "--repetitions=2",
                    f"--out={out}"], 5)
        if proc.returncode != 1:
            fail(f"refused spawn: exit {proc.returncode}, expected 1\n{proc.stderr[-2000:]}")
        if "spawn refused" not in proc.stderr and "set-up refused" not in proc.stderr:
            fail(f"refused spawn: no 'refused' on stderr:\n{proc.stderr[-2000:]}")
        if "--max-actors" not in proc.stderr:
            fail(f"refused spawn: --max-actors not named:\n{proc.stderr[-2000:]}")
        with open(out) as f:
            runs = [b for b in json.load(f)["benchmarks"] if b["run_type"] == "iteration"]
        if len(runs) != 2 or any(b.get("actorlab_verdict") != "refused" for b in runs):
            fail(f"refused spawn: runs in the result set: {runs}")

        bad = [("stall", v) for v in ("0", "-1", "nan", "inf", "", "ten", "3601")]
        bad += [("run-limit", v) for v in ("0", "nan", "1e300", "-inf", "")]
        for command in (["bench", "--workload=pingpong", "--count=10"], ["suite", quick]):
            for flag, value in bad:
                out = os.path.join(tmp, "bad.json")
                proc = run([actorlab, *command, f"--{flag}={value}", f"--out={out}"], 2)
                if proc.returncode != 2:
                    fail(f"{command[0]} --{flag}={value!r}: exit {proc.returncode}, expected 2\n{proc.stderr[-1000:]}")
                # An empty value is refused by the program's common `--flag=` check
                # (bench/cli/main.cpp) before the flag's own parser sees it.
                named = (f"--{flag}: empty value" in proc.stderr if value == ""
                         else f"--{flag}: '{value}'" in proc.stderr and "seconds" in proc.stderr)
                if not named:
                    fail(f"{command[0]} --{flag}={value!r}: message does not name the flag:\n{proc.stderr[-1000:]}")
                if os.path.exists(out):
                    fail(f"{command[0]} --{flag}={value!r}: wrote {out}")
    print("PASS")


if __name__ == "__main__":
    main()
