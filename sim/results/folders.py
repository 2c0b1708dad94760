"""Finding a result folder and checking that it is whole before anything is read from it.

A job folder (``python -m sim.run``, ``experiments.compare_options``, ``combinations``, ``facts``,
``validation``, ``calibrate``) is whole when its ``manifest.json`` verifies: every file it lists
is there with the size and SHA-256 the job wrote (sim.app.manifest). A sweep folder (``-m``) is
whole when ``aggregate.json`` says every planned job was combined and each combined table has
the SHA-256 recorded there. Anything else is refused with one paragraph saying what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sim.app.aggregate import PLAN, REPORT, read_plan
from sim.app.manifest import FAILURE, MANIFEST, file_digest, inspect_job, read_manifest
from sim.errors import ConfigError

# the folders searched for "latest" (relative to the working directory): the apps' default outputs
DEFAULT_ROOTS = ("results", "outputs", "multirun")
KINDS = ("run", "compare_options", "combinations", "facts", "validation", "calibrate", "sweep")
EXPECTED = ("a finished eurosec result folder: one written by python -m sim.run or an experiments app "
            "(it holds a verified manifest.json), or a sweep folder (sweep.json) combined completely by "
            "python -m experiments.aggregate")


class ResultsError(ConfigError):
    """A result folder that cannot be loaded: names the folder, what is wrong and what would do."""

    def __init__(self, path, problem: str, allowed: str = EXPECTED):
        super().__init__(str(path), problem, allowed)
        self.args = (f"Cannot load results from '{path}': {problem}. Expected: {allowed}.",)

    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class Folder:
    """A verified result folder: its kind, the tables it holds (name -> file) and provenance."""
    path: Path
    kind: str  # one of KINDS
    job_kind: str  # the app that wrote the jobs (for a sweep: its plan's kind; else = kind)
    tables: dict[str, Path]
    config: dict
    manifest: dict  # a job's manifest, or a sweep's aggregate.json with its plan


def check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise ResultsError(kind, f"unknown kind {kind!r}", f"None (detected from the folder) or one of {', '.join(KINDS)}")


def open_folder(path, kind: str | None = None) -> Folder:
    """Detect the kind of ``path``, verify it and return what it holds (ResultsError otherwise)."""
    check_kind(kind)
    path = Path(path)
    if not path.is_dir():
        raise ResultsError(path, "there is no such folder")
    found = _sweep(path) if (path / PLAN).exists() else _job(path)
    if kind is not None and kind not in (found.kind, found.job_kind):
        raise ResultsError(path, f"it holds results of kind {found.kind!r}"
                           + (f" (jobs of {found.job_kind})" if found.kind == "sweep" else "") + f", not {kind!r}",
                           f"kind=None to load it as it is, or a folder of kind {kind!r}")
    return found


def _job(path: Path) -> Folder:
    state = inspect_job(path)
    if state.status == "failed":
        raise ResultsError(path, f"the job failed ({state.reason.splitlines()[0] if state.reason else 'see failure.json'}) "
                           "and wrote no results", "a finished job: rerun the command")
    if state.status == "unfinished" and not (path / MANIFEST).exists():
        hint = "it has no manifest.json: the job is still running, was interrupted, or this is not a result folder"
        raise ResultsError(path, hint)
    if not state.finished:
        raise ResultsError(path, f"it is incomplete or damaged ({state.reason or state.status}); "
                           "nothing was read from it", _redo(path))
    m = state.manifest
    tables = {Path(n).stem: path / n for n in m["files"] if n.endswith(".parquet")}
    return Folder(path, m["kind"], m["kind"], tables, m.get("config") or {}, m)


def _redo(path: Path) -> str:
    """How to get a finished job in place of a damaged one: a sweep's job is redone by rerunning
    the sweep into its folder (verified jobs are skipped); any other job writes a new folder, since
    a run never writes over files it did not create (the damaged folder's; a sensitivity analysis
    resumes only a folder without a manifest, told by the branch above)."""
    if (path.parent / PLAN).exists():
        return f"a finished job: rerun the sweep's command with hydra.sweep.dir={path.parent} (verified jobs are skipped)"
    return ("a finished job: rerun the command into a new folder (hydra.run.dir=...); this one is kept as it is, "
            "since a run does not write over files it did not create")


def _sweep(path: Path) -> Folder:
    plan = read_plan(path)
    try:
        report = json.loads((path / REPORT).read_text())
    except (OSError, ValueError):
        raise ResultsError(path, f"the sweep has not been combined ({REPORT} is missing or unreadable)",
                           f"a combined sweep: python -m experiments.aggregate {path}") from None
    if not report.get("complete") or report.get("state") != "done":
        missing = [*report.get("unfinished", []), *(f["job"] for f in report.get("failed", [])),
                   *(c["job"] for c in report.get("corrupt", []))]
        raise ResultsError(path, "the sweep is incomplete" + (f" (jobs without verified results: {', '.join(map(str, missing))})"
                                                              if missing else f" ({REPORT}: {report.get('state')})"),
                           f"a complete sweep: rerun the same command with hydra.sweep.dir={path} (verified jobs are "
                           "skipped), then load it")
    tables = {}
    for name, digest in sorted((report.get("tables") or {}).items()):
        file = path / name
        if not file.is_file():
            raise ResultsError(path, f"{name} is missing", f"the tables {REPORT} lists: rerun python -m experiments.aggregate {path}")
        if file_digest(file) != digest:
            raise ResultsError(path, f"{name} differs from the table the aggregation wrote (SHA-256 mismatch)",
                               f"the tables {REPORT} lists: rerun python -m experiments.aggregate {path}")
        tables[name.removesuffix(".parquet")] = file
    configs = {}
    for job in report.get("finished", []):
        manifest = read_manifest(path / str(job))
        if manifest is not None:
            configs[str(job)] = manifest.get("config") or {}
    return Folder(path, "sweep", plan["kind"], tables, {"plan": plan, "jobs": configs}, {**report, "plan": plan})


def _candidates(root: Path):
    """Result folders under ``root`` (job folders and sweeps), with a time to order them by."""
    for marker in (*root.rglob(MANIFEST), *root.rglob(PLAN)):
        folder = marker.parent
        if any(p.startswith(".partial-") for p in folder.parts):
            continue
        yield marker.stat().st_mtime, folder


def latest(kind: str | None = None, root=None) -> Folder:
    """The newest folder of ``kind`` under ``root`` (None: results/, outputs/ and multirun/ of
    the working directory) that verifies; folders that do not are passed over."""
    check_kind(kind)
    roots = [Path(root)] if root is not None else [Path(r) for r in DEFAULT_ROOTS]
    found = sorted((c for r in roots if r.is_dir() for c in _candidates(r)), key=lambda c: c[0], reverse=True)
    skipped = []
    for _, folder in found:
        if (folder / FAILURE).exists() and not (folder / MANIFEST).exists():
            continue
        manifest_kind = (read_manifest(folder) or {}).get("kind") if (folder / MANIFEST).exists() else "sweep"
        if kind is not None and manifest_kind != kind:
            continue
        try:
            return open_folder(folder, kind)
        except ResultsError as err:
            skipped.append(f"{folder}: {err.problem}")
    where = ", ".join(str(r) for r in roots)
    detail = f"; passed over {len(skipped)} that do not verify ({skipped[0]}{' ...' if len(skipped) > 1 else ''})" if skipped else ""
    raise ResultsError(where, f"no complete result folder{f' of kind {kind!r}' if kind else ''} was found{detail}",
                       f"a root holding results (root=...), or run the app first; kinds: {', '.join(KINDS)}")
