"""Check the historical replay against the record (a Hydra app).

    python -m experiments.validation
    python -m experiments.validation replicates=200

Three kinds of check, each over many seeds with the replay's own randomness (crises, types):

1. **The 2010 stage is reachable.** For every key dyad, the replay's ensemble at the end of
   December 2009 against the initial trust of the `baseline_2010` stage (its state as set up, the
   start of January 2010): the replay's mean, its 5-95% spread
   across runs, the stage's value, their distance and whether the stage lies inside the spread.
2. **Turning points of the record** (declared in ``EPISODES``): the direction of each dyad's
   change over a dated episode (the August war, the reset, 2014), as a paired change over the
   same runs with its 95% CI; PASS when the interval lies on the record's side of 0.
3. **Opinion checks** kept out of the calibration (``data/opinion/checks.csv``): the share of
   year-on-year changes whose sign the model matches (reported, not judged).

Writes ``validation.parquet`` (one row per check), ``trajectories.parquet`` (per dyad and month:
mean, 95% CI of the mean and the 5-95% spread across runs), ``validation.png``,
``validation.md`` (the report as a Markdown table), ``config.yaml``, ``metadata.json`` and
``initial_trust.yaml``: the replay's mean trust at the stage's month for every dyad, as a config
file of the stage's initial trust (committed as ``configs/initial_trust/replay_2009.yaml``, which
``baseline_2010`` starts from: the stage "derived from the replay's state"; a test keeps it equal
to what this run writes).
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf

from experiments.ensemble import (EnsembleConfig, arm_spec, check_ensemble_settings, check_overrides, ensemble_schema,
                                  run_arm)
from experiments.stats import paired_effect
from sim import __version__
from sim.app.entry import App, checked_entry
from sim.app.jobs import run_job
from sim.app.manifest import AtomicResults
from sim.errors import ConfigError
from sim.numerics.streams import replicate_seeds
from sim.output.files import run_metadata, write_parquet, write_yaml

log = logging.getLogger("eurosec.validation")

WEST = ("NATO", "EU", "USA")


@dataclass(frozen=True)
class Episode:
    """A dated stretch of the record and the direction trust took over it, with the reason."""
    name: str
    first: str  # "YYYY-MM": the month before the episode
    last: str  # "YYYY-MM": its last month
    dyad: str  # observer_target, or WEST_RUS / RUS_WEST (the mean over NATO, the EU and the USA)
    direction: str  # "fall" or "rise"
    record: str


EPISODES = (
    Episode("august_war", "2008-07", "2008-12", "WEST_RUS", "fall",
            "the war and Russia's recognition of Abkhazia and South Ossetia; NATO suspends the NRC"),
    Episode("august_war", "2008-07", "2008-12", "RUS_WEST", "fall",
            "Moscow blames Western support for Saakashvili; missile-defence agreements signed that summer"),
    Episode("reset", "2009-02", "2010-12", "USA_RUS", "rise",
            "the reset (March 2009); Russia's Afghan transit (2009), vote on Iran (June 2010), S-300 ban (September 2010)"),
    Episode("reset", "2009-02", "2010-12", "RUS_USA", "rise",
            "the reset; the shift of missile-defence plans (September 2009); New START signed (April 2010)"),
    Episode("crimea_donbas", "2013-12", "2014-12", "WEST_RUS", "fall",
            "Crimea's annexation, the war in Donbas, MH17, sectoral sanctions"),
    Episode("crimea_donbas", "2013-12", "2014-12", "RUS_WEST", "fall",
            "the Maidan read as a Western-backed coup; sanctions; NATO suspends practical cooperation"),
)
KEY_DYADS = ("RUS_NATO", "NATO_RUS", "RUS_EU", "EU_RUS", "RUS_USA", "USA_RUS", "WEU_RUS", "EFL_RUS")


def dyads_needed() -> list[str]:
    out = list(KEY_DYADS)
    for w in WEST:
        out += [f"{w}_RUS", f"RUS_{w}"]
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------- measurements

def monthly(summary: pd.DataFrame) -> pd.DataFrame:
    """Per-replicate monthly trust of the key dyads and of the West/Russia means, indexed by
    (date, replicate)."""
    cols = {c: c.removeprefix("trust_") for c in summary.columns if c.startswith("trust_")}
    m = summary.assign(date=summary["date"].astype(str)).set_index(["date", "replicate"])[list(cols)].rename(columns=cols).astype(np.float64)
    m["WEST_RUS"] = m[[f"{w}_RUS" for w in WEST]].mean(axis=1)
    m["RUS_WEST"] = m[[f"RUS_{w}" for w in WEST]].mean(axis=1)
    return m


def at(m: pd.DataFrame, date: str, dyad: str) -> np.ndarray:
    try:
        return m.xs(date, level="date")[dyad].sort_index().to_numpy(np.float64)
    except KeyError:
        raise ConfigError("replay", f"the replay has no month {date}", "a scenario covering 2008-01 to 2015-12") from None


def stage_rows(m: pd.DataFrame, stage_trust: dict[str, float], date: str) -> list[dict]:
    rows = []
    for dyad in KEY_DYADS:
        v = at(m, date, dyad)
        lo, hi = np.quantile(v, [0.05, 0.95])
        s = stage_trust[dyad]
        rows.append({"check": "stage_reachable", "case": dyad, "effect": float(v.mean()) - s, "ci_low": float(lo) - s,
                     "ci_high": float(hi) - s, "model": float(v.mean()), "reference": s,
                     "verdict": "PASS" if lo <= s <= hi else "FAIL",
                     "rule": f"the stage's initial value inside the replay's 5-95% spread at the end of {date}",
                     "detail": f"replay {v.mean():.3f} (5-95%: {lo:.3f}-{hi:.3f}), stage {s:.3f}"})
    return rows


def episode_rows(m: pd.DataFrame, level: float) -> list[dict]:
    rows = []
    for e in EPISODES:
        before, after = at(m, e.first, e.dyad), at(m, e.last, e.dyad)
        eff = paired_effect(after, before, level)
        ok = eff["ci_high"] < 0 if e.direction == "fall" else eff["ci_low"] > 0
        rows.append({"check": e.name, "case": e.dyad, "effect": eff["effect"], "ci_low": eff["ci_low"],
                     "ci_high": eff["ci_high"], "model": float(after.mean()), "reference": float(before.mean()),
                     "verdict": "PASS" if ok else "FAIL",
                     "rule": f"trust {e.direction}s from {e.first} to {e.last} (95% CI)", "detail": e.record})
    return rows


def check_series() -> pd.DataFrame:
    """The opinion series kept out of the calibration (experiments.observed.CHECK_MAPPING): dyad,
    measure (the survey), year and value (favourable share, points)."""
    from experiments.observed import CHECK_MAPPING, observed_series

    s = observed_series(CHECK_MAPPING).dropna(subset=["favourable_pct"])
    return pd.DataFrame({"dyad": s["observer"].astype(str) + "_" + s["target"].astype(str),
                         "measure": s["survey"].astype(str), "year": s["year"], "value": s["favourable_pct"]})


def opinion_rows(m: pd.DataFrame, checks: pd.DataFrame, month: int) -> list[dict]:
    """Per check series: the share of year-on-year changes (of at least 1 point) whose sign the
    model's mean trust in that dyad matches, read in ``month`` of each year."""
    rows = []
    means = m.groupby(level="date").mean()
    for (dyad, measure), g in checks.groupby(["dyad", "measure"], observed=True):
        if dyad not in means.columns:
            continue
        g = g.sort_values("year")
        years = g["year"].to_numpy()
        model = np.array([means[dyad].get(f"{y}-{month:02d}", np.nan) for y in years])
        d_obs, d_mod = np.diff(g["value"].to_numpy()), np.diff(model)
        use = (np.abs(d_obs) >= 1.0) & ~np.isnan(d_mod)
        share = float(np.mean(np.sign(d_obs[use]) == np.sign(d_mod[use]))) if use.any() else math.nan
        rows.append({"check": "opinion_signs", "case": f"{dyad}: {measure}", "effect": share, "ci_low": math.nan,
                     "ci_high": math.nan, "model": math.nan, "reference": math.nan, "verdict": "REPORT",
                     "rule": "share of year-on-year changes (>= 1 point) with the model's sign",
                     "detail": f"{int(use.sum())} changes, {years.min()}-{years.max()}"})
    return rows


COLUMNS = {"check": "category", "case": "string", "effect": "float64", "ci_low": "float64", "ci_high": "float64",
           "model": "float64", "reference": "float64", "verdict": "category", "rule": "string", "detail": "string"}


def trajectories(m: pd.DataFrame, level: float) -> pd.DataFrame:
    from experiments.stats import t_critical

    g = m.groupby(level="date")
    n = g.size().iloc[0]
    mean, sd = g.mean(), g.std(ddof=1)
    half = t_critical(n - 1, level) * sd / math.sqrt(n)
    out = []
    for dyad in m.columns:
        out.append(pd.DataFrame({"dyad": dyad, "date": mean.index, "mean": mean[dyad].to_numpy(),
                                 "ci_low": (mean[dyad] - half[dyad]).to_numpy(), "ci_high": (mean[dyad] + half[dyad]).to_numpy(),
                                 "p05": g[dyad].quantile(0.05).to_numpy(), "p95": g[dyad].quantile(0.95).to_numpy()}))
    t = pd.concat(out, ignore_index=True)
    t["date"] = pd.to_datetime(t["date"] + "-01")
    return t.astype({"dyad": "category"})


# --------------------------------------------------------------------------- the app

@ensemble_schema
class ValidationConfig(EnsembleConfig):
    replay: str = "history_2008_2015"
    survey_month: int = 5
    checks: bool = True
    overrides: list[str] = field(default_factory=list)


ConfigStore.instance().store(name="validation_schema", node=ValidationConfig)
RESULTS = ("validation.parquet", "trajectories.parquet", "validation.png", "validation.md", "config.yaml",
           "metadata.json", "initial_trust.yaml")


def validate(cfg: dict) -> dict:
    check_ensemble_settings(cfg)
    check_overrides(cfg["overrides"])
    dyads = [tuple(d.split("_", 1)) for d in dyads_needed()]
    keys = "[" + ",".join(f"[{a},{b}]" for a, b in dyads) + "]"
    replay = arm_spec([f"scenario={cfg['replay']}", f"output.key_dyads={keys}", *cfg["overrides"]])
    stage = arm_spec([f"scenario={cfg['stage']}", *cfg["overrides"]])
    months = [replay.date(t)[:7] for t in range(0, replay.horizon + 1)]
    for e in EPISODES:
        for month in (e.first, e.last):
            if month not in months:
                raise ConfigError("replay", f"{cfg['replay']} does not cover {month} (episode {e.name})",
                                  "a scenario covering 2008-07 to 2014-12, e.g. history_2008_2015")
    if stage_month(stage) not in months[1:]:
        raise ConfigError("stage", f"{cfg['stage']} starts from the state of {stage_month(stage)}, not a month of "
                                   f"{cfg['replay']}", f"a stage starting between {months[1]} and {months[-1]}")
    return {"replay": replay, "stage": stage}


def stage_month(stage) -> str:
    """The month whose end state a stage starts from (its step 0: December 2009 for a stage
    starting in January 2010)."""
    return stage.date(0)[:7]


def stage_trust(stage) -> dict[str, float]:
    """The key dyads' trust in the stage's initial state, as the model sets it up (composites'
    trust derived from their members, as in every run), not the raw scenario rules."""
    from sim.model import EurosecModel

    trust = EurosecModel(seeds=[0], config=stage, record_events=False).engine.state.trust[0]
    return {d: float(trust[stage.roster.index(d.split("_")[0]), stage.roster.index(d.split("_")[1])])
            for d in KEY_DYADS}


def replayed_trust(built: dict, cfg: dict) -> np.ndarray:
    """Mean *own* trust (each actor's own evidence, before social influence, as a probability)
    of the replay's runs (the same seeds as the checks) at the end of the month the stage starts
    from: a scenario's trust sets own beliefs, and every run starts from their social fixed point.
    Chunked, so memory does not grow with the replicates."""
    from sim.mechanisms.dynamics import sigmoid
    from sim.model import EurosecModel

    replay, stage = built["replay"], built["stage"]
    steps = [replay.date(t)[:7] for t in range(replay.horizon + 1)].index(stage_month(stage))
    seeds = replicate_seeds(cfg["seed"], cfg["replicates"])
    total = np.zeros((replay.roster.n, replay.roster.n))
    for start in range(0, len(seeds), cfg["chunk"]):
        model = EurosecModel(seeds=seeds[start:start + cfg["chunk"]], config=replay, record_events=False)
        for _ in range(steps):
            model.step()
        total += sigmoid(model.engine.state.own).sum(axis=0)
    return total / len(seeds)


def initial_trust_yaml(trust: np.ndarray, built: dict, cfg: dict, meta: dict) -> str:
    """The replay's mean trust as ``scenario.trust.matrix`` for every ordered pair of actors,
    composites included: their social trust is their members', but their own rows evolve in the
    replay and enter the stage's type prior (the mean trust placed in each actor)."""
    replay, stage = built["replay"], built["stage"]
    roster = replay.roster
    lines = [
        "# @package _global_",
        f"# The stage's initial trust derived from the replay: each actor's own trust (before social",
        f"# influence) averaged over {cfg['replicates']} runs of {cfg['replay']} (seed {cfg['seed']}) at the end "
        f"of {stage_month(stage)},",
        "# for every pair of actors (a composite's social trust is its members', as in every run, and",
        "# its own row enters the type prior, the mean trust placed in each actor); every run",
        "# starts from its social fixed point, and these are also the priors beliefs relax to.",
        "# baseline_2010, and every stage built on it, starts from this state (scenario.trust.matrix); the",
        "# sourced judgement is configs/initial_trust/judgement_2010.yaml (initial_trust=judgement_2010).",
        "# Beliefs only: postures, irritants, threat and formats stay the stage's; each run draws its",
        "# types afresh. Regenerate it with `make validate` when the model or the replay changes (a test",
        "# checks that it is what the replay gives).",
        f"# Written by: python -m experiments.validation replicates={cfg['replicates']} seed={cfg['seed']}"
        f"{' overrides=' + repr(cfg['overrides']) if cfg['overrides'] else ''}; eurosec {__version__}, "
        f"git {meta.get('git_commit', 'unknown')}",
        "scenario:",
        "  trust:",
        f"    starts: \"{stage.date(1)[:7]}\"   # the stages it fits (others are refused)",
        "    rules: []   # the judgement's rules do not apply on top of the state",
        "    matrix:     # row: an observer's own trust in each target, in the order of targets",
        f"      targets: [{', '.join(roster.ids)}]",
        "      rows:",
    ]
    for i, a in enumerate(roster.ids):
        row = ", ".join(f"{float(np.clip(trust[i, j], 0.01, 0.99)) if i != j else 0.99:.4f}" for j in range(roster.n))
        lines.append(f"        {a}: [{row}]")
    return "\n".join(lines) + "\n"


def estimate(cfg: dict, built: dict):
    from sim.resources import estimate_ensemble

    return estimate_ensemble({"replay": built["replay"]}, cfg["replicates"], cfg["chunk"], 1, 0, 0,
                             [f"trust_{d}" for d in dyads_needed()])


def run(cfg: dict, out_dir: Path) -> pd.DataFrame:
    built = validate(cfg)
    started = time.perf_counter()
    result = run_arm("replay", built["replay"], cfg["seed"], cfg["replicates"], cfg["chunk"], cfg["progress"],
                     per_step=[f"trust_{d}" for d in dyads_needed()])
    log.info("replay: %d runs in %.1f s", cfg["replicates"], time.perf_counter() - started)
    m = monthly(result.summary)
    stage = built["stage"]
    rows = stage_rows(m, stage_trust(stage), stage_month(stage)) + episode_rows(m, cfg["level"])
    if cfg["checks"]:
        rows += opinion_rows(m, check_series(), cfg["survey_month"])
    table = pd.DataFrame(rows, columns=list(COLUMNS)).astype(COLUMNS)
    traj = trajectories(m, cfg["level"])
    seeds = replicate_seeds(cfg["seed"], cfg["replicates"])
    meta = run_metadata({"seed": cfg["seed"], "scenario": {"name": cfg["replay"]}, "moves": {}}, seeds)
    names = {a.id: a.name for a in built["replay"].roster.actors}
    with AtomicResults(out_dir, "validation", cfg) as res:
        write_parquet(table, res.path("validation.parquet"), meta, cfg)
        write_parquet(traj, res.path("trajectories.parquet"), meta, cfg)
        figure(traj, names, cfg).savefig(res.path("validation.png"), dpi=150, bbox_inches="tight")
        res.path("validation.md").write_text(markdown(table, cfg))
        write_yaml(cfg, res.path("config.yaml"))
        res.path("metadata.json").write_text(json.dumps(meta, indent=2))
        res.path("initial_trust.yaml").write_text(initial_trust_yaml(replayed_trust(built, cfg), built, cfg, meta))
        res.commit()
    return table


MARKED = (("2008-08", "August war"), ("2009-03", "reset"), ("2011-02", "New START"), ("2014-03", "Crimea"),
          ("2015-02", "Minsk II"))


def figure(traj: pd.DataFrame, names: dict[str, str], cfg: dict):
    """Two panels (the West's trust in Russia; Russia's in the West), dated, with the mean, its
    95% CI and the 5-95% spread across runs, and the record's turning points marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    panels = ((axes[0], ("USA_RUS", "EU_RUS", "NATO_RUS"), "Trust in Russia, held by:", 0),
              (axes[1], ("RUS_USA", "RUS_EU", "RUS_NATO"), "Russia's trust in:", 1))
    for ax, dyads, title, other in panels:
        for dyad, colour in zip(dyads, ("tab:blue", "tab:green", "tab:red")):
            g = traj[traj["dyad"] == dyad]
            label = names.get(dyad.split("_")[other], dyad)
            ax.fill_between(g["date"], g["p05"], g["p95"], color=colour, alpha=0.12, lw=0)
            ax.fill_between(g["date"], g["ci_low"], g["ci_high"], color=colour, alpha=0.35, lw=0)
            ax.plot(g["date"], g["mean"], color=colour, label=label)
        for date, name in MARKED:
            x = pd.Timestamp(date + "-01")
            ax.axvline(x, color="0.5", lw=0.7, ls=":")
            ax.text(x, 0.98, name, rotation=90, va="top", ha="right", fontsize=7, color="0.3",
                    transform=ax.get_xaxis_transform())
        ax.set_title(title, fontsize=10)
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7, loc="lower left")
    axes[0].set_ylabel("trust, 0 (none) - 1 (full)")
    with_overrides = f"\nwith {', '.join(cfg['overrides'])}" if cfg.get("overrides") else ""
    fig.suptitle(f"{cfg['replay']}: mean of {cfg['replicates']} runs; dark band 95% CI of the mean, "
                 f"light band 5-95% spread across runs{with_overrides}", fontsize=9)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def markdown(table: pd.DataFrame, cfg: dict) -> str:
    with_overrides = f", overrides `{' '.join(cfg['overrides'])}`" if cfg.get("overrides") else ""
    lines = [f"Replay `{cfg['replay']}`, {cfg['replicates']} runs (seed {cfg['seed']}), stage `{cfg['stage']}`"
             f"{with_overrides}; eurosec {__version__}.\n", "| check | case | effect [interval] | detail | rule | verdict |",
             "|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        interval = "" if math.isnan(r["ci_low"]) else f" [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"
        lines.append(f"| {r['check']} | {r['case']} | {r['effect']:+.3f}{interval} | {r['detail']} | {r['rule']} | "
                     f"{r['verdict']} |")
    return "\n".join(lines) + "\n"


def format_table(table: pd.DataFrame) -> str:
    lines = ["Validation against the record:"]
    for _, r in table.iterrows():
        interval = "" if math.isnan(r["ci_low"]) else f" [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"
        lines.append(f"  {r['verdict']:<6s} {r['check']:<16s} {r['case']:<28s} {r['effect']:+.3f}{interval}  {r['detail']}")
    judged = table[table["verdict"] != "REPORT"]
    lines.append(f"\n{int((judged['verdict'] == 'PASS').sum())} of {len(judged)} judged checks pass.")
    return "\n".join(lines)


@hydra.main(config_path="../configs", config_name="validation", version_base="1.3")
def main(cfg) -> None:
    container = OmegaConf.to_container(cfg, resolve=True)
    table = run_job("validation", container, lambda out_dir: run(container, out_dir),
                    on_skip=lambda out_dir: pd.read_parquet(out_dir / "validation.parquet"))
    if table is not None:
        print(format_table(table))
        print(f"\nResults in {HydraConfig.get().runtime.output_dir}")


def app() -> App:
    return App(kind="validation", config_name="validation", validate=validate, estimate=estimate, results=RESULTS,
               aliases={"stage": "scenario", "replay": "scenario"})


if __name__ == "__main__":
    checked_entry(main, app())
