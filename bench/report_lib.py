"""bench/report_lib.py: what the reports of bench/run share (report.py,
report_large.py, report_cleanup.py): a run directory's wrk and pgbench
figures, the small files the shell steps write, number formats, and the
machine's description."""

import os
import platform
import statistics
import subprocess


class Runs:
    """The runs of one bench/run: $TMP/NAME.runs holds one line per
    repetition, "rate p50 p99 errors" (latencies in ms)."""

    def __init__(self, tmp):
        self.tmp = tmp

    def runs(self, name):
        path = os.path.join(self.tmp, name + ".runs")
        if not os.path.exists(path):
            return []
        return [[float(x) for x in line.split()] for line in open(path) if line.strip()]

    def med(self, name, col):
        r = self.runs(name)
        return statistics.median(x[col] for x in r) if r else 0.0

    def errors(self, name):
        return int(sum(x[3] for x in self.runs(name)))


def hist_percentile(path, p):
    """Percentile p (0..100) in ms of the latencies in a BENCH_HIST file
    ("microseconds count" lines, bench/refresh.lua), or None if empty."""
    counts = {}
    for r in table(path):
        counts[int(r[0])] = counts.get(int(r[0]), 0) + int(r[1])
    total = sum(counts.values())
    if total == 0:
        return None
    seen = 0
    for v in sorted(counts):
        seen += counts[v]
        if seen * 100 >= p * total:
            return v / 1000.0
    return max(counts) / 1000.0


def table(path):
    """Rows of a space-separated file as lists (empty if missing)."""
    if not os.path.exists(path):
        return []
    return [line.split() for line in open(path) if line.strip()]


def kv(path):
    return {r[0]: int(r[1]) for r in table(path) if len(r) >= 2}


def sizes(path):
    return {r[0]: [int(x) for x in r[1:]] for r in table(path) if len(r) == 5}


def mib(b):
    return "%.0f" % (b / 1048576.0)


def n(x):
    if 0 < x < 100 and x != int(x):
        return "%.1f" % x
    return "{:,}".format(int(x)).replace(",", "\u202f")


def first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def cpu():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def mem():
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            return "%.1f GiB" % (int(line.split()[1]) / 1048576)
    return "?"


if __name__ == "__main__":
    # report_lib.py percentiles FILE P...: each percentile (ms, 0 when the
    # file is empty) of a BENCH_HIST-style file, on one line (bench/run,
    # for pgbench's per-transaction log).
    import sys
    if len(sys.argv) < 4 or sys.argv[1] != "percentiles":
        sys.exit("usage: report_lib.py percentiles FILE P...")
    print(" ".join("%.3f" % (hist_percentile(sys.argv[2], float(q)) or 0)
                   for q in sys.argv[3:]))
