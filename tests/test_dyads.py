"""Full dyad matrices are stored compactly: at a period, for a chosen subset of replicates, in
float32, with the same values a full run stores, and bad settings are refused naming the key."""

from __future__ import annotations

import copy
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.ensemble import arm_spec, dyad_settings, run_arm
from sim.config import load_config
from sim.errors import ConfigError
from sim.model import EurosecModel
from sim.config.spec import compile_spec
from sim.numerics.streams import replicate_seeds

ROOT = Path(__file__).resolve().parent.parent

STAGE = ["scenario=baseline_2010", "option=[nrc]", "scenario.horizon=30", "moves.nrc.start=1"]


@pytest.fixture(scope="module")
def base_cfg():
    return load_config(STAGE)


def model(cfg, **output) -> EurosecModel:
    cfg = copy.deepcopy(cfg)
    cfg["output"].update(output)
    return EurosecModel(rng=5, replicates=6, config=cfg, record_events=False).run()


def test_subset_and_period_are_honoured_and_values_equal_a_full_run(base_cfg):
    full = model(base_cfg, dyad_period=7, dyad_replicates=None)
    part = model(base_cfg, dyad_period=7, dyad_replicates=[4, 1])
    d_full, d_part = full.dyads(), part.dyads()
    assert sorted(d_full["replicate"].unique()) == list(range(6))
    assert sorted(d_part["replicate"].unique()) == [1, 4]
    assert sorted(d_part["step"].unique()) == [0, 7, 14, 21, 28]
    for col in ("trust", "threat", "posture"):
        assert d_part[col].dtype == np.float32
    n = len(full.spec.ids)
    assert len(d_part) == 2 * 5 * n * (n - 1)
    expected = d_full[d_full["replicate"].isin([1, 4])].reset_index(drop=True)
    pd.testing.assert_frame_equal(d_part, expected)
    # storing a subset changes nothing else
    pd.testing.assert_frame_equal(part.summary(), full.summary())


@pytest.mark.parametrize("k, stored", [(2, [0, 1]), (100, list(range(6))), (0, [])])
def test_an_integer_keeps_the_first_k_replicates(base_cfg, k, stored):
    d = model(base_cfg, dyad_period=10, dyad_replicates=k).dyads()
    assert sorted(d["replicate"].unique()) == stored
    assert d["trust"].dtype == np.float32  # typed even when empty


def test_arm_dyads_use_global_replicate_indices_whatever_the_chunk():
    spec = arm_spec(["scenario=baseline_2010", "option=[nrc]", "scenario.horizon=20"], {"moves.nrc.start": 1})
    chosen = [0, 4, 5]
    runs = {chunk: run_arm("nrc", spec, 3, 7, chunk=chunk, progress=False, dyad_period=5, dyad_replicates=chosen)
            for chunk in (2, 3, 7)}
    for chunk in (2, 3):
        pd.testing.assert_frame_equal(runs[chunk].dyads, runs[7].dyads)
    d = runs[3].dyads
    assert sorted(d["replicate"].unique()) == chosen and sorted(d["step"].unique()) == [0, 5, 10, 15, 20]
    assert (d["arm"] == "nrc").all() and d["trust"].dtype == np.float32
    # the same values as one full model run of the same seeds
    full = EurosecModel(seeds=replicate_seeds(3, 7), config=replace(spec, dyad_period=5), record_events=False).run()
    expected = full.dyads()
    expected = expected[expected["replicate"].isin(chosen)].reset_index(drop=True)
    pd.testing.assert_frame_equal(d.drop(columns="arm"), expected)
    # and the rest of the arm's results are those of an arm run without dyads
    bare = run_arm("nrc", spec, 3, 7, chunk=3, progress=False)
    assert bare.dyads.empty
    pd.testing.assert_frame_equal(runs[3].summary, bare.summary)
    pd.testing.assert_frame_equal(runs[3].finals, bare.finals)


def test_compare_writes_dyads_for_the_chosen_replicates(tmp_path):
    out = tmp_path / "cmp"
    proc = subprocess.run([sys.executable, "-m", "experiments.compare_options", f"hydra.run.dir={out}", "replicates=7",
                           "chunk=3", "arms=[nrc]", "progress=false", "overrides=['scenario.horizon=24']",
                           "dyads.period=6", "dyads.replicates=[1,4,5]"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    dyads = pd.read_parquet(out / "dyads.parquet")
    summary = pd.read_parquet(out / "summary.parquet")
    assert list(dyads.columns[:5]) == ["arm", "scenario", "replicate", "seed", "step"]
    assert set(dyads["arm"].astype(str)) == {"baseline", "nrc"} and set(dyads["scenario"]) == {"baseline_2010"}
    assert sorted(dyads["replicate"].unique()) == [1, 4, 5]
    assert sorted(dyads["step"].unique()) == [0, 6, 12, 18, 24]
    assert {dyads[c].dtype for c in ("trust", "threat", "posture")} == {np.dtype(np.float32)}
    # the stored matrices agree with the per-month summary of the same arm, run and month
    rus_nato = dyads[(dyads["observer"] == "RUS") & (dyads["target"] == "NATO")]
    merged = rus_nato.merge(summary, on=["arm", "replicate", "step"], suffixes=("", "_summary"))
    assert len(merged) == len(rus_nato) == 2 * 3 * 5
    assert (merged["trust"] == merged["trust_RUS_NATO"]).all()
    assert (merged["seed"] == merged["seed_summary"]).all()


@pytest.mark.parametrize("value, key", [(-1, "output.dyad_replicates"), ("abc", "output.dyad_replicates"),
                                        (1.5, "output.dyad_replicates"), ([0, 0], "output.dyad_replicates[1]"),
                                        ([2, -3], "output.dyad_replicates[1]"), ([True], "output.dyad_replicates[0]")])
def test_bad_dyad_replicates_name_the_key(base_cfg, value, key):
    cfg = copy.deepcopy(base_cfg)
    cfg["output"]["dyad_replicates"] = value
    with pytest.raises(ConfigError) as err:
        compile_spec(cfg)
    assert err.value.key == key and "replicate" in str(err.value)


@pytest.mark.parametrize("dyads, key", [({"period": -1, "replicates": 2}, "dyads.period"),
                                        ({"period": 6, "replicates": -2}, "dyads.replicates"),
                                        ({"period": 6, "replicates": [0, 9]}, "dyads.replicates[1]"),
                                        ({"period": 6, "replicates": "first"}, "dyads.replicates")])
def test_bad_experiment_dyad_settings_name_the_key(dyads, key):
    with pytest.raises(ConfigError) as err:
        dyad_settings({"replicates": 5, "dyads": dyads})
    assert err.value.key == key


def test_a_listed_replicate_beyond_the_run_exits_2(tmp_path, cli):
    out = tmp_path / "run"
    proc = cli(f"hydra.run.dir={out}", "scenario=baseline_2010", "replicates=2", "output.dyad_replicates=[0,5]")
    assert proc.returncode == 2, proc.stderr
    assert "'output.dyad_replicates[1]'" in proc.stderr and "does not exist" in proc.stderr
    assert not out.exists()


def test_bad_comparison_dyads_exit_2_before_running(tmp_path):
    out = tmp_path / "cmp"
    proc = subprocess.run([sys.executable, "-m", "experiments.compare_options", f"hydra.run.dir={out}", "replicates=4",
                           "arms=[nrc]", "dyads.replicates=[0,99]"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "'dyads.replicates[1]'" in proc.stderr and "[0, 3]" in proc.stderr
    assert not out.exists()
