#!/usr/bin/python3
"""tests/bench/peers_test.py ACTORLAB SOURCE_ROOT: scripts/peers end to end.
Targets: a Go or Tokio peer that no longer builds offline from Debian's
packages, a peer whose self-check fails or whose output (time, peak RSS)
the script cannot read, a workload left out of the table or the JSON, and
a bad flag, an unknown configuration or an unwritable --out found only
after minutes of runs (each must exit 2 at once, naming the flag). One
round at a hundredth of each size under one configuration: about twenty
seconds, most of it the peers' first build. Exit 0 pass, 1 fail."""
import json
import os
import subprocess
import sys
import tempfile

WORKLOADS = ["pingpong", "flood", "skynet", "ring", "fanout", "chameneos", "big"]


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def main():
    actorlab, root = sys.argv[1], sys.argv[2]
    script = os.path.join(root, "scripts", "peers")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bad.json")
        for bad, flag in (["--rounds=0"], "--rounds"), (["--workloads=fanout,nope"], "--workloads"), \
                         (["--scale=0"], "--scale"), (["--threads=0"], "--threads"), \
                         (["--configs=steal --nope=1"], "--configs"), (["--configs=nopolicy"], "--configs"), \
                         (["--out=/proc/self/no/peers.json"], "--out"):
            proc = subprocess.run([script, f"--out={out}", *bad, "--no-install", f"--actorlab={actorlab}"],
                                  capture_output=True, text=True, timeout=60)
            if proc.returncode != 2 or flag not in proc.stderr or os.path.exists(out):
                fail(f"{bad}: exit {proc.returncode}, stderr {proc.stderr!r}: expected exit 2 naming {flag}, no file")
        out = os.path.join(tmp, "peers.json")
        proc = subprocess.run([script, "--no-install", f"--actorlab={actorlab}", "--rounds=1", "--scale=0.01",
                               "--configs=steal", f"--out={out}"], capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            fail(f"scripts/peers exit {proc.returncode}: {proc.stderr[-2000:]}")
        with open(out) as f:
            result = json.load(f)
        runners = {"actorlab steal", "go", "tokio"}
        for w in WORKLOADS:
            seen = {r["runner"] for r in result["runs"]
                    if r["workload"] == w and r["ns_per_op"] > 0 and r["peak_rss_mib"] > 0}
            if seen != runners:
                fail(f"{w}: runs from {sorted(seen)}, expected {sorted(runners)}")
            if f"| {w} | actorlab steal |" not in proc.stdout:
                fail(f"{w}: no row in the printed table")
        if sorted(r["workload"] for r in result["summary"]) != sorted(WORKLOADS):
            fail(f"summary covers {[r['workload'] for r in result['summary']]}")
    print("PASS")


if __name__ == "__main__":
    main()
