#!/usr/bin/python3
"""tests/bench/cli_input_test.py ACTORLAB: every bad input is refused before
anything runs, and `actorlab list` / `actorlab ablate` work on
tiny counts.
Guards: a bad flag value that runs anyway (--count=0 running the default,
load --duration=inf reporting ok, echo --duration=nan running forever), an
empty --host= / --workload= swallowing the next argument, a directory or
/dev/zero read as a suite or config file (an abort, an endless read, or the
defaults silently used), an --out path found bad only after the run (its
results lost), a workload's --param range error after the run started; an
exit status other than 2, a message that does not name the flag, a
partial file left behind, or a refusal that takes longer than a second.
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


def main():
    actorlab = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        inputs = os.path.join(tmp, "inputs")
        os.mkdir(inputs)
        good_suite = os.path.join(inputs, "good.toml")
        with open(good_suite, "w") as f:
            f.write('repetitions = 1\n[matrix]\npolicy = "skynet"\n[[workload]]\nname = "pingpong"\ncount = 100\n')
        big_suite = os.path.join(inputs, "big.toml")
        with open(big_suite, "w") as f:
            f.write("# " + "x" * (2 << 20) + "\n")
        outdir = os.path.join(tmp, "out")  # must stay empty
        os.mkdir(outdir)
        out = os.path.join(outdir, "r.json")
        run = os.path.join(tmp, "run")  # the working directory: default output paths land here
        os.mkdir(run)
        p = ["--port=1"]
        cases = [
            # (args, a fragment stderr must hold: the flag)
            (["bench", "--threads=0"], "threads"),
            (["bench", "--threads=abc"], "threads"),
            (["bench", "--threads=2,"], "threads"),
            (["bench", "--policy=nope"], "policy"),
            (["bench", "--policy="], "--policy"),
            (["bench", "--count=0"], "count"),
            (["bench", "--workload=", "--repetitions=1"], "--workload"),
            (["bench", "--workload=nope"], "workload"),
            (["bench", "--spin=-1"], "spin"),
            (["bench", "--batch=0"], "batch"),
            (["bench", "--lifo=maybe"], "lifo"),
            (["bench", "--placement=everywhere"], "placement"),
            (["bench", "--steal=all"], "steal"),
            (["bench", "--idle=sleep"], "idle"),
            (["bench", "--home=random"], "home"),
            # a limit with a workload that drops refused messages (only flood resends)
            (["bench", "--workload=pingpong", "--mailbox-limit=8", "--count=100"], "mailbox-limit"),
            (["suite", good_suite, "--mailbox-limit=8"], "mailbox-limit"),
            (["bench", "--lifo-backoff=1e3"], "lifo-backoff"),
            (["bench", "--send-timeout=nan"], "send-timeout"),
            (["bench", "--idle-timeout=inf"], "idle-timeout"),
            (["bench", "--header-timeout=-1"], "header-timeout"),
            (["bench", "--uring-buffers=1000"], "uring-buffers"),
            (["bench", "--uring-buffer-size=100"], "uring-buffer-size"),
            (["bench", "--uring-sqpoll=maybe"], "uring-sqpoll"),
            (["bench", "--direct-writes=maybe"], "direct-writes"),
            (["bench", "--max-actors=0"], "max-actors"),
            (["bench", "--max-connections=99999999999"], "max-connections"),
            (["bench", "--repetitions=0"], "repetitions"),
            (["bench", "--policy=skynet", "--steal=half"], "steal"),
            (["bench", "--config", inputs], "--config"),
            (["bench", "--config", "/dev/zero"], "--config"),
            (["bench", "--config", os.path.join(inputs, "missing.toml")], "--config"),
            (["bench", "--workload=pingpong", "--count=10", "--out=" + outdir], "--out"),
            (["bench", "--workload=pingpong", "--count=10", "--out=" + good_suite + "/x.json"], "--out"),
            (["bench", "--workload=big", "--param=actors=1"], "actors"),
            (["bench", "--workload=timers", "--param=delay-us=99999999999"], "delay-us"),
            (["bench", "--workload=echo", "--param=connections=0"], "connections"),
            (["bench", "--param=nokey"], "param"),
            (["suite", inputs], "suite file"),
            (["suite", "/dev/zero"], "suite file"),
            (["suite", big_suite], "suite file"),
            (["suite", good_suite, "--repetitions=0"], "--repetitions"),
            (["suite", good_suite, "--out=" + outdir], "--out"),
            (["suite", good_suite, "--policy=steal"], "policy"),
            (["suite", good_suite, "--spin=nan"], "spin"),
            (["suite", good_suite, "--threads=1,2"], "threads"),
            (["ablate", "--from=skynet", "--to=nope", "--workload=pingpong"], "policy"),
            (["ablate", "--from=skynet", "--to=steal", "--count=0"], "count"),
            (["ablate", "--from=skynet", "--to=steal", "--threads=1,2"], "threads"),
            (["ablate", "--from=skynet", "--to=steal", "--policy=steal"], "policy"),
            (["ablate", "--from=skynet", "--to=steal", "--count=10", "--out=" + outdir], "--out"),
            (["ablate", "--from=skynet", "--to=steal", "--lifo=sometimes"], "lifo"),
            (["ablate", "--to=steal"], "--from"),
            (["echo", "--duration=nan"], "--duration"),
            (["echo", "--duration=-1"], "--duration"),
            (["echo", "--host=", "--duration=1"], "--host"),
            (["echo", "--port=70000"], "--port"),
            (["echo", "--idle-timeout=nan"], "idle-timeout"),
            (["http", "--duration=inf"], "--duration"),
            (["http", "--threads=0"], "threads"),
            (["http", "--header-timeout=1e300"], "header-timeout"),
            (["load"] + p + ["--duration=inf"], "--duration"),
            (["load"] + p + ["--duration=1e300"], "--duration"),
            (["load"] + p + ["--duration=nan"], "--duration"),
            (["load"] + p + ["--warmup=inf"], "--warmup"),
            (["load"] + p + ["--drain=-1"], "--drain"),
            (["load"] + p + ["--drain=nan"], "--drain"),
            (["load"] + p + ["--rate=1e-300"], "--rate"),
            (["load"] + p + ["--rate=1e300"], "--rate"),
            (["load"] + p + ["--connections=0"], "--connections"),
            (["load"] + p + ["--duration=1", "--out=" + outdir], "--out"),
            (["load", "--host=", "--port=1"], "--host"),
            (["load", "--port=0"], "--port"),
            (["load"] + p + ["--threads=1.5"], "--threads: '1.5' is not valid; valid: a whole number in [1, 1024]"),
        ]
        if len(cases) < 30:
            fail(f"only {len(cases)} cases")
        failures = []
        for args, fragment in cases:
            started = time.monotonic()
            try:
                r = subprocess.run([actorlab] + args, capture_output=True, text=True, timeout=10, cwd=run)
            except subprocess.TimeoutExpired:
                failures.append(f"{args}: still running after 10 s")
                continue
            took = time.monotonic() - started
            if r.returncode != 2:
                failures.append(f"{args}: exit {r.returncode}, expected 2; stderr {r.stderr.strip()[:300]!r}")
            elif fragment not in r.stderr:
                failures.append(f"{args}: the message does not name {fragment!r}: {r.stderr.strip()[:300]!r}")
            elif took > 1.0:
                failures.append(f"{args}: took {took:.2f} s to refuse")
            left = os.listdir(outdir) + os.listdir(run)
            if left:
                failures.append(f"{args}: left {left}")
                for name in os.listdir(run):
                    subprocess.run(["rm", "-rf", os.path.join(run, name)])
        if failures:
            fail(f"{len(failures)} of {len(cases)} bad inputs:\n  " + "\n  ".join(failures))
        print(f"{len(cases)} bad inputs refused with exit 2")

        # `actorlab list`: parts with their choices, presets with their expansions.
        r = subprocess.run([actorlab, "list"], capture_output=True, text=True, timeout=10)
        for fragment in ["--placement:", "--lifo:", "--steal:", "--idle:", "stealable", "skynet-classic",
                         "= --placement=", "workloads (--workload)"]:
            if fragment not in r.stdout:
                fail(f"`actorlab list` lacks {fragment!r}:\n{r.stdout}")

        # An explicit knob joins the name; every knob is in the context.
        res = os.path.join(tmp, "bench.json")
        r = subprocess.run([actorlab, "bench", "--workload=pingpong", "--count=200", "--repetitions=1",
                            "--max-actors=100000", "--idle-timeout=2.5", "--out=" + res],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            fail(f"tiny bench: exit {r.returncode}: {r.stderr[-1000:]}")
        with open(res) as f:
            data = json.load(f)
        names = {b["name"] for b in data["benchmarks"]}
        want = "pingpong/policy:steal/threads:2/max-actors:100000/idle-timeout:2.5"
        if want not in names:
            fail(f"name {want} not in {names}")
        context = data["context"]["actorlab_configs"][0]
        if context.get("idle_timeout_ns") != 2_500_000_000 or context.get("uring_buffers") != 2048:
            fail(f"context lacks the effective knobs: {context}")

        # A knob on the suite command line overrides every configuration and joins the name.
        res = os.path.join(tmp, "suite.json")
        r = subprocess.run([actorlab, "suite", good_suite, "--spin=0", "--threads=1", "--out=" + res],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            fail(f"suite with overrides: exit {r.returncode}: {r.stderr[-1000:]}")
        with open(res) as f:
            names = {b["name"] for b in json.load(f)["benchmarks"]}
        if "pingpong/policy:skynet/threads:1/spin:0" not in names:
            fail(f"suite override not in the name: {names}")

        # ablate on tiny counts: every step runs, bench's JSON with the steps in the context.
        res = os.path.join(tmp, "ablate", "a.json")
        r = subprocess.run([actorlab, "ablate", "--from=skynet", "--to=steal", "--workload=pingpong,ring",
                            "--count=1000", "--repetitions=1", "--out=" + res],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            fail(f"tiny ablate: exit {r.returncode}: {r.stderr[-2000:]}")
        with open(res) as f:
            data = json.load(f)
        steps = data["context"]["actorlab_ablate"]["steps"]
        kinds = [s["kind"] for s in steps]
        if kinds[0] != "start" or "target" not in kinds or "walk" not in kinds or "flip" not in kinds:
            fail(f"ablate steps {kinds}")
        names = {b["name"] for b in data["benchmarks"] if b["run_type"] == "iteration"}
        for w in ["pingpong", "ring"]:
            for s in steps:
                if f"{w}/{s['label']}" not in names:
                    fail(f"ablate: {w}/{s['label']} not run; ran {sorted(names)}")
            if f"ablate {w}: skynet -> steal" not in r.stdout:
                fail(f"ablate: no attribution table for {w}:\n{r.stdout}")
        if "placement global->local" not in r.stdout:
            fail(f"ablate: the walk does not flip placement:\n{r.stdout}")
        print("list, bench names and context, ablate: ok")


if __name__ == "__main__":
    main()
