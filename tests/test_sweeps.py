"""Multirun sweeps: bad input anywhere in a sweep fails before any job runs; a job that fails
records why, the others finish and are aggregated, and the sweep exits non-zero."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import experiments.combinations as combinations
import experiments.compare_options as compare_options
import sim.run
from sim.app.entry import App, check_jobs
from sim.errors import ConfigError
from sim.output.files import read_metadata

ROOT = Path(__file__).resolve().parent.parent


def run_module(module: str, *args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "HYDRA_FULL_ERROR": "0", **(env or {})})


def one_message(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("eurosec:")]
    assert len(lines) == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


# ---------------------------------------------------------------- bad sweep input: nothing runs

def check_sweep(argv: list[str], config_name: str, validate) -> int:
    """Compose and validate every job of ``argv`` as the entry point does; the number of jobs."""
    comp = check_jobs(App(kind="test", config_name=config_name, validate=validate), argv)
    return 0 if comp is None else len(comp.jobs)


validate_run = sim.run.validate


def test_sweep_jobs_are_expanded_like_hydras_basic_sweeper():
    seen = []
    n = check_sweep(["-m", "seed=1,2", "replicates=range(2,4)", "scenario=baseline_2010"], "config",
                    lambda cfg: seen.append((cfg["seed"], cfg["replicates"], cfg["scenario"]["name"])))
    assert n == 4
    assert seen == [(s, r, "baseline_2010") for s in (1, 2) for r in (2, 3)]


def test_a_single_run_is_validated_before_hydra_starts_and_printing_runs_are_not():
    seen = []
    assert check_sweep(["scenario=baseline_2010", "replicates=3"], "config", lambda cfg: seen.append(cfg)) == 1
    assert seen[0]["replicates"] == 3
    with pytest.raises(ConfigError) as err:
        check_sweep(["dynamics.spiral_bias=7"], "config", validate_run)
    assert err.value.key == "dynamics.spiral_bias" and "sweep job" not in str(err.value)

    def fail(cfg):
        raise AssertionError("a run that only prints is not validated")

    assert check_sweep(["--cfg", "job", "-m", "seed=1,2"], "config", fail) == 0


@pytest.mark.parametrize("argv, key, job, allowed", [
    (["-m", "dynamics.spiral_bias=0.2,7"], "dynamics.spiral_bias", "sweep job 1: dynamics.spiral_bias=7", "[0.0, 1.0]"),
    (["-m", "dynamics.spiral_bias=range(0,3,1)", "seed=4"], "dynamics.spiral_bias",
     "sweep job 2: dynamics.spiral_bias=2", "[0.0, 1.0]"),
    (["-m", "seed=1,2", "negotiation.max_attempts=3,0"], "negotiation.max_attempts",
     "sweep job 1: seed=1 negotiation.max_attempts=0", "[1, 100]"),
    (["-m", "dynamics.spiral_biass=0.2,0.3"], "dynamics.spiral_biass", "sweep job 0", "spiral_bias"),
])
def test_a_bad_job_of_a_run_sweep_names_the_job_key_and_allowed_values(argv, key, job, allowed):
    with pytest.raises(ConfigError) as err:
        check_sweep(argv, "config", validate_run)
    assert err.value.key == key
    assert job in str(err.value) and allowed in str(err.value)


@pytest.mark.parametrize("argv, key, job", [
    (["-m", "replicates=6,-1", "arms=[nrc]"], "replicates", "sweep job 1: replicates=-1"),
    (["-m", "arms=[nrc]", 'overrides=["dynamics.spiral_bias=0.2"],["dynamics.spiral_bias=7"]'], "dynamics.spiral_bias",
     'sweep job 1: overrides=["dynamics.spiral_bias=7"]'),
    (["-m", "arms=[nrc]", "stage=baseline_2010,postwar_2008", "start=1,500"], "start", "sweep job 1"),
])
def test_a_bad_job_of_a_comparison_sweep_is_found_by_the_apps_own_checks(argv, key, job):
    with pytest.raises(ConfigError) as err:
        check_sweep(argv, "compare_options", compare_options.validate)
    assert err.value.key == key and job in str(err.value)


def test_a_bad_outcome_in_a_combinations_sweep_is_found_before_any_job():
    with pytest.raises(ConfigError) as err:
        check_sweep(["-m", "options=[nrc]", "orderings=[]", "outcome=mean_trust,trust_RUS_MARS"], "combinations",
                    combinations.arms)
    assert err.value.key == "outcome" and "sweep job 1: outcome=trust_RUS_MARS" in str(err.value)
    assert "trust_RUS_NATO" in err.value.allowed


@pytest.mark.parametrize("module, args, key", [
    ("experiments.compare_options", ("replicates=6,-1", "arms=[nrc]"), "replicates"),
    ("experiments.compare_options", ("arms=[nrc]", "replicates=4",
                                     'overrides=["dynamics.spiral_bias=0.2"],["dynamics.spiral_bias=7"]'),
     "dynamics.spiral_bias"),
    ("sim.run", ("dynamics.spiral_bias=range(0,3,1)",), "dynamics.spiral_bias"),
    ("experiments.combinations", ("replicates=12,1", "options=[nrc,solidarity]", "orderings=[]"), "replicates"),
])
def test_bad_sweep_input_exits_2_before_any_job_and_leaves_no_sweep_folder(tmp_path, module, args, key):
    sweep = tmp_path / "sweep"
    proc = run_module(module, "-m", *args, "progress=false" if module != "sim.run" else "output.figure=false",
                      f"hydra.sweep.dir={sweep}", "hydra/launcher=basic")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    message = one_message(proc)
    assert f"'{key}'" in message and "sweep job" in message and "Allowed:" in message
    assert "Launching" not in proc.stdout + proc.stderr
    assert not sweep.exists(), "no job may start and no sweep folder may be left"


# ------------------------------------------------- a failing job: the others finish, it is reported

# Loaded at start-up by every Python process of the sweep (joblib workers too) through PYTHONPATH:
# makes the simulation (or the writing of results) of one stage raise, after validation passed.
FAILING_HOOK = '''
import os

_where, _, _stage = os.environ.get("EUROSEC_TEST_FAIL", "").partition(":")
if _where == "step":
    import sim.model

    _step = sim.model.EurosecModel.step

    def step(self):
        if self.spec.scenario_name == _stage and self.month >= 3:
            raise RuntimeError("simulated failure in month 3")
        return _step(self)

    sim.model.EurosecModel.step = step
elif _where == "write":
    import experiments.plots

    _trajectories = experiments.plots.trajectories

    def trajectories(summary, columns, path, title, *args, **kwargs):
        if title.startswith(_stage):
            raise RuntimeError("simulated failure while writing results")
        return _trajectories(summary, columns, path, title, *args, **kwargs)

    experiments.plots.trajectories = trajectories
'''


def failing_env(tmp_path: Path, where: str, stage: str) -> dict:
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(FAILING_HOOK)
    path = os.pathsep.join(p for p in (str(hook), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "EUROSEC_TEST_FAIL": f"{where}:{stage}"}


SWEEP = ("-m", "stage=baseline_2010,postwar_2008", "replicates=4", "arms=[nrc]", "progress=false")


@pytest.mark.parametrize("launcher, where, error", [
    ("basic", "write", "RuntimeError: simulated failure while writing results"),
    ("joblib", "step", "RuntimeError: simulated failure in month 3"),
])
def test_a_failing_job_is_recorded_and_the_others_are_aggregated(tmp_path, launcher, where, error):
    sweep = tmp_path / "sweep"
    args = (*SWEEP, f"hydra.sweep.dir={sweep}", f"hydra/launcher={launcher}")
    if launcher == "joblib":
        args += ("hydra.launcher.n_jobs=2",)
    proc = run_module("experiments.compare_options", *args, env=failing_env(tmp_path, where, "postwar_2008"))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    # the good job finished; the bad one left its reason and no results, partial or complete
    assert (sweep / "0" / "manifest.json").exists() and (sweep / "0" / "finals.parquet").exists()
    bad = sweep / "1"
    failure = json.loads((bad / "failure.json").read_text())
    assert failure["type"] == "RuntimeError" and "simulated failure" in failure["message"]
    assert "stage=postwar_2008" in failure["overrides"] and "Traceback" in failure["traceback"]
    assert not list(bad.glob("*.parquet")) and not list(bad.glob(".partial*")) and not (bad / "manifest.json").exists()
    # the end-of-sweep aggregation ran and combined only the good job, in tables named incomplete
    assert not (sweep / "finals.parquet").exists()
    combined = pd.read_parquet(sweep / "finals.incomplete.parquet")
    assert set(combined["job"]) == {"0"} and set(combined["stage"]) == {"baseline_2010"}
    summary = json.loads((sweep / "aggregate.json").read_text())
    assert summary["finished"] == ["0"] and [f["job"] for f in summary["failed"]] == ["1"] and not summary["complete"]
    assert summary["failed"][0]["error"] == error
    # the log names the failed job, its overrides and its error, and says how to retry
    assert f"job 1 failed (stage=postwar_2008 replicates=4 arms=[nrc] progress=False): {error}" in output
    assert f"hydra.sweep.dir={sweep}" in output

    if launcher == "basic":
        # the aggregate command reports the same, with a non-zero status
        agg = run_module("experiments.aggregate", str(sweep))
        assert agg.returncode == 1, agg.stdout + agg.stderr
        assert "1 job(s) combined" in agg.stdout and "1 job(s) failed" in agg.stdout
        assert f"job 1 (stage=postwar_2008 replicates=4 arms=[nrc] progress=False): {error}" in agg.stdout
        # rerunning the sweep once the cause is gone retries the failed job only and succeeds
        stamp = (sweep / "0" / "finals.parquet").stat().st_mtime_ns
        again = run_module("experiments.compare_options", *args)
        assert again.returncode == 0, again.stdout + again.stderr
        assert (sweep / "0" / "finals.parquet").stat().st_mtime_ns == stamp
        assert (bad / "manifest.json").exists() and not (bad / "failure.json").exists()
        summary = json.loads((sweep / "aggregate.json").read_text())
        assert summary["complete"] and summary["finished"] == ["0", "1"]
        assert not any(summary[k] for k in ("failed", "corrupt", "unfinished", "foreign"))
        assert set(pd.read_parquet(sweep / "finals.parquet")["stage"]) == {"baseline_2010", "postwar_2008"}
        assert not list(sweep.glob("*.incomplete.parquet")), "the incomplete tables were replaced"


def test_a_failing_single_run_exits_non_zero_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    proc = run_module("experiments.compare_options", f"hydra.run.dir={out}", "stage=postwar_2008", "replicates=4",
                      "arms=[nrc]", "progress=false", env=failing_env(tmp_path, "step", "postwar_2008"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "simulated failure in month 3" in proc.stderr
    assert not list(out.glob("*.parquet")) and not (out / "failure.json").exists()


def test_a_run_sweep_is_combined_resumed_and_keeps_each_runs_seed(tmp_path):
    """sim.run -m: the jobs are combined at the end (finals from each job's last month, the whole
    summaries too, one column per override); a rerun skips finished jobs."""
    sweep = tmp_path / "sweep"
    args = ("-m", "option=[nrc],[solidarity]", "seed=1,2", "replicates=3", "scenario=baseline_2010",
            "scenario.horizon=12", "output.narrative=false", "output.figure=false", "hydra/launcher=basic",
            f"hydra.sweep.dir={sweep}")
    first = run_module("sim.run", *args)
    assert first.returncode == 0, first.stderr
    finals = pd.read_parquet(sweep / "finals.parquet")
    assert len(finals) == 4 * 3 and set(finals["step"]) == {12}
    assert set(finals["option"]) == {"[nrc]", "[solidarity]"} and set(finals["override.seed"]) == {1, 2}
    # override values are numbers where they are numbers, strings otherwise (issue 13)
    assert pd.api.types.is_integer_dtype(finals["override.seed"]) and finals["option"].dtype == "string"
    # each run keeps its own replicate seed: replicate 0 runs on the master seed
    first_runs = finals[finals["replicate"] == 0]
    assert (first_runs["seed"] == first_runs["override.seed"]).all()
    # the combined tables keep their provenance: the sweep's jobs and each job's config
    meta = read_metadata(sweep / "finals.parquet")
    assert meta["metadata"]["kind"] == "sweep" and meta["metadata"]["job_kind"] == "run"
    assert meta["metadata"]["complete"] and len(meta["metadata"]["jobs"]) == 4
    assert {c["seed"] for c in meta["config"]["jobs"].values()} == {1, 2}
    assert len(pd.read_parquet(sweep / "summary.parquet")) == 4 * 3 * 13
    stamp = (sweep / "0" / "summary.parquet").stat().st_mtime_ns
    (sweep / "3" / "manifest.json").unlink()  # job 3 "interrupted"
    again = run_module("sim.run", *args)
    assert again.returncode == 0, again.stderr
    assert (sweep / "0" / "summary.parquet").stat().st_mtime_ns == stamp
    assert "skipping" in again.stdout + again.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(sweep / "finals.parquet"), finals)
