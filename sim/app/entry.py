"""The checked entry point of eurosec's command-line apps (``sim.run``,
``experiments.compare_options``, ``experiments.combinations``).

Before Hydra creates a folder or starts a job, on the whole command line:

1. every YAML file of a ``--config-dir`` is read as data (sim.app.userfiles);
2. config-group choices exist and none is listed twice, in every value of a sweep;
3. every job's config is composed as Hydra will compose it and checked by the app's own
   validation; its memory and disk needs are estimated and compared with what is free;
4. the output folder is claimed: refused if it holds a name the run would write (unless it is
   the same sweep being resumed), created, locked, and pinned on the command line so Hydra
   uses exactly that folder. A sweep's plan (``sweep.json``) is written.

Bad input prints one paragraph and exits with status 2, leaving nothing behind. Then Hydra runs;
a sweep ends with its jobs verified and combined (sim.app.aggregate), exiting with status 1 if
anything is missing, failed or corrupt. If the run wrote no results, what it created is removed.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sim.app import aggregate as agg
from sim.app.checks import Composition, check_group_overrides, compose, hydra_args
from sim.app.folders import Claim, claim, mark_launcher
from sim.app.manifest import FAILURE, MANIFEST
from sim.app.userfiles import check_config_dir
from sim.errors import ConfigError

log = logging.getLogger("eurosec")
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class App:
    """What the entry point needs to know of an app."""

    kind: str  # the job kind written into manifests: run, compare_options, combinations
    config_name: str  # the primary config under configs/
    validate: Callable[[dict], object]  # the app's checks of a resolved config; returns what they built
    estimate: Callable[[dict, object], object] | None = None  # resources of one job (sim.resources.Estimate)
    results: tuple[str, ...] = ()  # the files a job writes into its folder
    aliases: dict[str, str] = field(default_factory=dict)  # plain keys naming group members: {"arms": "option"}
    # a single run that can be resumed in its own folder: (folder, config) -> True if the folder
    # holds this same run, interrupted (its names are then not refused); ConfigError if it holds
    # another run's unfinished work (experiments.sensitivity: finished chunks of samples)
    resumable: Callable[[Path, dict], bool] | None = None


def _job_names(app: App, job_name: str) -> list[str]:
    return [*app.results, MANIFEST, FAILURE, ".hydra", f"{job_name}.log"]


def _concurrency(comp: Composition) -> int | None:
    """Jobs running at once on this machine (None: they run elsewhere, on a cluster)."""
    target = str(comp.launcher.get("_target_", ""))
    jobs = max(len(comp.jobs), 1)
    if "BasicLauncher" in target:
        return 1
    if "Joblib" in target:
        n = comp.launcher.get("n_jobs", -1)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        n = cores if not isinstance(n, int) or n < 0 else max(n, 1)
        return min(n, jobs)
    if "LocalLauncher" in target or "submitit_local" in target:
        return jobs
    return None


def check_resources(app: App, comp: Composition, built: list[object]) -> None:
    """Memory of the jobs that run at once, and disk of all of them, against what is free."""
    if app.estimate is None or not comp.jobs:
        return
    from sim.resources import Estimate, check_resources as check

    estimates: list[Estimate] = [app.estimate(job.config, b) for job, b in zip(comp.jobs, built, strict=True)]
    if not comp.multirun:
        check(estimates[0], comp.folder)
        return
    at_once = _concurrency(comp)
    biggest = max(estimates, key=lambda e: e.memory)
    total_disk = sum(e.disk for e in estimates)
    if at_once is None:  # jobs run on other machines (a cluster): only their results come back here
        check(Estimate(memory=0, disk=total_disk, parts={}), comp.folder)
        return
    try:
        check(biggest.scaled(at_once, disk=total_disk), comp.folder)
    except ConfigError as err:
        if at_once > 1:
            raise ConfigError(err.key, f"{err.problem} ({at_once} sweep jobs run at once)",
                              f"{err.allowed}; or fewer jobs at once (hydra.launcher.n_jobs=1)") from None
        raise


def check_jobs(app: App, argv: list[str], resources: bool = True) -> Composition | None:
    """Steps 1-3 of the module docstring: user files, group choices, every job composed and
    validated, resources. Returns what Hydra will run (None for runs that only print or that
    Hydra refuses itself); raises ConfigError naming the key (and the sweep job)."""
    args = hydra_args(argv, strict=True)
    for folder in [args.config_dir] if args.config_dir else []:
        check_config_dir(Path(folder))
    check_group_overrides(argv, app.aliases)
    comp = compose(argv, app.config_name)
    if comp is None:
        return None
    built = []
    for job in comp.jobs:
        try:
            built.append(app.validate(job.config))
        except ConfigError as err:
            if not comp.multirun:
                raise
            raise ConfigError(err.key, f"{err.problem} (sweep job {job.num}: {job.label})", err.allowed) from None
    comp.built = built
    if resources:
        check_resources(app, comp, built)
    return comp


def app_config(app: App, overrides: list[str]) -> dict:
    """The config one run of ``app`` gets from ``overrides`` (as on its command line), composed as
    Hydra composes it: for calling the app's own function from Python (a notebook), e.g.
    ``compare_options.compare(app_config(compare_options.app(), ["replicates=100"]), folder)``,
    which validates it before running anything (so it is not validated twice here)."""
    if any(o in ("-m", "--multirun") for o in overrides):
        raise ConfigError("overrides", "a sweep (-m) runs through the command line", "the overrides of one run")
    check_group_overrides(list(overrides), app.aliases)
    comp = compose(list(overrides), app.config_name)
    if comp is None:
        raise ConfigError("overrides", f"{' '.join(overrides)!r} runs nothing", "the overrides of one run")
    return comp.jobs[0].config


def preflight(app: App, argv: list[str], job_name: str) -> tuple[Composition | None, Claim | None]:
    """Steps 1-4 of the module docstring; returns what Hydra will run and the claimed folder
    (None, None for runs that only print or that Hydra refuses itself)."""
    comp = check_jobs(app, argv, resources=False)
    if comp is None:
        return None, None
    if not comp.multirun:
        config = comp.jobs[0].config if comp.jobs else {}
        c = claim(comp.folder, _job_names(app, job_name), "hydra.run.dir",
                  (lambda folder: app.resumable(folder, config)) if app.resumable else None)
        try:  # after the claim, so that a folder that cannot be written is named as such
            check_resources(app, comp, comp.built)
        except BaseException:
            c.release(keep_results=False, job_name=job_name)
            raise
        return comp, c
    plan = agg.plan_of(app.kind, comp.jobs, comp.planned, comp.default_subdir)

    def resumable(folder: Path) -> bool:
        old = agg.read_plan(folder)
        if old is None:
            return False
        if not agg.same_plan(old, plan):
            raise ConfigError("hydra.sweep.dir", f"{folder} holds another sweep (its sweep.json plans other jobs); "
                              "a sweep folder is resumed only by the same command",
                              "the same command as before, or a new folder")
        return True

    owned = ["multirun.yaml", agg.PLAN, agg.REPORT, *agg.COMBINED,
             *([str(j.num) for j in comp.jobs] if comp.default_subdir else [])]
    c = claim(comp.folder, owned, "hydra.sweep.dir", resumable)
    try:
        check_resources(app, comp, comp.built)
        agg.write_json_atomic(comp.folder / agg.PLAN, plan)
    except OSError as err:
        c.release(keep_results=False)
        raise ConfigError("hydra.sweep.dir", f"cannot write into {comp.folder}: {err.strerror}",
                          "a folder you can write to") from None
    except BaseException:
        c.release(keep_results=False)
        raise
    return comp, c


def _quote(path: Path) -> str:
    return "'" + str(path).replace("\\", "\\\\").replace("'", "\\'") + "'"


def checked_entry(main: Callable[[], None], app: App) -> None:
    """Run the Hydra ``main`` of ``app`` behind the checks of the module docstring."""
    argv = sys.argv[1:]
    job_name = Path(sys.argv[0]).stem
    try:
        comp, claimed = preflight(app, argv, job_name)
    except ConfigError as err:
        print(f"eurosec: {err}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    if comp is None:
        main()
        return
    # Hydra uses exactly the folder that was checked and locked (its ${now:...} is not re-read)
    sys.argv.append(f"hydra.{'sweep' if comp.multirun else 'run'}.dir={_quote(comp.folder)}")
    mark_launcher()
    status: int | str | None = 0
    try:
        main()
    except SystemExit as exit_:
        status = exit_.code
    except BaseException:
        status = 1
        raise
    finally:
        if comp.multirun:
            status = _finish_sweep(comp, claimed, status)
        else:
            claimed.release(keep_results=(comp.folder / MANIFEST).exists(), job_name=job_name)
    if status not in (0, None):
        sys.exit(status)


def _finish_sweep(comp: Composition, claimed: Claim, status) -> int | str | None:
    """Verify and combine the jobs (whatever Hydra's outcome), release the folder."""
    started = any(p.is_dir() and not p.name.startswith(".") for p in comp.folder.iterdir())
    try:
        if started:
            report = agg.aggregate(comp.folder)
            if not report["complete"] and status in (0, None):
                status = 1
    except agg.AggregateError as err:
        print(f"eurosec: {err}. No combined table was kept; the jobs' own results are intact: run "
              f"`python -m experiments.aggregate {comp.folder}` once the cause is fixed.", file=sys.stderr)
        status = 1
    except ConfigError as err:
        print(f"eurosec: {err}", file=sys.stderr)
        status = 1
    finally:
        if not started and claimed.created:
            (comp.folder / agg.PLAN).unlink(missing_ok=True)
            (comp.folder / "multirun.yaml").unlink(missing_ok=True)
        claimed.release(keep_results=started)
    return status
