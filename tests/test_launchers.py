"""Launchers of multirun sweeps: joblib is the default of every app, submitit runs the same jobs
as separate processes (its local mode stands in for SLURM), and whatever runs the jobs, the same
seeds give identical results. Ray has its own module (test_ray_launcher.py, `make test-ray`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
# two jobs, so that a launcher running them side by side is exercised
SWEEP = ("-m", "stage=baseline_2010,postwar_2008", "replicates=6", "arms=[nrc]", "progress=false")


def sweep(out: Path, *launcher: str) -> Path:
    """Run the small comparison sweep into ``out`` with the given launcher overrides."""
    proc = subprocess.run([sys.executable, "-m", "experiments.compare_options", *SWEEP, *launcher,
                           f"hydra.sweep.dir={out}"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out


def job_finals(out: Path) -> list[pd.DataFrame]:
    return [pd.read_parquet(out / job / "finals.parquet") for job in ("0", "1")]


def hydra_node(config_name: str, *overrides: str):
    """The composed ``hydra`` node of an app's primary config (as its command line would compose it)."""
    from hydra import compose, initialize_config_dir

    import experiments.combinations  # noqa: F401  (register the apps' schemas)
    import experiments.compare_options  # noqa: F401
    import sim.config.schema  # noqa: F401

    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        return compose(config_name, list(overrides), return_hydra_config=True).hydra


@pytest.mark.parametrize("config_name", ["compare_options", "combinations", "config"])
def test_joblib_is_the_default_launcher_of_every_app(config_name):
    assert hydra_node(config_name).launcher._target_.endswith("JoblibLauncher")
    assert hydra_node(config_name, "hydra/launcher=basic").launcher._target_.endswith("BasicLauncher")


def test_slurm_preset_sets_eurosec_job_sizes_and_takes_any_submitit_key():
    launcher = hydra_node("compare_options", "hydra/launcher=slurm", "hydra.launcher.partition=short",
                          "hydra.launcher.timeout_min=120", "hydra.sweeper.max_batch_size=500").launcher
    assert launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert (launcher.partition, launcher.timeout_min, launcher.cpus_per_task, launcher.mem_gb) == ("short", 120, 1, 4)
    sweeper = hydra_node("compare_options", "hydra/launcher=submitit_slurm", "hydra.sweeper.max_batch_size=500").sweeper
    assert sweeper.max_batch_size == 500


@pytest.fixture(scope="module")
def basic_finals(tmp_path_factory) -> list[pd.DataFrame]:
    return job_finals(sweep(tmp_path_factory.mktemp("basic") / "sweep", "hydra/launcher=basic"))


def test_submitit_local_sweep_gives_the_basic_launchers_results(tmp_path, basic_finals):
    out = sweep(tmp_path / "submitit", "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10")
    assert list((out / ".submitit").glob("*/*_result.pkl")), "the jobs ran through submitit"
    for ours, theirs in zip(job_finals(out), basic_finals, strict=True):
        pd.testing.assert_frame_equal(ours, theirs)
    combined = pd.read_parquet(out / "finals.parquet")  # the sweep's callback ran in the launching process
    assert set(combined["stage"]) == {"baseline_2010", "postwar_2008"}
