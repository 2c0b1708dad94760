"""The Ray launcher on a local Ray cluster gives the basic launcher's results. Needs the `ray`
extra, which lives in its own environment (`make test-ray`); skipped elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("ray", reason="the `ray` extra is installed by `make venv-ray` (run with `make test-ray`)")
pytest.importorskip("hydra_plugins.hydra_ray_launcher")

pytestmark = pytest.mark.ray

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ("-m", "stage=baseline_2010,postwar_2008", "replicates=6", "arms=[nrc]", "progress=false")
# A local cluster of 2 CPUs without dashboard, on the loopback interface only (on Linux Ray binds
# to the machine's address unless told it is a single-machine cluster), with no usage reporting.
RAY = ("hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2", "+hydra.launcher.ray.init.include_dashboard=false")
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


def sweep(out: Path, *launcher: str, env: dict | None = None) -> list[pd.DataFrame]:
    """Run the small comparison sweep into ``out``; the finals of its two jobs."""
    proc = subprocess.run([sys.executable, "-m", "experiments.compare_options", *SWEEP, *launcher,
                           f"hydra.sweep.dir={out}"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    return [pd.read_parquet(out / job / "finals.parquet") for job in ("0", "1")]


def test_ray_local_cluster_sweep_gives_the_basic_launchers_results(tmp_path):
    basic = sweep(tmp_path / "basic", "hydra/launcher=basic")
    ray = sweep(tmp_path / "ray", *RAY, env={**os.environ, **RAY_ENV})
    for ours, theirs in zip(ray, basic, strict=True):
        pd.testing.assert_frame_equal(ours, theirs)
    combined = pd.read_parquet(tmp_path / "ray" / "finals.parquet")  # the sweep's callback ran on the driver
    assert set(combined["stage"]) == {"baseline_2010", "postwar_2008"}
