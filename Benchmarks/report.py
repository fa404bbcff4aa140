#!/usr/bin/env python3
"""Turns an ordo-one/benchmark baseline (results.json) into one Markdown table.

usage: report.py RESULTS_JSON [--compare OTHER_RESULTS_JSON --compare-name NAME]

Benchmarks are named "<workload>: <implementation>"; the first implementation whose name starts
with "Desync" (or the one REFERENCES names) is the workload's reference, and every row shows median/reference ("peer/desync":
above 1 means desync is faster). Times and allocations are per job: a benchmark runs
`scalingFactor` jobs per iteration. Medians come from the recorded HdrHistograms, decoded here the
way hdrhistogram-swift lays them out.
"""
import argparse
import json
import math
import sys

# The targets: (workload, peer) -> (minimum peer/desync ratio, text).
TARGETS = {
    ("sync idle", "DispatchQueue.sync"): (4.0, ">= 4x faster"),
    ("sync idle", "Mutex.withLock"): (1 / 1.5, "within 1.5x"),
    ("async 1 object", "DispatchQueue.async"): (1.5, ">= 1.5x faster"),
    ("async 1000 objects", "1000 DispatchQueues"): (3.0, ">= 3x faster"),
    ("future round trip", "DispatchQueue.async+semaphore"): (10.0, ">= 10x faster"),
}
# Each workload's reference row; by default, its first "Desync" row.
REFERENCES = {"future round trip": "Desync.future+wait"}
# The order of the table; workloads not listed here follow, alphabetically.
WORKLOADS = ["sync idle", "async 1 object", "async 1000 objects", "future round trip"]
ALLOCATION_TARGET = 1.0  # at most one allocation per `async` job


def percentile(histogram, percent):
    """hdrhistogram-swift's valueAtPercentile: the highest value equivalent to the bucket where
    the cumulative count first reaches `percent` of the total."""
    total = histogram["_totalCount"]
    if total == 0:
        return None
    wanted = max(1, math.ceil(percent / 100.0 * total))
    half_magnitude = histogram["subBucketHalfCountMagnitude"]
    half_count = 1 << half_magnitude
    unit = histogram["unitMagnitude"]
    seen = 0
    for index, count in enumerate(histogram["counts"]):
        if not count:
            continue
        seen += count
        if seen >= wanted:
            bucket = (index >> half_magnitude) - 1
            sub_bucket = (index & (half_count - 1)) + half_count
            if bucket < 0:
                sub_bucket -= half_count
                bucket = 0
            low = sub_bucket << (bucket + unit)
            return low + (1 << (bucket + unit)) - 1
    return histogram["maxValue"]


def load(path):
    """{(workload, implementation): {metric: median per job}}."""
    with open(path) as file:
        baseline = json.load(file)
    results = baseline["results"]
    # `results` encodes a dictionary as [key, value, key, value, ...].
    rows = {}
    for key, measurements in zip(results[0::2], results[1::2]):
        workload, _, implementation = key["name"].partition(": ")
        metrics = {}
        for measurement in measurements:
            metric = next(iter(measurement["metric"]))
            median = percentile(measurement["statistics"]["histogram"], 50)
            if median is None:
                continue
            metrics[metric] = median / measurement.get("scalingFactor", 1)
            metrics["jobs"] = measurement.get("scalingFactor", 1)
            metrics["samples"] = measurement["statistics"]["histogram"]["_totalCount"]
        rows[(workload, implementation)] = metrics
    return rows


def format_time(nanoseconds):
    if nanoseconds is None:
        return "–"
    if nanoseconds >= 1_000_000:
        return f"{nanoseconds / 1_000_000:.2f} ms"
    if nanoseconds >= 10_000:
        return f"{nanoseconds / 1_000:.1f} µs"
    if nanoseconds >= 1_000:
        return f"{nanoseconds / 1_000:.2f} µs"
    if nanoseconds >= 10:
        return f"{nanoseconds:.0f} ns"
    return f"{nanoseconds:.1f} ns"


def format_count(value):
    if value is None:
        return "–"
    return f"{value:.3f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.1f}"


def order_key(rows):
    """Workloads in WORKLOADS' order; in each, desync first, then the peers alphabetically."""
    seen = {workload for workload, _ in rows}
    workloads = [w for w in WORKLOADS if w in seen] + sorted(seen - set(WORKLOADS))
    ordered = []
    for workload in workloads:
        names = sorted(name for w, name in rows if w == workload)
        names.sort(key=lambda name: 0 if name == REFERENCES.get(workload) else 1 if name.startswith("Desync") else 2)
        ordered += [(workload, name) for name in names]
    return ordered


def table(rows, other=None, other_name=None):
    header = ["workload", "implementation", "median per job", "peer/desync", "target",
              "allocs per job", "jobs per iteration", "samples"]
    if other is not None:
        header.append(f"vs '{other_name}'")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    missed = []
    reference = {}
    for workload, name in order_key(rows):
        if name.startswith("Desync") and workload not in reference:
            reference[workload] = rows[(workload, name)].get("wallClock")
    for workload, name in order_key(rows):
        metrics = rows[(workload, name)]
        time = metrics.get("wallClock")
        desync = reference.get(workload)
        ratio = f"{time / desync:.2f}" if time and desync and time is not desync else "1 (ref)" if time is desync else "–"
        target = ""
        if (workload, name) in TARGETS and time and desync:
            minimum, text = TARGETS[(workload, name)]
            met = time / desync >= minimum
            target = f"{text}: {'met' if met else '**missed**'}"
            if not met:
                missed.append(f"{workload} vs {name}: {text}, measured {time / desync:.2f}")
        allocations = metrics.get("mallocCountTotal")
        if name.startswith("Desync") and "async" in name and allocations is not None:
            met = allocations <= ALLOCATION_TARGET + 0.01
            target += ("; " if target else "") + f"<= 1 alloc/job: {'met' if met else '**missed**'}"
            if not met:
                missed.append(f"{workload} {name}: {allocations:.2f} allocations per job")
        cells = [workload, name, format_time(time), ratio, target, format_count(allocations),
                 f"{metrics.get('jobs', 1):,}", str(metrics.get("samples", ""))]
        if other is not None:
            before = other.get((workload, name), {}).get("wallClock")
            cells.append(f"{(time / before - 1) * 100:+.1f}%" if time and before else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), missed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--compare")
    parser.add_argument("--compare-name", default="baseline")
    arguments = parser.parse_args()
    rows = load(arguments.results)
    other = load(arguments.compare) if arguments.compare else None
    text, missed = table(rows, other, arguments.compare_name)
    print(text)
    if missed:
        print("\nTargets missed:\n" + "\n".join(f"- {line}" for line in missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
