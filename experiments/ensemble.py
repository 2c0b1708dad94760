"""Run one experimental arm as a vectorised ensemble of replicates.

An arm is a list of Hydra overrides (e.g. ``["scenario=baseline_2010", "option=[nrc]"]``).
Replicate r of every arm gets the same seed (common random numbers), derived from the master
seed, so arms can be compared pair by pair. Replicates are advanced in chunks to bound memory;
since no replicate depends on another, chunking does not change any result. Full dyad matrices
are kept only when asked for, at a period and for a subset of replicates given by their global
index (the same replicates and values whatever the chunk size).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.config import load_config
from sim.errors import ConfigError, check_int, check_range
from sim.model import EurosecModel
from sim.records import check_replicate_selection, empty_dyads, selected_replicates
from sim.spec import ModelSpec, compile_spec
from sim.streams import replicate_seeds


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
    check_range("level", cfg["level"], 0.5, 0.999)


def arm_spec(overrides: list[str], extra: dict | None = None) -> ModelSpec:
    """Compile (and so validate) an arm's config before anything runs."""
    cfg = load_config(overrides)
    for key, value in (extra or {}).items():
        node = cfg
        *path, last = key.split(".")
        for part in path:
            node = node[part]
        node[last] = value
    return compile_spec(cfg)


def run_arm(arm: str, spec: ModelSpec, master_seed: int, replicates: int, chunk: int = 500,
            progress: bool = True, dyad_period: int = 0, dyad_replicates: int | list[int] | None = None) -> ArmResult:
    """Advance ``replicates`` replicates of ``spec`` to the horizon in chunks of ``chunk``.

    Full matrices are kept every ``dyad_period`` months (0, the default: none, whatever the
    spec's ``output.dyad_period``) for the replicates ``dyad_replicates`` selects by global index
    (None: all; k: the first k; a list: those)."""
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
        summaries.append(s)
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
    """Per replicate: last summary row, totals over the run, and whether each move was agreed
    (``s``: the model's summary, replicates numbered from 0 within the chunk)."""
    last = s[s["step"] == s["step"].max()].drop(columns=["date", "crises", "escalations"]).reset_index(drop=True)
    totals = s.groupby("replicate")[["crises", "escalations"]].sum().reset_index(drop=True)
    out = pd.concat([last, totals], axis=1)
    out["replicate"] += offset
    eng = model.engine
    for m in model.spec.moves:
        out[f"agreed_{m.id}"] = eng.enacted_at[:, m.index] >= 0
    return out
