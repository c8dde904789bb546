"""scripts/actorlab_plot.py: the plotting code behind scripts/plot and
`actorlab report` (scripts/report.py), importable as a module.

scripts/plot RESULT.json [OUT_DIR]: pictures of an actorlab result set.

Writes, next to the result (or into OUT_DIR), PNG and SVG files:
  <stem>-throughput.png   operations per second per workload, one bar per
                          configuration: the median of the repetitions, with
                          a bar from the slowest to the fastest repetition
  <stem>-latency.png      the percentile spectrum per configuration, for
                          workloads that measure latency (pingpong, flood,
                          skewed ...): latency (in ns, us, ms or s) against
                          the percentile on HdrHistogram's axis 1/(1-p), so
                          50%, 90%, 99%, 99.9%, 99.99% are equally spaced and
                          the tail is as readable as the median; max last
  <stem>-latency-cdf.png  the same percentiles as a CDF: the fraction of
                          messages at or below a latency (log time axis)
  <stem>-scaling.png      throughput against worker threads, when the result
                          set varies threads
One panel per workload (with its parameters, e.g. chameneos/creatures:10),
at most four panels a row. Machine, commit, suite and repetitions go in the
caption; a partial (interrupted) result set says so in the title, and so
does a merged set missing shards. A merged set (`actorlab merge`) whose cells
ran on more than one kind of machine (each entry's actorlab_machine.kind) is
grouped by machine: in each panel the bars (and lines) of one kind of
machine stand together in one colour, with a legend, and the caption lists
the kinds and their hosts. Uses Debian's python3-matplotlib (run with
/usr/bin/python3).
"""
import json
import math
import os
import re
import statistics
import sys
from collections import OrderedDict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# (fraction, result field) of the percentiles a result carries; max is apart.
PERCENTILES = [(0.5, "latency_p50_ns"), (0.9, "latency_p90_ns"), (0.99, "latency_p99_ns"),
               (0.999, "latency_p999_ns"), (0.9999, "latency_p9999_ns")]
PERCENTILE_LABELS = [(0.5, "50%"), (0.9, "90%"), (0.99, "99%"), (0.999, "99.9%"), (0.9999, "99.99%")]
# Units of result sets written before the context listed them.
OLD_UNITS = {"pingpong": "round trips", "skynet": "leaves", "ring": "hops"}


def load(path):
    with open(path) as f:
        data = json.load(f)
    runs = OrderedDict()  # name -> list of iteration entries
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        runs.setdefault(b["name"], []).append(b)
    return data["context"], runs


COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]


def machine_of(entries):
    """The kind of machine a cell ran on (merged sets), or None."""
    return (entries[0].get("actorlab_machine") or {}).get("kind")


def machine_kinds(runs):
    kinds = []
    for entries in runs.values():
        kind = machine_of(entries)
        if kind and kind not in kinds:
            kinds.append(kind)
    return kinds


def split_name(name):
    """'chameneos/creatures:10/policy:skynet/threads:2' -> ('chameneos/creatures:10', 'policy:skynet/threads:2')."""
    cut = name.find("/policy:")
    if cut < 0:
        workload, _, config = name.partition("/")
        return workload, config
    return name[:cut], name[cut + 1:]


def unit_of(ctx, workload):
    for w in ctx.get("actorlab_workloads", []):
        if w.get("name") == workload and w.get("unit"):
            unit = w["unit"]
            return {"leaf": "leaves"}.get(unit, unit if unit.endswith("s") else unit + "s")
    return OLD_UNITS.get(workload.split("/")[0], "messages")


def grid(count, width, height):
    cols = min(4, count)
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def title(ctx, text):
    suite = ctx.get("actorlab_suite")
    partial = " [PARTIAL: interrupted]" if ctx.get("actorlab_partial") else ""
    missing = (ctx.get("actorlab_merge") or {}).get("shards_missing") or []
    if missing:
        partial += f" [PARTIAL: {len(missing)} shard(s) missing]"
    return f"{text}" + (f", suite {suite}" if suite else "") + partial


def caption(ctx, runs):
    reps = max((len(v) for v in runs.values()), default=0)
    warnings = len(ctx.get("actorlab_warnings", []))
    noisy = f"; {warnings} machine warning(s) at start, see context" if warnings else ""
    machines = ctx.get("actorlab_machines") or []
    if len(machines) > 1:
        where = "machines: " + "; ".join(f"{m.get('kind')} ({', '.join(m.get('hosts', []))}: {m.get('cells')} cells)"
                                         for m in machines)
    else:
        where = (f"{ctx.get('cpu_model', '?')}, {ctx.get('num_cpus', '?')} CPUs, kernel {ctx.get('kernel', '?')}, "
                 f"governor {ctx.get('governor', '?')}")
    return (f"{where}; commit {ctx.get('commit', '?')}; {reps} repetitions "
            f"(median; whiskers min-max){noisy}; {ctx.get('date', '')}")


def save(fig, out_dir, stem, kind):
    """Writes <stem>-<kind>.png and .svg; returns their paths."""
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    paths = []
    for ext in ("png", "svg"):
        p = os.path.join(out_dir, f"{stem}-{kind}.{ext}")
        fig.savefig(p, dpi=110, bbox_inches="tight")
        paths.append(p)
    plt.close(fig)
    print("wrote " + ", ".join(paths))
    return paths


def plot_throughput(ctx, runs, out_dir, stem):
    kinds = machine_kinds(runs)
    grouped = len(kinds) > 1
    by_workload = OrderedDict()
    for name, entries in runs.items():
        w, cfg = split_name(name)
        rates = [e["ops_per_second"] for e in entries if "ops_per_second" in e]
        if rates:
            by_workload.setdefault(w, []).append((cfg, rates, machine_of(entries)))
    if not by_workload:
        return []
    fig, axes = grid(len(by_workload), 5.2, 4.8)
    for ax, (w, cells) in zip(axes, by_workload.items()):
        if grouped:  # one kind of machine's bars together, in its colour
            cells = sorted(cells, key=lambda c: kinds.index(c[2]) if c[2] in kinds else len(kinds))
        labels = [c for c, _, _ in cells]
        med = [statistics.median(r) / 1e6 for _, r, _ in cells]
        lo = [m - min(r) / 1e6 for m, (_, r, _) in zip(med, cells)]
        hi = [max(r) / 1e6 - m for m, (_, r, _) in zip(med, cells)]
        colours = [COLOURS[kinds.index(k) % len(COLOURS)] if grouped and k in kinds else COLOURS[0]
                   for _, _, k in cells]
        ax.bar(range(len(cells)), med, yerr=[lo, hi], capsize=4, color=colours)
        if grouped:
            from matplotlib.patches import Patch
            shown = [k for k in kinds if any(c[2] == k for c in cells)]
            ax.legend(handles=[Patch(color=COLOURS[kinds.index(k) % len(COLOURS)], label=k) for k in shown],
                      fontsize=7)
        ax.set_xticks(range(len(cells)))
        ax.set_xticklabels([l.replace("/", "\n") for l in labels], fontsize=7)
        ax.set_ylabel(f"million {unit_of(ctx, w)} per second")
        ax.set_title(w)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title(ctx, "Throughput by configuration (higher is better)"))
    fig.text(0.5, -0.04, caption(ctx, runs), ha="center", fontsize=7, wrap=True)
    return save(fig, out_dir, stem, "throughput")


def human_ns(value, _pos=None):
    """A latency tick label in the unit that suits it: 850 ns, 12 us, 3.5 ms, 2 s."""
    for limit, unit, scale in ((1e3, "ns", 1), (1e6, "us", 1e3), (1e9, "ms", 1e6)):
        if abs(value) < limit:
            return f"{value / scale:g} {unit}"
    return f"{value / 1e9:g} s"


def latency_cells(runs):
    """workload -> [(config, [(fraction, median ns) ...], median max ns)] for cells with percentiles."""
    by_workload = OrderedDict()
    grouped = len(machine_kinds(runs)) > 1
    for name, entries in runs.items():
        w, cfg = split_name(name)
        points = [(frac, max(1.0, statistics.median(e[k] for e in entries))) for frac, k in PERCENTILES
                  if k in entries[0]]
        if len(points) < 3:
            continue
        top = statistics.median(e["latency_max_ns"] for e in entries) if "latency_max_ns" in entries[0] else None
        if grouped:
            cfg = f"{cfg} @ {machine_of(entries)}"
        by_workload.setdefault(w, []).append((cfg, points, top))
    return by_workload


def log_time_axis(axis, low, high):
    """Time ticks in human units; 1-2-5 steps when the data spans under three decades."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    subs = (1.0, 2.0, 5.0) if high < low * 1000 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(human_ns))
    axis.set_minor_formatter(NullFormatter())


def plot_latency(ctx, runs, out_dir, stem):
    by_workload = latency_cells(runs)
    if not by_workload:
        return []
    # Spectrum: x = 1/(1-p) on a log axis; max drawn one decade past p99.99.
    fig, axes = grid(len(by_workload), 6.0, 4.6)
    ticks = [1 / (1 - f) for f, _ in PERCENTILES] + [1e5]
    for ax, (w, cells) in zip(axes, by_workload.items()):
        for cfg, points, top in cells:
            xs = [1 / (1 - f) for f, _ in points]
            ys = [v for _, v in points]
            line, = ax.plot(xs, ys, marker="o", label=cfg)
            if top is not None:
                ax.plot([xs[-1], 1e5], [ys[-1], top], linestyle=":", marker="^", color=line.get_color())
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(ticks)
        ax.set_xticklabels([label for _, label in PERCENTILE_LABELS] + ["max"], fontsize=8)
        ax.minorticks_off()
        values = [v for _, points, top in cells for v in [p for _, p in points] + ([top] if top else [])]
        log_time_axis(ax.yaxis, min(values), max(values))
        ax.set_ylabel("latency (median over repetitions)")
        ax.set_xlabel("percentile (spacing 1/(1-p))")
        ax.set_title(w)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.suptitle(title(ctx, "Latency percentile spectrum (lower is better)"))
    fig.text(0.5, -0.04, caption(ctx, runs), ha="center", fontsize=7, wrap=True)
    paths = save(fig, out_dir, stem, "latency")

    fig, axes = grid(len(by_workload), 5.6, 4.4)
    for ax, (w, cells) in zip(axes, by_workload.items()):
        for cfg, points, top in cells:
            xs = [v for _, v in points] + ([top] if top is not None else [])
            ys = [f * 100 for f, _ in points] + ([100.0] if top is not None else [])
            ax.plot(xs, ys, marker="o", drawstyle="default", label=cfg)
        ax.set_xscale("log")
        values = [v for _, points, top in cells for v in [p for _, p in points] + ([top] if top else [])]
        log_time_axis(ax.xaxis, min(values), max(values))
        ax.set_ylim(45, 101)
        ax.set_xlabel("latency (median over repetitions)")
        ax.set_ylabel("% of messages at or below")
        ax.set_title(w)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(title(ctx, "Latency CDF (left is better)"))
    fig.text(0.5, -0.04, caption(ctx, runs), ha="center", fontsize=7, wrap=True)
    return paths + save(fig, out_dir, stem, "latency-cdf")


def plot_scaling(ctx, runs, out_dir, stem):
    grouped = len(machine_kinds(runs)) > 1
    series = OrderedDict()  # (workload, config without threads[, machine]) -> {threads: median rate}
    for name, entries in runs.items():
        w, cfg = split_name(name)
        m = re.search(r"threads:(\d+)", cfg)
        if not m:
            continue
        rest = re.sub(r"/?threads:\d+", "", cfg)
        key = (w, f"{rest} @ {machine_of(entries)}" if grouped else rest)
        rates = [e["ops_per_second"] for e in entries if "ops_per_second" in e]
        if rates:
            series.setdefault(key, {})[int(m.group(1))] = statistics.median(rates) / 1e6
    if not any(len(v) > 1 for v in series.values()):
        return []
    workloads = list(OrderedDict.fromkeys(w for w, _ in series))
    fig, axes = grid(len(workloads), 5.2, 4.4)
    for ax, w in zip(axes, workloads):
        for (sw, cfg), points in series.items():
            if sw != w or len(points) < 2:
                continue
            xs = sorted(points)
            ax.plot(xs, [points[x] for x in xs], marker="o", label=cfg or "default")
        ax.set_xticks(sorted({x for (sw, _), pts in series.items() if sw == w for x in pts}))
        ax.set_xlabel("worker threads")
        ax.set_ylabel(f"million {unit_of(ctx, w)} per second")
        ax.set_title(w)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title(ctx, "Thread scaling (higher is better)"))
    fig.text(0.5, -0.04, caption(ctx, runs), ha="center", fontsize=7, wrap=True)
    return save(fig, out_dir, stem, "scaling")


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(sys.argv) == 2 else 2
    path = sys.argv[1]
    try:
        ctx, runs = load(path)
    except (OSError, ValueError, KeyError) as e:
        print(f"plot: cannot read {path}: {e}", file=sys.stderr)
        return 2
    if not runs:
        print(f"plot: {path} has no successful runs", file=sys.stderr)
        return 1
    out_dir = sys.argv[2] if len(sys.argv) == 3 else os.path.dirname(os.path.abspath(path))
    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.splitext(os.path.basename(path))[0]
    plot_throughput(ctx, runs, out_dir, stem)
    plot_latency(ctx, runs, out_dir, stem)
    plot_scaling(ctx, runs, out_dir, stem)
    return 0


