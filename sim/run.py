"""Run one eurosec scenario from the command line (a Hydra app).

    python -m sim.run                                   # defaults: baseline_2010, three moves, seed 0
    python -m sim.run seed=7 option=[nrc] moves.nrc.start=3
    python -m sim.run replicates=200 dynamics.spiral_bias=0.2

Writes into the Hydra output folder: summary.parquet, dyads.parquet, events.parquet,
config.yaml (resolved), metadata.json, trajectories.png and narrative.txt; prints the story.
Bad input exits with status 2 and a one-paragraph message, and leaves nothing behind; the
output folder is checked, created and locked before Hydra starts (sim/app/entry.py).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

import sim.config.schema  # noqa: F401  (registers the config schema)
from sim.config.schema import output_default

log = logging.getLogger("eurosec")


RESULTS = ("summary.parquet", "dyads.parquet", "events.parquet", "config.yaml", "metadata.json", "narrative.txt",
           "trajectories.png")


def validate(cfg: dict):
    """The checks a run makes before simulating (every job of a sweep, before any runs)."""
    from sim.config.spec import compile_spec

    return compile_spec(cfg)


def estimate(cfg: dict, spec):
    """Memory and disk the run needs (checked against what is free before it starts)."""
    from sim.resources import estimate_run

    events = bool((cfg.get("output") or {}).get("events", output_default("events")))
    return estimate_run(spec, int(cfg.get("replicates", 1)), record_events=events)


def execute(cfg: dict, out_dir: Path, progress: bool = True) -> dict:
    """Validate, simulate and write results for a resolved config; return the output paths."""
    from tqdm import tqdm

    from sim.app.manifest import AtomicResults
    from sim.model import EurosecModel
    from sim.output.narrative import narrative
    from sim.output.files import run_metadata, write_parquet, write_yaml
    from sim.output.plots import trajectories
    from sim.config.spec import compile_spec

    spec = compile_spec(cfg)
    model = EurosecModel(config=spec)
    log.info("scenario %s, %d replicate(s), %d months, moves: %s", spec.scenario_name, model.replicates,
             spec.horizon, ", ".join(m.id for m in spec.moves) or "none")
    with tqdm(total=spec.horizon, desc="months", unit="mo", disable=not progress, leave=False) as bar:
        while model.running:
            model.step()
            bar.update()
    summary, dyads, events = model.summary(), model.dyads(), model.events()
    meta = run_metadata(cfg, model.seeds)
    story = narrative(spec, events, dyads)
    with AtomicResults(out_dir, "run", cfg) as res:
        write_parquet(summary, res.path("summary.parquet"), meta, cfg)
        write_parquet(dyads, res.path("dyads.parquet"), meta, cfg)
        write_parquet(events, res.path("events.parquet"), meta, cfg)
        write_yaml(cfg, res.path("config.yaml"))
        res.path("metadata.json").write_text(json.dumps(meta, indent=2))
        res.path("narrative.txt").write_text("\n".join(story) + "\n")
        if cfg.get("output", {}).get("figure", output_default("figure")):
            trajectories(summary, spec, events, res.path("trajectories.png"))
        paths = res.commit()  # the manifest (file hashes) lands last: a resumed sweep skips verified jobs
    final = summary[summary["step"] == summary["step"].max()]
    return {"paths": paths, "story": story, "final": final, "spec": spec}


def _report(result: dict, out_dir: Path, show_story: bool) -> None:
    spec = result["spec"]
    if show_story:
        print("\n".join(result["story"]) or "(no agreements, crises or escalations)")
    final = result["final"]
    print(f"\nAfter {spec.horizon} months ({spec.date(spec.horizon)}), mean over {len(final)} replicate(s):")
    for i, j in spec.key_dyads:
        a, b = spec.ids[i], spec.ids[j]
        print(f"  trust {a}->{b}: {final[f'trust_{a}_{b}'].mean():.2f}   threat {a}->{b}: {final[f'threat_{a}_{b}'].mean():.2f}")
    print(f"Results in {out_dir}")


@hydra.main(config_path="../configs", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    from sim.app.jobs import run_job

    out_dir = Path(HydraConfig.get().runtime.output_dir)
    container = OmegaConf.to_container(cfg, resolve=True)
    result = run_job("run", container, lambda out: execute(container, out, progress=sys.stderr.isatty()))
    if result is not None:
        _report(result, out_dir, show_story=bool(container.get("output", {}).get("narrative", output_default("narrative"))))


def app():
    """This app as the checked entry point sees it (sim.app.entry)."""
    from sim.app.entry import App

    return App(kind="run", config_name="config", validate=validate, estimate=estimate, results=RESULTS)


if __name__ == "__main__":
    from sim.app.entry import checked_entry

    checked_entry(main, app())
