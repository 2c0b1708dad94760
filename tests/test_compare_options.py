"""The option comparison: arms run on common seeds, effects come with intervals, bad arms are
refused before anything runs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from experiments.stats import paired_effect, t_critical
ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def run_compare(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "experiments.compare_options", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_compare_two_options_writes_tables_and_figures(tmp_path):
    out = tmp_path / "cmp"
    proc = run_compare(f"hydra.run.dir={out}", "replicates=40", "arms=[nrc,strategic_concept]", "progress=false")
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in out.iterdir()}
    assert {"summary.parquet", "finals.parquet", "effects.parquet", "effects.csv", "forest.png", "trajectories.png",
            "heatmap.png", "metadata.json", "config.yaml"} <= names
    finals = pd.read_parquet(out / "finals.parquet")
    assert set(finals["arm"].astype(str)) == {"baseline", "nrc", "strategic_concept"}
    # common random numbers: every arm's replicate r runs on the same seed
    seeds = finals.pivot(index="replicate", columns="arm", values="seed")
    assert (seeds.nunique(axis=1) == 1).all()
    effects = pd.read_parquet(out / "effects.parquet")
    nrc = effects[(effects["arm"] == "nrc") & (effects["outcome"] == "trust_RUS_NATO")].iloc[0]
    # the pipeline, not the science (the facts report judges effects): a finite effect inside its CI
    assert nrc["ci_low"] <= nrc["effect"] <= nrc["ci_high"] and np.isfinite(nrc["ci_high"] - nrc["ci_low"])
    assert nrc["agreed_share"] > 0.5
    assert "Change in final mean_trust vs baseline" in proc.stdout
    from sim import __version__

    for name in ("summary", "finals", "effects", "dyads"):  # provenance as columns of every table
        table = pd.read_parquet(out / f"{name}.parquet")
        assert {"arm", "scenario", "master_seed", "overrides", "version"} <= set(table.columns), name
        assert set(table["version"].astype(str)) == {__version__} and set(table["scenario"]) == {"baseline_2010"}


@pytest.mark.parametrize("override, key", [("arms=[nrc,zzz]", "arms[1]"), ("stage=incremental_web", "stage"),
                                           ("outcomes=[trust_RUS_MARS]", "outcomes[0]"), ("start=999", "start")])
def test_bad_comparison_input_fails_before_running(tmp_path, override, key):
    out = tmp_path / "cmp"
    proc = run_compare(f"hydra.run.dir={out}", "replicates=4", override)
    assert proc.returncode == 2, proc.stderr
    assert f"'{key}'" in proc.stderr
    assert not out.exists()


def test_t_critical_matches_tables():
    assert t_critical(9) == pytest.approx(2.262, abs=0.01)
    assert t_critical(29) == pytest.approx(2.045, abs=0.002)
    assert t_critical(999) == pytest.approx(1.962, abs=0.001)


def test_confidence_interval_covers_a_known_effect_at_nominal_rate():
    rng = np.random.default_rng(0)
    covered, significant_null = 0, 0
    trials = 2000
    for _ in range(trials):
        base = rng.normal(0.0, 1.0, 30)
        arm = base + 0.3 + rng.normal(0.0, 0.5, 30)
        e = paired_effect(arm, base)
        covered += e["ci_low"] <= 0.3 <= e["ci_high"]
        null = paired_effect(base + rng.normal(0.0, 0.5, 30), base)
        significant_null += null["significant"]
    assert 0.93 < covered / trials < 0.97
    assert significant_null / trials < 0.07


def test_sweep_resumes_finished_jobs_and_aggregates(tmp_path):
    sweep = tmp_path / "sweep"
    args = ("-m", "stage=baseline_2010,postwar_2008", "replicates=8", "arms=[nrc]", "progress=false",
            f"hydra.sweep.dir={sweep}")
    first = run_compare(*args)
    assert first.returncode == 0, first.stderr
    combined = pd.read_parquet(sweep / "effects.parquet")
    assert set(combined["stage"]) == {"baseline_2010", "postwar_2008"}
    job0 = pd.read_parquet(sweep / "0" / "finals.parquet")
    # a job whose results are complete is skipped on restart, and its results are untouched
    stamp = (sweep / "0" / "finals.parquet").stat().st_mtime_ns
    (sweep / "1" / "manifest.json").unlink()  # job 1 "interrupted"
    second = run_compare(*args)
    assert second.returncode == 0, second.stderr
    assert (sweep / "0" / "finals.parquet").stat().st_mtime_ns == stamp
    assert "skipping" in second.stdout + second.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(sweep / "0" / "finals.parquet"), job0)
    assert (sweep / "1" / "manifest.json").exists()


def test_aggregate_reports_jobs_without_results(tmp_path):
    sweep = tmp_path / "sweep"
    proc = run_compare("-m", "stage=baseline_2010,postwar_2008", "replicates=6", "arms=[nrc]", "progress=false",
                       f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stderr
    (sweep / "1" / "manifest.json").unlink()  # as if job 1 had been interrupted
    agg = subprocess.run([sys.executable, "-m", "experiments.aggregate", str(sweep)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert agg.returncode == 1, agg.stderr  # incomplete
    assert "1 job(s) combined, 1 without results: 1" in agg.stdout and "INCOMPLETE" in agg.stdout
    assert set(pd.read_parquet(sweep / "effects.incomplete.parquet")["job"]) == {"0"}
    assert not (sweep / "effects.parquet").exists(), "a partial dataset must not look complete"


def test_same_seeds_same_results_with_basic_and_joblib_launchers_and_any_chunking(tmp_path):
    common = ("replicates=6", "arms=[nrc]", "progress=false")
    basic = run_compare("-m", "stage=baseline_2010", *common, "chunk=6", "hydra/launcher=basic",
                        f"hydra.sweep.dir={tmp_path / 'basic'}")
    # joblib is the default launcher of multiruns (configs/ensemble_base.yaml)
    joblib = run_compare("-m", "stage=baseline_2010", *common, "chunk=4", "hydra.launcher.n_jobs=2",
                         f"hydra.sweep.dir={tmp_path / 'joblib'}")
    assert basic.returncode == 0, basic.stderr
    assert joblib.returncode == 0, joblib.stderr
    a = pd.read_parquet(tmp_path / "basic" / "0" / "finals.parquet")
    b = pd.read_parquet(tmp_path / "joblib" / "0" / "finals.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_arms_in_parallel_processes_give_the_same_results_as_one_process(tmp_path):
    """`workers` only spreads the arms over processes: tables are identical to a serial run."""
    common = ("replicates=5", "arms=[nrc,corfu]", "progress=false", "dyads.replicates=2")
    serial = run_compare(*common, "workers=1", f"hydra.run.dir={tmp_path / 'serial'}")
    parallel = run_compare(*common, "workers=2", "chunk=3", f"hydra.run.dir={tmp_path / 'parallel'}")
    assert serial.returncode == 0, serial.stderr
    assert parallel.returncode == 0, parallel.stderr
    assert "running 3 arms in 2 processes" in (tmp_path / "parallel" / "compare_options.log").read_text()
    for table in ("finals", "summary", "effects", "dyads"):
        a = pd.read_parquet(tmp_path / "serial" / f"{table}.parquet")
        b = pd.read_parquet(tmp_path / "parallel" / f"{table}.parquet")
        pd.testing.assert_frame_equal(a, b, obj=table)


@pytest.mark.parametrize("override, key", [("arms=[nrc],[nrc,zzz]", "arms[1]"), ("stage=baseline_2010,atlantis", "stage")])
def test_bad_sweep_values_fail_before_any_job_runs(tmp_path, override, key):
    sweep = tmp_path / "sweep"
    proc = run_compare("-m", override, "replicates=4", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 2, proc.stderr
    assert f"'{key}'" in proc.stderr
    assert not sweep.exists(), "no job may start"


def test_workers_default_to_one_per_core_at_most_one_per_arm():
    import os

    from experiments.ensemble import resolve_workers
    from sim.errors import ConfigError

    cores = len(os.sched_getaffinity(0))
    assert resolve_workers(0, 11) == min(cores, 11)
    assert resolve_workers(0, 1) == 1
    assert resolve_workers(8, 3) == 3 and resolve_workers(1, 11) == 1
    from experiments.ensemble import check_ensemble_settings

    with pytest.raises(ConfigError, match="'workers'"):
        check_ensemble_settings({"seed": 0, "replicates": 10, "chunk": 5, "workers": -1, "level": 0.95})
