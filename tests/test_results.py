"""The results API (sim.results, issue 13): every kind of output folder loads with typed tables,
metadata and figures; a partial or damaged folder is refused with one clear paragraph; the
where-agreed effect is the hand computation; combined sweep tables keep their metadata."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest

from experiments.stats import effects_table, paired_effect
from sim import results
from sim.output.files import read_metadata
from sim.results import plots

ROOT = Path(__file__).resolve().parents[1]
SMALL = ("progress=false", "workers=1", "overrides=['scenario.horizon=24']")


def run_module(module: str, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "HYDRA_FULL_ERROR": "0"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """One small output folder of each kind, written by the apps themselves."""
    root = tmp_path_factory.mktemp("results")
    run_module("experiments.compare_options", f"hydra.run.dir={root / 'compare'}", "replicates=12", "arms=[nrc,solidarity]",
               "dyads.period=12", "dyads.replicates=4", *SMALL)
    run_module("sim.run", f"hydra.run.dir={root / 'run'}", "replicates=3", "scenario=baseline_2010",
               "option=[nrc,solidarity]", "scenario.horizon=24",
               "output.narrative=false")
    run_module("experiments.combinations", f"hydra.run.dir={root / 'combinations'}", "replicates=4",
               "options=[nrc,solidarity,corfu]", "orderings=[]", "progress=false", "workers=1")
    run_module("experiments.facts", f"hydra.run.dir={root / 'facts'}", "facts=[cheap_talk]", "replicates=4",
               "horizon=24", "progress=false", "workers=1")
    run_module("experiments.validation", f"hydra.run.dir={root / 'validation'}", "replicates=4", "progress=false",
               "workers=1")
    run_module("sim.run", "-m", f"hydra.sweep.dir={root / 'sweep'}", "hydra/launcher=basic", "replicates=2",
               "scenario=baseline_2010", "scenario.horizon=12", "dynamics.spiral_bias=0.2,0.5", "seed=1,2",
               "output.narrative=false", "output.figure=false")
    return root


def test_every_kind_of_folder_loads_with_its_tables_config_and_metadata(made):
    cmp = results.load(made / "compare")
    assert cmp.kind == "compare_options" and set(cmp.tables) == {"summary", "finals", "dyads", "effects"}
    assert cmp.seed == 0 and cmp.version == cmp.metadata["eurosec_version"] and cmp.config["replicates"] == 12
    assert set(cmp.finals["arm"].astype(str)) == {"baseline", "nrc", "solidarity"}
    run = results.load(made / "run", kind="run")
    assert {"summary", "dyads", "events", "finals"} <= set(run.tables) and len(run.finals) == 3
    assert run.config["scenario"]["horizon"] == 24 and run.metadata["replicate_seeds"][0] == 0
    comb = results.load(made / "combinations")
    assert comb.kind == "combinations" and len(comb.synergy) == 3
    facts = results.load(made / "facts")
    assert facts.kind == "facts" and list(facts.facts["fact"].astype(str)) == ["cheap_talk"]
    assert facts.facts["verdict"].dtype == "category" and facts.config["replicates"] == 4
    validation = results.load(made / "validation", kind="validation")
    assert set(validation.tables) == {"validation", "trajectories"} and len(validation.validation)
    sweep = results.load(made / "sweep")
    assert sweep.kind == "sweep" and sweep.job_kind == "run" and len(sweep.config["jobs"]) == 4
    assert sorted(sweep.seed) == [1, 1, 2, 2]
    # "latest" finds the newest complete folder of a kind under a root
    assert results.load("latest", kind="combinations", root=made).path == made / "combinations"
    assert results.load("latest", kind="sweep", root=made).path == made / "sweep"


def test_a_missing_table_or_kind_is_named(made):
    cmp = results.load(made / "compare")
    with pytest.raises(results.ResultsError, match="has no 'events' table.*dyads, effects, finals, summary"):
        _ = cmp.events
    with pytest.raises(results.ResultsError, match="holds results of kind 'compare_options', not 'run'"):
        results.load(made / "compare", kind="run")
    with pytest.raises(results.ResultsError, match="unknown kind 'runs'.*compare_options"):
        results.load(made / "compare", kind="runs")
    with pytest.raises(results.ResultsError, match="no complete result folder of kind 'calibrate'"):
        results.load("latest", kind="calibrate", root=made)


def test_typed_columns(made):
    cmp = results.load(made / "compare")
    f = cmp.finals
    assert f["agreed_nrc"].dtype == "boolean"  # <NA> in the arms that never tabled nrc
    nrc = f[f["arm"] == "nrc"]
    assert nrc["agreed_nrc"].notna().all() and f.loc[f["arm"] == "baseline", "agreed_nrc"].isna().all()
    assert ((~nrc["agreed_nrc"]) == (nrc["agreed_nrc"] == False)).all()  # ~ negates (not -1/-2)
    e = cmp.effects
    assert e["significant"].dtype == "boolean" and e["significant_agreed"].dtype == "boolean"
    assert e["n_agreed"].dtype == "int64" and e["effect_agreed"].dtype == "float64"
    sweep = results.load(made / "sweep")
    assert pd.api.types.is_float_dtype(sweep.finals["dynamics.spiral_bias"])
    assert set(sweep.finals["dynamics.spiral_bias"]) == {0.2, 0.5}
    assert pd.api.types.is_integer_dtype(sweep.finals["override.seed"])


def test_combined_sweep_tables_keep_their_metadata(made):
    meta = read_metadata(made / "sweep" / "summary.parquet")
    assert meta["metadata"]["kind"] == "sweep" and meta["metadata"]["complete"]
    jobs = meta["config"]["jobs"]
    assert {c["dynamics"]["spiral_bias"] for c in jobs.values()} == {0.2, 0.5}


def test_option_and_actor_metadata(made):
    cmp = results.load(made / "compare")
    o = cmp.options.set_index("option")
    assert o.loc["solidarity", "paper_number"] == 4 and o.loc["solidarity", "proposer"] == "NATO"
    assert o.loc["corfu", "proposer_name"] == "Kazakhstan" and pd.isna(o.loc["medvedev_treaty", "paper_number"])
    assert sorted(o["paper_number"].dropna()) == list(range(1, 11))
    a = cmp.actors.set_index("actor")
    assert a.loc["RUS", "name"] == "Russia" and a.loc["TRN", "kind"] == "territory"
    shares = cmp.agreement().set_index("move")
    nrc = cmp.finals[cmp.finals["arm"] == "nrc"]
    assert shares.loc["nrc", "agreed_share"] == pytest.approx(nrc["agreed_nrc"].astype(float).mean())
    assert shares.loc["nrc", "paper_number"] == 3


@pytest.mark.parametrize("damage", ["truncate", "replace", "remove", "no_manifest", "bad_manifest"])
def test_a_partial_or_damaged_folder_is_refused_with_one_paragraph(made, tmp_path, damage):
    folder = tmp_path / "cmp"
    shutil.copytree(made / "compare", folder)
    table = folder / "finals.parquet"
    if damage == "truncate":
        table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])
    elif damage == "replace":
        shutil.copy(folder / "effects.parquet", table)
    elif damage == "remove":
        table.unlink()
    elif damage == "no_manifest":
        (folder / "manifest.json").unlink()
    else:
        (folder / "manifest.json").write_text('{"files": {"finals.parquet": {"bytes": 1}}, "config": {}, "config_hash": "0"}')
    with pytest.raises(results.ResultsError) as err:
        results.load(folder)
    text = str(err.value)
    assert text.startswith(f"Cannot load results from '{folder}'") and "\n" not in text and "Expected:" in text
    assert {"truncate": "finals.parquet has", "replace": "finals.parquet", "remove": "finals.parquet is missing",
            "no_manifest": "no manifest.json", "bad_manifest": "incomplete or damaged"}[damage] in text
    # "latest" passes over it (and says why, where its manifest names its kind)
    with pytest.raises(results.ResultsError, match="no complete result folder of kind 'compare_options'"
                       + (" was found; passed over 1" if damage in ("truncate", "replace", "remove") else "")):
        results.load("latest", kind="compare_options", root=tmp_path)


def test_the_advice_for_a_damaged_job_is_one_the_apps_accept(made, tmp_path):
    """A damaged single run is redone into a new folder (the app refuses to write over the
    damaged one, so advising that would send the user in a circle); a damaged job of a sweep is
    redone by rerunning the sweep into its folder."""
    run = tmp_path / "run"
    shutil.copytree(made / "run", run)
    (run / "summary.parquet").unlink()
    with pytest.raises(results.ResultsError, match=r"rerun the command into a new folder") as err:
        results.load(run)
    assert "into this folder" not in str(err.value)
    refused = subprocess.run([sys.executable, "-m", "sim.run", f"hydra.run.dir={run}"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120, env={**os.environ, "HYDRA_FULL_ERROR": "0"})
    assert refused.returncode == 2 and "Allowed: a new folder" in refused.stderr
    sweep = tmp_path / "sweep"
    shutil.copytree(made / "sweep", sweep)
    (sweep / "0" / "summary.parquet").unlink()
    with pytest.raises(results.ResultsError, match=rf"rerun the sweep's command with hydra.sweep.dir={sweep} "):
        results.load(sweep / "0")


def test_an_incomplete_or_tampered_sweep_is_refused(made, tmp_path):
    sweep = tmp_path / "sweep"
    shutil.copytree(made / "sweep", sweep)
    table = sweep / "finals.parquet"
    table.write_bytes(table.read_bytes() + b"x")
    with pytest.raises(results.ResultsError, match="finals.parquet differs from the table the aggregation wrote"):
        results.load(sweep)
    report = json.loads((sweep / "aggregate.json").read_text())
    report.update(complete=False, unfinished=["3"])
    (sweep / "aggregate.json").write_text(json.dumps(report))
    with pytest.raises(results.ResultsError, match=r"the sweep is incomplete \(jobs without verified results: 3\)"):
        results.load(sweep)


def test_the_where_agreed_effect_is_the_hand_computation():
    rng = np.random.default_rng(3)
    n = 40
    base = rng.normal(0.3, 0.1, n)
    agreed = rng.random(n) < 0.4
    arm = base + np.where(agreed, 0.15, 0.0) + rng.normal(0, 0.02, n)
    finals = pd.DataFrame({"arm": ["baseline"] * n + ["solidarity"] * n, "replicate": list(range(n)) * 2,
                           "y": np.r_[base, arm], "agreed_solidarity": pd.array([None] * n + list(agreed), "boolean")})
    e = effects_table(finals, "baseline", ["y"]).iloc[0]
    d = (arm - base)[agreed]
    assert e["n_agreed"] == agreed.sum() and e["effect_agreed"] == pytest.approx(d.mean())
    half = paired_effect(arm[agreed], base[agreed])["ci_high"] - d.mean()
    assert e["ci_high_agreed"] - e["effect_agreed"] == pytest.approx(half)
    assert e["effect"] == pytest.approx((arm - base).mean()) and e["agreed_share"] == pytest.approx(agreed.mean())
    # the intention-to-treat effect mixes agreed and not: smaller than the where-agreed one here
    assert e["effect"] < e["effect_agreed"]


def test_an_option_never_agreed_has_no_where_agreed_effect():
    finals = pd.DataFrame({"arm": ["baseline"] * 3 + ["x"] * 3, "replicate": [0, 1, 2] * 2, "y": [0.1, 0.2, 0.3] * 2,
                           "agreed_x": pd.array([None] * 3 + [False] * 3, "boolean")})
    e = effects_table(finals, "baseline", ["y"]).iloc[0]
    assert e["n_agreed"] == 0 and np.isnan(e["effect_agreed"]) and e["agreed_share"] == 0


def test_plots_return_figures_with_the_promised_labels(made):
    cmp = results.load(made / "compare")
    fig = cmp.plot_trajectories(["trust_RUS_NATO"])
    ax = fig.axes[0]
    assert ax.get_ylabel().replace("\n", " ") == "Russia's trust in NATO (0-1, higher is better)"
    assert isinstance(fig.axes[-1].xaxis.get_major_formatter(), mdates.DateFormatter)
    ticks = [t.get_text() for t in fig.axes[-1].get_xticklabels()]
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[-1].get_xticklabels() if t.get_text()]
    assert ticks and all(t.isdigit() and 2009 <= int(t) <= 2012 for t in ticks)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "95% CI of the mean" in legend and "5-95% of runs (spread)" in legend  # three arms: both bands
    assert any("options tabled (month 1)" in t.get_text() for t in fig.axes[-1].texts)
    forest = cmp.plot_effects()
    labels = [a.get_xlabel().replace("\n", " ") for a in forest.axes if a.get_visible()]
    assert len(labels) == cmp.effects["outcome"].nunique()
    assert "change in final Russia's trust in NATO (0-1, higher is better) vs baseline" in labels
    assert "not a causal effect" in forest._suptitle.get_text().replace("\n", " ")
    dist = cmp.plot_distributions("trust_RUS_NATO", kind="box")
    assert dist.axes[0].get_ylabel().replace("\n", " ").startswith("final Russia's trust in NATO (0-1")
    assert [t.get_text() for t in dist.axes[0].get_xticklabels()] == ["baseline", "3 nrc", "4 solidarity"]
    heat = cmp.plot_heatmap()
    assert "Russia" in [t.get_text() for t in heat.axes[0].get_yticklabels()]
    assert "minus baseline" in heat.axes[1].get_ylabel().replace("\n", " ")  # the colorbar says what it shows
    syn = results.load(made / "combinations").plot_heatmap()
    assert "4 solidarity" in [t.get_text() for t in syn.axes[0].get_xticklabels()]
    assert len([t for t in syn.axes[0].texts if t.get_text()]) == 6  # a number in every defined cell
    sweep = results.load(made / "sweep").plot_heatmap("trust_RUS_NATO", x="dynamics.spiral_bias", y="override.seed")
    assert sweep.axes[0].get_xlabel() == "dynamics.spiral_bias"
    assert sweep.axes[1].get_ylabel().startswith("mean final Russia's trust in NATO")
    run = results.load(made / "run")
    assert run.plot_trajectories().axes[-1].get_xlabel() == "date (ticks at January of each year)"
    # one replicate's events over means of several runs are named as that replicate's
    events = pd.DataFrame({"replicate": [0, 1], "date": ["2010-06", "2010-09"], "kind": ["enacted", "escalation"]})
    fig = plots.trajectories(run.summary, ["trust_RUS_NATO"], run.names, events=events)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "agreement (replicate 0 only)" in legend and not any("escalation" in t for t in legend)
    one = plots.trajectories(run.summary[run.summary["replicate"] == 0], ["trust_RUS_NATO"], events=events[:1])
    assert "agreement" in [t.get_text() for t in one.axes[0].get_legend().get_texts()]
