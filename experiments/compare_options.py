"""Compare the paper's options: baseline and each option alone over many seeds (a Hydra app).

    python -m experiments.compare_options
    python -m experiments.compare_options replicates=200 arms=[nrc,solidarity] stage=postwar_2008

Every arm is validated before any runs. Writes into the Hydra output folder: summary.parquet
(one row per arm, run and month), finals.parquet (one row per arm and run), effects.parquet
and effects.csv (paired effect of each option on each outcome with its confidence interval,
over all runs (the option tabled) and over the runs where it was agreed, and the share of runs
in which it was agreed), trajectories.png, forest.png, heatmap.png,
distributions.png, config.yaml and metadata.json; prints the effects table.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import field
from pathlib import Path

import hydra
import pandas as pd
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf

from experiments import plots
from experiments.ensemble import (DyadsConfig, EnsembleConfig, arm_spec, check_ensemble_settings, check_option_list, check_overrides,
                                  dyad_settings, ensemble_schema, resolve_workers, run_arms)
from experiments.stats import AGREED_CAVEAT, effects_table
from sim import __version__
from sim.app.entry import App, checked_entry
from sim.app.jobs import run_job
from sim.app.manifest import AtomicResults
from sim.errors import ConfigError, check_int
from sim.output.files import run_metadata, write_parquet, write_yaml
from sim.output.outcomes import check_outcome_names
from sim.results.labels import effect_text

log = logging.getLogger("eurosec.compare")


@ensemble_schema
class CompareConfig(EnsembleConfig):
    """This app's settings besides the shared ones (EnsembleConfig)."""
    arms: list[str] = field(default_factory=list)
    start: int | None = 1
    outcomes: list[str] = field(default_factory=list)
    per_step: list[str] = field(default_factory=list)
    dyads: DyadsConfig = field(default_factory=DyadsConfig)
    overrides: list[str] = field(default_factory=list)


ConfigStore.instance().store(name="compare_schema", node=CompareConfig)


def arm_overrides(cfg: dict, arm: str | None) -> tuple[list[str], dict]:
    """Hydra overrides and direct settings of one arm (None = the baseline)."""
    overrides = [f"scenario={cfg['stage']}", f"option=[{arm}]" if arm else "option=[]", *cfg["overrides"]]
    extra = {f"moves.{arm}.start": cfg["start"]} if arm and cfg["start"] is not None else {}
    return overrides, extra


def validate(cfg: dict) -> dict:
    """Check every arm and setting before running anything; return the compiled specs."""
    check_ensemble_settings(cfg)
    dyad_settings(cfg)
    check_overrides(cfg["overrides"])
    check_option_list(cfg["arms"], "arms", "an arm")
    specs = {"baseline": arm_spec(*arm_overrides(cfg, None))}
    if any(not (m.in_force or m.history) for m in specs["baseline"].moves):
        raise ConfigError("stage", f"{cfg['stage']} schedules moves, so it cannot serve as the baseline",
                          "a scenario without scheduled moves besides its history (formats in force at the start, "
                          "history: true events), e.g. baseline_2010 or postwar_2008")
    if cfg["start"] is not None:
        check_int("start", cfg["start"], 1, specs["baseline"].horizon)
    for arm in cfg["arms"]:
        specs[arm] = arm_spec(*arm_overrides(cfg, arm))
    for name in ("outcomes", "per_step"):
        check_outcome_names(name, cfg[name], specs["baseline"])
    return specs


def estimate(cfg: dict, specs: dict):
    """Memory and disk of the comparison (checked against what is free before it starts)."""
    from sim.resources import estimate_ensemble

    period, chosen = dyad_settings(cfg)
    return estimate_ensemble(specs, cfg["replicates"], cfg["chunk"], resolve_workers(cfg["workers"], len(specs)),
                             period, chosen, cfg["per_step"])


RESULTS = ("summary.parquet", "finals.parquet", "dyads.parquet", "effects.parquet", "effects.csv", "config.yaml",
           "metadata.json", "trajectories.png", "forest.png", "distributions.png", "heatmap.png")


def compare(cfg: dict, out_dir: Path) -> pd.DataFrame:
    specs = validate(cfg)
    dyad_period, dyad_replicates = dyad_settings(cfg)
    started = time.perf_counter()
    results = run_arms(specs, cfg["seed"], cfg["replicates"], cfg["chunk"], cfg["progress"],
                       resolve_workers(cfg["workers"], len(specs)), dyad_period, dyad_replicates, cfg["per_step"])
    log.info("simulated %d arms x %d replicates in %.1f s", len(results), cfg["replicates"], time.perf_counter() - started)
    keep = ["arm", "replicate", "seed", "step", "date", *cfg["per_step"]]
    summary = pd.concat([r.summary[keep] for r in results], ignore_index=True)
    finals = pd.concat([r.finals for r in results], ignore_index=True)
    dyads = pd.concat([r.dyads for r in results], ignore_index=True)  # the `dyads` replicates and months
    mean_trust = {r.arm: r.trust.mean(axis=0) for r in results}  # final trust over all runs, for the heatmap
    seeds = results[0].summary["seed"].unique()
    del results  # the per-arm tables are copied into the combined ones: free them before writing
    for frame in (summary, finals, dyads):
        frame["arm"] = pd.Categorical(frame["arm"], categories=list(specs))
        frame.insert(1, "scenario", cfg["stage"])
    for col in [c for c in finals.columns if c.startswith("agreed_")]:
        finals[col] = finals[col].astype("boolean")  # <NA> in the arms that never tabled that move
    effects = effects_table(finals, "baseline", cfg["outcomes"], cfg["level"])
    effects.insert(1, "scenario", cfg["stage"])
    # provenance as columns too (the Parquet metadata holds the full config): tables from
    # different comparisons can be concatenated and still say where each row came from
    for frame in (summary, finals, dyads, effects):
        frame["master_seed"] = cfg["seed"]
        frame["overrides"] = pd.Categorical([" ".join(cfg["overrides"])] * len(frame))
        frame["version"] = pd.Categorical([__version__] * len(frame))
    meta = run_metadata({"seed": cfg["seed"], "scenario": {"name": cfg["stage"]}, "moves": {a: {} for a in cfg["arms"]}},
                        seeds)
    best = effects[effects["outcome"] == cfg["outcomes"][0]].sort_values("effect").iloc[-1]["arm"] if len(effects) else None
    with AtomicResults(out_dir, "compare_options", cfg) as res:
        write_parquet(summary, res.path("summary.parquet"), meta, cfg)
        write_parquet(finals, res.path("finals.parquet"), meta, cfg)
        write_parquet(dyads, res.path("dyads.parquet"), meta, cfg)
        write_parquet(effects, res.path("effects.parquet"), meta, cfg)
        effects.to_csv(res.path("effects.csv"), index=False)
        write_yaml(cfg, res.path("config.yaml"))
        res.path("metadata.json").write_text(json.dumps(meta, indent=2))
        shown = [c for c in ("trust_RUS_NATO", "trust_NATO_RUS", "mean_threat") if c in cfg["per_step"]] or cfg["per_step"][:3]
        tabled = {f"options tabled (month {cfg['start']})": specs["baseline"].date(cfg["start"])} \
            if cfg["start"] is not None else None
        plots.trajectories(summary, shown, res.path("trajectories.png"),
                           f"{cfg['stage']}: each option alone vs baseline ({cfg['replicates']} runs each)", tabled)
        if len(effects):
            plots.forest(effects, cfg["outcomes"], res.path("forest.png"))
            plots.distributions(finals, cfg["outcomes"][0], res.path("distributions.png"))
            plots.trust_difference(mean_trust[best] - mean_trust["baseline"], list(specs["baseline"].ids), best,
                                   cfg["replicates"], res.path("heatmap.png"))
        res.commit()  # the manifest (file hashes) lands last: a resumed sweep skips verified jobs
    return effects


def format_effects(effects: pd.DataFrame, outcomes: list[str]) -> str:
    """The effects table as printed: each option's effect when tabled (all runs) and where agreed,
    with 95% CIs in significant digits (a small significant effect never prints as +0.000)."""
    if effects.empty:
        return "(no arms besides the baseline)"
    lines = []
    for outcome in outcomes[:4]:
        e = effects[effects["outcome"] == outcome].sort_values("effect", ascending=False)
        lines.append(f"\nChange in final {outcome} vs baseline (paired by seed, {int(e['n'].iloc[0])} runs): "
                     "tabled (all runs) | where agreed")
        for _, r in e.iterrows():
            lines.append(f"  {r['arm']:>18s} {effect_text(r['effect'], r['ci_low'], r['ci_high'], r['significant'])}"
                         f" | {effect_text(r['effect_agreed'], r['ci_low_agreed'], r['ci_high_agreed'], r['significant_agreed'])}"
                         f"  agreed in {r['agreed_share']:.0%}")
    return "\n".join(lines)


@hydra.main(config_path="../configs", config_name="compare_options", version_base="1.3")
def main(cfg) -> None:
    container = OmegaConf.to_container(cfg, resolve=True)
    effects = run_job("compare_options", container, lambda out_dir: compare(container, out_dir),
                      on_skip=lambda out_dir: pd.read_parquet(out_dir / "effects.parquet"))
    if effects is not None:
        print(format_effects(effects, container["outcomes"]))
        print(f"\n* the 95% confidence interval excludes zero. Where agreed means the {AGREED_CAVEAT.removeprefix('where agreed: ')}.")
        print(f"Results in {HydraConfig.get().runtime.output_dir}")

def app() -> App:
    """This app as the checked entry point sees it: every value of the option and scenario
    lists, and every job of a sweep, is checked before any job."""
    return App(kind="compare_options", config_name="compare_options", validate=validate, estimate=estimate,
               results=RESULTS, aliases={"arms": "option", "stage": "scenario"})


if __name__ == "__main__":
    checked_entry(main, app())
