"""Throughput benchmark: the vectorised ensemble against one model per replicate through
mesa.batch_run, measured in the same run and reported as a ratio.

    .venv/bin/python -m benchmarks.throughput [--replicates 1000] [--batch-runs 20] [--option nrc] [--repeats 3] [--threads 2]

Prints runs per second of each shape (and the ensemble's runs per CPU second), their ratio, peak
memory (RSS) and the Parquet size of the ensemble's per-step summary. Timings depend on the machine and its load: compare ratios
measured in one run, not absolute figures across machines.

The ensemble is timed ``--repeats`` times (the same seeds, so the same numbers each time) and its
figure is the median with the range beside it: one timing on a shared machine can be off by a
third, the median of a few is steadier. The figure and the ratio are single-threaded (the config's default ``threads=1``).
With ``--threads N`` (N > 1) the ensemble is also timed with N threads over replicates
(sim/numerics/threads.py; the same numbers) and reported on its own line: it helps only where
N cores are idle.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

import mesa
import numpy as np

from experiments.ensemble import arm_spec
from sim.model import EurosecModel
from sim.output.files import write_parquet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicates", type=int, default=1000, help="replicates of the vectorised ensemble")
    ap.add_argument("--batch-runs", type=int, default=20, help="single-replicate runs through mesa.batch_run")
    ap.add_argument("--option", default="nrc", help="option switched on (the arm benchmarked)")
    ap.add_argument("--stage", default="baseline_2010", help="scenario")
    ap.add_argument("--repeats", type=int, default=3, help="timings of the ensemble; the median is reported")
    ap.add_argument("--threads", type=int, default=1, help="also time the ensemble with this many threads (if > 1)")
    args = ap.parse_args()
    if args.repeats < 1 or args.replicates < 1 or args.batch_runs < 1:
        ap.error("--repeats, --replicates and --batch-runs must be at least 1")

    overrides = [f"scenario={args.stage}", f"option=[{args.option}]", "output.dyad_period=0"]
    spec = arm_spec(overrides)
    months = spec.horizon
    print(f"eurosec throughput: {spec.roster.n} actors, {months} months, scenario {args.stage}, option {args.option}")

    EurosecModel(seeds=[0], config=spec, record_events=False).run()  # warm-up (imports, caches)
    timings = []  # (wall s, CPU s) of each repeat
    for _ in range(args.repeats):
        model = None  # the previous repeat's model freed before the next is built
        t0, c0 = time.perf_counter(), time.process_time()
        model = EurosecModel(rng=1, replicates=args.replicates, config=spec, record_events=False)
        model.run()
        timings.append((time.perf_counter() - t0, time.process_time() - c0))
    walls = sorted(w for w, _ in timings)
    ensemble_s = float(np.median(walls))
    ensemble_cpu = float(np.median([c for _, c in timings]))
    ensemble_rate = args.replicates / ensemble_s

    t0 = time.perf_counter()
    mesa.batch_run(EurosecModel, parameters={"config": spec, "record_events": False}, rng=list(range(args.batch_runs)),
                   number_processes=1, data_collection_period=-1, max_steps=months, display_progress=False)
    batch_s = time.perf_counter() - t0
    batch_rate = args.batch_runs / batch_s

    threaded = None
    if args.threads > 1:
        threaded_spec = arm_spec(overrides + [f"threads={args.threads}"])
        EurosecModel(seeds=[0], config=threaded_spec, record_events=False).run()  # warm-up (the thread pool)
        t0, c0 = time.perf_counter(), time.process_time()
        EurosecModel(rng=1, replicates=args.replicates, config=threaded_spec, record_events=False).run()
        threaded = time.perf_counter() - t0, time.process_time() - c0

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "summary.parquet")
        summary = model.summary()
        t0 = time.perf_counter()
        write_parquet(summary, path, {}, {})
        write_s = time.perf_counter() - t0
        size_mb = os.path.getsize(path) / 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    spread = (f"median of {args.repeats}: {args.replicates / walls[-1]:.0f}-{args.replicates / walls[0]:.0f} runs/s"
              if args.repeats > 1 else "one timing")
    print(f"  vectorised ensemble : {args.replicates} runs in {ensemble_s:6.2f} s = {ensemble_rate:8.1f} runs/s "
          f"(one thread; {spread})")
    print(f"    per CPU second    : {args.replicates} runs in {ensemble_cpu:6.2f} s of CPU = "
          f"{args.replicates / ensemble_cpu:8.1f} runs/s (less sensitive to other processes' load)")
    if threaded is not None:
        print(f"    with {args.threads} threads    : {args.replicates} runs in {threaded[0]:6.2f} s = "
              f"{args.replicates / threaded[0]:8.1f} runs/s ({threaded[1]:.2f} s of CPU; threads={args.threads})")
    print(f"  mesa.batch_run      : {args.batch_runs} runs in {batch_s:6.2f} s = {batch_rate:8.1f} runs/s")
    print(f"  ratio               : {ensemble_rate / batch_rate:8.1f} x (one thread)")
    print(f"  summary table       : {len(summary):,} rows, {summary.shape[1]} columns, Parquet {size_mb:.1f} MB "
          f"written in {write_s:.2f} s")
    print(f"  peak memory (RSS)   : {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
