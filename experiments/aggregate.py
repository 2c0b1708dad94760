"""Verify and combine the jobs of a sweep (experiments.compare_options, experiments.combinations
or sim.run with ``-m``) into one dataset: the command behind the end-of-sweep aggregation.

    python -m experiments.aggregate results/compare_options/multirun/DATE/TIME

Every job's manifest and files are verified first (sim/app/manifest.py); only verified jobs are
combined; the tables are named ``NAME.incomplete.parquet`` unless every planned job finished;
``aggregate.json`` says what was combined and what is missing, failed or corrupt, and why.
Exit status: 0 complete, 1 incomplete (missing, failed or corrupt jobs, or tables that could not
be written), 2 not a sweep folder. How it works: sim/app/aggregate.py.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from sim.app.aggregate import PLAN, AggregateError, aggregate, inspect_sweep
from sim.app.folders import LOCK, lock_folder
from sim.errors import ConfigError

NOT_A_SWEEP = "the folder of a sweep (python -m ... -m ...), which holds sweep.json and one folder per job"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep_dir", type=Path)
    args = ap.parse_args(argv)
    folder = args.sweep_dir
    try:
        if not folder.is_dir():
            raise ConfigError("sweep_dir", f"{folder} is not a folder", NOT_A_SWEEP)
        if not (folder / PLAN).exists() and not inspect_sweep(folder)["jobs"]:
            raise ConfigError("sweep_dir", f"{folder} holds no sweep (no {PLAN} and no job folders)", NOT_A_SWEEP)
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        lock_existed = (folder / LOCK).exists()
        fd = lock_folder(folder, "sweep_dir")  # not while a sweep is writing into it
        try:
            report = aggregate(folder)
        finally:
            if not lock_existed:  # leave the folder as it was: the lock file is ours
                (folder / LOCK).unlink(missing_ok=True)
            os.close(fd)
    except ConfigError as err:
        print(f"eurosec: {err}", file=sys.stderr)
        return 2
    except AggregateError as err:
        print(f"eurosec: {err}. No combined table was kept; the jobs' own results are intact.", file=sys.stderr)
        return 1
    print(f"{len(report['finished'])} job(s) combined, {len(report['unfinished'])} without results"
          + (f": {', '.join(report['unfinished'])}" if report["unfinished"] else ""))
    if report["failed"]:
        print(f"{len(report['failed'])} job(s) failed:")
        for f in report["failed"]:
            print(f"  job {f['job']} ({' '.join(f['overrides'] or []) or 'no overrides'}): {f['error']}")
    if report["corrupt"]:
        print(f"{len(report['corrupt'])} job(s) fail verification (rerun the sweep to redo them):")
        for c in report["corrupt"]:
            print(f"  job {c['job']}: {c['reason']}")
    for f in report["foreign"]:
        print(f"  folder {f['job']}: {f['reason']} (not combined)")
    print(("complete: " if report["complete"] else "INCOMPLETE: ") + (", ".join(sorted(report["tables"])) or "no tables"))
    return 0 if report["complete"] else 1


if __name__ == "__main__":
    sys.exit(main())
