"""Pairs and orderings of the paper's options (a Hydra app).

    python -m experiments.combinations
    python -m experiments.combinations replicates=100 options=[nrc,solidarity,no_contingency] orderings=[]

Synergy of a pair (a, b) on the outcome y at the horizon, per replicate (common seeds):
    s_r = (y_ab - y_0) - (y_a - y_0) - (y_b - y_0) = (y_ab + y_0) - (y_a + y_b),
positive when the two options reinforce each other, negative when they interfere; reported
with a paired confidence interval. The ordering experiment compares whole scenarios (the
paper's sequence, all ten at once, the treaty track) with the bare stage.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import field
from pathlib import Path

import hydra
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from hydra.core.config_store import ConfigStore  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from experiments.ensemble import (EnsembleConfig, arm_spec, check_ensemble_settings, ensemble_schema,  # noqa: E402
                                  resolve_workers, run_arms)
from experiments.stats import paired_effect  # noqa: E402
from sim.app.checks import check_choices  # noqa: E402
from sim.app.entry import App, checked_entry  # noqa: E402
from sim.app.jobs import run_job  # noqa: E402
from sim.app.manifest import AtomicResults  # noqa: E402
from sim.config import config_groups  # noqa: E402
from sim.errors import ConfigError, check_int  # noqa: E402
from sim.output.files import write_parquet, write_yaml  # noqa: E402
from sim.output.outcomes import check_outcome_names  # noqa: E402
from sim.results import plots as result_plots  # noqa: E402
from sim.results.labels import effect_text, outcome_label  # noqa: E402
from sim.results.metadata import option_table  # noqa: E402

log = logging.getLogger("eurosec.combinations")


@ensemble_schema
class CombinationsConfig(EnsembleConfig):
    """This app's settings besides the shared ones (EnsembleConfig)."""
    replicates: int = 200
    options: list[str] = field(default_factory=list)
    start: int = 1
    outcome: str = "mean_trust"
    orderings: list[str] = field(default_factory=list)


ConfigStore.instance().store(name="combinations_schema", node=CombinationsConfig)


def _spec(cfg: dict, moves: tuple[str, ...], scenario: str | None = None):
    overrides = [f"scenario={scenario or cfg['stage']}", f"option=[{','.join(moves)}]"]
    extra = {f"moves.{m}.start": cfg["start"] for m in moves} if scenario is None else {}
    return arm_spec(overrides, extra)


def arms(cfg: dict) -> dict[str, object]:
    """Validate everything and compile every arm before running any."""
    check_ensemble_settings(cfg)
    groups = config_groups()
    check_choices("options", "option", cfg["options"], groups["option"])  # each known, none twice
    check_choices("orderings", "scenario", cfg["orderings"], groups["scenario"])
    specs = {"baseline": _spec(cfg, ())}
    if any(not (m.in_force or m.history) for m in specs["baseline"].moves):
        raise ConfigError("stage", f"{cfg['stage']} schedules moves", "a scenario without scheduled moves besides its "
                          "history (formats in force at the start, history: true events), e.g. baseline_2010")
    check_int("start", cfg["start"], 1, specs["baseline"].horizon)
    check_outcome_names("outcome", cfg["outcome"], specs["baseline"])
    for o in cfg["options"]:
        specs[o] = _spec(cfg, (o,))
    for a, b in itertools.combinations(cfg["options"], 2):
        specs[f"{a}+{b}"] = _spec(cfg, (a, b))
    for s in cfg["orderings"]:
        specs[f"scenario:{s}"] = _spec(cfg, (), s)
    return specs


def estimate(cfg: dict, specs: dict):
    """Memory and disk of the experiment (checked against what is free before it starts)."""
    from sim.resources import estimate_ensemble

    return estimate_ensemble(specs, cfg["replicates"], cfg["chunk"], resolve_workers(cfg["workers"], len(specs)),
                             0, 0, None, tables=False)


RESULTS = ("synergy.parquet", "synergy.csv", "ordering.parquet", "config.yaml", "synergy.png")


def pair_synergies(finals: dict[str, np.ndarray], options: list[str], level: float = 0.95) -> pd.DataFrame:
    """Synergy of every pair of ``options`` from the final outcome of each arm, replicate by
    replicate on common seeds (``finals``: arm name -> values ordered by replicate, with arms
    ``baseline``, each option and each ``a+b``).

    synergy = E[(y_ab - y_0) - (y_a - y_0) - (y_b - y_0)] = E[(y_ab + y_0) - (y_a + y_b)],
    with its paired confidence interval: 0 when the pair's effect is the sum of the single ones."""
    base = finals["baseline"]
    rows = []
    for a, b in itertools.combinations(options, 2):
        pair, ya, yb = finals[f"{a}+{b}"], finals[a], finals[b]
        syn = paired_effect(pair + base, ya + yb, level)
        rows.append({"a": a, "b": b, "synergy": syn["effect"], "ci_low": syn["ci_low"], "ci_high": syn["ci_high"],
                     "significant": syn["significant"], "effect_pair": float((pair - base).mean()),
                     "effect_a": float((ya - base).mean()), "effect_b": float((yb - base).mean()), "n": syn["n"]})
    return pd.DataFrame(rows)


def run(cfg: dict, out_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    specs = arms(cfg)
    y = cfg["outcome"]
    finals = {}
    for result in run_arms(specs, cfg["seed"], cfg["replicates"], cfg["chunk"], cfg["progress"],
                           resolve_workers(cfg["workers"], len(specs))):
        name = result.arm
        if y not in result.finals.columns:
            raise ConfigError("outcome", f"unknown outcome {y!r}", sorted(result.finals.columns))
        finals[name] = result.finals.sort_values("replicate")[y].to_numpy()
    synergy = pair_synergies(finals, cfg["options"], cfg["level"])
    base = finals["baseline"]
    ordering = pd.DataFrame([{"scenario": s, **paired_effect(finals[f"scenario:{s}"], base, cfg["level"])}
                             for s in cfg["orderings"]])
    with AtomicResults(out_dir, "combinations", cfg) as res:
        write_parquet(synergy, res.path("synergy.parquet"), {"outcome": y}, cfg)
        synergy.to_csv(res.path("synergy.csv"), index=False)
        if len(ordering):
            write_parquet(ordering, res.path("ordering.parquet"), {"outcome": y}, cfg)
        write_yaml(cfg, res.path("config.yaml"))
        if len(synergy):
            synergy_heatmap(synergy, cfg["options"], y, res.path("synergy.png"))
        res.commit()  # the manifest (file hashes) lands last: a resumed sweep skips verified jobs
    return synergy, ordering


def synergy_heatmap(synergy: pd.DataFrame, options: list[str], outcome: str, path) -> None:
    """The synergy matrix with the value in every cell (* where its 95% CI excludes 0), the
    options by paper number, a labelled colorbar and the undefined diagonal in grey."""
    k = len(options)
    m, marks = np.full((k, k), np.nan), np.full((k, k), "", dtype=object)
    for _, r in synergy.iterrows():
        i, j = options.index(r["a"]), options.index(r["b"])
        m[i, j] = m[j, i] = r["synergy"]
        marks[i, j] = marks[j, i] = "*" if r["significant"] else ""
    labels = dict(zip(*option_table()[["option", "label"]].T.to_numpy()))
    names = [labels.get(o, o) for o in options]
    fig = result_plots.matrix(m, names, names, f"synergy on final {outcome_label(outcome)}: the pair's effect minus "
                              "the sum of the single effects", f"Synergy of option pairs on final {outcome} "
                              "(* = 95% CI excludes 0)", diverging=True, marks=marks,
                              undefined="undefined (an option with itself)")
    fig.savefig(path, dpi=110)


@hydra.main(config_path="../configs", config_name="combinations", version_base="1.3")
def main(cfg) -> None:
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    container = OmegaConf.to_container(cfg, resolve=True)
    result = run_job("combinations", container, lambda out: run(container, out), on_skip=_stored)
    if result is None:
        return
    synergy, ordering = result
    top = synergy.reindex(synergy["synergy"].abs().sort_values(ascending=False).index).head(8) if len(synergy) else synergy
    if len(top):
        print(f"Strongest pair interactions on final {container['outcome']} ({container['replicates']} runs per arm):")
    for _, r in top.iterrows():
        print(f"  {r['a']:>18s} + {r['b']:<18s} {effect_text(r['synergy'], r['ci_low'], r['ci_high'], r['significant'])}")
    if len(ordering):
        print(f"\nWhole scenarios vs {container['stage']}:")
        for _, r in ordering.iterrows():
            print(f"  {r['scenario']:>18s} {effect_text(r['effect'], r['ci_low'], r['ci_high'], r['significant'])}")
    print(f"Results in {out_dir}")


def _stored(out_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables of a job that already finished (a resumed sweep)."""
    ordering = out_dir / "ordering.parquet"
    return pd.read_parquet(out_dir / "synergy.parquet"), pd.read_parquet(ordering) if ordering.exists() else pd.DataFrame()


def app() -> App:
    """This app as the checked entry point sees it: every value of the option and scenario
    lists, and every job of a sweep, is checked before any job."""
    return App(kind="combinations", config_name="combinations", validate=arms, estimate=estimate, results=RESULTS,
               aliases={"options": "option", "orderings": "scenario", "stage": "scenario"})


if __name__ == "__main__":
    checked_entry(main, app())
