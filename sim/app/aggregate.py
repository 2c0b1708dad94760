"""Combine the jobs of a sweep into one dataset, after verifying every job.

A sweep folder holds ``sweep.json`` (the plan written before any job ran: the app, and each
job's number, overrides and config hash) and one folder per job. Each job is checked
(sim.app.manifest): its manifest must read, name the app's kind and the planned config, and
every file must be the one the job wrote. Then:

- finished jobs are combined: their tables (per app: finals and effects of comparisons, finals
  from the last month and whole summaries of sim.run jobs, synergy and ordering of
  combinations) with a ``job`` column and one column per override
  (``override.KEY`` where KEY is already a column, e.g. ``seed``), numbers where every value
  is a number; ``agreed_*`` columns as nullable booleans; each table carries the sweep's
  provenance and every job's config in its Parquet metadata (``sim.output.read_metadata``);
- if every planned job finished, the tables are ``NAME.parquet``; otherwise
  ``NAME.incomplete.parquet``, so a partial dataset never looks complete;
- tables are written into a marked ``.partial-*`` folder and moved into place only when all are
  written; the combined tables of an earlier aggregation of this sweep are removed first, and on
  any error (a full disk) the new ones too: no table is left that looks complete;
- ``aggregate.json`` (written first as "writing", last as "done") lists the finished, failed
  (with reasons), corrupt (with what is wrong), unfinished and foreign jobs, and the files
  written with their hashes.

The result is complete only if every planned job finished and every table was written; the
commands exit with status 1 otherwise.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import yaml

from sim import __version__
from sim.app.folders import PARTIAL_MARK, PARTIAL_PREFIX, clean_stale_partials, writer_mark
from sim.app.manifest import FAILURE, MANIFEST, config_hash, file_digest, inspect_job
from sim.errors import ConfigError
from sim.output.files import write_parquet

log = logging.getLogger("eurosec.aggregate")

PLAN = "sweep.json"
REPORT = "aggregate.json"
# the tables each kind of job contributes (``finals`` of sim.run jobs come from their summary)
TABLES = {"run": ("finals", "summary"), "compare_options": ("finals", "effects"),
          "combinations": ("synergy", "ordering")}
COMBINED = sorted({f"{name}{suffix}.parquet" for names in TABLES.values() for name in names
                   for suffix in ("", ".incomplete")})


class AggregateError(RuntimeError):
    """Combined tables could not be written (nothing that looks complete was left)."""


# ------------------------------------------------------------------------------------ the plan

def plan_of(kind: str, jobs, planned: bool, default_subdir: bool) -> dict:
    return {"format": 1, "kind": kind, "planned": planned,
            "jobs": [{"num": j.num, "folder": str(j.num) if default_subdir else None, "overrides": j.overrides,
                      "config_hash": config_hash(j.config)} for j in jobs] if planned else None}


def read_plan(sweep_dir: Path) -> dict | None:
    """The plan of a sweep folder; None if there is none; ConfigError if it cannot be read."""
    path = Path(sweep_dir) / PLAN
    if not path.exists():
        return None
    try:
        plan = json.loads(path.read_text())
        if not isinstance(plan, dict) or "kind" not in plan:
            raise ValueError("not a sweep plan")
    except (OSError, ValueError) as err:
        raise ConfigError(PLAN, f"{path} cannot be read ({err})",
                          "the sweep.json eurosec wrote when the sweep started (rerun the sweep into a new folder)") \
            from None
    return plan


def same_plan(a: dict | None, b: dict | None) -> bool:
    def key(p):
        jobs = p.get("jobs")
        return p.get("kind"), p.get("planned"), None if jobs is None else [(j["num"], j["config_hash"]) for j in jobs]

    return a is not None and b is not None and key(a) == key(b)


def write_json_atomic(path: Path, obj) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(obj, indent=2, default=str))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------ the jobs

def job_overrides(job_dir: Path) -> dict[str, str]:
    path = job_dir / ".hydra" / "overrides.yaml"
    try:
        items = yaml.safe_load(path.read_text()) or []
    except (OSError, yaml.YAMLError):
        return {}
    return dict(o.split("=", 1) for o in items if isinstance(o, str) and "=" in o)


def _job_folders(sweep_dir: Path) -> list[Path]:
    found = [p for p in sweep_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
             and ((p / ".hydra").exists() or (p / MANIFEST).exists() or (p / FAILURE).exists())]
    return sorted(found, key=lambda p: (len(p.name), p.name))


def job_tables(job: Path, manifest: dict) -> dict[str, pd.DataFrame]:
    """The tables a verified job contributes, by the kind its manifest names."""
    kind, files = manifest["kind"], manifest["files"]
    if kind == "run":
        summary = pd.read_parquet(job / "summary.parquet")
        return {"finals": summary[summary["step"] == summary["step"].max()].reset_index(drop=True), "summary": summary}
    return {name: pd.read_parquet(job / f"{name}.parquet") for name in TABLES[kind] if f"{name}.parquet" in files}


def inspect_sweep(sweep_dir: Path) -> dict:
    """Classify every job of a sweep (planned jobs first; folders outside the plan too)."""
    sweep_dir = Path(sweep_dir)
    plan = read_plan(sweep_dir)
    kind = plan["kind"] if plan else None
    folders = {p.name: p for p in _job_folders(sweep_dir)}
    expected = []
    if plan and plan.get("jobs") is not None:
        by_hash = {}
        for p in folders.values():  # job folders named otherwise than by number: found by config hash
            m = (inspect_job(p).manifest or {}) if p.name not in {str(j["num"]) for j in plan["jobs"]} else {}
            if m.get("config_hash"):
                by_hash[m["config_hash"]] = p
        for j in plan["jobs"]:
            folder = folders.get(j["folder"]) if j.get("folder") else by_hash.get(j["config_hash"])
            expected.append((str(j["num"]) if folder is None else folder.name, folder, j["config_hash"],
                             j["overrides"]))
        known = {e[0] for e in expected}
        expected += [(name, p, None, None) for name, p in folders.items() if name not in known]
    else:
        expected = [(name, p, None, None) for name, p in folders.items()]
    states = []
    for name, folder, config_hash, overrides in expected:
        if folder is None:
            states.append({"job": name, "status": "unfinished", "reason": "not started", "overrides": overrides or []})
            continue
        st = inspect_job(folder, kind, config_hash)
        if config_hash is None and plan and plan.get("jobs") is not None and st.status != "unfinished":
            st.status, st.reason = "foreign", "not a job of this sweep's plan"
        entry = {"job": name, "status": st.status, "reason": st.reason,
                 "overrides": overrides if overrides is not None else st.failure.get("overrides")
                 or [f"{k}={v}" for k, v in job_overrides(folder).items()]}
        if st.status == "failed":
            entry["type"] = st.failure.get("type")
            entry["error"] = describe(st.failure)
        states.append({**entry, "_folder": folder, "_manifest": st.manifest})
    return {"plan": plan, "jobs": states}


def describe(info: dict) -> str:
    """``Type: first line of the message`` of a recorded failure."""
    first = (info.get("message") or "").splitlines()
    return f"{info.get('type', 'Error')}: {first[0]}" if first else info.get("type", "Error")


# ------------------------------------------------------------------------------- combining

def agreement_column(col: pd.Series) -> bool:
    """An ``agreed_MOVE`` column of a finals table (True/False, None where the move was not
    tabled), not a number such as ``agreed_share``."""
    return str(col.name).startswith("agreed_") and (col.dtype == object or pd.api.types.is_bool_dtype(col))


def typed_overrides(df: pd.DataFrame, columns) -> pd.DataFrame:
    """Override columns as numbers where every value is one (``0.2`` -> 0.2, ``7`` -> 7), else
    strings: the values come from the command line as text."""
    for col in columns:
        if col in df.columns:
            try:
                df[col] = pd.to_numeric(df[col])
            except (ValueError, TypeError):
                df[col] = df[col].astype("string")
    return df


def _combine(states: list[dict]) -> dict[str, pd.DataFrame]:
    tables: dict[str, list[pd.DataFrame]] = {}
    swept_columns: dict[str, set[str]] = {}
    for s in states:
        if s["status"] != "finished":
            continue
        swept = dict(o.split("=", 1) for o in s["overrides"] if "=" in o)
        for name, df in job_tables(s["_folder"], s["_manifest"]).items():
            df.insert(0, "job", s["job"])
            for key, value in swept.items():
                key = key.lstrip("+~")
                # a job override named like a column (seed: the master seed vs each run's seed)
                # gets its own column instead of overwriting the table's
                column = f"override.{key}" if key in df.columns else key
                df[column] = value
                swept_columns.setdefault(name, set()).add(column)
            tables.setdefault(name, []).append(df)
    combined = {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items()}
    for name, df in combined.items():
        for col in [c for c in df.columns if agreement_column(df[c])]:
            df[col] = df[col].astype("boolean")  # <NA> where a job's arm never tabled that move
        typed_overrides(df, sorted(swept_columns.get(name, ())))
    return combined


def provenance(states: list[dict], plan: dict | None, complete: bool) -> tuple[dict, dict]:
    """Metadata and config written into every combined table (``sim.output.read_metadata``):
    the sweep's plan and completeness, each combined job's overrides and config hash, and the
    config of each job, by job."""
    finished = [s for s in states if s["status"] == "finished"]
    meta = {"eurosec_version": __version__, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "kind": "sweep", "job_kind": (plan or {}).get("kind"), "complete": complete,
            "jobs": [{"job": s["job"], "overrides": s["overrides"], "config_hash": s["_manifest"].get("config_hash"),
                      "seed": (s["_manifest"].get("config") or {}).get("seed")} for s in finished]}
    return meta, {"jobs": {s["job"]: s["_manifest"].get("config") or {} for s in finished}}


def _previous_tables(sweep_dir: Path) -> list[Path]:
    """Combined tables an earlier aggregation of this sweep wrote (and that are unchanged)."""
    try:
        report = json.loads((sweep_dir / REPORT).read_text())
    except (OSError, ValueError):
        report = {}
    previous = []
    for name, digest in (report.get("tables") or {}).items():
        path = sweep_dir / name
        if name in COMBINED and path.is_file() and file_digest(path) == digest:
            previous.append(path)
    return previous


def write_tables(sweep_dir: Path, tables: dict[str, pd.DataFrame], complete: bool,
                 provenance: tuple[dict, dict] = ({}, {})) -> dict[str, str]:
    """Write the combined tables all or nothing, each carrying ``provenance`` (metadata, config)
    in its Parquet schema; return {file name: sha256}."""
    suffix = "" if complete else ".incomplete"
    clean_stale_partials(sweep_dir)
    tmp = Path(tempfile.mkdtemp(prefix=PARTIAL_PREFIX, dir=sweep_dir))
    moved: list[Path] = []
    try:
        (tmp / PARTIAL_MARK).write_text(json.dumps(writer_mark()))
        written = {}
        for name, df in tables.items():
            path = tmp / f"{name}{suffix}.parquet"
            write_parquet(df, path, *provenance)
            written[path.name] = file_digest(path)
        taken = [name for name in written if (sweep_dir / name).exists()]
        if taken:  # our earlier tables were removed above: a file of that name is someone else's
            raise AggregateError(f"{sweep_dir} holds {', '.join(taken)}, which no aggregation of this sweep wrote "
                                 "(or which was changed since); move it away and aggregate again")
        for name in written:
            os.replace(tmp / name, sweep_dir / name)
            moved.append(sweep_dir / name)
        return written
    except OSError as err:
        for path in moved:  # never leave part of a combined dataset
            path.unlink(missing_ok=True)
        raise AggregateError(f"could not write the combined tables into {sweep_dir}: {err}") from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def aggregate(sweep_dir: Path) -> dict:
    """Verify and combine the jobs of ``sweep_dir`` (module docstring); return the report."""
    sweep_dir = Path(sweep_dir)
    inspected = inspect_sweep(sweep_dir)
    states = inspected["jobs"]
    by = {k: [s for s in states if s["status"] == k] for k in ("finished", "failed", "corrupt", "unfinished", "foreign")}
    complete = bool(states) and len(by["finished"]) == len(states)
    report = {"complete": False, "state": "writing", "finished": [s["job"] for s in by["finished"]],
              "failed": [{k: s.get(k) for k in ("job", "overrides", "type", "error")} | {"message": s["reason"]}
                         for s in by["failed"]],
              "corrupt": [{"job": s["job"], "overrides": s["overrides"], "reason": s["reason"]} for s in by["corrupt"]],
              "unfinished": [s["job"] for s in by["unfinished"]],
              "foreign": [{"job": s["job"], "reason": s["reason"]} for s in by["foreign"]], "tables": {}}
    previous = _previous_tables(sweep_dir)  # read before the report is rewritten
    write_json_atomic(sweep_dir / REPORT, report)
    for path in previous:
        path.unlink()
    try:
        tables = _combine(states)
        report["tables"] = write_tables(sweep_dir, tables, complete, provenance(states, inspected["plan"], complete))
    except (AggregateError, OSError) as err:
        report["state"] = f"failed: {err}"
        try:
            write_json_atomic(sweep_dir / REPORT, report)
        except OSError:
            pass
        raise AggregateError(str(err)) from None
    report["complete"], report["state"] = complete, "done"
    write_json_atomic(sweep_dir / REPORT, report)
    _log(report, sweep_dir)
    return report


def _log(report: dict, sweep_dir: Path) -> None:
    for f in report["failed"]:
        log.error("job %s failed (%s): %s", f["job"], " ".join(f["overrides"] or []) or "no overrides", f["error"])
    for c in report["corrupt"]:
        log.error("job %s: results fail verification (%s): not combined", c["job"], c["reason"])
    for f in report["foreign"]:
        log.error("folder %s: %s: not combined", f["job"], f["reason"])
    if report["unfinished"]:
        log.warning("%d job(s) without results (not started, still running or interrupted): %s",
                    len(report["unfinished"]), ", ".join(report["unfinished"]))
    names = ", ".join(sorted(report["tables"])) or "no tables"
    log.info("combined %d job(s) into %s (%s)", len(report["finished"]), sweep_dir, names)
    if not report["complete"]:
        log.error("the sweep is incomplete: tables are named *.incomplete.parquet. Rerun the same command "
                  "with hydra.sweep.dir=%s to run the missing, failed and corrupt jobs again: verified jobs "
                  "are skipped.", sweep_dir)
