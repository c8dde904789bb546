#!/usr/bin/python3
"""tests/bench/suite_cli_test.py ACTORLAB: `actorlab suite` as a user meets
it. Checks: a malformed suite file exits 2 with FILE:LINE: key 'KEY'; one
Ctrl-C ends the suite after the current run, two end the current run at
once; either way the runs so far are written, the result set is marked
partial (context.actorlab_partial) and the exit status is 130.
Guards: a Ctrl-C that loses the finished runs, leaves no file, writes an
unmarked partial set, records the aborted run, or exits 0.
Exit 0 pass, 1 fail."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def start(actorlab, suite, out):
    proc = subprocess.Popen([actorlab, "suite", suite, "--out", out], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    err = []
    reader = threading.Thread(target=lambda: err.extend(iter(lambda: proc.stderr.read(1), "")), daemon=True)
    reader.start()
    return proc, err, reader


def wait_for(err, text, seconds=60):
    deadline = time.monotonic() + seconds
    while text not in "".join(err):
        if time.monotonic() > deadline:
            fail(f"never saw {text!r} on stderr:\n{''.join(err)[-2000:]}")
        time.sleep(0.02)


def finish(proc, reader, err):
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("the suite did not stop after Ctrl-C:\n" + "".join(err)[-2000:])
    reader.join(5)
    return proc.returncode


def interrupted_result(proc, reader, err, out, what):
    """Waits for the suite to exit; it must exit 130 and leave a result set marked partial."""
    status = finish(proc, reader, err)
    if status != 130:
        fail(f"{what}: exit {status}, expected 130\n{''.join(err)[-2000:]}")
    if not os.path.exists(out):
        fail(f"{what}: no result set written at {out}")
    with open(out) as f:
        data = json.load(f)
    if data["context"].get("actorlab_partial") is not True:
        fail(f"{what}: not marked partial")
    return data["context"], [b for b in data["benchmarks"] if b["run_type"] == "iteration"]


def main():
    actorlab = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.toml")
        with open(bad, "w") as f:
            f.write('[matrix]\npolicy = "skynet"\nthreds = 2\n[[workload]]\nname = "ring"\n')
        run = subprocess.run([actorlab, "suite", bad], capture_output=True, text=True, timeout=30)
        if run.returncode != 2 or f"{bad}:3: key 'threds'" not in run.stderr:
            fail(f"malformed suite: exit {run.returncode}, stderr {run.stderr!r}")

        # Two Ctrl-C: the endless ring run is ended at once and not recorded.
        suite = os.path.join(tmp, "endless.toml")
        with open(suite, "w") as f:
            f.write('repetitions = 1\n[matrix]\npolicy = "steal"\n'
                    '[[workload]]\nname = "pingpong"\ncount = 2000\n'
                    '[[workload]]\nname = "ring"\ncount = 100000000000\n')
        out = os.path.join(tmp, "endless.json")
        proc, err, reader = start(actorlab, suite, out)
        wait_for(err, "] ring/")
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        wait_for(err, "interrupted:")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        ctx, runs = interrupted_result(proc, reader, err, out, "two Ctrl-C")
        names = [b["name"] for b in runs]
        if ctx.get("actorlab_runs_done") != 1:
            fail(f"two Ctrl-C: runs_done {ctx.get('actorlab_runs_done')}")
        if names != ["pingpong/policy:steal/threads:2"]:
            fail(f"two Ctrl-C: recorded {names}")

        # One Ctrl-C: the current run finishes and is recorded, nothing after it.
        suite = os.path.join(tmp, "long.toml")
        with open(suite, "w") as f:
            f.write('repetitions = 200\n[matrix]\npolicy = ["skynet", "steal"]\n'
                    '[[workload]]\nname = "pingpong"\ncount = 20000\n')
        out = os.path.join(tmp, "long.json")
        proc, err, reader = start(actorlab, suite, out)
        wait_for(err, "[3/400]")
        proc.send_signal(signal.SIGINT)
        ctx, runs = interrupted_result(proc, reader, err, out, "one Ctrl-C")
        if not 3 <= len(runs) < 400:
            fail(f"one Ctrl-C: {len(runs)} runs")
        if len(runs) != ctx.get("actorlab_runs_done") or any(b.get("error_occurred") for b in runs):
            fail("one Ctrl-C: recorded runs do not match runs_done, or one failed")
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
