"""Combine the jobs of a compare_options multirun into one dataset.

    python -m experiments.aggregate multirun/.../SWEEP_DIR

Each finished job folder holds a manifest.json (written last, atomically, with its results);
a folder without one is a job that failed or is still running, and is reported, not read.
Writes finals.parquet and effects.parquet at the sweep root, with one column per swept key.
Runs by itself or as the sweep's Hydra callback (AggregateCallback); kept as a command because
Hydra skips on_multirun_end when any job raised.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import pandas as pd
import yaml
from hydra.experimental.callback import Callback

log = logging.getLogger("eurosec.aggregate")


def job_overrides(job_dir: Path) -> dict[str, str]:
    path = job_dir / ".hydra" / "overrides.yaml"
    if not path.exists():
        return {}
    return dict(o.split("=", 1) for o in yaml.safe_load(path.read_text()) or [] if "=" in o)


def aggregate(sweep_dir: Path) -> dict:
    """Combine finished jobs under ``sweep_dir``; return counts of finished and unfinished jobs."""
    sweep_dir = Path(sweep_dir)
    jobs = sorted(p for p in sweep_dir.iterdir() if p.is_dir() and (p / ".hydra").exists()) if sweep_dir.exists() else []
    finished, unfinished, finals, effects = [], [], [], []
    for job in jobs:
        if not (job / "manifest.json").exists():
            unfinished.append(job.name)
            continue
        swept = job_overrides(job)
        for name, frames in (("finals.parquet", finals), ("effects.parquet", effects)):
            df = pd.read_parquet(job / name)
            df.insert(0, "job", job.name)
            for key, value in swept.items():
                df[key] = value
            frames.append(df)
        finished.append(job.name)
    if finished:
        pd.concat(finals, ignore_index=True).to_parquet(sweep_dir / "finals.parquet", compression="zstd")
        pd.concat(effects, ignore_index=True).to_parquet(sweep_dir / "effects.parquet", compression="zstd")
    (sweep_dir / "aggregate.json").write_text(json.dumps({"finished": finished, "unfinished": unfinished}, indent=2))
    if unfinished:
        log.warning("%d job(s) without results (failed or still running): %s", len(unfinished), ", ".join(unfinished))
    log.info("combined %d job(s) into %s", len(finished), sweep_dir)
    return {"finished": finished, "unfinished": unfinished}


class AggregateCallback(Callback):
    """Hydra callback: aggregate when a multirun ends (not called if a job raised)."""

    def on_multirun_end(self, config, **kwargs) -> None:
        aggregate(Path(config.hydra.sweep.dir))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep_dir", type=Path)
    args = ap.parse_args()
    if not args.sweep_dir.is_dir():
        print(f"eurosec: Invalid configuration at 'sweep_dir': {args.sweep_dir} is not a folder. "
              "Allowed: the folder of a compare_options multirun.", file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = aggregate(args.sweep_dir)
    print(f"{len(result['finished'])} job(s) combined, {len(result['unfinished'])} without results"
          + (f": {', '.join(result['unfinished'])}" if result["unfinished"] else ""))


if __name__ == "__main__":
    main()
