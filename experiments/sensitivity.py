"""Global sensitivity analysis and scenario discovery (a Hydra app).

    python -m experiments.sensitivity                                   # = make sensitivity
    python -m experiments.sensitivity samples=64 replicates=50 options=[nrc,solidarity,no_contingency]
    python -m experiments.sensitivity method=morris samples=20
    python -m experiments.sensitivity +ranges.negotiation.max_attempts=[2,5]   # a narrower range
    python -m experiments.sensitivity hydra.run.dir=FOLDER             # resume an interrupted run

Which parameters decide each conclusion, and which conclusions are robust? The parameters named
in ``parameters`` are sampled jointly over the ranges declared for them in
``sim/config/schema.py: EXPLORED`` (docs/parameters.md; ``ranges`` may narrow one inside its
accepted range), with a Sobol' design (Saltelli's scheme as SALib's ``sobol`` sampler draws it:
N (D + 2) points for D parameters and N base samples) or a Morris design (N trajectories of D + 1
points), both from SALib. An integer parameter is sampled uniformly over low..high inclusive
(the design's continuous value, floored). At every point of the design, and at the defaults,
the same arms run through the vectorised runner (experiments.ensemble) on the same
``replicates`` seeds (common random numbers across points and arms):

- ``baseline``: the stage (``baseline_2010``) with no move;
- ``incremental_web`` and ``treaty_track``: the two scenarios the paper weighs;
- each option of ``options``, alone on the stage, tabled in month ``start``.

Outcomes per point (means over the seeds, with their standard errors): mean East-West trust at
the horizon (the six key dyads between Russia and NATO, the EU and the USA), Russia's trust in
NATO and mean threat in the baseline; the share of treaty_track runs in which the treaty is
agreed; the web minus the treaty on mean East-West trust (paired by seed); and for each option
its effect on Russia's trust in NATO and on East-West trust (its arm minus the baseline at the
same point and seeds) and the share of runs agreeing it. For each outcome SALib gives the
first-order and total Sobol' indices (S1, ST) with bootstrap confidence intervals (or Morris'
mu* and sigma). PRIM (experiments/prim.py) then finds the regions of the parameter space where
the web beats the treaty and where each option raises Russia's trust in NATO, and where not.

The work is done in chunks of ``points_per_chunk`` points; each finished chunk is written to
``chunks/`` in the run folder with its SHA-256 in ``chunks/ledger.json``. Rerunning the same
command with ``hydra.run.dir=FOLDER`` continues an interrupted run: finished chunks are verified
(size, SHA-256, config) and reused, a chunk that fails verification is computed again and named
in the report, never mixed in. The tables equal those of an uninterrupted run.

Writes ``samples.parquet`` (one row per point and outcome, with the point's parameter values),
``indices.parquet`` (one row per outcome, parameter and index), ``conclusions.parquet`` (per
outcome: the value at the defaults and its spread over the design), ``boxes.parquet`` (PRIM boxes
per target and parameter, with coverage and density), ``sensitivity.png``, ``prim.png``,
``sensitivity.json``, ``config.yaml`` and ``metadata.json``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import hydra
import numpy as np
import pandas as pd
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf
from tqdm import tqdm

from experiments.ensemble import (EnsembleConfig, check_ensemble_settings, check_option_list, ensemble_schema, resolve_workers,
                                  run_arms, set_keys)
from experiments.prim import prim
from sim import __version__
from sim.app.aggregate import write_json_atomic
from sim.app.entry import App, checked_entry
from sim.app.jobs import run_job
from sim.app.manifest import MANIFEST, AtomicResults, file_digest
from sim.config import load_config
from sim.config.spec import compile_spec
from sim.errors import ConfigError, check_int, check_range
from sim.numerics.streams import replicate_seeds
from sim.output.files import run_metadata, write_parquet, write_yaml

log = logging.getLogger("eurosec.sensitivity")

EAST_WEST = ("trust_RUS_NATO", "trust_NATO_RUS", "trust_RUS_EU", "trust_EU_RUS", "trust_RUS_USA", "trust_USA_RUS")
SCENARIOS = ("incremental_web", "treaty_track")
TREATY = "medvedev_treaty"
METHODS = ("sobol", "morris")
CHUNKS = "chunks"
PLAN = "plan.json"
LEDGER = "ledger.json"
# settings that do not change any result: a run resumed with other values is the same run
NOT_RESULTS = ("progress", "workers")
# PRIM looks for a box only where the statement holds at this many points at least
MIN_CASES = 5


# --------------------------------------------------------------------------- declarations

@dataclass(frozen=True)
class Sampled:
    """One sampled parameter, derived from its declaration (sim/config/schema.py): dotted key,
    range, kind (float or int) and its name in words."""
    key: str
    low: float
    high: float
    kind: str
    label: str
    default: float | int | None = None  # the declared default (None: per move, read from the arm's config)

    def values(self, u: np.ndarray) -> np.ndarray:
        """Design values (on [low, high], or [low, high + 1) for integers) to model values."""
        return np.floor(u).astype(np.int64).clip(int(self.low), int(self.high)) if self.kind == "int" else u

    @property
    def bounds(self) -> list[float]:
        return [self.low, self.high + 1] if self.kind == "int" else [self.low, self.high]


@dataclass(frozen=True)
class Outcome:
    name: str
    label: str  # in words, with its scale
    arm: str  # the arm it is read from; "a-b" for a paired difference


def outcomes_for(options: list[str]) -> list[Outcome]:
    """The outcomes of one point, in table order."""
    out = [Outcome("east_west_trust", "Mean East-West trust at the horizon, baseline (0-1)", "baseline"),
           Outcome("trust_RUS_NATO", "Russia's trust in NATO at the horizon, baseline (0-1)", "baseline"),
           Outcome("mean_threat", "Mean threat perception at the horizon, baseline (0-1)", "baseline"),
           Outcome("treaty_agreed_share", "Share of treaty-track runs agreeing the Medvedev treaty (0-1)", "treaty_track"),
           Outcome("web_minus_treaty", "Incremental web minus treaty track, mean East-West trust (difference, 0-1 scale)",
                   "incremental_web-treaty_track")]
    for o in options:
        out += [Outcome(f"effect_{o}_trust_RUS_NATO", f"Effect of option '{o}' on Russia's trust in NATO (difference)",
                        f"{o}-baseline"),
                Outcome(f"effect_{o}_east_west_trust", f"Effect of option '{o}' on mean East-West trust (difference)",
                        f"{o}-baseline"),
                Outcome(f"agreed_{o}_share", f"Share of runs agreeing option '{o}' (0-1)", o)]
    return out


def prim_targets(options: list[str]) -> list[tuple[str, str, str, bool]]:
    """PRIM's questions: (target name, outcome, its meaning, True for outcome > 0 else <= 0)."""
    out = [("web_beats_treaty", "web_minus_treaty", "the incremental web beats the treaty track on East-West trust",
            True),
           ("treaty_not_beaten", "web_minus_treaty", "the treaty track does at least as well as the web", False)]
    for o in options:
        out += [(f"{o}_raises_RUS_NATO", f"effect_{o}_trust_RUS_NATO", f"option '{o}' raises Russia's trust in NATO",
                 True),
                (f"{o}_does_not_raise_RUS_NATO", f"effect_{o}_trust_RUS_NATO",
                 f"option '{o}' does not raise Russia's trust in NATO", False)]
    return out


# --------------------------------------------------------------------------- the app's settings

@dataclass
class PrimSettings:
    """PRIM's settings (experiments/prim.py)."""
    alpha: float = 0.05
    min_mass: float = 0.05
    threshold: float = 0.8
    max_boxes: int = 2
    prune: float = 0.02


@ensemble_schema
class SensitivityConfig(EnsembleConfig):
    """This app's settings besides the shared ones (EnsembleConfig)."""
    replicates: int = 30
    method: str = "sobol"
    samples: int = 8
    parameters: list[str] = field(default_factory=list)
    ranges: dict[str, Any] = field(default_factory=dict)
    options: list[str] = field(default_factory=list)
    start: int = 1
    points_per_chunk: int = 16
    morris_levels: int = 4
    bootstrap: int = 1000
    prim: PrimSettings = field(default_factory=PrimSettings)


ConfigStore.instance().store(name="sensitivity_schema", node=SensitivityConfig)
RESULTS = ("samples.parquet", "indices.parquet", "conclusions.parquet", "boxes.parquet", "sensitivity.png", "prim.png",
           "sensitivity.json", "config.yaml", "metadata.json")


def sampled_parameters(cfg: dict) -> list[Sampled]:
    """The parameters to sample, each checked against its declaration."""
    from sim.config.schema import EXPLORED, declared_param, explored_range

    keys = cfg["parameters"]
    allowed = ", ".join(EXPLORED)
    if not isinstance(keys, list | tuple) or not keys:
        raise ConfigError("parameters", "no parameters to sample", f"a list of keys of docs/parameters.md, e.g. {allowed}")
    if len(set(keys)) != len(keys):
        raise ConfigError("parameters", "a parameter is listed twice", allowed)
    raw = cfg.get("ranges") or {}
    if not isinstance(raw, dict):
        raise ConfigError("ranges", f"{raw!r} is not a mapping", "{key: [low, high]}")
    ranges = flat_ranges(raw)
    for key in ranges:
        if key not in keys:
            raise ConfigError(f"ranges.{key}", "a range for a parameter that is not sampled", keys)
    out = []
    for k, key in enumerate(keys):
        try:
            p = declared_param(str(key))
        except KeyError:
            raise ConfigError(f"parameters[{k}]", f"{key!r} is not a declared numeric model parameter",
                              f"a numeric key of docs/parameters.md with an explored range ({allowed}), or another "
                              "numeric key with its range in `ranges`") from None
        acc_low = -math.inf if p.low is None else float(p.low)
        acc_high = math.inf if p.high is None else float(p.high)
        if key in ranges:
            r = ranges[key]
            if not (isinstance(r, list | tuple) and len(r) == 2):
                raise ConfigError(f"ranges.{key}", f"{r!r} is not a [low, high] pair", "[low, high]")
            low = check_range(f"ranges.{key}[0]", r[0], acc_low, acc_high)
            high = check_range(f"ranges.{key}[1]", r[1], acc_low, acc_high)
            label = explored_range(key).label if key in EXPLORED else key
        elif key in EXPLORED:
            e = explored_range(key)
            low, high, label = float(e.low), float(e.high), e.label
        else:
            raise ConfigError(f"parameters[{k}]", f"{key!r} has no explored range declared (sim/config/schema.py: "
                              "EXPLORED)", f"give one inside its accepted range {acc_low:g}-{acc_high:g}: "
                              f"+ranges.{key}=[low,high]")
        if p.kind == "int" and (low != int(low) or high != int(high)):
            raise ConfigError(f"ranges.{key}", f"[{low:g}, {high:g}] has non-integer ends for an integer parameter",
                              "integers")
        if not low < high:
            raise ConfigError(f"ranges.{key}", f"low {low:g} is not below high {high:g}", "low < high")
        out.append(Sampled(str(key), low, high, p.kind, label,
                           None if str(key).startswith("moves.") else
                           (int(p.default) if p.kind == "int" else float(p.default))))
    return out


def flat_ranges(raw: dict, prefix: str = "") -> dict[str, Any]:
    """``ranges`` as {dotted key: [low, high]}: nested (``+ranges.negotiation.max_attempts=[2,5]``
    on the command line) or dotted (``{negotiation.max_attempts: [2, 5]}`` in a YAML file)."""
    out = {}
    for k, v in raw.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flat_ranges(v, key + "."))
        else:
            out[key] = v
    return out


def check_prim(cfg: dict) -> None:
    p = cfg["prim"]
    for key in p:
        if key not in ("alpha", "min_mass", "threshold", "max_boxes", "prune"):
            raise ConfigError(f"prim.{key}", "unknown PRIM setting", "alpha, min_mass, threshold, max_boxes, prune")
    check_range("prim.alpha", p["alpha"], 0.01, 0.49)
    check_range("prim.min_mass", p["min_mass"], 0.001, 0.9)
    check_range("prim.threshold", p["threshold"], 0.0, 1.0)
    check_int("prim.max_boxes", p["max_boxes"], 1, 20)
    check_range("prim.prune", p.get("prune", 0.02), 0.0, 1.0)


def arm_overrides(cfg: dict) -> dict[str, list[str]]:
    """Each arm's Hydra overrides."""
    arms = {"baseline": [f"scenario={cfg['stage']}", "option=[]"]}
    arms.update({s: [f"scenario={s}"] for s in SCENARIOS})
    arms.update({o: [f"scenario={cfg['stage']}", f"option=[{o}]"] for o in cfg["options"]})
    return arms


def _has(config: dict, key: str) -> bool:
    node = config
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def validate(cfg: dict) -> dict:
    """Check every setting and compose every arm before anything runs."""
    check_ensemble_settings(cfg)
    if cfg["method"] not in METHODS:
        raise ConfigError("method", f"unknown method {cfg['method']!r}", METHODS)
    n = check_int("samples", cfg["samples"], 1, 1_000_000)
    if cfg["method"] == "sobol" and n & (n - 1):
        raise ConfigError("samples", f"{n} is not a power of 2 (the Sobol' sequence's balance needs one)",
                          "1, 2, 4, 8, 16, 32, 64, ...")
    if cfg["method"] == "morris":
        check_int("morris_levels", cfg["morris_levels"], 2, 100)
    check_int("points_per_chunk", cfg["points_per_chunk"], 1, 1_000_000)
    check_int("bootstrap", cfg["bootstrap"], 10, 1_000_000)
    check_prim(cfg)
    params = sampled_parameters(cfg)
    check_option_list(cfg["options"], "options", "an option")
    configs = {}
    for arm, overrides in arm_overrides(cfg).items():
        config = load_config(overrides)
        if arm in cfg["options"]:
            set_keys(config, {f"moves.{arm}.start": cfg["start"]})
        configs[arm] = config
    base = compile_spec(copy.deepcopy(configs["baseline"]))
    if any(not (m.in_force or m.history) for m in base.moves):
        raise ConfigError("stage", f"{cfg['stage']} schedules moves, so it cannot serve as the baseline",
                          "a scenario without scheduled moves, e.g. baseline_2010")
    check_int("start", cfg["start"], 1, base.horizon)
    for p in params:
        if not any(_has(c, p.key) for c in configs.values()):
            raise ConfigError("parameters", f"{p.key!r} acts in none of the arms (no arm has that move)",
                              "a move of the arms, e.g. moves.medvedev_treaty.ratification_cost (treaty_track)")
    # every arm compiles at both ends of every range (values the design reaches)
    for arm, config in configs.items():
        for end in ("low", "high"):
            values = {p.key: (int(getattr(p, end)) if p.kind == "int" else getattr(p, end))
                      for p in params if _has(config, p.key)}
            compile_spec(set_keys(copy.deepcopy(config), values))
    problem = {"num_vars": len(params), "names": [p.key for p in params], "bounds": [p.bounds for p in params]}
    design = sample_design(cfg, problem)
    if len(design) < 2:
        raise ConfigError("samples", "the design has fewer than 2 points", "more samples")
    return {"params": params, "configs": {a: json.dumps(c) for a, c in configs.items()}, "problem": problem,
            "design": design, "outcomes": outcomes_for(cfg["options"])}


def sample_design(cfg: dict, problem: dict) -> np.ndarray:
    """The design's points (rows) in design units (SALib)."""
    if cfg["method"] == "sobol":
        from SALib.sample import sobol as sobol_sample

        return sobol_sample.sample(problem, cfg["samples"], calc_second_order=False, scramble=True, seed=cfg["seed"])
    from SALib.sample import morris as morris_sample

    return morris_sample.sample(problem, cfg["samples"], num_levels=cfg["morris_levels"], seed=cfg["seed"])


def estimate(cfg: dict, built: dict):
    from sim.resources import Estimate, estimate_ensemble

    arms = list(arm_overrides(cfg))
    specs = {f"p{i}|{a}": compile_spec(json.loads(built["configs"][a])) for i in range(min(2, cfg["points_per_chunk"]))
             for a in arms}
    e = estimate_ensemble(specs, cfg["replicates"], cfg["chunk"], resolve_workers(cfg["workers"], len(specs)), 0, 0, [],
                          tables=False)
    points = len(built["design"]) + 1
    disk = points * len(built["outcomes"]) * 200 * 2 + 2_000_000  # chunks and the final tables, with figures
    return Estimate(memory=e.memory, disk=disk, parts=e.parts)


# --------------------------------------------------------------------------- one chunk of points

def point_values(params: list[Sampled], design: np.ndarray) -> list[dict[str, Any]]:
    """Model values per point: point 0 is the defaults (None where a move's own value stands),
    then the design's rows."""
    rows = [{p.key: p.default for p in params}]
    cols = [p.values(design[:, j]) for j, p in enumerate(params)]
    for i in range(len(design)):
        rows.append({p.key: (int(cols[j][i]) if p.kind == "int" else float(cols[j][i])) for j, p in enumerate(params)})
    return rows


def east_west(finals: pd.DataFrame) -> np.ndarray:
    return finals[list(EAST_WEST)].to_numpy(np.float64).mean(axis=1)


def run_chunk(cfg: dict, built: dict, points: range, values: list[dict], workers: int) -> pd.DataFrame:
    """Run every arm at each point of ``points``; one row per (point, outcome)."""
    arms = list(arm_overrides(cfg))
    specs = {}
    for i in points:
        for arm in arms:
            config = json.loads(built["configs"][arm])
            set_keys(config, {k: v for k, v in values[i].items() if v is not None and _has(config, k)})
            specs[f"p{i}|{arm}"] = compile_spec(config)
    results = run_arms(specs, cfg["seed"], cfg["replicates"], cfg["chunk"], False, min(workers, len(specs)), 0, 0, [])
    finals = {r.arm: r.finals.sort_values("replicate").reset_index(drop=True) for r in results}
    rows = []
    for i in points:
        f = {arm: finals[f"p{i}|{arm}"] for arm in arms}

        def add(name: str, x: np.ndarray, i: int = i) -> None:
            x = np.asarray(x, np.float64)
            rows.append({"point": i, "outcome": name, "estimate": float(x.mean()),
                         "std_error": float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan,
                         "replicates": int(x.size)})

        base_ew = east_west(f["baseline"])
        add("east_west_trust", base_ew)
        add("trust_RUS_NATO", f["baseline"]["trust_RUS_NATO"])
        add("mean_threat", f["baseline"]["mean_threat"])
        add("treaty_agreed_share", f["treaty_track"][f"agreed_{TREATY}"].astype(float))
        add("web_minus_treaty", east_west(f["incremental_web"]) - east_west(f["treaty_track"]))
        for o in cfg["options"]:
            add(f"effect_{o}_trust_RUS_NATO", f[o]["trust_RUS_NATO"].to_numpy(np.float64)
                - f["baseline"]["trust_RUS_NATO"].to_numpy(np.float64))
            add(f"effect_{o}_east_west_trust", east_west(f[o]) - base_ew)
            add(f"agreed_{o}_share", f[o][f"agreed_{o}"].astype(float))
    return pd.DataFrame(rows).astype({"point": "int64", "outcome": "string", "estimate": "float64",
                                      "std_error": "float64", "replicates": "int64"})


# --------------------------------------------------------------------------- chunks and resuming

def plan_hash(cfg: dict) -> str:
    """The identity of a run's results: its config without the settings that change none."""
    kept = {k: v for k, v in cfg.items() if k not in NOT_RESULTS}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()[:16]


def resumable(folder: Path, cfg: dict) -> bool:
    """For the entry point: True if ``folder`` holds this same run, unfinished."""
    plan = Path(folder) / CHUNKS / PLAN
    if not plan.exists() or (Path(folder) / MANIFEST).exists():
        return False
    try:
        old = json.loads(plan.read_text())
    except (OSError, ValueError):
        raise ConfigError("hydra.run.dir", f"{plan} cannot be read", "the folder of an interrupted run of the same "
                          "command, or a new folder") from None
    if old.get("plan_hash") != plan_hash(cfg):
        raise ConfigError("hydra.run.dir", f"{folder} holds the unfinished chunks of another sensitivity run (other "
                          "settings); a run is resumed only by the same command", "the same command as before, or a "
                          "new folder")
    return True


class Chunks:
    """The finished chunks of a run in ``out_dir/chunks``: each a Parquet table whose size,
    SHA-256 and config are recorded in the ledger when it is complete."""

    def __init__(self, out_dir: Path, cfg: dict, meta: dict):
        self.dir = Path(out_dir) / CHUNKS
        self.cfg, self.meta, self.hash = cfg, meta, plan_hash(cfg)
        self.dir.mkdir(parents=True, exist_ok=True)
        plan = self.dir / PLAN
        if plan.exists():
            if json.loads(plan.read_text()).get("plan_hash") != self.hash:
                raise ConfigError("hydra.run.dir", f"{self.dir} holds chunks of another run", "a new folder")
        else:
            write_json_atomic(plan, {"plan_hash": self.hash, "created_by": "experiments.sensitivity",
                                      "config": {k: v for k, v in cfg.items() if k not in NOT_RESULTS}})
        ledger = self.dir / LEDGER
        self.ledger = json.loads(ledger.read_text()) if ledger.exists() else {}
        self.reused: list[int] = []
        self.redone: list[dict] = []

    def name(self, k: int) -> str:
        return f"chunk-{k:05d}.parquet"

    def load(self, k: int, points: range) -> pd.DataFrame | None:
        """Chunk ``k`` if it is finished and verifies; None if it must be computed (a failed
        verification is logged and reported)."""
        entry = self.ledger.get(str(k))
        if entry is None:
            return None
        path = self.dir / entry["file"]
        problem = ""
        if not path.is_file():
            problem = "its file is missing"
        elif path.stat().st_size != entry["bytes"]:
            problem = f"it has {path.stat().st_size} bytes, the ledger says {entry['bytes']}"
        elif file_digest(path) != entry["sha256"]:
            problem = "its SHA-256 differs from the ledger's"
        else:
            from sim.output.files import read_metadata

            frame = pd.read_parquet(path)
            if plan_hash(read_metadata(path)["config"]) != self.hash:
                problem = "it carries another run's config"
            elif sorted(frame["point"].unique().tolist()) != list(points):
                problem = "it holds other points than planned"
        if problem:
            log.warning("chunk %d (points %d-%d) fails verification (%s): computing it again", k, points[0], points[-1],
                        problem)
            self.redone.append({"chunk": k, "reason": problem})
            return None
        self.reused.append(k)
        return frame

    def save(self, k: int, frame: pd.DataFrame) -> None:
        path = self.dir / self.name(k)
        tmp = self.dir / f".{self.name(k)}.{os.getpid()}.tmp"
        write_parquet(frame, tmp, self.meta, {k2: v for k2, v in self.cfg.items() if k2 not in NOT_RESULTS})
        os.replace(tmp, path)
        self.ledger[str(k)] = {"file": path.name, "bytes": path.stat().st_size, "sha256": file_digest(path),
                               "points": [int(frame["point"].min()), int(frame["point"].max())]}
        write_json_atomic(self.dir / LEDGER, self.ledger)

    def remove(self) -> None:
        """After the results are committed: remove the chunks this run wrote (and nothing else)."""
        for entry in self.ledger.values():
            (self.dir / entry["file"]).unlink(missing_ok=True)
        for name in (LEDGER, PLAN):
            (self.dir / name).unlink(missing_ok=True)
        try:
            self.dir.rmdir()
        except OSError:
            log.warning("%s holds files this run did not write: left in place", self.dir)


# --------------------------------------------------------------------------- analysis

INDICES = {"sobol": (("S1", "S1_conf"), ("ST", "ST_conf")), "morris": (("mu_star", "mu_star_conf"), ("sigma", None))}


def analyse(method: str, problem: dict, design: np.ndarray, y: np.ndarray, bootstrap: int = 1000,
            level: float = 0.95, seed: int = 0, levels: int = 4) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """The indices of one outcome ``y`` (one value per row of ``design``, SALib's order) as
    {index: (estimates, half-widths of the bootstrap interval)} per parameter (sobol: S1, ST;
    morris: mu_star, sigma, the latter without interval). None if ``y`` is constant (no variance
    to share out)."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    y = np.asarray(y, np.float64)
    if np.nanstd(y) == 0:
        return None
    # a Generator, not the int: SALib's sobol.analyze ignores a seed of 0 (`if seed:`) and would
    # draw the bootstrap from numpy's global state, so the intervals would not be reproducible
    rng = np.random.default_rng(seed)
    if method == "sobol":
        res = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=bootstrap, conf_level=level,
                                    seed=rng)
    else:
        res = morris_analyze.analyze(problem, design, y, num_resamples=bootstrap, conf_level=level, num_levels=levels,
                                     seed=rng)
    nan = np.full(problem["num_vars"], np.nan)
    return {index: (np.asarray(res[index], float), nan if conf is None else np.asarray(res[conf], float))
            for index, conf in INDICES[method]}


def _ranks(a: np.ndarray) -> np.ndarray:
    """Average ranks down each column (ties share their mean rank)."""
    from scipy.stats import rankdata

    return rankdata(a, axis=0)


def rank_correlations(design: np.ndarray, y: np.ndarray, bootstrap: int, level: float,
                      seed: int, block: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spearman's rank correlation of the outcome with each parameter over the design's points,
    with a percentile bootstrap interval: the direction in which a parameter moves a conclusion,
    which the Sobol' indices do not give. The design's points are not independent draws (a base
    sample's D + 2 rows of Saltelli's scheme share most columns, as a Morris trajectory's D + 1
    steps do), so whole blocks of ``block`` consecutive points are resampled: the interval then
    reflects the number of independent base samples, not of points. With few base samples the
    parameters' values are correlated with each other by chance, so a correlation can belong to
    another parameter: descriptive, read it beside S1/ST or mu*."""
    y = np.asarray(y, np.float64)
    n, d = design.shape
    blocks = max(1, n // block)
    nan = np.full(d, np.nan)
    if n < 3 or np.nanstd(y) == 0:
        return nan, nan, nan

    def rho(idx):
        rx, ry = _ranks(design[idx]), _ranks(y[idx])
        rx, ry = rx - rx.mean(axis=0), ry - ry.mean()
        den = np.sqrt((rx ** 2).sum(axis=0) * (ry ** 2).sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, (rx * ry[:, None]).sum(axis=0) / den, np.nan)

    rng = np.random.default_rng(seed)
    def resample():
        chosen = rng.integers(0, blocks, blocks)
        return (chosen[:, None] * block + np.arange(block)[None, :]).ravel()

    boots = np.array([rho(resample()) for _ in range(bootstrap)])
    tail = (1 - level) / 2 * 100
    return rho(np.arange(n)), np.nanpercentile(boots, tail, axis=0), np.nanpercentile(boots, 100 - tail, axis=0)


def indices(cfg: dict, built: dict, samples: pd.DataFrame) -> pd.DataFrame:
    """Sensitivity indices per outcome and parameter (SALib), tidy."""
    problem, design, params = built["problem"], built["design"], built["params"]
    rows = []
    for outcome in built["outcomes"]:
        y = samples[(samples["outcome"] == outcome.name) & (samples["point"] > 0)].sort_values("point")["estimate"]
        y = y.to_numpy(np.float64)
        res = analyse(cfg["method"], problem, design, y, cfg["bootstrap"], cfg["level"], cfg["seed"],
                      cfg["morris_levels"])
        constant = res is None
        for j, p in enumerate(params):
            for index, _conf in INDICES[cfg["method"]]:
                est = math.nan if res is None else float(res[index][0][j])
                half = math.nan if res is None else float(res[index][1][j])
                rows.append({"outcome": outcome.name, "parameter": p.key, "parameter_label": p.label, "index": index,
                             "estimate": est, "ci_low": est - half, "ci_high": est + half,
                             "outcome_variance": float(np.var(y, ddof=1)) if len(y) > 1 else math.nan,
                             "constant_outcome": constant})
        block = len(params) + (2 if cfg["method"] == "sobol" else 1)  # rows of one base sample / trajectory
        rho = rank_correlations(design, y, cfg["bootstrap"], cfg["level"], cfg["seed"], block)
        for j, p in enumerate(params):
            rows.append({"outcome": outcome.name, "parameter": p.key, "parameter_label": p.label,
                         "index": "rank_corr", "estimate": rho[0][j], "ci_low": rho[1][j], "ci_high": rho[2][j],
                         "outcome_variance": float(np.var(y, ddof=1)) if len(y) > 1 else math.nan,
                         "constant_outcome": constant})
    out = pd.DataFrame(rows)
    return out.astype({"outcome": "category", "parameter": "category", "parameter_label": "category",
                       "index": "category", "estimate": "float64", "ci_low": "float64", "ci_high": "float64",
                       "outcome_variance": "float64", "constant_outcome": "bool"})


def conclusions(cfg: dict, built: dict, samples: pd.DataFrame) -> pd.DataFrame:
    """Per outcome: its value at the defaults with a confidence interval over the seeds, and how
    it is spread over the design's points (is the sign at the defaults the sign everywhere?)."""
    z = NormalDist().inv_cdf(0.5 + cfg["level"] / 2)
    rows = []
    for outcome in built["outcomes"]:
        s = samples[samples["outcome"] == outcome.name]
        d = s[s["point"] == 0].iloc[0]
        y = s[s["point"] > 0]["estimate"].to_numpy(np.float64)
        se = s[s["point"] > 0]["std_error"].to_numpy(np.float64)
        clear = np.abs(y) > z * se  # points whose sign the seeds determine
        pos = float(np.mean(y > 0))
        sign = "positive" if pos >= 0.95 else "negative" if np.mean(y < 0) >= 0.95 else "mixed"
        rows.append({"outcome": outcome.name, "label": outcome.label, "default_estimate": float(d["estimate"]),
                     "default_ci_low": float(d["estimate"] - z * d["std_error"]),
                     "default_ci_high": float(d["estimate"] + z * d["std_error"]),
                     "design_mean": float(y.mean()), "design_q05": float(np.quantile(y, 0.05)),
                     "design_median": float(np.median(y)), "design_q95": float(np.quantile(y, 0.95)),
                     "share_positive": pos, "share_negative": float(np.mean(y < 0)),
                     "share_sign_determined": float(np.mean(clear)), "sign_over_design": sign,
                     "points": int(len(y))})
    return pd.DataFrame(rows).astype({"outcome": "category", "label": "string", "sign_over_design": "category",
                                      "points": "int64"})


def discovery(cfg: dict, built: dict, samples: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """PRIM boxes for each target over every point (design and defaults)."""
    params = built["params"]
    wide = samples.pivot(index="point", columns="outcome", values="estimate").sort_index()
    X = np.column_stack([samples_params(built)[p.key].to_numpy(np.float64) for p in params])
    bounds = [(p.low, p.high) for p in params]
    rows, results = [], {}
    pr = cfg["prim"]
    arms_of = {o.name: o.arm.split("-") for o in built["outcomes"]}
    for name, outcome, meaning, above in prim_targets(cfg["options"]):
        v = wide[outcome].to_numpy(np.float64)
        y = v > 0 if above else v <= 0
        # only the parameters that act in the outcome's arms (the treaty's ratification cost does
        # not act in an option's arm): a box cannot restrict a parameter that cannot matter
        acting = [j for j, p in enumerate(params)
                  if any(_has(json.loads(built["configs"][a]), p.key) for a in arms_of[outcome])]
        if y.sum() < MIN_CASES:  # a box around a handful of points describes those points, not a region
            from experiments.prim import PrimResult

            res = PrimResult([p.key for p in params], [], [], float(y.mean()), len(y))
        else:
            found = prim(X[:, acting], y, [params[j].key for j in acting], [bounds[j] for j in acting],
                         alpha=pr["alpha"], min_mass=pr["min_mass"], threshold=pr["threshold"],
                         max_boxes=pr["max_boxes"], prune_tol=pr.get("prune", 0.02))
            res = widen(found, acting, params)
        results[name] = (res, meaning)
        if not res.boxes:  # no case (or nothing but cases): say so in the table too
            rows.append({"target": name, "meaning": meaning, "outcome": outcome, "base_rate": res.base_rate,
                         "points_total": res.n, "box": 0, "parameter": None, "low": math.nan, "high": math.nan,
                         "restricted": False, "coverage": math.nan, "density": math.nan, "mass": math.nan, "points": 0})
        for r in res.table():
            rows.append({"target": name, "meaning": meaning, "outcome": outcome, "base_rate": res.base_rate,
                         "points_total": res.n, **r})
    out = pd.DataFrame(rows, columns=["target", "meaning", "outcome", "base_rate", "points_total", "box", "parameter",
                                      "low", "high", "restricted", "coverage", "density", "mass", "points"])
    return out.astype({"target": "category", "meaning": "string", "outcome": "category", "base_rate": "float64",
                       "points_total": "int64", "box": "int64", "parameter": "category", "low": "float64",
                       "high": "float64", "restricted": "bool", "coverage": "float64", "density": "float64",
                       "mass": "float64", "points": "int64"}), results


def widen(found, acting: list[int], params: list[Sampled]):
    """PRIM's result over the acting parameters, with every parameter (the others unrestricted)."""
    from dataclasses import replace

    from experiments.prim import PrimResult

    def full(box):
        lower = [p.low for p in params]
        upper = [p.high for p in params]
        restricted = [False] * len(params)
        for k, j in enumerate(acting):
            lower[j], upper[j], restricted[j] = box.lower[k], box.upper[k], box.restricted[k]
        return replace(box, lower=tuple(lower), upper=tuple(upper), restricted=tuple(restricted))

    return PrimResult([p.key for p in params], [full(b) for b in found.boxes],
                      [[full(b) for b in t] for t in found.trajectories], found.base_rate, found.n)


def samples_params(built: dict) -> pd.DataFrame:
    """The model values of every parameter at every point (point 0: the defaults; a move's own
    value where its default is per move)."""
    values = point_values(built["params"], built["design"])
    frame = pd.DataFrame(values)
    for p in built["params"]:
        if p.default is None:  # per-move default: read from the arm that has the move
            config = next(json.loads(c) for c in built["configs"].values() if _has(json.loads(c), p.key))
            node = config
            for part in p.key.split("."):
                node = node[part]
            frame.loc[0, p.key] = node
        frame[p.key] = frame[p.key].astype("int64" if p.kind == "int" else "float64")
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    return frame


def provenance(cfg: dict, frame: pd.DataFrame) -> pd.DataFrame:
    """The columns every table carries: stage, method, master seed, seeds per point, version."""
    frame["stage"] = pd.Categorical([cfg["stage"]] * len(frame))
    frame["method"] = pd.Categorical([cfg["method"]] * len(frame))
    frame["master_seed"] = np.int64(cfg["seed"])
    frame["replicates_per_point"] = np.int64(cfg["replicates"])
    frame["version"] = pd.Categorical([__version__] * len(frame))
    return frame


def analyse_samples(cfg: dict, built: dict, samples: pd.DataFrame):
    """Indices, conclusions and PRIM boxes (with PRIM's results for the figure) from the samples
    table: what the run writes after simulating, and what ``analyse_folder`` recomputes."""
    ind = provenance(cfg, indices(cfg, built, samples))
    ind["conf_level"] = float(cfg["level"])
    concl = provenance(cfg, conclusions(cfg, built, samples))
    boxes, prim_results = discovery(cfg, built, samples)
    return ind, concl, provenance(cfg, boxes), prim_results


def analyse_folder(folder: Path | str, **prim_settings) -> dict:
    """Recompute the indices, conclusions and PRIM boxes of a finished run from its
    ``samples.parquet`` and ``config.yaml`` (nothing is simulated or written), e.g. with other PRIM
    settings: ``analyse_folder(path, threshold=0.9)``. Returns the tables and PRIM's results."""
    import yaml

    folder = Path(folder)
    cfg = yaml.safe_load((folder / "config.yaml").read_text())
    cfg["prim"] = {**cfg["prim"], **prim_settings}
    check_prim(cfg)
    built = validate(cfg)
    samples = pd.read_parquet(folder / "samples.parquet")
    ind, concl, boxes, prim_results = analyse_samples(cfg, built, samples)
    return {"indices": ind, "conclusions": concl, "boxes": boxes, "prim": prim_results, "built": built, "config": cfg}


# --------------------------------------------------------------------------- the run

def run(cfg: dict, out_dir: Path) -> dict:
    built = validate(cfg)
    started = time.perf_counter()
    params, design = built["params"], built["design"]
    values = point_values(params, design)
    n_points = len(values)
    size = cfg["points_per_chunk"]
    plan = [range(a, min(a + size, n_points)) for a in range(0, n_points, size)]
    workers = resolve_workers(cfg["workers"], size * len(arm_overrides(cfg)))
    seeds = replicate_seeds(cfg["seed"], cfg["replicates"])
    meta = run_metadata({"seed": cfg["seed"], "scenario": {"name": cfg["stage"]},
                         "moves": {o: {} for o in cfg["options"]}}, seeds)
    chunks = Chunks(out_dir, cfg, meta)
    log.info("%s design: %d parameters, %d points (+ the defaults) x %d arms x %d seeds, %d chunks, %d processes",
             cfg["method"], len(params), n_points - 1, len(arm_overrides(cfg)), cfg["replicates"], len(plan), workers)
    frames = []
    bar = tqdm(total=n_points, desc="points", unit="pt", disable=not cfg["progress"])
    for k, points in enumerate(plan):
        frame = chunks.load(k, points)
        if frame is None:
            frame = run_chunk(cfg, built, points, values, workers)
            chunks.save(k, frame)
        frames.append(frame)
        bar.update(len(points))
    bar.close()
    simulated = time.perf_counter() - started
    if chunks.reused:
        log.info("resumed: %d chunks verified and reused, %d computed", len(chunks.reused), len(plan) - len(chunks.reused))
    long = pd.concat(frames, ignore_index=True)
    points = samples_params(built)
    samples = long.merge(points, on="point", how="left")
    samples["outcome"] = pd.Categorical(samples["outcome"], categories=[o.name for o in built["outcomes"]])
    samples.insert(1, "design", pd.Categorical(np.where(samples["point"] == 0, "defaults", cfg["method"]),
                                               categories=["defaults", cfg["method"]]))
    samples = samples.sort_values(["point", "outcome"]).reset_index(drop=True)
    provenance(cfg, samples)
    ind, concl, boxes, prim_results = analyse_samples(cfg, built, samples)
    elapsed = time.perf_counter() - started
    report = {
        "method": cfg["method"], "samples": cfg["samples"], "points": n_points - 1, "arms": list(arm_overrides(cfg)),
        "replicates_per_point": cfg["replicates"], "runs": n_points * len(arm_overrides(cfg)) * cfg["replicates"],
        "parameters": [{"key": p.key, "label": p.label, "low": p.low, "high": p.high, "kind": p.kind} for p in params],
        "seconds_simulating": round(simulated, 1), "seconds_total": round(elapsed, 1), "workers": workers,
        "resume": {"chunks": len(plan), "reused": chunks.reused, "redone": chunks.redone},
        "version": __version__, "seed": cfg["seed"], "level": cfg["level"],
        "interval": f"{cfg['level']:.0%} bootstrap confidence interval of the index ({cfg['bootstrap']} resamples of "
                    "the design's points, SALib's normal approximation: estimate +- z * bootstrap standard deviation)",
    }
    with AtomicResults(out_dir, "sensitivity", cfg) as res:
        write_parquet(samples, res.path("samples.parquet"), meta, cfg)
        write_parquet(ind, res.path("indices.parquet"), meta, cfg)
        write_parquet(concl, res.path("conclusions.parquet"), meta, cfg)
        write_parquet(boxes, res.path("boxes.parquet"), meta, cfg)
        figure_indices(ind, built, cfg).savefig(res.path("sensitivity.png"), dpi=150, bbox_inches="tight")
        figure_prim(prim_results, built).savefig(res.path("prim.png"), dpi=150, bbox_inches="tight")
        res.path("sensitivity.json").write_text(json.dumps(report, indent=2))
        write_yaml(cfg, res.path("config.yaml"))
        res.path("metadata.json").write_text(json.dumps(meta, indent=2))
        res.commit()
    chunks.remove()
    return {"report": report, "indices": ind, "conclusions": concl, "boxes": boxes}


# --------------------------------------------------------------------------- figures and printout

def figure_indices(ind: pd.DataFrame, built: dict, cfg: dict):
    """One panel per outcome: each parameter's first-order and total index (or mu* and sigma)
    with its bootstrap interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outcomes = built["outcomes"]
    params = built["params"]
    first, total = ("S1", "ST") if cfg["method"] == "sobol" else ("mu_star", "sigma")
    cols = 2
    rows = math.ceil(len(outcomes) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(13, 0.42 * len(params) * rows + 1.2 * rows), squeeze=False,
                             sharey=True)
    ypos = np.arange(len(params))
    for ax, outcome in zip(axes.flat, outcomes):
        g = ind[ind["outcome"] == outcome.name]
        for shift, index, colour, label in ((-0.27, first, "tab:blue", "first-order index S1" if first == "S1" else "mu*"),
                                           (0.0, total, "tab:orange", "total index ST" if total == "ST" else "sigma"),
                                           (0.27, "rank_corr", "tab:green", "Spearman rank correlation")):
            h = g[g["index"] == index].set_index("parameter").reindex([p.key for p in params])
            est = h["estimate"].to_numpy(float)
            err = np.vstack([est - h["ci_low"].to_numpy(float), h["ci_high"].to_numpy(float) - est])
            ax.barh(ypos + shift, est, height=0.26, color=colour, label=label)
            if np.isfinite(err).any():
                ax.errorbar(est, ypos + shift, xerr=np.nan_to_num(np.abs(err)), fmt="none", ecolor="black",
                            elinewidth=0.8, capsize=2)
        ax.axvline(0, color="0.5", lw=0.6)
        constant = bool(g["constant_outcome"].any())
        ax.set_title(outcome.label + (" (constant: no index)" if constant else ""), fontsize=8)
        ax.set_xlabel("S1, ST: share of the outcome's variance; rank correlation: -1 to 1" if first == "S1" else
                      "mu*, sigma: elementary effect (outcome units); rank correlation: -1 to 1", fontsize=7)
        ax.tick_params(labelsize=7)
    for ax in axes[:, 0]:
        ax.set_yticks(ypos, [p.label for p in params])
    for ax in axes.flat[len(outcomes):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"Global sensitivity ({cfg['method']}, {len(built['design'])} points x {cfg['replicates']} seeds each); "
                 f"error bars: {cfg['level']:.0%} bootstrap confidence intervals", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))  # room for the title
    return fig


def figure_prim(prim_results: dict, built: dict):
    """Per PRIM target: the peeling trajectory (coverage against density) and the first box's
    limits on each parameter, as a share of the parameter's explored range."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = built["params"]
    targets = list(prim_results)
    fig, axes = plt.subplots(len(targets), 2, figsize=(12, 2.6 * len(targets)), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 1.6]})
    for (ax_t, ax_b), name in zip(axes, targets):
        res, meaning = prim_results[name]
        ax_t.set_title(f"{meaning} (in {res.base_rate:.0%} of {res.n} points)", fontsize=8)
        ax_t.set_xlabel("coverage (share of all cases inside the box)", fontsize=7)
        ax_t.set_ylabel("density (share of cases in the box)", fontsize=7)
        ax_t.set_xlim(0, 1.02)
        ax_t.set_ylim(0, 1.02)
        ax_t.tick_params(labelsize=7)
        for k, (traj, box) in enumerate(zip(res.trajectories, res.boxes)):
            ax_t.plot([b.coverage for b in traj], [b.density for b in traj], ".-", ms=3, lw=0.8,
                      label=f"peeling, box {k + 1}")
            ax_t.plot([box.coverage], [box.density], "k*", ms=9)
        if res.boxes:
            ax_t.legend(fontsize=6, loc="lower left")
        ax_b.set_xlim(0, 1)
        ax_b.set_yticks(range(len(params)), [p.label for p in params], fontsize=7)
        ax_b.set_xlabel("box limits as a share of the explored range (grey: not restricted)", fontsize=7)
        ax_b.tick_params(labelsize=7)
        if not res.boxes:
            ax_b.text(0.5, 0.5, f"holds at {res.base_rate * res.n:.0f} points: too few for a box (< {MIN_CASES})",
                      ha="center", va="center", fontsize=8)
            continue
        box = res.boxes[0]
        for j, p in enumerate(params):
            top = 1 if p.kind == "int" else 0  # an integer value v covers [v, v + 1) of the design's scale
            span = p.high + top - p.low
            lo, hi = (box.lower[j] - p.low) / span, (box.upper[j] + top - p.low) / span
            colour = "tab:red" if box.restricted[j] else "0.8"
            ax_b.barh(j, hi - lo, left=lo, color=colour, height=0.6)
            if box.restricted[j]:
                fmt = "{:.0f}" if p.kind == "int" else "{:.3g}"
                ax_b.text(min(hi, 0.98), j, f" {fmt.format(box.lower[j])}-{fmt.format(box.upper[j])}", va="center",
                          ha="right" if hi > 0.7 else "left", fontsize=6)
        ax_b.set_title(f"box 1: coverage {box.coverage:.0%}, density {box.density:.0%}, mass {box.mass:.0%}",
                       fontsize=8)
    fig.tight_layout()
    return fig


def format_report(out: dict) -> str:
    r, ind, concl, boxes = out["report"], out["indices"], out["conclusions"], out["boxes"]
    lines = [f"Global sensitivity ({r['method']}): {len(r['parameters'])} parameters, {r['points']} points + the "
             f"defaults, {len(r['arms'])} arms x {r['replicates_per_point']} seeds ({r['runs']:,} runs) in "
             f"{r['seconds_total']:.0f} s"]
    if r["resume"]["reused"]:
        lines.append(f"  resumed: {len(r['resume']['reused'])} of {r['resume']['chunks']} chunks verified and reused; "
                     f"recomputed after failed verification: {r['resume']['redone'] or 'none'}")
    first, total = ("S1", "ST") if r["method"] == "sobol" else ("mu_star", "sigma")
    level = f"{r['level']:.0%}"
    for _, c in concl.iterrows():
        lines.append(f"\n{c['label']}:\n  at the defaults {c['default_estimate']:+.4f} [{c['default_ci_low']:+.4f}, "
                     f"{c['default_ci_high']:+.4f}]; over the design median {c['design_median']:+.4f}, 5-95% "
                     f"[{c['design_q05']:+.4f}, {c['design_q95']:+.4f}], positive at {c['share_positive']:.0%} of points "
                     f"({c['sign_over_design']})")
        g = ind[(ind["outcome"] == c["outcome"]) & (ind["index"] == "rank_corr")]
        g = g.assign(size=g["estimate"].abs()).sort_values("size", ascending=False)
        for _, row in g.head(3).iterrows():
            pick = ind[(ind["outcome"] == c["outcome"]) & (ind["parameter"] == row["parameter"])].set_index("index")
            a, b = pick.loc[first], pick.loc[total]
            lines.append(f"  {row['parameter_label']:<50s} rank corr {row['estimate']:+.2f} [{row['ci_low']:+.2f}, "
                         f"{row['ci_high']:+.2f}]  {first} {a['estimate']:.2f} [{a['ci_low']:.2f}, {a['ci_high']:.2f}]  "
                         f"{total} {b['estimate']:.2f} [{b['ci_low']:.2f}, {b['ci_high']:.2f}]")
    lines.append(f"\n(intervals: {level} confidence; for indices and rank correlations, bootstrap over the design's "
                 "points; the three parameters with the largest rank correlation are shown)")
    lines.append("\nScenario discovery (PRIM): where each holds")
    for target, g in boxes.groupby("target", observed=True, sort=False):
        head = g.iloc[0]
        cases = round(head["base_rate"] * head["points_total"])
        lines.append(f"  {head['meaning']} - in {head['base_rate']:.0%} of {head['points_total']} points"
                     + ("" if (g["box"] > 0).any() else f": no box ({cases} points, fewer than {MIN_CASES})"))
        for box, b in g[g["box"] > 0].groupby("box"):
            r0 = b.iloc[0]
            limits = "; ".join(f"{p} in [{lo:.3g}, {hi:.3g}]" for p, lo, hi in
                               b[b["restricted"]][["parameter", "low", "high"]].itertuples(index=False)) or "everywhere"
            lines.append(f"    box {box}: coverage {r0['coverage']:.0%}, density {r0['density']:.0%}, mass "
                         f"{r0['mass']:.0%}: {limits}")
    return "\n".join(lines)


@hydra.main(config_path="../configs", config_name="sensitivity", version_base="1.3")
def main(cfg) -> None:
    container = OmegaConf.to_container(cfg, resolve=True)

    def on_skip(out_dir: Path) -> dict:
        return {"report": json.loads((out_dir / "sensitivity.json").read_text()),
                "indices": pd.read_parquet(out_dir / "indices.parquet"),
                "conclusions": pd.read_parquet(out_dir / "conclusions.parquet"),
                "boxes": pd.read_parquet(out_dir / "boxes.parquet")}

    out = run_job("sensitivity", container, lambda out_dir: run(container, out_dir), on_skip=on_skip)
    if out is not None:
        print(format_report(out))
        print(f"\nResults in {HydraConfig.get().runtime.output_dir}")


def app() -> App:
    return App(kind="sensitivity", config_name="sensitivity", validate=validate, estimate=estimate, results=RESULTS,
               aliases={"stage": "scenario", "options": "option"}, resumable=resumable)


if __name__ == "__main__":
    checked_entry(main, app())
