"""Calibration (experiments/calibrate.py): the map from trust to favourability fits shapes, not
levels; the scores mean what they say; bad settings are refused; a small search runs end to
end, reproducibly, and writes its results."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments import calibrate as C
from experiments.ensemble import arm_spec
from sim.config import CONFIG_DIR
from sim.errors import ConfigError


def frame(dyad, years, trust, observed):
    return pd.DataFrame({"dyad": dyad, "year": years, "trust": trust, "observed": observed})


def test_the_map_ignores_levels_and_recovers_a_shared_slope():
    years = np.arange(2008, 2013)
    t = np.array([0.3, 0.2, 0.4, 0.45, 0.35])
    joined = pd.concat([frame("USA_RUS", years, t, 0.10 + 0.5 * t),       # the public far below the elite
                        frame("RUS_USA", years, t[::-1], 0.60 + 0.5 * t[::-1])])
    slope, offsets = C.fit_map(joined)
    assert slope == pytest.approx(0.5)
    assert offsets == pytest.approx({"USA_RUS": 0.10, "RUS_USA": 0.60})


def test_a_model_moving_against_opinion_gets_no_negative_slope():
    years = np.arange(2008, 2013)
    t = np.linspace(0.2, 0.6, 5)
    slope, _ = C.fit_map(frame("USA_RUS", years, t, 0.8 - t))
    assert slope == 0.0


def test_scores_in_and_out_of_sample():
    years = np.arange(2008, 2016)
    trust = np.array([0.3, 0.25, 0.35, 0.4, 0.38, 0.36, 0.2, 0.15])
    observed = frame("USA_RUS", years, trust, 0.2 + 0.5 * trust)[["dyad", "year", "observed"]]
    series = frame("USA_RUS", years, trust, np.nan)[["dyad", "year", "trust"]]
    s = C.score(series, observed, (2008, 2012), (2013, 2015))
    assert s["train_rmse_pp"] == pytest.approx(0.0, abs=1e-9) and s["test_rmse_pp"] == pytest.approx(0.0, abs=1e-9)
    assert s["test_sign_agreement"] == 1.0 and s["test_sign_changes"] == 3
    assert s["lowest_year"]["USA_RUS"] == {"observed": 2015, "model": 2015}
    flat = series.assign(trust=np.where(years > 2012, trust[4], trust))  # the model misses the fall
    assert C.score(flat, observed, (2008, 2012), (2013, 2015))["test_rmse_pp"] > 3


def test_the_figure_draws_the_model_in_years_without_data():
    """Observed points where a survey exists; the model's mapped trust in every year of the replay."""
    years = np.arange(2008, 2016)
    trust = np.linspace(0.2, 0.4, 8)
    sparse = frame("USA_RUS", years, trust, 0.2 + 0.5 * trust)[["dyad", "year", "observed"]].iloc[[0, 3, 6]]
    series = frame("USA_RUS", years, trust, np.nan)[["dyad", "year", "trust"]]
    s = C.score(series, sparse, (2008, 2012), (2013, 2015))
    joined = pd.concat([s["joined"].assign(run=r) for r in ("default", "calibrated")]).astype({"dyad": "category"})
    curves = pd.concat([s["curve"].assign(run=r) for r in ("default", "calibrated")])
    fig = C.figure(joined, (2008, 2012), (2013, 2015), {"USA": "United States", "RUS": "Russia"}, curves)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert list(lines["observed (Pew, % favourable)"].get_xdata()) == [2008, 2011, 2014]
    assert list(lines["model, calibrated"].get_xdata()) == list(years)


def settings(**change):
    cfg = {"seed": 0, "replicates": 4, "chunk": 500, "workers": 1, "stage": "prewar_2008", "level": 0.95,
           "progress": False, "survey_month": 5, "train": [2008, 2012], "test": [2013, 2015],
           "fit": {"dynamics.hostile_sensitivity": {"low": 0.5, "high": 2.0, "why": "test"}},
           "search": {"maxiter": 1, "popsize": 1, "seed": 0, "tol": 0.01}}
    cfg.update(change)
    return cfg


def fake_observed():
    years = np.arange(2008, 2016)
    return pd.DataFrame({"dyad": ["USA_RUS"] * 8 + ["RUS_USA"] * 8, "year": np.tile(years, 2),
                         "observed": [.45, .40, .49, .49, .37, .37, .19, .22, .55, .44, .57, .56, .52, .51, .23, .15]})


@pytest.fixture
def observed(monkeypatch):
    monkeypatch.setattr(C, "calibration_series", fake_observed)


def test_the_calibration_series_are_fractions_per_dyad():
    s = C.calibration_series()
    assert {"RUS_USA", "USA_RUS"} <= set(s["dyad"]) and s["observed"].between(0, 1).all()
    assert s["year"].between(2008, 2015).all()


@pytest.mark.parametrize("change, key", [
    ({"fit": {}}, "fit"),
    ({"fit": {"dynamics.no_such": {"low": 0, "high": 1}}}, "fit.dynamics.no_such"),
    ({"fit": {"dynamics.trust_memory": {"low": 0.0, "high": 2.0}}}, "fit.dynamics.trust_memory.high"),
    ({"fit": {"dynamics.trust_memory": {"low": 0.03, "high": 0.01}}}, "fit.dynamics.trust_memory"),
    ({"fit": {"dynamics.trust_memory": {"low": 0.0}}}, "fit.dynamics.trust_memory"),
    ({"train": [2012, 2008]}, "train"),
    ({"test": [2010, 2015]}, "test"),
    ({"survey_month": 13}, "survey_month"),
    ({"search": {"generations": 3}}, "search.generations"),
    ({"stage": "baseline_2010", "train": [2008, 2012]}, "stage"),
])
def test_bad_settings_are_refused_naming_the_key(observed, change, key):
    with pytest.raises(ConfigError) as err:
        C.validate(settings(**change))
    assert err.value.key == key


def test_a_small_search_runs_reproducibly_and_writes_its_results(observed, tmp_path):
    cfg = settings()
    first = C.run(cfg, tmp_path / "a")
    again = C.run(cfg, tmp_path / "b")
    assert first["fitted"] == again["fitted"] and first["scores"] == again["scores"]
    for name in C.RESULTS:
        assert (tmp_path / "a" / name).exists(), name
    report = json.loads((tmp_path / "a" / "calibration.json").read_text())
    value = report["fitted"][0]["value"]
    assert 0.5 <= value <= 2.0
    series = pd.read_parquet(tmp_path / "a" / "series.parquet")
    assert set(series["run"]) == {"default", "calibrated"} and set(series["sample"]) >= {"train", "test"}
    assert series["year"].dtype == "int64" and series["dyad"].dtype == "category"
    # the calibrated run scores at least as well in training as any evaluation the search made
    search = pd.read_parquet(tmp_path / "a" / "search.parquet")
    assert report["scores"]["calibrated"]["train_rmse_pp"] == pytest.approx(search["train_rmse_pp"].min())
    # the fitted values as a config group file, with the data version it fitted
    text = (tmp_path / "a" / "calibrated.yaml").read_text()
    assert text.splitlines()[0] == "# @package _global_"
    assert "data/opinion/pew_favourability.csv" in text and f"seed={cfg['seed']}" in text
    written = yaml.safe_load(text)
    for item in report["fitted"]:
        group, key = item["key"].split(".", 1)
        assert written[group][key] == pytest.approx(item["value"], rel=1e-5)


def test_the_committed_calibration_is_selectable_and_names_its_provenance():
    path = CONFIG_DIR / "dynamics" / "calibrated.yaml"
    values = yaml.safe_load(path.read_text())["dynamics"]
    spec = arm_spec(["scenario=history_2008_2015", "dynamics=calibrated"])
    for key, value in values.items():
        assert getattr(spec.dynamics, key) == value
    text = path.read_text()
    for digest in C.data_fingerprints().values():
        assert digest in text, "the committed calibration was fitted to other data: rerun make calibrate"


def test_the_command_runs_end_to_end(tmp_path):
    """``python -m experiments.calibrate`` as a user runs it (a tiny budget): the module's entry
    point, not only its functions (it once stopped with NameError after the search)."""
    import subprocess
    import sys

    out = tmp_path / "calibration"
    proc = subprocess.run([sys.executable, "-m", "experiments.calibrate", "replicates=4", "search.maxiter=1",
                           "search.popsize=1", "progress=false", f"hydra.run.dir={out}"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "calibrated  training RMSE" in proc.stdout
    assert set(C.RESULTS) <= {p.name for p in out.iterdir()}
    assert yaml.safe_load((out / "calibrated.yaml").read_text())["dynamics"]
