"""Calibrate a small, named set of parameters against public opinion, then test out of sample
(a Hydra app).

    python -m experiments.calibrate
    python -m experiments.calibrate replicates=50 search.maxiter=2      # a quick look

The model's trust of an observer actor in a target (elite belief, 0-1) is compared with the
share of the observer's public holding a favourable view of the target (Pew Global Attitudes,
``data/opinion``, loaded by ``experiments.observed``). Favourability is not elite trust, so the
comparison is of *changes*, not levels: each dyad gets its own offset and all dyads share one
slope (``favourable/100 = offset_d + slope * trust``, fitted in closed form on the training
years), so a level gap between public and elites costs nothing and only the shape of each
trajectory is fitted. The search (``scipy.optimize.differential_evolution``, seeded) minimises
the root mean square error of that fit, in percentage points, over the training years
(2008-2012); the fitted model is then scored on the years it has not seen (2013-2015): the
error with the training map, whether each dyad's year-on-year changes have the observed sign,
and whether its turning points fall in the observed years.

Every evaluation runs the same replicate seeds (common random numbers), so the objective is a
deterministic function of the parameters and the search is reproducible. Writes
``calibration.json`` (fitted values, scores, settings), ``series.parquet`` (per dyad and year:
observed, model trust and fitted favourability, default and calibrated), ``search.parquet``
(every evaluation), a figure, ``config.yaml``, ``metadata.json`` and ``calibrated.yaml``: the
fitted values as a ``dynamics`` config group file with their provenance (command, seed, replicates,
search, scores, version, and the SHA-256 of every data file read). Copied into
``configs/dynamics/``, it is selected with ``dynamics=calibrated`` (never written there by the run).
"""

from __future__ import annotations

import functools
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import pandas as pd
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf

from experiments.ensemble import (
    EnsembleConfig,
    arm_spec,
    check_ensemble_settings,
    ensemble_schema,
    run_arm,
    set_keys,
)
from sim import __version__
from sim.app.entry import App, checked_entry
from sim.app.jobs import run_job
from sim.app.manifest import AtomicResults
from sim.config import load_config
from sim.config.spec import compile_spec
from sim.errors import ConfigError, check_int, check_range
from sim.numerics.streams import replicate_seeds
from sim.output.files import run_metadata, write_parquet, write_yaml

log = logging.getLogger("eurosec.calibrate")


# --------------------------------------------------------------------------- declarations

@dataclass(frozen=True)
class Fitted:
    """One calibrated parameter: its config key, the range searched and why it is fitted."""
    key: str
    low: float
    high: float
    why: str = ""


def calibration_series() -> pd.DataFrame:
    """The Pew series the fit uses (experiments.observed.MAPPING): dyad, year and the favourable
    share as a fraction (observed)."""
    from experiments.observed import observed_series

    s = observed_series().dropna(subset=["favourable_pct"])
    return pd.DataFrame({"dyad": (s["observer"].astype(str) + "_" + s["target"].astype(str)).to_numpy(),
                         "year": s["year"].to_numpy(np.int64), "observed": (s["favourable_pct"] / 100).to_numpy()})


def fitted_parameters(cfg: dict) -> list[Fitted]:
    """The parameters to fit, from the config (``fit``: key -> {low, high, why}), checked against
    the model's own declared ranges (sim/config/schema.py)."""
    from sim.config.schema import declared_range

    out = []
    if not cfg.get("fit"):
        raise ConfigError("fit", "no parameters to fit", "{dynamics.hostile_sensitivity: {low: .., high: ..}, ...}")
    for key, spec in cfg["fit"].items():
        where = f"fit.{key}"
        try:
            low, high = declared_range(key)
        except KeyError:
            raise ConfigError(where, f"{key!r} is not a declared numeric model parameter",
                              "a key of docs/parameters.md, e.g. dynamics.hostile_sensitivity") from None
        if not isinstance(spec, dict) or set(spec) - {"low", "high", "why"} or not {"low", "high"} <= set(spec):
            raise ConfigError(where, "needs low and high (and a why)", "{low: x, high: y, why: '...'}")
        lo = check_range(f"{where}.low", spec["low"], low, high)
        hi = check_range(f"{where}.high", spec["high"], low, high)
        if not lo < hi:
            raise ConfigError(where, f"low {lo} is not below high {hi}", "low < high")
        out.append(Fitted(key, float(lo), float(hi), str(spec.get("why", ""))))
    return out


# --------------------------------------------------------------------------- the objective

def model_series(values: dict[str, float], cfg: dict, dyads: list[tuple[str, str]]) -> pd.DataFrame:
    """Mean trust over the replicates, per dyad and survey year, for these parameter values:
    columns dyad, year, trust. The survey month is ``survey_month`` of each year."""
    spec = compile_spec(set_keys(base_config(cfg["stage"], tuple(dyads)), values))
    columns = [f"trust_{a}_{b}" for a, b in dyads]
    result = run_arm("calibration", spec, cfg["seed"], cfg["replicates"], cfg["chunk"], progress=False,
                     per_step=columns)
    s = result.summary
    month = s["date"].astype(str).str.slice(5, 7).astype(int)
    s = s[month == cfg["survey_month"]].assign(year=s["date"].astype(str).str.slice(0, 4).astype(int))
    means = s.groupby("year")[columns].mean()
    out = means.reset_index().melt(id_vars="year", var_name="column", value_name="trust")
    out["dyad"] = out["column"].str.removeprefix("trust_")
    return out[["dyad", "year", "trust"]]


@functools.lru_cache(maxsize=4)
def _composed(stage: str, dyads: tuple[tuple[str, str], ...]) -> str:
    keys = "[" + ",".join(f"[{a},{b}]" for a, b in dyads) + "]"
    return json.dumps(load_config([f"scenario={stage}", f"output.key_dyads={keys}"]))


def base_config(stage: str, dyads: tuple[tuple[str, str], ...]) -> dict:
    """The stage's composed config recording ``dyads`` (composed once: Hydra's composition costs
    more than a run of a few hundred replicates); a fresh copy each call."""
    return json.loads(_composed(stage, dyads))


def fit_map(joined: pd.DataFrame) -> tuple[float, dict[str, float]]:
    """Least-squares slope shared by all dyads and one offset per dyad of favourable share on
    model trust (``joined``: dyad, trust, observed share 0-1). The slope is kept >= 0: a model
    whose trust moves against opinion is not rescued by reading it upside down."""
    centred_t = joined["trust"] - joined.groupby("dyad")["trust"].transform("mean")
    centred_f = joined["observed"] - joined.groupby("dyad")["observed"].transform("mean")
    denom = float((centred_t ** 2).sum())
    slope = max(float((centred_t * centred_f).sum()) / denom, 0.0) if denom > 0 else 0.0
    offsets = (joined["observed"] - slope * joined["trust"]).groupby(joined["dyad"]).mean().to_dict()
    return slope, offsets


def predicted(frame: pd.DataFrame, slope: float, offsets: dict[str, float]) -> pd.Series:
    return frame["dyad"].map(offsets) + slope * frame["trust"]


def rmse_pp(frame: pd.DataFrame) -> float:
    d = frame["fitted"] - frame["observed"]
    return float(np.sqrt(np.mean(d ** 2)) * 100) if len(d) else math.nan


def score(series: pd.DataFrame, observed: pd.DataFrame, train: tuple[int, int], test: tuple[int, int]) -> dict:
    """Fit the map on the training years, apply it to all years; scores in and out of sample."""
    joined = series.merge(observed, on=["dyad", "year"], how="inner")
    in_train = joined["year"].between(*train)
    slope, offsets = fit_map(joined[in_train])
    joined["fitted"] = predicted(joined, slope, offsets)
    curve = series[series["dyad"].isin(offsets)].copy()  # every year the replay covers, not only those with data
    curve["fitted"] = predicted(curve, slope, offsets)
    out = {"slope": slope, "offsets": offsets, "train_rmse_pp": rmse_pp(joined[in_train]),
           "test_rmse_pp": rmse_pp(joined[joined["year"].between(*test)]), "joined": joined, "curve": curve}
    out.update(change_signs(joined, test))
    return out


def change_signs(joined: pd.DataFrame, years: tuple[int, int]) -> dict:
    """Share of year-on-year changes ending in ``years`` whose sign the model gets right (changes
    of the observed series smaller than 1 point count as no change and are skipped), and per dyad
    whether the model's and the observed series' lowest year coincide within the whole record."""
    right = total = 0
    lowest = {}
    for dyad, g in joined.sort_values("year").groupby("dyad"):
        d_obs, d_mod, yrs = np.diff(g["observed"].to_numpy()), np.diff(g["trust"].to_numpy()), g["year"].to_numpy()[1:]
        mask = (yrs >= years[0]) & (yrs <= years[1]) & (np.abs(d_obs) >= 0.01)
        right += int(np.sum(np.sign(d_obs[mask]) == np.sign(d_mod[mask])))
        total += int(mask.sum())
        lowest[dyad] = {"observed": int(g.loc[g["observed"].idxmin(), "year"]),
                        "model": int(g.loc[g["trust"].idxmin(), "year"])}
    return {"test_sign_agreement": right / total if total else math.nan, "test_sign_changes": total,
            "lowest_year": lowest}


# --------------------------------------------------------------------------- the app

@ensemble_schema
class CalibrateConfig(EnsembleConfig):
    """This app's settings besides the shared ones (EnsembleConfig)."""
    fit: dict[str, Any] = field(default_factory=dict)
    survey_month: int = 5
    train: list[int] = field(default_factory=lambda: [2008, 2012])
    test: list[int] = field(default_factory=lambda: [2013, 2015])
    search: dict[str, Any] = field(default_factory=dict)


ConfigStore.instance().store(name="calibrate_schema", node=CalibrateConfig)
RESULTS = ("calibration.json", "series.parquet", "search.parquet", "calibration.png", "config.yaml", "metadata.json",
           "calibrated.yaml")
SEARCH_KEYS = ("maxiter", "popsize", "seed", "tol")


def validate(cfg: dict) -> dict:
    """Check every setting and the observed data before anything runs."""
    check_ensemble_settings(cfg)
    check_int("survey_month", cfg["survey_month"], 1, 12)
    for key in ("train", "test"):
        span = cfg[key]
        if not (isinstance(span, list | tuple) and len(span) == 2 and all(isinstance(y, int) for y in span)
                and span[0] <= span[1]):
            raise ConfigError(key, f"{span!r} is not a [first, last] pair of years", "[2008, 2012]")
    if cfg["train"][1] >= cfg["test"][0]:
        raise ConfigError("test", "the test years must come after the training years", f"after {cfg['train'][1]}")
    for key in cfg["search"]:
        if key not in SEARCH_KEYS:
            raise ConfigError(f"search.{key}", "unknown search setting", SEARCH_KEYS)
    check_int("search.maxiter", cfg["search"].get("maxiter", 20), 0, 10_000)
    check_int("search.popsize", cfg["search"].get("popsize", 8), 1, 1_000)
    fitted = fitted_parameters(cfg)
    observed = calibration_series()
    dyads = sorted(observed["dyad"].unique())
    spec = arm_spec([f"scenario={cfg['stage']}"])
    first, last = int(spec.date(1)[:4]), int(spec.date(spec.horizon)[:4])
    if first > cfg["train"][0] or last < cfg["test"][1]:
        raise ConfigError("stage", f"{cfg['stage']} covers {first}-{last}, not the years {cfg['train'][0]}-{cfg['test'][1]}",
                          "a scenario covering the training and test years, e.g. history_2008_2015")
    return {"fitted": fitted, "observed": observed, "dyads": [tuple(d.split("_", 1)) for d in dyads]}


def estimate(cfg: dict, built: dict):
    from sim.resources import estimate_ensemble

    spec = arm_spec([f"scenario={cfg['stage']}"])
    return estimate_ensemble({"calibration": spec}, cfg["replicates"], cfg["chunk"], 1, 0, 0,
                             [f"trust_{a}_{b}" for a, b in built["dyads"]])


def run(cfg: dict, out_dir: Path) -> dict:
    from scipy.optimize import differential_evolution

    built = validate(cfg)
    fitted, observed, dyads = built["fitted"], built["observed"], built["dyads"]
    train, test = tuple(cfg["train"]), tuple(cfg["test"])
    history: list[dict] = []

    def objective(x: np.ndarray) -> float:
        values = {p.key: float(v) for p, v in zip(fitted, x)}
        s = score(model_series(values, cfg, dyads), observed, train, test)
        history.append({**values, "train_rmse_pp": s["train_rmse_pp"], "slope": s["slope"]})
        if len(history) % 10 == 0:
            log.info("evaluation %d: best training RMSE so far %.2f points", len(history),
                     min(h["train_rmse_pp"] for h in history))
        return s["train_rmse_pp"]

    started = time.perf_counter()
    search = {"maxiter": 20, "popsize": 8, "seed": cfg["seed"], "tol": 0.01, **cfg["search"]}
    found = differential_evolution(objective, [(p.low, p.high) for p in fitted], maxiter=search["maxiter"],
                                   popsize=search["popsize"], seed=search["seed"], tol=search["tol"], polish=False,
                                   init="sobol" if len(fitted) > 1 else "latinhypercube", updating="deferred", workers=1)
    best = {p.key: float(v) for p, v in zip(fitted, found.x)}
    log.info("search: %d evaluations in %.0f s; best %s", len(history), time.perf_counter() - started, best)
    default = score(model_series({}, cfg, dyads), observed, train, test)
    tuned = score(model_series(best, cfg, dyads), observed, train, test)
    series = pd.concat([default["joined"].assign(run="default"), tuned["joined"].assign(run="calibrated")],
                       ignore_index=True)
    series["sample"] = np.where(series["year"].between(*train), "train",
                                np.where(series["year"].between(*test), "test", "other"))
    series = series.astype({"dyad": "category", "year": "int64", "run": "category", "sample": "category",
                            "trust": "float64", "observed": "float64", "fitted": "float64"})
    report = {
        "fitted": [{"key": p.key, "low": p.low, "high": p.high, "why": p.why, "value": best[p.key]} for p in fitted],
        "scores": {run: {k: v for k, v in s.items() if k not in ("joined", "curve")} for run, s in
                   (("default", default), ("calibrated", tuned))},
        "evaluations": len(history), "search": search, "train": list(train), "test": list(test),
        "stage": cfg["stage"], "replicates": cfg["replicates"], "seed": cfg["seed"], "version": __version__,
        "method": "scipy.optimize.differential_evolution on the training RMSE (points) of the per-dyad-offset, "
                  "shared-slope map of model trust to favourable share",
    }
    seeds = replicate_seeds(cfg["seed"], cfg["replicates"])
    meta = run_metadata({"seed": cfg["seed"], "scenario": {"name": cfg["stage"]}, "moves": {}}, seeds)
    with AtomicResults(out_dir, "calibrate", cfg) as res:
        res.path("calibration.json").write_text(json.dumps(report, indent=2))
        write_parquet(series, res.path("series.parquet"), meta, cfg)
        write_parquet(pd.DataFrame(history), res.path("search.parquet"), meta, cfg)
        roster = compile_spec(base_config(cfg["stage"], tuple(dyads))).roster  # composed once, cached
        names = {a: roster[a].name for pair in dyads for a in pair}
        curves = pd.concat([default["curve"].assign(run="default"), tuned["curve"].assign(run="calibrated")],
                           ignore_index=True)
        figure(series, train, test, names, curves).savefig(res.path("calibration.png"), dpi=150, bbox_inches="tight")
        write_yaml(cfg, res.path("config.yaml"))
        res.path("metadata.json").write_text(json.dumps(meta, indent=2))
        res.path("calibrated.yaml").write_text(calibrated_yaml(report, meta))
        res.commit()
    return report


def figure(series: pd.DataFrame, train: tuple[int, int], test: tuple[int, int], names: dict[str, str],
           curves: pd.DataFrame | None = None):
    """One panel per dyad: the observed favourable share (points, only the years with data), and
    the model's mapped trust before and after calibration in every survey year of the replay
    (``curves``; without it, only the years with data), 0-100, the test years shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dyads = list(series["dyad"].cat.categories)
    cols = min(3, len(dyads))
    rows = math.ceil(len(dyads) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False, sharey=True)
    for ax, dyad in zip(axes.flat, dyads):
        obs_name, target = dyad.split("_", 1)
        g = series[series["dyad"] == dyad]
        base = g[g["run"] == "default"].sort_values("year")
        ax.plot(base["year"], base["observed"] * 100, "ko", ls=":", lw=0.8, label="observed (Pew, % favourable)")
        model = g if curves is None else curves[curves["dyad"] == dyad]
        for run, style in (("default", dict(color="tab:gray", ls="--", label="model, default parameters")),
                           ("calibrated", dict(color="tab:blue", label="model, calibrated"))):
            m = model[model["run"] == run].sort_values("year")
            ax.plot(m["year"], m["fitted"] * 100, **style)
        ax.axvspan(test[0] - 0.5, test[1] + 0.5, color="0.9", zorder=0)
        ax.set_title(f"{names.get(obs_name, obs_name)}: view of {names.get(target, target)}", fontsize=8)
        ax.set_xticks(range(train[0], test[1] + 1, 2))
    for ax in axes.flat[len(dyads):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("favourable, % (model: mapped trust)")
    axes.flat[0].legend(fontsize=7, loc="lower left")
    fig.suptitle(f"Calibration on {train[0]}-{train[1]}; shaded: {test[0]}-{test[1]}, not seen by the fit", fontsize=10)
    fig.tight_layout()
    return fig


def format_report(report: dict) -> str:
    lines = [f"Calibration of {', '.join(p['key'] for p in report['fitted'])} on {report['stage']} "
             f"({report['replicates']} replicates, {report['evaluations']} evaluations):"]
    for p in report["fitted"]:
        lines.append(f"  {p['key']:<34s} {p['value']:.4g}  (searched {p['low']:g}-{p['high']:g})")
    for run in ("default", "calibrated"):
        s = report["scores"][run]
        lines.append(f"  {run:<11s} training RMSE {s['train_rmse_pp']:.2f} pp; test RMSE {s['test_rmse_pp']:.2f} pp; "
                     f"test change signs right {s['test_sign_agreement']:.0%} of {s['test_sign_changes']}; "
                     f"slope {s['slope']:.3g}")
    return "\n".join(lines)


@hydra.main(config_path="../configs", config_name="calibrate", version_base="1.3")
def main(cfg) -> None:
    container = OmegaConf.to_container(cfg, resolve=True)
    report = run_job("calibrate", container, lambda out_dir: run(container, out_dir),
                     on_skip=lambda out_dir: json.loads((out_dir / "calibration.json").read_text()))
    if report is not None:
        print(format_report(report))
        print(f"\nResults in {HydraConfig.get().runtime.output_dir}")


def app() -> App:
    return App(kind="calibrate", config_name="calibrate", validate=validate, estimate=estimate, results=RESULTS,
               aliases={"stage": "scenario"})


def data_fingerprints() -> dict[str, str]:
    """SHA-256 of each opinion data file, so a calibration names the data version it fitted."""
    import hashlib

    from experiments.observed import CHECKS_FILE, PEW_FILE

    root = PEW_FILE.parent.parent.parent
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in (PEW_FILE, CHECKS_FILE)}


def calibrated_yaml(report: dict, meta: dict) -> str:
    """The fitted values as a ``dynamics`` config group file whose comments carry their provenance:
    enough to rerun the calibration and get the same numbers."""
    scores = report["scores"]
    search = ", ".join(f"{k}={v}" for k, v in report["search"].items())
    lines = [
        "# @package _global_",
        "# The calibrated belief dynamics: select with `dynamics=calibrated` (any command), or in an",
        "# experiment's model overrides: overrides=[dynamics=calibrated]. Not the model's defaults:",
        "# docs/validation.md says why.",
        "# Provenance (written by experiments/calibrate.py, calibrated_yaml):",
        f"#   command: python -m experiments.calibrate seed={report['seed']} replicates={report['replicates']}",
        f"#   stage {report['stage']}; train {report['train'][0]}-{report['train'][1]}, "
        f"test {report['test'][0]}-{report['test'][1]}; {report['evaluations']} evaluations; search: {search}",
        f"#   eurosec {report['version']}, git {meta.get('git_commit', 'unknown')}",
        f"#   training RMSE {scores['calibrated']['train_rmse_pp']:.2f} points (defaults "
        f"{scores['default']['train_rmse_pp']:.2f}); test RMSE {scores['calibrated']['test_rmse_pp']:.2f} "
        f"(defaults {scores['default']['test_rmse_pp']:.2f})",
        "#   data (SHA-256):",
        *(f"#     {path} {digest}" for path, digest in data_fingerprints().items()),
    ]
    groups: dict[str, list[dict]] = {}
    for item in report["fitted"]:
        groups.setdefault(item["key"].split(".", 1)[0], []).append(item)
    for group, items in groups.items():
        lines.append(f"{group}:")
        for item in items:
            key = item["key"].split(".", 1)[1]
            lines.append(f"  # searched {item['low']}-{item['high']}: {item['why']}")
            lines.append(f"  {key}: {float(item['value']):.6g}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    checked_entry(main, app())
