#!/usr/bin/python3
"""Turn make bench's CSVs into results.json and gnuplot plots.

Usage: report.py DIR   (bench/run.sh's build/bench)

results.json: {"meta": {FILE: {...}}, "tables": {NAME: [row, ...]}}: the
host's and each guest's *meta*.csv, and one table per other NAME.csv the
sections wrote (numbers as numbers; an n/a row has "note").
Prints a summary of the run's ratios (summary(): one block per table).
Plots (SVG, or PNG with BENCH_PLOT=png; when gnuplot is installed): one function per plot in PLOTS,
each reading the tables it needs; a section that adds a table adds its
plot there.
"""
import csv
import json
import os
import subprocess
import sys


def number(v):
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    return v


def read_csv(path):
    with open(path, newline="") as f:
        return [{k: number(v) for k, v in r.items()} for r in csv.DictReader(f)]


# BENCH_PLOT=png for PNG instead of SVG.
FMT = os.environ.get("BENCH_PLOT", "svg")
TERMINAL = {"svg": 'svg size 800,450 dynamic font "sans,11"',
            "png": 'pngcairo size 800,450 font "sans,10"'}[FMT]


def gnuplot(out, name, script):
    """Run a gnuplot script writing OUT/NAME.FMT; False if it failed."""
    full = ('set terminal %s\nset output "%s"\n%s'
            % (TERMINAL, os.path.join(out, name + "." + FMT), script))
    r = subprocess.run(["gnuplot"], input=full, text=True, capture_output=True)
    if r.returncode != 0:
        print("report: gnuplot %s: %s" % (name, r.stderr.strip()), file=sys.stderr)
    return r.returncode == 0


def histogram(out, name, title, ylabel, rows, col):
    """Per content, a bar for each tool of ROWS: the value of column COL;
    OUT/NAME.FMT, or None if gnuplot failed."""
    tools = list(dict.fromkeys(r["tool"] for r in rows))
    contents = list(dict.fromkeys(r["content"] for r in rows))
    dat = os.path.join(out, name + ".dat")
    with open(dat, "w") as f:
        f.write("content " + " ".join('"%s"' % t for t in tools) + "\n")
        for c in contents:
            vals = {r["tool"]: r[col] or "NaN" for r in rows if r["content"] == c}
            f.write('"%s" ' % c + " ".join(str(vals.get(t, "NaN")) for t in tools) + "\n")
    if gnuplot(out, name, """
set title "%s: %s"
set ylabel "%s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right
set yrange [0:*]
set grid ytics
plot for [i=2:%d] "%s" using i:xtic(1) title columnheader(i)
""" % (title, ylabel, ylabel, len(tools) + 1, dat)):
        return name + "." + FMT
    return None


def bulk_plots(out, tables):
    """Per content, a bar for each tool: rate / link rate, and wire MB."""
    rows = [r for r in tables.get("bulk", []) if r.get("seconds") != ""]
    if not rows:
        return []
    made = [histogram(out, name, "bulk copy", ylabel, rows, col)
            for col, name, ylabel in (("rate/link", "bulk-rate", "effective rate / link rate"),
                                      ("wire_MB", "bulk-wire", "MB on the wire"))]
    return [m for m in made if m]


def unlimited_plots(out, tables):
    """Per content, a bar for each tool: MB moved per CPU-second."""
    rows = [r for r in tables.get("unlimited", []) if r.get("MB/cpu_s") not in ("", "-", None)]
    if not rows:
        return []
    made = histogram(out, "unlimited-cpu", "bulk copy, unlimited link",
                     "MB per CPU-second (both hosts)", rows, "MB/cpu_s")
    return [made] if made else []


def converge_plots(out, tables):
    """The dirty set over time, one line per run (load and mode)."""
    rows = tables.get("converge-samples", [])
    if not rows:
        return []
    runs = list(dict.fromkeys(r["run"] for r in rows))
    dat = os.path.join(out, "converge-dirty.dat")
    with open(dat, "w") as f:
        for run in runs:
            load, _, mode = run.partition(" ")
            f.write('"writes at %s of the link, %s"\n' % (load, mode))
            for r in rows:
                if r["run"] == run:
                    f.write("%s %s %s\n" % (r["t"], r["dirty_MiB"], r["wire_MB"]))
            f.write("\n\n")
    made = []
    if gnuplot(out, "converge-dirty", """
set title "convergence: dirty set during the push"
set xlabel "seconds since the push began"
set ylabel "dirty MiB"
set key top right
set grid
plot for [i=0:%d] "%s" index i using 1:2 with lines lw 2 title columnheader(1)
""" % (len(runs) - 1, dat)):
        made.append("converge-dirty." + FMT)
    return made


PLOTS = [bulk_plots, unlimited_plots, converge_plots]


def cell(v):
    return "-" if v in ("", None) else str(v)


def ratio(a, b):
    try:
        return "%.2f" % (float(a) / float(b))
    except (TypeError, ValueError, ZeroDivisionError):
        return "-"


def summary(tables):
    """The run's ratios in one place (each section printed its table)."""
    lines = []
    bulk = tables.get("bulk", [])
    if bulk:
        lines.append("# bulk: dm-migrate against the LZO limit and the other tools"
                     " (their seconds / dm-migrate's; n/a: see the table)")
        others = [t for t in dict.fromkeys(r["tool"] for r in bulk)
                  if t != "dm-migrate" and not str(t).startswith("limit")]
        lines.append("%-15s %10s %10s %9s " % ("content", "wire/limit", "time/limit", "rate/link")
                     + " ".join("%12s" % (t + "/dmm") for t in others))
        for c in dict.fromkeys(r["content"] for r in bulk):
            by = {r["tool"]: r for r in bulk if r["content"] == c}
            d = by.get("dm-migrate", {})
            lines.append("%-15s %10s %10s %9s " % (
                c, cell(d.get("wire/limit")), cell(d.get("time/limit")), cell(d.get("rate/link")))
                + " ".join("%12s" % ratio(by.get(t, {}).get("seconds"), d.get("seconds"))
                           for t in others))
    unl = [r for r in tables.get("unlimited", []) if not r.get("note")]
    if unl:
        lines.append("# unlimited link: MB per CPU-second (both hosts), MB/s; per content")
        for c in dict.fromkeys(r["content"] for r in unl):
            lines.append("%-15s " % c + ", ".join(
                "%s %s/cpu_s %s/s" % (r["tool"], cell(r.get("MB/cpu_s")), cell(r.get("MB/s")))
                for r in unl if r["content"] == c))
    conv = tables.get("converge", [])
    if conv:
        lines.append("# converge: seconds to converge (-: did not), wire bytes / volume,"
                     " the model's time error (%) at 10/50/90 % of the run")
        modes = list(dict.fromkeys(r["mode"] for r in conv))
        lines.append("%-6s " % "load" + " ".join("%-28s" % m for m in modes))
        for load in dict.fromkeys(r["load"] for r in conv):
            by = {r["mode"]: r for r in conv if r["load"] == load}
            lines.append("%-6s " % load + " ".join(
                "%-28s" % ("n/a" if by.get(m, {}).get("note") else "%ss %sx %s" % (
                    cell(by[m].get("conv_s")), cell(by[m].get("wire/vol")),
                    cell(by[m].get("model_t"))) if m in by else "-") for m in modes))
    hand = tables.get("latency-handoff", [])
    if hand:
        lines.append("# handoff total ms, median/max (goal < 50): " + ", ".join(
            "%s %s" % (r["writer"], cell(r.get("total"))) for r in hand))
    writes = tables.get("latency-writes", [])
    if writes:
        lines.append("# mirrored / local write p99: " + ", ".join(
            "%s ms depth %s: %s (goal %s)" % (r["rtt_ms"], r["depth"], cell(r.get("p99_ratio")),
                                              "met" if r.get("met") == "yes" else "missed")
            for r in writes if not r.get("note")))
    vm = tables.get("vm", [])
    if len(vm) == 2:
        m, v = vm
        lines.append("# vm: %s / %s: total %s, downtime %s, disk bytes %s" % (
            m["tool"], v["tool"], ratio(m.get("total_s"), v.get("total_s")),
            ratio(m.get("downtime_ms"), v.get("downtime_ms")),
            ratio(m.get("disk_wire_bytes"), v.get("disk_wire_bytes"))))
    return lines


def main():
    out = sys.argv[1]
    meta, tables = {}, {}
    for name in sorted(os.listdir(out)):
        if not name.endswith(".csv"):
            continue
        rows = read_csv(os.path.join(out, name))
        if "meta" in name:
            meta[name[:-4]] = {r["key"]: r["value"] for r in rows}
        else:
            tables[name[:-4]] = rows
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"meta": meta, "tables": tables}, f, indent=1)
        f.write("\n")
    lines = summary(tables)
    if lines:
        print("\n# ---- summary ----")
        print("\n".join(lines))
    made = []
    if subprocess.run(["sh", "-c", "command -v gnuplot"], capture_output=True).returncode == 0:
        for plot in PLOTS:
            made += plot(out, tables)
    else:
        print("report: no gnuplot (make deps installs it): no plots", file=sys.stderr)
    print("# results: %s/results.json%s" % (out, "".join(" " + p for p in made)))


main()
