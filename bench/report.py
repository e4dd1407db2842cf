#!/usr/bin/python3
"""Turn make bench's CSVs into results.json and gnuplot plots.

Usage: report.py DIR   (bench/run.sh's build/bench)

results.json: {"meta": {FILE: {...}}, "tables": {NAME: [row, ...]}}: the
host's and each guest's *meta*.csv, and one table per other NAME.csv the
sections wrote (numbers as numbers; an n/a row has "note").
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


def bulk_plots(out, tables):
    """Per content, a bar for each tool: rate / link rate, and wire MB."""
    rows = [r for r in tables.get("bulk", []) if r.get("seconds") != ""]
    if not rows:
        return []
    tools = list(dict.fromkeys(r["tool"] for r in rows))
    contents = list(dict.fromkeys(r["content"] for r in rows))
    made = []
    for col, name, ylabel in (("rate/link", "bulk-rate", "effective rate / link rate"),
                              ("wire_MB", "bulk-wire", "MB on the wire")):
        dat = os.path.join(out, name + ".dat")
        with open(dat, "w") as f:
            f.write("content " + " ".join('"%s"' % t for t in tools) + "\n")
            for c in contents:
                vals = {r["tool"]: r[col] for r in rows if r["content"] == c}
                f.write('"%s" ' % c + " ".join(str(vals.get(t, "NaN")) for t in tools) + "\n")
        if gnuplot(out, name, """
set title "bulk copy: %s"
set ylabel "%s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right
set yrange [0:*]
set grid ytics
plot for [i=2:%d] "%s" using i:xtic(1) title columnheader(i)
""" % (ylabel, ylabel, len(tools) + 1, dat)):
            made.append(name + "." + FMT)
    return made


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


PLOTS = [bulk_plots, converge_plots]


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
    made = []
    if subprocess.run(["sh", "-c", "command -v gnuplot"], capture_output=True).returncode == 0:
        for plot in PLOTS:
            made += plot(out, tables)
    else:
        print("report: no gnuplot (make deps installs it): no plots", file=sys.stderr)
    print("# results: %s/results.json%s" % (out, "".join(" " + p for p in made)))


main()
