#!/usr/bin/python3
"""docs_test.py: the documentation stays true to the tree.

Targets: a relative link in README.md, docs/ or results/*/README.md that
points at a file (or a heading) that moved or never existed; docs/counters.md
out of date with `actorlab list counters` (bench/cli/counter_docs.cpp); a counter
a run reports that the table does not document, or a documented counter no
run reports any more (renamed or removed).
Usage: docs_test.py ACTORLAB SOURCE_ROOT
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ACTORLAB, ROOT = sys.argv[1], sys.argv[2]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def headings(path):
    out, fence = set(), False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            fence = not fence
        elif not fence and line.startswith("#"):
            out.add(slug(line.lstrip("#")))
    return out


def pages():
    yield os.path.join(ROOT, "README.md")
    for d in ("docs",):
        for name in sorted(os.listdir(os.path.join(ROOT, d))):
            if name.endswith(".md"):
                yield os.path.join(ROOT, d, name)
    results = os.path.join(ROOT, "results")
    for machine in sorted(os.listdir(results)):
        p = os.path.join(results, machine, "README.md")
        if os.path.isfile(p):
            yield p


def check_links():
    count = 0
    for page in pages():
        text = open(page, encoding="utf-8").read()
        text = re.sub(r"```.*?```", "", text, flags=re.S)  # code blocks hold no links
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, mailto: ...: not checked (no network in CI)
            count += 1
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            where = os.path.relpath(page, ROOT)
            if not os.path.exists(dest):
                fail(f"{where}: link to {target}: {os.path.relpath(dest, ROOT)} does not exist")
            elif anchor and dest.endswith(".md") and anchor not in headings(dest):
                fail(f"{where}: link to {target}: no heading '{anchor}' in {os.path.relpath(dest, ROOT)}")
    if count < 10:
        fail(f"only {count} relative links found: the page scan is broken")


def check_counters_page():
    generated = subprocess.run([ACTORLAB, "list", "counters"], capture_output=True, text=True, check=True).stdout
    page = open(os.path.join(ROOT, "docs", "counters.md"), encoding="utf-8").read()
    if generated != page:
        fail("docs/counters.md is not the output of `actorlab list counters`: regenerate it "
             "(build/bench/actorlab list counters > docs/counters.md)")
    return set(re.findall(r"^\| `([a-z0-9_]+)` \|", generated, flags=re.M))


def check_reported_counters(documented):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        # pingpong (worker loop, parts), timers (timer service), echo (the net
        # service); steal and pinned between them use every part.
        r = subprocess.run([ACTORLAB, "bench", "--workload=pingpong,timers,echo", "--count=2000",
                            "--policy=steal,pinned", "--repetitions=1", f"--out={out}"],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            fail(f"bench run for the counter check failed ({r.returncode}): {r.stderr[-2000:]}")
            return
        reported = set()
        for b in json.load(open(out))["benchmarks"]:
            reported |= {k[3:] for k in b if k.startswith("rt_")}
    for name in sorted(reported - documented):
        fail(f"counter rt_{name} is reported by a run but not documented (bench/cli/counter_docs.cpp)")
    runtime_docs = {n for n in documented if not n.startswith("svc_")}
    for name in sorted(runtime_docs - reported):
        fail(f"counter {name} is documented but no run reports it (renamed or removed?)")
    if len(reported) < 50:
        fail(f"only {len(reported)} rt_ counters reported: the check lost its input")


check_links()
check_reported_counters(check_counters_page())
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
