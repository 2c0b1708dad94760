"""Run one experimental arm as a vectorised ensemble of replicates.

An arm is a list of Hydra overrides (e.g. ``["scenario=baseline_2010", "option=[nrc]"]``).
Replicate r of every arm gets the same seed (common random numbers), derived from the master
seed, so arms can be compared pair by pair. Replicates are advanced in chunks to bound memory;
since no replicate depends on another, chunking does not change any result. Full dyad matrices
are kept only when asked for, at a period and for a subset of replicates given by their global
index (the same replicates and values whatever the chunk size).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.app.folders import watch_parent
from sim.config import load_config
from sim.errors import ConfigError, check_int, check_range
from sim.model import EurosecModel
from sim.config.selection import check_replicate_selection, selected_replicates
from sim.output import outcomes
from sim.output.records import empty_dyads
from sim.resources import check_resources, estimate_ensemble
from sim.config.spec import ModelSpec, compile_spec
from sim.numerics.streams import replicate_seeds

log = logging.getLogger("eurosec.ensemble")


@dataclass(frozen=True)
class ArmResult:
    arm: str
    spec: ModelSpec
    summary: pd.DataFrame  # one row per (replicate, step)
    finals: pd.DataFrame  # one row per replicate: final outcomes and agreement flags
    trust: np.ndarray  # (R, n, n) float32 final trust matrices
    # one row per (replicate, step, observer, target) of the chosen replicates: trust, threat, posture
    dyads: pd.DataFrame | None = None


@dataclass
class EnsembleConfig:
    """Settings every ensemble app shares (values and comments: configs/ensemble_base.yaml). An
    app's schema derives from it through ``ensemble_schema`` and declares only its own fields
    (and the defaults it changes)."""
    seed: int = 0
    replicates: int = 1000
    chunk: int = 500
    workers: int = 0
    stage: str = "baseline_2010"
    level: float = 0.95
    progress: bool = True


ENSEMBLE_TAIL = ("level", "progress")  # printed after an app's own settings


def ensemble_schema(cls):
    """Class decorator for an app's schema deriving from EnsembleConfig: a dataclass whose fields
    are the shared ones from seed to stage, the app's own, then level and progress (the order
    ``--cfg job`` prints and config.yaml files are written in)."""
    cls = dataclass(cls)
    fields = cls.__dataclass_fields__
    order = [k for k in fields if k not in ENSEMBLE_TAIL] + [k for k in ENSEMBLE_TAIL if k in fields]
    cls.__dataclass_fields__ = {k: fields[k] for k in order}
    return cls


@dataclass
class DyadsConfig:
    """Full matrices kept by an experiment: every ``period`` months (0 = none), for ``replicates``
    (null = all, k = the first k, or a list of replicate indices)."""
    period: int = 12
    replicates: Any = 20  # Any: OmegaConf has no Union of int and list


def dyad_settings(cfg: dict) -> tuple[int, int | tuple[int, ...] | None]:
    """Checked ``dyads.period`` and ``dyads.replicates`` of an experiment config (after
    ``check_ensemble_settings``: list indices must exist among ``replicates``)."""
    d = cfg.get("dyads") or {}
    if not isinstance(d, dict):
        raise ConfigError("dyads", f"{d!r} is not a mapping", "{period: months, replicates: selection}")
    period = check_int("dyads.period", d.get("period", 0), 0, 12_000)
    return period, check_replicate_selection("dyads.replicates", d.get("replicates"), cfg["replicates"])


def check_ensemble_settings(cfg: dict) -> None:
    """Checks shared by every experiment: master seed, replicates (>= 2 for intervals), chunk, level."""
    check_int("seed", cfg["seed"], 0, 2**63 - 1)
    check_int("replicates", cfg["replicates"], 2, 10_000_000)
    check_int("chunk", cfg["chunk"], 1, 10_000_000)
    if "workers" in cfg:
        check_int("workers", cfg["workers"], 0, 4096)
    check_range("level", cfg["level"], 0.5, 0.999)


# roots of the model config an experiment's ``overrides`` may change (the stage, the arms, the
# seeds and the number of replicates are the experiment's own settings)
OVERRIDABLE = ("roster", "dynamics", "negotiation", "crises", "moves", "output", "irritant", "initial_trust",
               "scenario.")
OVERRIDES_ALLOWED = ("KEY=VALUE overrides of the model config, e.g. dynamics.spiral_bias=0.3, "
                     "irritant=[missile_defence], dynamics=calibrated, initial_trust=judgement_2010 or "
                     "scenario.horizon=60 (keys under: roster, dynamics, negotiation, crises, moves, output, "
                     "irritant, initial_trust, scenario.*)")


def check_option_list(names, key: str, what: str) -> None:
    """``names`` (the setting ``key``) are options of configs/option/, none listed twice."""
    from sim.config import config_groups

    options = config_groups()["option"]
    if len(set(names)) != len(names):
        raise ConfigError(key, f"{what} is listed twice", options)
    for k, name in enumerate(names):
        if name not in options:
            raise ConfigError(f"{key}[{k}]", f"unknown option {name!r}", options)


def check_overrides(overrides, key: str = "overrides") -> None:
    """Each override applied to every arm is a model-config ``KEY=VALUE`` that composes."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    if not isinstance(overrides, list | tuple):
        raise ConfigError(key, f"{overrides!r} is not a list", OVERRIDES_ALLOWED)
    parser = OverridesParser.create()
    for k, text in enumerate(overrides):
        name = f"{key}[{k}]"
        try:
            o = parser.parse_overrides([str(text)])[0]
        except Exception as err:  # noqa: BLE001 - Hydra's grammar errors: reported with the position
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ConfigError(name, f"{text!r} is not an override ({first})", OVERRIDES_ALLOWED) from None
        target = o.key_or_group.lstrip("+~")
        if o.is_sweep_override():
            raise ConfigError(name, f"{text!r} is a sweep; sweep whole comparisons with -m", OVERRIDES_ALLOWED)
        if not (target in OVERRIDABLE or target.split(".")[0] in OVERRIDABLE
                or any(target.startswith(p) for p in OVERRIDABLE if p.endswith("."))):
            raise ConfigError(name, f"{target!r} cannot be overridden per arm", OVERRIDES_ALLOWED)
        try:
            load_config([str(text)])
        except ConfigError as err:
            raise ConfigError(name, f"{text!r}: {err.problem}", err.allowed) from None


def arm_spec(overrides: list[str], extra: dict | None = None) -> ModelSpec:
    """Compile (and so validate) an arm's config before anything runs."""
    return compile_spec(set_keys(load_config(overrides), extra or {}))


def set_keys(config: dict, values: dict[str, Any]) -> dict:
    """``config`` with each dotted key of ``values`` (e.g. ``dynamics.spiral_bias``) set, in place."""
    for key, value in values.items():
        node = config
        *path, last = key.split(".")
        for part in path:
            node = node[part]
        node[last] = value
    return config


def run_arm(arm: str, spec: ModelSpec, master_seed: int, replicates: int, chunk: int = 500,
            progress: bool = True, dyad_period: int = 0, dyad_replicates: int | list[int] | None = None,
            per_step: list[str] | None = None) -> ArmResult:
    """Advance ``replicates`` replicates of ``spec`` to the horizon in chunks of ``chunk``.

    Full matrices are kept every ``dyad_period`` months (0, the default: none, whatever the
    spec's ``output.dyad_period``) for the replicates ``dyad_replicates`` selects by global index
    (None: all; k: the first k; a list: those). ``per_step`` (None: all) names the summary
    columns kept for every month; the finals keep every column."""
    watch_parent()  # in a worker process: stop if the launcher dies
    seeds = replicate_seeds(master_seed, replicates)
    chosen = selected_replicates(check_replicate_selection("dyads.replicates", dyad_replicates, replicates), replicates)
    summaries, finals, trusts, dyads = [], [], [], []
    bar = tqdm(total=replicates * spec.horizon, desc=f"{arm:>18s}", unit="rep-mo", unit_scale=True,
               disable=not progress, leave=False)
    for start in range(0, replicates, chunk):
        part = seeds[start:start + chunk]
        local = chosen[(chosen >= start) & (chosen < start + len(part))] - start
        # the chunk's model stores exactly the chosen replicates it holds (local indices)
        keep = dyad_period if local.size else 0
        model = EurosecModel(seeds=part, config=replace(spec, dyad_period=keep, dyad_replicates=tuple(map(int, local))),
                             record_events=False)
        while model.running:
            model.step()
            bar.update(len(part))
        s = model.summary()
        finals.append(_finals(model, start, s))
        s["replicate"] += start
        summaries.append(s if per_step is None else s[["replicate", "seed", "step", "date", *per_step]])
        trusts.append(model.engine.state.trust.astype(np.float32))
        if keep:
            d = model.dyads()
            d["replicate"] += start
            dyads.append(d)
    bar.close()
    summary = pd.concat(summaries, ignore_index=True)
    summary.insert(0, "arm", arm)
    final = pd.concat(finals, ignore_index=True)
    final.insert(0, "arm", arm)
    dyad = pd.concat(dyads, ignore_index=True) if dyads else empty_dyads(spec.ids)
    dyad.insert(0, "arm", arm)
    return ArmResult(arm, spec, summary, final, np.concatenate(trusts), dyad)


def _finals(model: EurosecModel, offset: int, s: pd.DataFrame) -> pd.DataFrame:
    """Per replicate: every outcome at the horizon as its declaration reduces it (the last
    month's value; run totals of flows such as crises), and whether each move was agreed
    (``s``: the model's summary, replicates numbered from 0 within the chunk)."""
    out = outcomes.finals(s, model.recorder.outcome_columns)
    out["replicate"] += offset
    eng = model.engine
    for m in model.spec.moves:
        if not m.in_force:  # a format in force at the start was not agreed in the run
            out[f"agreed_{m.id}"] = eng.book.enacted_at[:, m.index] >= 0
    return out


def resolve_workers(workers: int, arms: int) -> int:
    """Processes to run arms in: ``workers`` if set (> 0); else one per available core, at most
    one per arm, and 1 inside a Hydra multirun (whose launcher already runs jobs in parallel)."""
    if workers > 0:
        return min(workers, arms)
    try:
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
            return 1
    except ImportError:  # pragma: no cover - hydra is a dependency
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, arms))


def run_arms(specs: dict[str, ModelSpec], master_seed: int, replicates: int, chunk: int = 500,
             progress: bool = True, workers: int = 1, dyad_period: int = 0,
             dyad_replicates: int | list[int] | None = None, per_step: list[str] | None = None) -> list[ArmResult]:
    """Run every arm (name -> spec) on the same replicate seeds, in ``workers`` processes.

    Arms are independent and each replicate depends only on its seed, so the results are the
    same whatever the number of workers; they are returned in the order of ``specs``. An
    ensemble that would not fit in memory is refused before anything runs."""
    check_int("replicates", replicates, 1, 10_000_000)
    check_int("chunk", chunk, 1, 10_000_000)
    check_resources(estimate_ensemble(specs, replicates, chunk, workers, dyad_period,
                                      check_replicate_selection("dyads.replicates", dyad_replicates, replicates),
                                      per_step))
    def describe(arm: str, spec: ModelSpec) -> None:
        log.info("arm %s: %d replicates, scenario %s, moves %s", arm, replicates, spec.scenario_name,
                 ", ".join(m.id for m in spec.moves) or "none")

    if workers <= 1 or len(specs) <= 1:
        results = []
        for arm, spec in specs.items():
            describe(arm, spec)
            results.append(run_arm(arm, spec, master_seed, replicates, chunk, progress, dyad_period, dyad_replicates,
                                   per_step))
        return results
    from joblib import Parallel, delayed

    log.info("running %d arms in %d processes", len(specs), workers)
    for arm, spec in specs.items():
        describe(arm, spec)
    done: dict[str, ArmResult] = {}
    bar = tqdm(total=len(specs), desc="arms", unit="arm", disable=not progress)
    tasks = (delayed(run_arm)(arm, spec, master_seed, replicates, chunk, False, dyad_period, dyad_replicates, per_step)
             for arm, spec in specs.items())
    for result in Parallel(n_jobs=workers, return_as="generator_unordered")(tasks):
        done[result.arm] = result
        bar.update(1)
        log.info("arm %s finished", result.arm)
    bar.close()
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)  # idle workers would hold their memory while results are written
    return [done[arm] for arm in specs]

