#!/usr/bin/python3
"""scripts/report.py RESULT.json [--trace TRACE.json] --out DIR: one static
HTML page that says why a configuration won (run by `actorlab report`, which
checks its inputs first; docs/trace.md).

DIR/index.html holds, with no script, no server and no network (it works
from file://):
  - the result table: per cell, runs, median throughput, spread (min-max, as
    a percentage of the median), latency percentiles;
  - the pictures of scripts/plot (the same code, scripts/actorlab_plot.py:
    throughput bars with min-max whiskers, latency percentile spectra and
    CDFs, thread scaling), as SVG files beside the page;
  - per workload, the runtime counters side by side per configuration,
    normalised per message (parks, wake-ups, steals, injection pops, LIFO
    hits, turns), with rows whose extremes differ by kStandOut or more
    highlighted and said in words ("steal: 0.02 parks per message vs
    skynet 0.9");
  - with --trace (a file of `actorlab bench --trace`), per traced run a
    utilisation strip per worker over time: running (actor turns), parked,
    and searching (the rest: between turns, looking for work), plus each
    worker's shares in a table.
A copy of the result set goes beside the page (result.json); the trace is
linked where it lies. Exit 0, or 2 on an unreadable input (one line to
stderr naming it).
"""
import html
import json
import os
import shutil
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import actorlab_plot as plot  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402  (actorlab_plot chose the Agg backend)

# A counter row stands out when its largest value per message is this many
# times its smallest (guessed: a factor 3 is rarely noise across policies).
STAND_OUT = 3.0
# Rows below this per-message value everywhere are noise, not a difference
# (the idle counters' rows are shown anyway, never highlighted then).
FLOOR = 0.005
# (counter, per what, words): the rows of the counters table.
COUNTER_ROWS = [
    ("parks", "messages", "parks per message"),
    ("wakeups", "messages", "wake-ups per message"),
    ("turns", "messages", "turns per message"),
    ("kept_running", "turns", "turns kept running (same actor next)"),
    ("requeues", "turns", "turns re-queued"),
    ("lifo_hits", "turns", "LIFO hits per turn"),
    ("lifo_steals", "turns", "LIFO slot thefts per turn"),
    ("injection_pops", "turns", "injection pops per turn"),
    ("steal_attempts", "messages", "steal attempts per message"),
    ("steals", "messages", "steals per message"),
    ("stolen_actors", "messages", "actors stolen per message"),
    ("dead_letters", "messages", "dead letters per message"),
]
IDLE_COUNTERS = ("parks", "wakeups")  # every composition parks and wakes: a zero is a finding
TRACE_RUNS_SHOWN = 12  # strips drawn at most (a suite may trace hundreds of runs)
STATE_COLOURS = {"running": "#55a868", "searching": "#dd8452", "parked": "#c8c8c8"}


class InputError(Exception):
    pass


def esc(text):
    return html.escape(str(text), quote=True)


def fmt_rate(v):
    for limit, unit, scale in ((1e3, "", 1), (1e6, "k", 1e3), (1e9, "M", 1e6)):
        if v < limit:
            return f"{v / scale:.3g}{unit}"
    return f"{v / 1e9:.3g}G"


def fmt_value(v):
    if v == 0:
        return "0"
    return f"{v:.3g}" if v >= 0.001 else f"{v:.1e}"


def load_result(path):
    try:
        with open(path) as f:
            data = json.load(f)
        if not isinstance(data.get("benchmarks"), list) or not isinstance(data.get("context"), dict):
            raise InputError(f"{path}: not an actorlab result set (no context and benchmarks)")
        return plot.load(path)
    except (OSError, ValueError, KeyError, AttributeError) as e:
        raise InputError(f"{path}: {e}") from e


def policy_of(config):
    for part in config.split("/"):
        if part.startswith("policy:"):
            return part[len("policy:"):]
    return config


def result_table(runs):
    rows = []
    for name, entries in runs.items():
        workload, config = plot.split_name(name)
        rates = [e["ops_per_second"] for e in entries if "ops_per_second" in e]
        if not rates:
            continue
        med = statistics.median(rates)
        spread = (max(rates) - min(rates)) / med * 100 if med else 0
        lat = []
        for key in ("latency_p50_ns", "latency_p99_ns", "latency_p999_ns"):
            values = [e[key] for e in entries if key in e]
            lat.append(plot.human_ns(statistics.median(values)) if values else "")
        rows.append((workload, config, len(entries), med, spread, lat))
    out = ["<table><tr><th>workload</th><th>configuration</th><th>runs</th><th>median ops/s</th>"
           "<th>spread (min-max)</th><th>p50</th><th>p99</th><th>p99.9</th></tr>"]
    best = {}
    for w, _, _, med, _, _ in rows:
        best[w] = max(best.get(w, 0), med)
    for w, cfg, n, med, spread, lat in rows:
        cls = ' class="best"' if med == best[w] else ""
        out.append(f"<tr{cls}><td>{esc(w)}</td><td>{esc(cfg)}</td><td>{n}</td><td>{fmt_rate(med)}</td>"
                   f"<td>{spread:.1f}%</td>" + "".join(f"<td>{esc(x)}</td>" for x in lat) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def per_cell_counters(runs):
    """workload -> [(config, {row counter: median per-unit value})]."""
    by_workload = {}
    for name, entries in runs.items():
        workload, config = plot.split_name(name)
        values = {}
        for counter, per, _ in COUNTER_ROWS:
            ratios = []
            for e in entries:
                num, den = e.get("rt_" + counter), e.get("rt_" + per)
                if num is not None and den:
                    ratios.append(num / den)
            if ratios:
                values[counter] = statistics.median(ratios)
        if values:
            by_workload.setdefault(workload, []).append((config, values))
    return by_workload


def counters_section(runs):
    parts = []
    notes_all = []
    for workload, cells in per_cell_counters(runs).items():
        head = "".join(f"<th>{esc(cfg)}</th>" for cfg, _ in cells)
        lines = [f"<h3>{esc(workload)}</h3>", f"<table><tr><th>counter</th>{head}</tr>"]
        notes = []
        for counter, _, words in COUNTER_ROWS:
            vals = [v.get(counter) for _, v in cells]
            present = [x for x in vals if x is not None]
            if not present or (max(present) < FLOOR and counter not in IDLE_COUNTERS):
                continue
            hi, lo = max(present), min(present)
            stands_out = len(present) > 1 and hi >= FLOOR and (lo == 0 or hi / lo >= STAND_OUT)
            tds = []
            for x in vals:
                cls = ""
                if stands_out and x is not None:
                    cls = ' class="hi"' if x == hi else (' class="lo"' if x == lo else "")
                tds.append(f"<td{cls}>{'' if x is None else fmt_value(x)}</td>")
            lines.append(f"<tr><td>{esc(words)}</td>{''.join(tds)}</tr>")
            # A zero where a part is off (no LIFO slot, no stealing) is the
            # composition, not a finding: said only for the idle counters.
            if stands_out and (lo > 0 or counter in IDLE_COUNTERS):
                lo_cfg = policy_of(cells[vals.index(lo)][0])
                hi_cfg = policy_of(cells[vals.index(hi)][0])
                ratio = hi / lo if lo > 0 else float("inf")
                notes.append((counter not in IDLE_COUNTERS, -ratio if lo > 0 else 0.0,
                              f"{workload}: {lo_cfg}: {fmt_value(lo)} {words} vs {hi_cfg} {fmt_value(hi)}"))
        lines.append("</table>")
        if notes:
            lines.append("<ul class=\"notes\">" + "".join(f"<li>{esc(n[2])}</li>" for n in notes) + "</ul>")
        parts.append("\n".join(lines))
        notes_all += notes
    # Idle counters first, then by how far apart the extremes are.
    return "\n".join(parts), [n[2] for n in sorted(notes_all, key=lambda n: (n[0], n[1]))]


def load_trace(path):
    try:
        with open(path) as f:
            data = json.load(f)
        events = data.get("traceEvents") if isinstance(data, dict) else data
        if not isinstance(events, list):
            raise InputError(f"{path}: no traceEvents list")
        return events
    except (OSError, ValueError, KeyError) as e:
        raise InputError(f"{path}: {e}") from e


def trace_states(events):
    """pid -> (process name, {tid: (track name, [(begin us, end us, state)], (t0, t1))})."""
    procs, names, spans = {}, {}, {}
    for e in events:
        pid, tid = e.get("pid"), e.get("tid")
        if e.get("ph") == "M" and e.get("name") == "process_name":
            procs[pid] = e["args"]["name"]
        elif e.get("ph") == "M" and e.get("name") == "thread_name":
            names[(pid, tid)] = e["args"]["name"]
        elif e.get("ph") in ("X", "i"):
            spans.setdefault((pid, tid), []).append(e)
    out = {}
    for (pid, tid), evs in spans.items():
        name = names.get((pid, tid), f"thread {tid}")
        if not name.startswith("worker"):
            continue
        t0 = min(e["ts"] for e in evs)
        t1 = max(e["ts"] + e.get("dur", 0) for e in evs)
        segs = []
        for e in sorted(evs, key=lambda e: e["ts"]):
            if e.get("ph") != "X":
                continue
            state = "parked" if e.get("cat") == "park" else "running" if e.get("cat") == "turn" else None
            if state:
                segs.append((e["ts"], e["ts"] + e.get("dur", 0), state))
        out.setdefault(pid, (procs.get(pid, f"run {pid}"), {}))[1][tid] = (name, segs, (t0, t1))
    return out


def shares(segs, window):
    total = max(window[1] - window[0], 1e-9)
    run = sum(b - a for a, b, s in segs if s == "running")
    park = sum(b - a for a, b, s in segs if s == "parked")
    return run / total, max(0.0, 1 - (run + park) / total), park / total


def utilisation_section(trace_path, out_dir):
    runs = trace_states(load_trace(trace_path))
    parts = []
    for n, pid in enumerate(sorted(runs)):
        label, tracks = runs[pid]
        if n >= TRACE_RUNS_SHOWN:
            parts.append(f"<p>{len(runs) - TRACE_RUNS_SHOWN} more traced runs not drawn (open the trace in "
                         "Perfetto).</p>")
            break
        tids = sorted(tracks)
        t0 = min(tracks[t][2][0] for t in tids)
        fig, ax = plt.subplots(figsize=(11, 0.45 * len(tids) + 0.9))
        rows = []
        for row, tid in enumerate(tids):
            name, segs, window = tracks[tid]
            ax.broken_barh([(window[0] - t0, window[1] - window[0])], (row - 0.4, 0.8),
                           color=STATE_COLOURS["searching"])
            for state in ("parked", "running"):
                bars = [(a - t0, max(b - a, 0.01)) for a, b, s in segs if s == state]
                if bars:
                    ax.broken_barh(bars, (row - 0.4, 0.8), color=STATE_COLOURS[state])
            r, s, p = shares(segs, window)
            rows.append(f"<tr><td>{esc(name)}</td><td>{r * 100:.1f}%</td><td>{s * 100:.1f}%</td>"
                        f"<td>{p * 100:.1f}%</td><td>{(window[1] - window[0]) / 1000:.2f} ms</td></tr>")
        ax.set_yticks(range(len(tids)))
        ax.set_yticklabels([tracks[t][0] for t in tids])
        ax.invert_yaxis()
        ax.set_xlabel("time in the traced window (us)")
        from matplotlib.patches import Patch
        ax.legend(handles=[Patch(color=c, label=s) for s, c in STATE_COLOURS.items()], fontsize=7,
                  loc="upper right", ncol=3)
        ax.set_title(label, fontsize=9)
        fig.tight_layout()
        svg = f"report-trace-{pid}.svg"
        fig.savefig(os.path.join(out_dir, svg))
        plt.close(fig)
        parts.append(f"<h3>{esc(label)}</h3><img src=\"{esc(svg)}\" alt=\"utilisation of {esc(label)}\">"
                     "<table><tr><th>worker</th><th>running</th><th>searching</th><th>parked</th>"
                     "<th>window</th></tr>" + "".join(rows) + "</table>")
    return "\n".join(parts)


CSS = """
body { font-family: sans-serif; margin: 1.5em; color: #222; background: #fff; max-width: 1400px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th { background: #eef; } td:first-child, th:first-child { text-align: left; }
tr.best td { background: #e6f4e6; font-weight: bold; }
td.hi { background: #fbd3d0; } td.lo { background: #d3e8fb; }
ul.notes li { font-size: 0.9em; } img { max-width: 100%; display: block; margin: 0.5em 0; }
.caption { color: #666; font-size: 0.8em; }
"""


def build(result_path, trace_path, out_dir):
    ctx, runs = load_result(result_path)
    if not runs:
        raise InputError(f"{result_path}: no successful runs")
    if trace_path:
        load_trace(trace_path)  # fail before writing anything
    os.makedirs(out_dir, exist_ok=True)
    stem = "report"
    images = plot.plot_throughput(ctx, runs, out_dir, stem) + plot.plot_latency(ctx, runs, out_dir, stem) + \
        plot.plot_scaling(ctx, runs, out_dir, stem)
    svgs = [os.path.basename(p) for p in images if p.endswith(".svg")]
    shutil.copyfile(result_path, os.path.join(out_dir, "result.json"))
    counters_html, notes = counters_section(runs)
    title = plot.title(ctx, "actorlab report")
    body = [f"<h1>{esc(title)}</h1>",
            f"<p class=\"caption\">{esc(plot.caption(ctx, runs))}</p>",
            "<p>Result set: <a href=\"result.json\">result.json</a> (a copy of "
            f"{esc(os.path.basename(result_path))})"]
    if trace_path:
        rel = os.path.relpath(os.path.abspath(trace_path), os.path.abspath(out_dir))
        body.append(f"; trace: <a href=\"{esc(rel)}\">{esc(os.path.basename(trace_path))}</a> "
                    "(open it in Perfetto or chrome://tracing)")
    body.append(".</p>")
    if notes:
        body.append("<h2>What stands out</h2><ul class=\"notes\">" +
                    "".join(f"<li>{esc(n)}</li>" for n in notes[:12]) + "</ul>")
    body += ["<h2>Results</h2>", result_table(runs), "<h2>Plots</h2>"]
    body += [f"<img src=\"{esc(s)}\" alt=\"{esc(s)}\">" for s in svgs]
    body += ["<h2>Counters per configuration</h2>",
             f"<p class=\"caption\">Medians over the repetitions; rows whose extremes differ by {STAND_OUT:g}x or "
             "more are coloured (red: highest, blue: lowest).</p>", counters_html]
    if trace_path:
        body += ["<h2>Worker utilisation (trace)</h2>",
                 "<p class=\"caption\">Per worker over the traced window: running an actor's turn, parked, or "
                 "searching (between turns, looking for work). The window is the last events each ring kept "
                 "(--trace-events).</p>", utilisation_section(trace_path, out_dir)]
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
    index = os.path.join(out_dir, "index.html")
    with open(index, "w") as f:
        f.write(page)
    return index


def main(argv):
    args, trace, out = [], None, None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            print(__doc__)
            return 0
        if a.startswith("--trace=") or a.startswith("--out="):
            key, _, value = a.partition("=")
        elif a in ("--trace", "--out") and i + 1 < len(argv):
            key, value = a, argv[i + 1]
            i += 1
        elif a.startswith("-"):
            print(f"report: unknown option {a}", file=sys.stderr)
            return 2
        else:
            args.append(a)
            i += 1
            continue
        if key == "--trace":
            trace = value
        else:
            out = value
        i += 1
    if len(args) != 1 or not out:
        print("report: usage: report.py RESULT.json [--trace TRACE.json] --out DIR", file=sys.stderr)
        return 2
    try:
        index = build(args[0], trace, out)
    except InputError as e:
        print(f"report: {e}", file=sys.stderr)
        return 2
    print(f"wrote {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
