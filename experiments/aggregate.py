"""Combine the jobs of a multirun (experiments.compare_options or sim.run) into one dataset.

    python -m experiments.aggregate multirun/.../SWEEP_DIR

Each finished job folder holds a manifest.json (written last, atomically, with its results).
A job that raised holds a failure.json instead (its overrides, the error and its traceback, no
partial results): the job returns normally so Hydra runs the other jobs and this step. A folder
with neither is a job still running or interrupted. Failed and unfinished jobs are reported, not
read. Writes finals.parquet (and effects.parquet for comparisons, summary.parquet for sim.run
sweeps) at the sweep root, with a `job` column and one column per job override (named
`override.KEY` where KEY is already a column, e.g. `seed`), and aggregate.json (finished, failed with reasons, unfinished). Runs as the sweep's Hydra
callback (AggregateCallback), which then exits with status 1 if any job failed, and as a
command (exit status 1 if any job failed).
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

from sim.jobs import FAILURE, describe

log = logging.getLogger("eurosec.aggregate")


def job_overrides(job_dir: Path) -> dict[str, str]:
    path = job_dir / ".hydra" / "overrides.yaml"
    if not path.exists():
        return {}
    return dict(o.split("=", 1) for o in yaml.safe_load(path.read_text()) or [] if "=" in o)


def job_tables(job: Path) -> dict[str, pd.DataFrame]:
    """The tables a finished job contributes. A comparison job (experiments.compare_options) has
    finals and effects; a single-scenario job (sim.run) has a summary, whose last month gives
    its finals, and the whole summary is combined too."""
    if (job / "finals.parquet").exists():
        return {name: pd.read_parquet(job / f"{name}.parquet") for name in ("finals", "effects")
                if (job / f"{name}.parquet").exists()}
    summary = pd.read_parquet(job / "summary.parquet")
    return {"finals": summary[summary["step"] == summary["step"].max()].reset_index(drop=True), "summary": summary}


def aggregate(sweep_dir: Path) -> dict:
    """Combine finished jobs under ``sweep_dir``; return the finished, failed (with reasons) and
    unfinished jobs."""
    sweep_dir = Path(sweep_dir)
    jobs = sorted((p for p in sweep_dir.iterdir() if p.is_dir() and (p / ".hydra").exists()),
                  key=lambda p: (len(p.name), p.name)) if sweep_dir.exists() else []
    finished, failed, unfinished = [], [], []
    tables: dict[str, list[pd.DataFrame]] = {"finals": [], "effects": [], "summary": []}
    for job in jobs:
        if not (job / "manifest.json").exists():
            if (job / FAILURE).exists():
                info = json.loads((job / FAILURE).read_text())
                failed.append({"job": job.name, "overrides": info.get("overrides", []), "type": info.get("type"),
                               "message": info.get("message"), "error": describe(info)})
            else:
                unfinished.append(job.name)
            continue
        swept = job_overrides(job)
        for name, df in job_tables(job).items():
            df.insert(0, "job", job.name)
            for key, value in swept.items():
                # a job override named like a column (seed: the master seed vs each run's seed)
                # gets its own column instead of overwriting the table's
                df[f"override.{key}" if key in df.columns else key] = value
            tables[name].append(df)
        finished.append(job.name)
    for name, frames in tables.items():
        if frames:
            pd.concat(frames, ignore_index=True).to_parquet(sweep_dir / f"{name}.parquet", compression="zstd")
    result = {"finished": finished, "failed": failed, "unfinished": unfinished}
    (sweep_dir / "aggregate.json").write_text(json.dumps(result, indent=2))
    for f in failed:
        log.error("job %s failed (%s): %s", f["job"], " ".join(f["overrides"]) or "no overrides", f["error"])
    if unfinished:
        log.warning("%d job(s) without results (still running or interrupted): %s", len(unfinished),
                    ", ".join(unfinished))
    log.info("combined %d job(s) into %s", len(finished), sweep_dir)
    if failed:
        log.error("%d job(s) failed (details in each job's %s). Rerun the same command with "
                  "hydra.sweep.dir=%s to retry them: finished jobs are skipped.", len(failed), FAILURE, sweep_dir)
    return result


class AggregateCallback(Callback):
    """Hydra callback: aggregate when a multirun ends; exit with status 1 if any job failed.
    (Hydra skips this if a job raised; compare_options' jobs record failures and return.)"""

    def on_multirun_end(self, config, **kwargs) -> None:
        if aggregate(Path(config.hydra.sweep.dir))["failed"]:
            sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep_dir", type=Path)
    args = ap.parse_args()
    if not args.sweep_dir.is_dir():
        print(f"eurosec: Invalid configuration at 'sweep_dir': {args.sweep_dir} is not a folder. "
              "Allowed: the folder of a compare_options or sim.run multirun.", file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = aggregate(args.sweep_dir)
    print(f"{len(result['finished'])} job(s) combined, {len(result['unfinished'])} without results"
          + (f": {', '.join(result['unfinished'])}" if result["unfinished"] else ""))
    if result["failed"]:
        print(f"{len(result['failed'])} job(s) failed:")
        for f in result["failed"]:
            print(f"  job {f['job']} ({' '.join(f['overrides']) or 'no overrides'}): {f['error']}")
        sys.exit(1)


if __name__ == "__main__":
    main()
