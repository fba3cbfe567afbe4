#!/usr/bin/python3
"""rss_detail.py PID...: what a worker's RSS is made of, from
/proc/PID/smaps, as a Markdown table: the RSS, what of it is shared with
other processes (PSS, private), and the largest mappings."""
import collections
import re
import sys

HEADER = re.compile(r"^[0-9a-f]+-[0-9a-f]+ ")


def read(pid):
    by_map = collections.Counter()
    totals = collections.Counter()
    cur = None
    with open("/proc/%s/smaps" % pid) as f:
        for line in f:
            if HEADER.match(line):
                parts = line.split()
                cur = parts[5] if len(parts) > 5 else "[anonymous]"
                cur = cur.rsplit("/", 1)[-1]
            else:
                key, _, rest = line.partition(":")
                if key in ("Rss", "Pss", "Private_Clean", "Private_Dirty", "Anonymous"):
                    kib = int(rest.split()[0])
                    totals[key] += kib
                    if key == "Rss":
                        by_map[cur] += kib
    return totals, by_map


def main():
    pids = sys.argv[1:]
    if not pids:
        return
    rows = [read(p) for p in pids]
    print("| worker | RSS KiB | PSS KiB | private KiB | anonymous KiB | file-backed KiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for pid, (t, _) in zip(pids, rows):
        print("| %s | %d | %d | %d | %d | %d |" % (
            pid, t["Rss"], t["Pss"], t["Private_Clean"] + t["Private_Dirty"],
            t["Anonymous"], t["Rss"] - t["Anonymous"]))
    print("")
    print("Largest mappings of worker %s (RSS KiB): %s." % (pids[0], ", ".join(
        "%s %d" % (name, kib) for name, kib in rows[0][1].most_common(10))))


main()
