#!/usr/bin/env python3
"""Summarises benchmarks/side-by-side.sh: per case and side, the fastest and median of all timed runs, the median
peak RSS, and bkd / PyTorch ratios (the issue's targets: RSS <= 1.1x, time <= 1.0x). Standard library only."""
import glob
import json
import os
import statistics
import sys


def bkd(path, case):
    d = json.load(open(path))
    v = d["variants"][0]
    load = (d["machine"]["load_average_before"][0], d["machine"]["load_average_after"][0])
    if case == "fwd512":
        return v["forward_seconds"]["runs"], v["peak_rss_bytes"], load
    return v["kd_step_seconds"]["runs"], v["kd_peak_rss_bytes"], load


def pytorch(path, case):
    d = json.load(open(path))
    load = (d["load_before"], d["load_after"])
    if case == "fwd512":
        return d["forward"]["runs_s"], d["forward_peak_rss_bytes"], load
    return d["kd_step"]["runs_s"], d["kd_peak_rss_bytes"], load


def main(out):
    print("| case | side | runs | fastest s | median s | peak RSS GB (median) | load (min-max) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for case, what in (("fwd512", "UNet forward 512 px"), ("kd256", "KD step 256 px")):
        stats = {}
        for side, read in (("bkd", bkd), ("pytorch", pytorch)):
            files = sorted(glob.glob(os.path.join(out, f"{case}-{side}-*.json")))
            if not files:
                continue
            runs, rss, loads = [], [], []
            for f in files:
                t, r, l = read(f, case)
                runs += t
                rss.append(r)
                loads += l
            stats[side] = (min(runs), statistics.median(runs), statistics.median(rss))
            print(f"| {what} | {side} | {len(runs)} | {min(runs):.2f} | {statistics.median(runs):.2f} |"
                  f" {statistics.median(rss) / 1e9:.2f} | {min(loads):.1f}-{max(loads):.1f} |")
        if len(stats) == 2:
            b, p = stats["bkd"], stats["pytorch"]
            print(f"| {what} | bkd / PyTorch | | {b[0] / p[0]:.2f}x | {b[1] / p[1]:.2f}x | {b[2] / p[2]:.2f}x | |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/bkd-side-by-side")
