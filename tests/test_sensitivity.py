"""Global sensitivity (experiments/sensitivity.py): the index code recovers the Ishigami
function's known indices; parameters come from their declarations; bad settings are refused
with the project's one-paragraph error; a tiny run writes typed tables end to end; an
interrupted run resumes from its verified chunks to the same tables as an uninterrupted one."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import sensitivity as S
from sim.config.schema import EXPLORED, declared_param, declared_range
from sim.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent

# Ishigami and Homma (1990), a = 7, b = 0.1, inputs uniform on [-pi, pi]: the closed-form
# first-order and total indices (Sobol' and Levitan 1999; SALib's own test values).
ISHIGAMI_S1 = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_ST = np.array([0.5576, 0.4424, 0.2437])


def ishigami(X, a=7.0, b=0.1):
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def test_ishigami_indices_are_recovered_with_intervals_that_cover_them():
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    design = S.sample_design({"method": "sobol", "samples": 1024, "seed": 0}, problem)
    assert design.shape == (1024 * (3 + 2), 3)  # Saltelli's scheme without second-order terms
    res = S.analyse("sobol", problem, design, ishigami(design), bootstrap=500, level=0.95, seed=0)
    s1, s1_half = res["S1"]
    st, st_half = res["ST"]
    np.testing.assert_allclose(s1, ISHIGAMI_S1, atol=0.05)
    np.testing.assert_allclose(st, ISHIGAMI_ST, atol=0.05)
    # the bootstrap intervals are real intervals and (nearly all) cover the truth
    assert np.all(s1_half > 0) and np.all(st_half > 0)
    covered = np.abs(np.r_[s1 - ISHIGAMI_S1, st - ISHIGAMI_ST]) <= np.r_[s1_half, st_half] * 1.5
    assert covered.sum() >= 5


def test_morris_ranks_the_ishigami_inputs():
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    design = S.sample_design({"method": "morris", "samples": 200, "morris_levels": 4, "seed": 0}, problem)
    res = S.analyse("morris", problem, design, ishigami(design), bootstrap=200, level=0.95, seed=0, levels=4)
    mu_star = res["mu_star"][0]
    # x3 acts only through its interaction with x1: the smallest mean absolute effect
    assert mu_star[2] < mu_star[0] and mu_star[2] < mu_star[1]
    assert np.all(np.isnan(res["sigma"][1]))  # sigma has no interval, and says so


def test_a_constant_outcome_has_no_indices():
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1]] * 2}
    design = S.sample_design({"method": "sobol", "samples": 8, "seed": 0}, problem)
    assert S.analyse("sobol", problem, design, np.zeros(len(design))) is None


def test_explored_ranges_lie_inside_the_accepted_ranges_with_reasons():
    for key, e in EXPLORED.items():
        low, high = declared_range(key)
        assert low <= e.low < e.high <= high, key
        assert e.label and len(e.why) > 20, key
        p = declared_param(key)
        if p.kind == "int":
            assert float(e.low).is_integer() and float(e.high).is_integer(), key


def test_integer_parameters_are_sampled_uniformly_over_their_values():
    p = S.Sampled("negotiation.max_attempts", 1, 10, "int", "attempts")
    u = np.random.default_rng(0).uniform(*p.bounds, 100_000)
    v = p.values(u)
    counts = np.bincount(v, minlength=11)[1:]
    assert v.min() == 1 and v.max() == 10 and np.all(np.abs(counts / len(v) - 0.1) < 0.005)


def settings(**change):
    cfg = {"seed": 0, "replicates": 2, "chunk": 500, "workers": 1, "stage": "baseline_2010", "level": 0.95,
           "progress": False, "method": "sobol", "samples": 2,
           "parameters": ["negotiation.max_attempts", "moves.medvedev_treaty.ratification_cost"], "ranges": {},
           "options": ["nrc"], "start": 1, "points_per_chunk": 3, "morris_levels": 4, "bootstrap": 50,
           "prim": {"alpha": 0.05, "min_mass": 0.05, "threshold": 0.8, "max_boxes": 2, "prune": 0.02}}
    cfg.update(change)
    return cfg


@pytest.mark.parametrize("change, key, words", [
    ({"parameters": ["dynamics.spiral_biass"]}, "parameters[0]", "not a declared numeric model parameter"),
    ({"parameters": ["dynamics.trust_bounds"]}, "parameters[0]", "not a declared numeric"),
    ({"parameters": ["dynamics.reassurance", "dynamics.reassurance"]}, "parameters", "listed twice"),
    ({"parameters": []}, "parameters", "no parameters"),
    ({"parameters": ["dynamics.threat_adjustment"]}, "parameters[0]", "no explored range"),
    ({"ranges": {"negotiation.max_attempts": [0, 5]}}, "ranges.negotiation.max_attempts[0]", "out of range"),
    ({"ranges": {"moves.medvedev_treaty.ratification_cost": [0.2, 1.5]}},
     "ranges.moves.medvedev_treaty.ratification_cost[1]", "out of range"),
    ({"ranges": {"negotiation.max_attempts": [2.5, 5]}}, "ranges.negotiation.max_attempts", "non-integer"),
    ({"ranges": {"negotiation.max_attempts": [5, 2]}}, "ranges.negotiation.max_attempts", "not below"),
    ({"ranges": {"dynamics.spiral_bias": [0, 1]}}, "ranges.dynamics.spiral_bias", "not sampled"),
    ({"samples": 0}, "samples", "out of range"),
    ({"samples": 6}, "samples", "power of 2"),
    ({"method": "fast"}, "method", "unknown method"),
    ({"options": ["nrcc"]}, "options[0]", "unknown option"),
    ({"points_per_chunk": 0}, "points_per_chunk", "out of range"),
    ({"prim": {"alpha": 0.7, "min_mass": 0.05, "threshold": 0.8, "max_boxes": 2}}, "prim.alpha", "out of range"),
    ({"replicates": 1}, "replicates", "out of range"),
])
def test_bad_settings_are_refused_naming_the_key(change, key, words):
    with pytest.raises(ConfigError) as err:
        S.validate(settings(**change))
    assert err.value.key == key and words in str(err.value) and "Allowed" in str(err.value)


def test_a_narrower_range_inside_the_accepted_one_is_taken():
    assert S.sampled_parameters(settings(ranges={"negotiation": {"max_attempts": [2, 5]}}))[0].high == 5  # nested
    params = S.sampled_parameters(settings(ranges={"negotiation.max_attempts": [2, 5]}))
    assert (params[0].low, params[0].high, params[0].kind) == (2, 5, "int")
    assert params[1].low == EXPLORED["moves.medvedev_treaty.ratification_cost"].low and params[1].default is None


def cli(*args, timeout=600):
    env = {**os.environ, "HYDRA_FULL_ERROR": "0", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "experiments.sensitivity", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=env)


def test_bad_input_on_the_command_line_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    for args, words in ((["samples=0"], "'samples'"), (["parameters=[dynamics.nope]"], "'parameters[0]'"),
                        (["+ranges.negotiation.max_attempts=[1,500]"], "'ranges.negotiation.max_attempts[1]'")):
        p = cli(*args, f"hydra.run.dir={out}", timeout=120)
        assert p.returncode == 2, p.stderr
        assert p.stderr.startswith("eurosec: Invalid configuration at " + words) and "Traceback" not in p.stderr
        assert not out.exists()


TINY = ["samples=2", "replicates=3", "parameters=[negotiation.max_attempts,moves.medvedev_treaty.ratification_cost]",
        "options=[nrc]", "points_per_chunk=3", "bootstrap=50", "progress=false"]


@pytest.mark.slow
def test_the_app_runs_end_to_end_into_typed_tables(tmp_path):
    out = tmp_path / "run"
    p = cli(*TINY, f"hydra.run.dir={out}")
    assert p.returncode == 0, p.stderr[-3000:]
    assert "Global sensitivity (sobol)" in p.stdout and "Scenario discovery (PRIM)" in p.stdout
    for name in S.RESULTS:
        assert (out / name).exists(), name
    assert not (out / S.CHUNKS).exists()  # the chunks are removed once the results are committed
    samples = pd.read_parquet(out / "samples.parquet")
    assert samples["point"].nunique() == 2 * (2 + 2) + 1  # N (D + 2) points and the defaults
    assert str(samples["negotiation.max_attempts"].dtype) == "int64"
    assert samples.loc[samples["point"] == 0, "negotiation.max_attempts"].iloc[0] == 3  # the declared default
    assert samples.loc[samples["point"] == 0, "moves.medvedev_treaty.ratification_cost"].iloc[0] == 0.3
    assert samples["estimate"].dtype == "float64" and samples["version"].dtype.name == "category"
    assert set(samples["outcome"].cat.categories) == {o.name for o in S.outcomes_for(["nrc"])}
    ind = pd.read_parquet(out / "indices.parquet")
    assert set(ind["index"].astype(str)) == {"S1", "ST", "rank_corr"} and ind["estimate"].dtype == "float64"
    assert (ind["ci_low"] <= ind["estimate"]).all() or ind["estimate"].isna().any()
    # the treaty's ratification cost acts only in the treaty arm: it explains none of the option's effect
    nrc = ind[(ind["outcome"] == "effect_nrc_trust_RUS_NATO") & (ind["parameter"] == "moves.medvedev_treaty.ratification_cost")]
    assert nrc["estimate"].abs().max() < 1e-9 or nrc["constant_outcome"].all()
    boxes = pd.read_parquet(out / "boxes.parquet")
    assert {"coverage", "density", "mass", "restricted"} <= set(boxes.columns) and boxes["restricted"].dtype == bool
    concl = pd.read_parquet(out / "conclusions.parquet")
    assert len(concl) == len(S.outcomes_for(["nrc"]))
    report = json.loads((out / "sensitivity.json").read_text())
    assert report["runs"] == 9 * 4 * 3 and report["resume"]["reused"] == []
    # a second run into the finished folder is refused: nothing is overwritten
    again = cli(*TINY, f"hydra.run.dir={out}", timeout=120)
    assert again.returncode == 2 and "would overwrite" in again.stderr


@pytest.mark.slow
def test_an_interrupted_run_resumes_to_the_same_tables(tmp_path, monkeypatch):
    cfg = settings(replicates=3, points_per_chunk=3)
    whole = S.run(cfg, tmp_path / "whole")
    real = S.run_chunk
    calls = []

    def interrupted(*args, **kw):
        if len(calls) == 2:
            raise KeyboardInterrupt  # stopped during the third chunk
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(S, "run_chunk", interrupted)
    folder = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        S.run(cfg, folder)
    ledger = json.loads((folder / S.CHUNKS / S.LEDGER).read_text())
    assert sorted(ledger) == ["0", "1"] and not (folder / "samples.parquet").exists()
    assert S.resumable(folder, cfg) and S.resumable(folder, {**cfg, "workers": 2, "progress": True})
    with pytest.raises(ConfigError, match="another sensitivity run"):
        S.resumable(folder, {**cfg, "seed": 1})
    # a chunk damaged while the run was stopped is verified, found wrong and computed again
    damaged = folder / S.CHUNKS / ledger["1"]["file"]
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")
    monkeypatch.setattr(S, "run_chunk", real)
    resumed = S.run(cfg, folder)
    assert resumed["report"]["resume"]["reused"] == [0]
    assert [r["chunk"] for r in resumed["report"]["resume"]["redone"]] == [1]
    assert not (folder / S.CHUNKS).exists()
    for name in ("samples.parquet", "indices.parquet", "conclusions.parquet", "boxes.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "whole" / name), pd.read_parquet(folder / name))
    assert whole["report"]["points"] == resumed["report"]["points"]


def test_the_bootstrap_intervals_are_reproducible_with_seed_0():
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    design = S.sample_design({"method": "sobol", "samples": 64, "seed": 0}, problem)
    y = ishigami(design)
    a = S.analyse("sobol", problem, design, y, bootstrap=100, seed=0)
    np.random.seed(12345)  # the global state must not matter
    b = S.analyse("sobol", problem, design, y, bootstrap=100, seed=0)
    for index in ("S1", "ST"):
        np.testing.assert_array_equal(a[index][1], b[index][1])
    assert not np.array_equal(S.analyse("sobol", problem, design, y, bootstrap=100, seed=1)["ST"][1], a["ST"][1])


def test_rank_correlations_give_direction_with_intervals():
    rng = np.random.default_rng(0)
    X = rng.random((400, 3))
    y = 2 * X[:, 0] - X[:, 1] ** 3 + 0.05 * rng.standard_normal(400)  # up in x0, down in x1, nothing in x2
    rho, low, high = S.rank_correlations(X, y, bootstrap=300, level=0.95, seed=0)
    assert rho[0] > 0.7 and low[0] > 0.6 and rho[1] < -0.2 and high[1] < 0
    assert low[2] < 0 < high[2]
    from scipy.stats import spearmanr

    assert rho[0] == pytest.approx(spearmanr(X[:, 0], y).statistic)
