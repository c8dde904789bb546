#!/usr/bin/python3
"""tests/bench/report_cli_test.py ACTORLAB: `actorlab report` end to end.
Runs a small traced bench (pingpong, ring, flood under skynet and steal),
writes the report, and checks: exit 0; the page names every cell; every
image and link on it resolves to a file beside it (no network: no http(s)
URL, no script); the pictures are the plot code's SVGs and one utilisation
strip per traced run; the counters table is there; then headless Chromium
(Debian's chromium, a real browser) renders the page to a PNG that is not
blank (more than one colour, some of it ink). Bad inputs (missing or
malformed result, a trace that is not one, no --out, no report script)
exit 2 with the reason. Bugs guarded: a page that only works online or
from a server, a broken image, a report that crashes on a result without
latency, an input error reported as a crash. Exit 0 pass, 1 fail, 77 skip
(chromium not installed: scripts/setup installs it)."""
import html.parser
import os
import shutil
import subprocess
import sys
import tempfile


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


class Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.scripts, self.text = [], 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.refs.append(a.get("src", ""))
        elif tag in ("a", "link"):
            self.refs.append(a.get("href", ""))
        elif tag == "script":
            self.scripts += 1

    def handle_data(self, data):
        self.text.append(data)


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def main():
    actorlab = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([actorlab, "bench", "--workload=pingpong,ring,flood", "--policy=skynet,steal",
                            "--repetitions=2", "--count=3000", "--trace=t.json", "--out=r.json"],
                           capture_output=True, text=True, timeout=100, cwd=tmp)
        if r.returncode != 0:
            fail(f"bench exited {r.returncode}: {r.stderr[-2000:]}")
        out = os.path.join(tmp, "page")
        r = subprocess.run([actorlab, "report", "r.json", "--trace", "t.json", "--out=" + out],
                           capture_output=True, text=True, timeout=100, cwd=tmp)
        if r.returncode != 0:
            fail(f"report exited {r.returncode}: {r.stderr[-2000:]}")
        index = os.path.join(out, "index.html")
        with open(index) as f:
            page = f.read()
        parser = Refs()
        parser.feed(page)
        text = " ".join(parser.text)
        if parser.scripts:
            fail("the page has a script")
        for cell in ("pingpong", "ring", "flood", "policy:skynet/threads:2", "policy:steal/threads:2"):
            if cell not in text:
                fail(f"the page does not name {cell}")
        for section in ("Results", "Counters per configuration", "parks per message", "Worker utilisation"):
            if section not in text:
                fail(f"the page lacks {section!r}")
        if not parser.refs:
            fail("no image or link on the page")
        for ref in parser.refs:
            if "://" in ref or ref.startswith("//"):
                fail(f"the page refers to the network: {ref}")
            path = os.path.normpath(os.path.join(out, ref))
            if not os.path.isfile(path) or os.path.getsize(path) == 0:
                fail(f"{ref} does not resolve to a file")
        imgs = [ref for ref in parser.refs if ref.endswith(".svg")]
        for kind in ("report-throughput.svg", "report-latency.svg", "report-latency-cdf.svg"):
            if kind not in imgs:
                fail(f"no {kind} on the page: {imgs}")
        strips = [ref for ref in imgs if ref.startswith("report-trace-")]
        if len(strips) != 12:  # 3 workloads x 2 policies x 2 repetitions
            fail(f"{len(strips)} utilisation strips, expected 12")

        # Bad inputs: exit 2 and a message naming the problem.
        with open(os.path.join(tmp, "bad.json"), "w") as f:
            f.write('{"context": {}}')
        with open(os.path.join(tmp, "notjson.json"), "w") as f:
            f.write("nope")
        cases = [(["missing.json", "--out=x"], "missing.json"), (["bad.json", "--out=x"], "not a result set"),
                 (["notjson.json", "--out=x"], "not JSON"), (["r.json", "--trace", "r.json", "--out=x"], "traceEvents"),
                 (["r.json", "--trace", "none.json", "--out=x"], "--trace"), (["r.json"], "--out")]
        for args, words in cases:
            r = subprocess.run([actorlab, "report"] + args, capture_output=True, text=True, timeout=60, cwd=tmp)
            if r.returncode != 2 or words not in r.stderr + r.stdout:
                fail(f"report {' '.join(args)}: exit {r.returncode}, want 2 naming {words!r}: {r.stderr[-500:]}")
        env = dict(os.environ, ACTORLAB_SCRIPTS=tmp)
        r = subprocess.run([actorlab, "report", "r.json", "--out=x"], capture_output=True, text=True, timeout=60,
                           cwd=tmp, env=env)
        if r.returncode != 2 or "report.py" not in r.stderr:
            fail(f"no script: exit {r.returncode}: {r.stderr[-500:]}")

        # A real browser renders it.
        browser = chromium()
        if browser is None:
            print("SKIP: chromium is not installed (scripts/setup installs it)")
            sys.exit(77)
        png = os.path.join(tmp, "shot.png")
        cmd = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
               f"--user-data-dir={os.path.join(tmp, 'profile')}", f"--screenshot={png}", "--window-size=1200,1600",
               "file://" + index]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
        if r.returncode != 0 or not os.path.isfile(png):
            fail(f"chromium exited {r.returncode}, no screenshot: {r.stderr[-1500:]}")
        import matplotlib.image
        import numpy
        pixels = matplotlib.image.imread(png)  # floats in [0, 1], rows x columns x channels
        if pixels.shape[0] < 1000 or pixels.shape[1] < 1000:
            fail(f"screenshot of {pixels.shape}")
        rgb = numpy.round(pixels[:, :, :3] * 255).astype(numpy.int32)
        colours = len(numpy.unique(rgb.reshape(-1, 3), axis=0))
        background = rgb[0, 0]
        ink = float(numpy.mean(numpy.any(rgb != background, axis=2)))
        if colours < 16 or ink < 0.02:
            fail(f"the screenshot looks blank: {colours} colours, {ink:.1%} differs from the background")
        print(f"screenshot: {colours} colours, {ink:.1%} ink")
    print("ok")


if __name__ == "__main__":
    main()
