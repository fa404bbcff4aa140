#!/usr/bin/env python3
"""Turns an ordo-one/benchmark baseline (results.json) into one Markdown table.

usage: report.py RESULTS... [--compare OTHER_RESULTS... --compare-name NAME]

Each RESULTS file is an ordo-one/benchmark baseline (results.json, one per benchmark target) or
the JSON lines the Lua peers print (Benchmarks/lua/*.lua, run by lua5.4 from scripts/bench): one
object per benchmark, {"name": ..., "jobs": jobs per sample, "samples_ns": [...]}. A file that
does not exist is skipped, so a baseline saved before a target existed still compares.

Benchmarks are named "<workload>: <implementation>"; the implementation REFERENCES names, else the
first whose name starts with "Desync", is the workload's reference, and every row shows
median/reference ("peer/desync": above 1 means desync is faster). Times and allocations are per
job: a benchmark runs `scalingFactor` jobs per iteration, or JOBS_PER_ITERATION's count when its
scaling factor is 1. Medians come from the recorded HdrHistograms, decoded here the way
hdrhistogram-swift lays them out.
"""
import argparse
import json
import math
import os
import statistics
import sys

# The targets: (workload, peer) -> (minimum peer/desync ratio, text).
TARGETS = {
    ("sync idle", "DispatchQueue.sync"): (4.0, ">= 4x faster"),
    ("sync idle", "Mutex.withLock"): (1 / 1.5, "within 1.5x"),
    ("async 1 object", "DispatchQueue.async"): (1.5, ">= 1.5x faster"),
    ("async 1000 objects", "1000 DispatchQueues"): (3.0, ">= 3x faster"),
    ("future round trip", "DispatchQueue.async+semaphore"): (10.0, ">= 10x faster"),
    ("lua 100k async then drain", "luv new_work"): (4.0, ">= 4x luv's throughput"),
}
# Targets on a row's own median per job: (workload, implementation) -> (maximum ns, text).
TIME_TARGETS = {
    ("lua sync round trip", "desync-lua obj:sync(f)"): (2000.0, "< 2 µs"),
    # Issue 14's.
    ("lua 10k sync hops from jobs", "desync-lua chain of 101 objects, 100 nested syncs a lap"): (3000.0, "< 3 µs a hop"),
    ("lua 10k sync hops from jobs", "desync-lua 2 objects, a job on A syncs B"): (3000.0, "< 3 µs a hop"),
    # Issue 16's.
    ("lua sync round trip", "desync-lua obj:sync(function literal)"): (1000.0, "<= 1 µs"),
    ("lua future round trip", "desync-lua obj:future(function literal):wait()"): (2000.0, "<= 2 µs"),
    ("lua 100k async then drain", "desync-lua obj:async(f, 10-field table)"): (2000.0, "<= 2 µs"),
}
# Targets on a row's median against a peer's, in the same run: (workload, desync row) -> (peer
# row, maximum desync/peer ratio, text). Issue 14's.
PEER_LIMITS = {
    ("lua 10k jobs sleeping 0.1 s", "desync-lua, default pool"): ("luv timers, 1 loop thread", 2.0, "<= 2x luv's time"),
    ("lua 10k jobs sleeping 0.1 s", "desync-lua, 1 thread"): ("luv timers, 1 loop thread", 2.0, "<= 2x luv's time"),
    # Issue 16's.
    ("lua pipeline of 20k records", "desync-lua, default pool"):
        ("plain serial Lua loop", 1.5, "<= 1.5x the serial loop's time"),
}
# Targets on what a row costs beyond another row doing the same work without one step, per job:
# (workload, row) -> (the row without it, maximum ns of difference, text). Issue 14's: a job that
# suspends and resumes against the same job where the wait runs inline.
DIFFERENCES = {
    ("lua suspend and resume", "desync-lua b:future(f):wait() in a job (suspends), 0 threads"):
        ("desync-lua b:sync(f) in a job (inline, no suspend), 0 threads", 2000.0, "suspend+resume <= 2 µs"),
    ("lua suspend and resume", "desync-lua b:future(f):wait() in a job (suspends), default pool"):
        ("desync-lua b:sync(f) in a job (inline, no suspend), default pool", 2000.0, "suspend+resume <= 2 µs"),
}
# Targets on a custom metric in bytes per job (DesyncLuaBenchmarks records them once per
# iteration; the table shows their medians): (workload, row) -> (metric, maximum bytes, text,
# other metrics shown next to it as (metric, label)). Issue 14's.
MEMORY_TARGETS = {
    ("lua suspended job memory", "desync-lua 10k jobs suspended in s:receive()"):
        ("heap bytes per suspended job", 2048, "<= 2 KB heap per suspended job",
         [("Lua state bytes per suspended job", "of which Lua states")]),
}
# Targets between two rows of one workload (issue 16): (workload, row) -> [(other row, minimum
# of the other's median over this row's, text)]. "Within 1.3x of X" is X/row >= 1/1.3.
ROW_TARGETS = {
    ("lua 100k async then drain", "desync-lua obj:async(function literal)"): [
        ("desync-lua obj:async", 1 / 1.3, "within 1.3x of obj:async(add, i)"),
        ("luv new_work", 3.0, ">= 3x luv's throughput"),
    ],
    ("lua 100k async then drain", "desync-lua obj:async(literal, 2 upvalues)"): [
        ("desync-lua obj:async", 1 / 2.0, "within 2x of obj:async(add, i)"),
    ],
    ("lua pipeline of 20k records", "desync-lua, default pool"): [
        ("desync-lua, 1 thread", 1.0, "faster than on 1 thread"),
    ],
}
# Speed-ups of running jobs in parallel: (workload, parallel row) -> (serial row, minimum or None
# when only shown, text). The speed-up is the median of per-round ratios when the two rows were
# timed in pairs (paired_speedup), else the serial row's median over the parallel row's.
SPEEDUPS = {
    ("lua 4 CPU-bound jobs", "desync-lua 4 objects"): ("desync-lua 1 object", 1.85, "speed-up over 1 object >= 1.85x"),
    ("lua 4 CPU-bound jobs", "luv new_work, 4 at once"): ("luv new_work, 1 at a time", None, "speed-up over 1 at a time"),
    ("lua 4 CPU-bound jobs", "4 lua5.4 processes at once (hardware ceiling)"):
        ("1 lua5.4 process, 4 jobs in a row", None, "speed-up over 1 process"),
}
# The custom metric (DesyncLuaBenchmarks) in which a parallel row records, every iteration, the
# serial configuration's time over its own, both timed in that iteration.
PAIRED_SPEEDUP_METRIC = "paired speed-up (per mille)"
# The speed-up the machine itself allows, measured in the same run: workload -> (its parallel row
# in SPEEDUPS, a short label). Independent processes share nothing but the hardware, so theirs is
# about the most the machine gives, and on a shared VM it can be well under 1x per core; the
# workload's speed-up targets show it next to their own, so a missed target can be judged against
# what was possible in that run.
CEILINGS = {
    "lua 4 CPU-bound jobs": ("4 lua5.4 processes at once (hardware ceiling)", "4 processes"),
}
# Each workload's reference row; by default, its first "Desync" row.
REFERENCES = {
    "future round trip": "Desync.future+wait",
    "lua sync round trip": "desync-lua obj:sync(f)",
    "lua 100k async then drain": "desync-lua obj:async",
    "lua 4 CPU-bound jobs": "desync-lua 4 objects",
    "lua 10k jobs sleeping 0.1 s": "desync-lua, default pool",
    "lua suspend and resume": "desync-lua b:future(f):wait() in a job (suspends), 0 threads",
    "lua 10k sync hops from jobs": "desync-lua chain of 101 objects, 100 nested syncs a lap",
    "lua suspended job memory": "desync-lua 10k jobs suspended in s:receive()",
    "lua future round trip": "desync-lua obj:future(function literal):wait()",
    "lua pipeline of 20k records": "desync-lua, default pool",
}
# Jobs per iteration of the benchmarks whose scaling factor is 1 (ordo-one has none for 100k).
JOBS_PER_ITERATION = {"lua 100k async then drain": 100_000, "lua 4 CPU-bound jobs": 4,
                      "lua 10k jobs sleeping 0.1 s": 10_000, "lua 10k sync hops from jobs": 10_000,
                      "lua suspended job memory": 10_000, "lua pipeline of 20k records": 20_000}
# The order of the table; workloads not listed here follow, alphabetically.
WORKLOADS = ["sync idle", "async 1 object", "async 1000 objects", "future round trip",
             "lua sync round trip", "lua future round trip", "lua 100k async then drain", "lua 4 CPU-bound jobs",
             "lua 10k jobs sleeping 0.1 s", "lua suspend and resume", "lua 10k sync hops from jobs",
             "lua suspended job memory", "lua pipeline of 20k records"]
# Marks the rows that are not ordo-one benchmarks (the Lua peers, timed by their own script).
EXTERNAL = "†"
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


def load(paths):
    """{(workload, implementation): {metric: median per job}} from every file in `paths`."""
    rows = {}
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path) as file:
            text = file.read()
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if isinstance(document, dict) and "results" in document:
            rows.update(load_baseline(document))
        else:
            rows.update(load_lines(text, path))
    return rows


def load_lines(text, path):
    """The Lua peers' JSON lines: each sample is one timed run of `jobs` jobs."""
    rows = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            workload, _, implementation = entry["name"].partition(": ")
            samples = entry["samples_ns"]
            jobs = entry.get("jobs", 1)
        except (ValueError, KeyError, TypeError) as error:
            sys.exit(f"report: {path}:{number}: not a peer result ({error})")
        if not samples:
            continue
        rows[(workload, implementation)] = {
            # The lower median, as ordo-one's 50th percentile is, so rows compare alike.
            "wallClock": statistics.median_low(samples) / jobs,
            "jobs": jobs,
            "samples": len(samples),
            "external": True,
            # Timed in rounds with another row (common.measure_pair): sample k of each is one round.
            "pairedWith": entry.get("paired_with", "").partition(": ")[2] or None,
            "sampleTimes": samples,
        }
    return rows


def load_baseline(baseline):
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
            if metric == "custom" and measurement["metric"]["custom"].get("_0") == PAIRED_SPEEDUP_METRIC:
                # Not per job: one ratio per iteration, in per mille.
                metrics["pairedSpeedUp"] = median / 1000
                continue
            if metric == "custom":
                # Already per job (MEMORY_TARGETS' metrics): kept by name, as measured.
                metrics["custom:" + measurement["metric"]["custom"].get("_0", "")] = median
                continue
            jobs = measurement.get("scalingFactor", 1)
            if jobs == 1:
                jobs = JOBS_PER_ITERATION.get(workload, 1)
            metrics[metric] = median / jobs
            metrics["jobs"] = jobs
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


def format_bytes(value):
    """Bytes as "1,234 B" (the memory targets' metrics are small: per job)."""
    return f"{value:,.0f} B"


def format_count(value):
    if value is None:
        return "–"
    return f"{value:.3f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.1f}"


def rank(workload, name):
    """A row's place in its workload: desync's reference, Desync rows, peers, then the hardware
    ceiling's two rows (a yardstick for the others, not a competitor)."""
    if name == REFERENCES.get(workload):
        return 0
    if workload in CEILINGS:
        parallel = CEILINGS[workload][0]
        if name in (parallel, SPEEDUPS[(workload, parallel)][0]):
            return 3
    return 1 if name.startswith("Desync") else 2


def order_key(rows):
    """Workloads in WORKLOADS' order; in each, desync first, then the peers alphabetically, then
    the hardware ceiling (a yardstick for the others, not a competitor)."""
    seen = {workload for workload, _ in rows}
    workloads = [w for w in WORKLOADS if w in seen] + sorted(seen - set(WORKLOADS))
    ordered = []
    for workload in workloads:
        names = sorted(name for w, name in rows if w == workload)
        names.sort(key=lambda name: rank(workload, name))
        # Each serial row of SPEEDUPS right after its parallel row.
        for (speedup_workload, parallel), (serial, _, _) in SPEEDUPS.items():
            if speedup_workload == workload and parallel in names and serial in names:
                names.remove(serial)
                names.insert(names.index(parallel) + 1, serial)
        ordered += [(workload, name) for name in names]
    return ordered


def paired_speedup(rows, workload, parallel):
    """The median over rounds of serial time / parallel time, both timed in the same round, or
    None when the two rows were not timed in pairs."""
    serial = SPEEDUPS[(workload, parallel)][0]
    parallel_row = rows.get((workload, parallel), {})
    serial_row = rows.get((workload, serial), {})
    if "pairedSpeedUp" in parallel_row:
        return parallel_row["pairedSpeedUp"]
    parallel_times, serial_times = parallel_row.get("sampleTimes"), serial_row.get("sampleTimes")
    if (parallel_row.get("pairedWith") == serial and serial_row.get("pairedWith") == parallel
            and parallel_times and serial_times and len(parallel_times) == len(serial_times)):
        return statistics.median_low([s / p for s, p in zip(serial_times, parallel_times) if p])
    return None


def speedup(rows, workload, parallel):
    """The `parallel` row's speed-up over SPEEDUPS' serial row: paired when it was timed in pairs
    (see paired_speedup), else the serial row's median over the parallel row's; None when a row
    is missing."""
    paired = paired_speedup(rows, workload, parallel)
    if paired is not None:
        return paired
    return medians_speedup(rows, workload, parallel)


def medians_speedup(rows, workload, parallel):
    """SPEEDUPS' serial row's median over the `parallel` row's, or None when one is missing."""
    serial = SPEEDUPS[(workload, parallel)][0]
    parallel_time = rows.get((workload, parallel), {}).get("wallClock")
    serial_time = rows.get((workload, serial), {}).get("wallClock")
    return serial_time / parallel_time if parallel_time and serial_time else None


def describe_speedup(rows, workload, parallel):
    """"1.80x paired (medians: 1.65x)", "1.65x" when not paired, or "" when a row is missing."""
    value = speedup(rows, workload, parallel)
    if value is None:
        return ""
    if paired_speedup(rows, workload, parallel) is None:
        return f"{value:.2f}x"
    medians = medians_speedup(rows, workload, parallel)
    return f"{value:.2f}x paired" + (f" (medians: {medians:.2f}x)" if medians else "")


def ceiling(rows, workload):
    """The workload's hardware ceiling in this run, as "4 processes: 1.55x paired", or ""."""
    if workload not in CEILINGS:
        return ""
    parallel, label = CEILINGS[workload]
    value = speedup(rows, workload, parallel)
    if value is None:
        return ""
    paired = " paired" if paired_speedup(rows, workload, parallel) is not None else ""
    return f"{label}: {value:.2f}x{paired}"


def table(rows, other=None, other_name=None):
    header = ["workload", "implementation", "median per job", "peer/desync", "target",
              "allocs per job", "jobs per iteration", "samples"]
    if other is not None:
        header.append(f"vs '{other_name}'")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    missed = []
    reference = {}
    for workload, name in order_key(rows):
        if workload not in reference and (name == REFERENCES.get(workload) or name.startswith("Desync")):
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
        if (workload, name) in TIME_TARGETS and time:
            maximum, text = TIME_TARGETS[(workload, name)]
            met = time < maximum
            target += ("; " if target else "") + f"{text}: {'met' if met else '**missed**'}"
            if not met:
                missed.append(f"{workload} {name}: {text}, measured {format_time(time)}")
        for other_row, minimum, text in ROW_TARGETS.get((workload, name), []):
            other_time = rows.get((workload, other_row), {}).get("wallClock")
            if time and other_time:
                met = other_time / time >= minimum
                measured = f"{time / other_time:.2f}x {other_row}'s time"
                target += ("; " if target else "") + f"{text}: {'met' if met else '**missed**'} ({measured})"
                if not met:
                    missed.append(f"{workload} {name}: {text}, measured {measured}")
        if (workload, name) in SPEEDUPS and time:
            _, minimum, text = SPEEDUPS[(workload, name)]
            value = speedup(rows, workload, name)
            if value:
                verdict = "" if minimum is None else ": met" if value >= minimum else ": **missed**"
                # A target's speed-up comes with what the machine allowed in the same run.
                limit = ceiling(rows, workload) if minimum is not None else ""
                measured = describe_speedup(rows, workload, name) + (f"; {limit}" if limit else "")
                target += ("; " if target else "") + f"{text}{verdict} ({measured})"
                if minimum is not None and value < minimum:
                    missed.append(f"{workload} {name}: {text}, measured {describe_speedup(rows, workload, name)}"
                                  + (f" ({limit})" if limit else ""))
        if (workload, name) in PEER_LIMITS and time:
            peer, maximum, text = PEER_LIMITS[(workload, name)]
            peer_time = rows.get((workload, peer), {}).get("wallClock")
            if peer_time:
                value = time / peer_time
                met = value <= maximum
                target += ("; " if target else "") + f"{text}: {'met' if met else '**missed**'} ({value:.2f}x)"
                if not met:
                    missed.append(f"{workload} {name}: {text}, measured {value:.2f}x {peer}")
        if (workload, name) in DIFFERENCES and time:
            base, maximum, text = DIFFERENCES[(workload, name)]
            base_time = rows.get((workload, base), {}).get("wallClock")
            if base_time:
                value = time - base_time
                met = value <= maximum
                target += ("; " if target else "") + f"{text}: {'met' if met else '**missed**'} ({format_time(value)})"
                if not met:
                    missed.append(f"{workload} {name}: {text}, measured {format_time(value)} over '{base}'")
        if (workload, name) in MEMORY_TARGETS:
            metric, maximum, text, shown = MEMORY_TARGETS[(workload, name)]
            value = metrics.get("custom:" + metric)
            if value is not None:
                met = value <= maximum
                others = "".join(f", {label} {format_bytes(metrics['custom:' + other])}"
                                 for other, label in shown if "custom:" + other in metrics)
                target += ("; " if target else "") + f"{text}: {'met' if met else '**missed**'} ({format_bytes(value)}{others})"
                if not met:
                    missed.append(f"{workload} {name}: {text}, measured {format_bytes(value)}")
        allocations = metrics.get("mallocCountTotal")
        if name.startswith("Desync") and "async" in name and allocations is not None:
            met = allocations <= ALLOCATION_TARGET + 0.01
            target += ("; " if target else "") + f"<= 1 alloc/job: {'met' if met else '**missed**'}"
            if not met:
                missed.append(f"{workload} {name}: {allocations:.2f} allocations per job")
        label = f"{name} {EXTERNAL}" if metrics.get("external") else name
        cells = [workload, label, format_time(time), ratio, target, format_count(allocations),
                 f"{metrics.get('jobs', 1):,}", str(metrics.get("samples", ""))]
        if other is not None:
            before = other.get((workload, name), {}).get("wallClock")
            cells.append(f"{(time / before - 1) * 100:+.1f}%" if time and before else "–")
        lines.append("| " + " | ".join(cells) + " |")
    if any(metrics.get("external") for metrics in rows.values()):
        lines.append("")
        lines.append(f"{EXTERNAL} Not an ordo-one benchmark: a Lua script in `Benchmarks/lua/` run by `lua5.4` (apt "
                     "`lua-luv`) from `scripts/bench` in the same run, timed by itself with `uv.hrtime()`; "
                     "the median of its samples (one per iteration), no allocation count.")
    return "\n".join(lines), missed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results", nargs="+")
    parser.add_argument("--compare", nargs="+")
    parser.add_argument("--compare-name", default="baseline")
    arguments = parser.parse_args()
    rows = load(arguments.results)
    if not rows:
        sys.exit("report: no results in " + ", ".join(arguments.results))
    other = load(arguments.compare) if arguments.compare else None
    text, missed = table(rows, other, arguments.compare_name)
    print(text)
    if missed:
        print("\nTargets missed:\n" + "\n".join(f"- {line}" for line in missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
