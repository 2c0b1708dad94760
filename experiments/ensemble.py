"""Run one experimental arm as a vectorised ensemble of replicates.

An arm is a list of Hydra overrides (e.g. ``["scenario=baseline_2010", "option=[nrc]"]``).
Replicate r of every arm gets the same seed (common random numbers), derived from the master
seed, so arms can be compared pair by pair. Replicates are advanced in chunks to bound memory;
since no replicate depends on another, chunking does not change any result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.config import load_config
from sim.errors import check_int, check_range
from sim.model import EurosecModel
from sim.spec import ModelSpec, compile_spec
from sim.streams import replicate_seeds


@dataclass(frozen=True)
class ArmResult:
    arm: str
    spec: ModelSpec
    summary: pd.DataFrame  # one row per (replicate, step)
    finals: pd.DataFrame  # one row per replicate: final outcomes and agreement flags
    trust: np.ndarray  # (R, n, n) float32 final trust matrices


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
            progress: bool = True) -> ArmResult:
    """Advance ``replicates`` replicates of ``spec`` to the horizon in chunks of ``chunk``."""
    seeds = replicate_seeds(master_seed, replicates)
    summaries, finals, trusts = [], [], []
    bar = tqdm(total=replicates * spec.horizon, desc=f"{arm:>18s}", unit="rep-mo", unit_scale=True,
               disable=not progress, leave=False)
    for start in range(0, replicates, chunk):
        part = seeds[start:start + chunk]
        model = EurosecModel(seeds=part, config=spec, record_events=False)
        while model.running:
            model.step()
            bar.update(len(part))
        s = model.summary()
        s["replicate"] += start
        summaries.append(s)
        finals.append(_finals(model, start))
        trusts.append(model.engine.state.trust.astype(np.float32))
    bar.close()
    summary = pd.concat(summaries, ignore_index=True)
    summary.insert(0, "arm", arm)
    final = pd.concat(finals, ignore_index=True)
    final.insert(0, "arm", arm)
    return ArmResult(arm, spec, summary, final, np.concatenate(trusts))


def _finals(model: EurosecModel, offset: int) -> pd.DataFrame:
    """Per replicate: last summary row, totals over the run, and whether each move was agreed."""
    s = model.summary()
    last = s[s["step"] == s["step"].max()].drop(columns=["date", "crises", "escalations"]).reset_index(drop=True)
    totals = s.groupby("replicate")[["crises", "escalations"]].sum().reset_index(drop=True)
    out = pd.concat([last, totals], axis=1)
    out["replicate"] += offset
    eng = model.engine
    for m in model.spec.moves:
        out[f"agreed_{m.id}"] = eng.enacted_at[:, m.index] >= 0
    return out
