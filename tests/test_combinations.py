"""Pair synergies and the ordering experiment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

from experiments import combinations
from experiments.combinations import CombinationsConfig
from experiments.ensemble import ArmResult

ROOT = Path(__file__).resolve().parent.parent


def test_pairs_and_orderings_run_and_write_results(tmp_path):
    out = tmp_path / "comb"
    proc = subprocess.run([sys.executable, "-m", "experiments.combinations", f"hydra.run.dir={out}", "replicates=12",
                           "options=[nrc,solidarity,strategic_concept]", "orderings=[incremental_web,treaty_track]",
                           "progress=false"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    synergy = pd.read_parquet(out / "synergy.parquet")
    assert len(synergy) == 3 and set(synergy["a"]) | set(synergy["b"]) == {"nrc", "solidarity", "strategic_concept"}
    # the decomposition is exact on means: pair effect = effect a + effect b + synergy
    np.testing.assert_allclose(synergy["effect_pair"], synergy["effect_a"] + synergy["effect_b"] + synergy["synergy"],
                               atol=1e-6)
    ordering = pd.read_parquet(out / "ordering.parquet").set_index("scenario")
    # the pipeline, not the science (the facts report judges the web against the treaty)
    assert set(ordering.index) >= {"incremental_web", "treaty_track"} and np.isfinite(ordering["effect"]).all()
    assert (out / "synergy.png").exists()


def test_synergy_table_recovers_known_interactions_from_the_arms_finals(tmp_path, monkeypatch):
    """experiments.combinations.run on synthetic finals with known pair interactions: the arms are
    validated and compiled as usual, and the ensemble runner (experiments.ensemble.run_arms, as
    imported by the module) is replaced by one that returns ArmResults whose final outcome is
    built to order. Each arm's rows come back in a different order of replicates, so only a
    synergy computed on common seeds (paired by replicate) recovers the interactions: the
    baseline varies across replicates ten times more than the interactions are large."""
    options = ["nrc", "solidarity", "strategic_concept"]
    single = {"nrc": 0.2, "solidarity": 0.5, "strategic_concept": -0.1}
    interaction = {("nrc", "solidarity"): 0.0, ("nrc", "strategic_concept"): 0.05,
                   ("solidarity", "strategic_concept"): -0.08}
    n = 40
    rng = np.random.default_rng(1)
    base = rng.normal(0.5, 0.1, n)
    outcome = {"baseline": base, **{o: base + e for o, e in single.items()}}
    for (a, b), s in interaction.items():
        outcome[f"{a}+{b}"] = base + single[a] + single[b] + s + rng.normal(0.0, 0.01, n)
    cfg = asdict(CombinationsConfig(replicates=n, options=options, progress=False, workers=1))

    def synthetic_arms(specs, *args, **kwargs):
        assert list(specs) == list(outcome)  # the baseline, each option alone, each pair
        for (a, b) in interaction:
            assert {m.id for m in specs[f"{a}+{b}"].moves if not m.in_force} == {a, b}
        order = np.random.default_rng(2)
        results = []
        for arm, spec in specs.items():
            rows = order.permutation(n)
            finals = pd.DataFrame({"replicate": rows, cfg["outcome"]: outcome[arm][rows]})
            results.append(ArmResult(arm=arm, spec=spec, summary=pd.DataFrame(), finals=finals,
                                     trust=np.empty((n, 0, 0))))
        return results

    monkeypatch.setattr(combinations, "run_arms", synthetic_arms)
    synergy, ordering = combinations.run(cfg, tmp_path)
    assert len(ordering) == 0
    synergy = synergy.set_index(["a", "b"])
    assert list(synergy.index) == list(interaction)
    for (a, b), s in interaction.items():
        row = synergy.loc[(a, b)]
        assert row["n"] == n
        assert row["synergy"] == pytest.approx(s, abs=0.01), (a, b)
        assert row["ci_low"] <= row["synergy"] <= row["ci_high"]
        assert row["effect_a"] == pytest.approx(single[a]) and row["effect_b"] == pytest.approx(single[b])
        # the decomposition is exact on means: pair effect = effect a + effect b + synergy
        assert row["effect_pair"] == pytest.approx(row["effect_a"] + row["effect_b"] + row["synergy"], abs=1e-12)
    # options that do not interact: the interval covers 0; the others are detected with their sign
    additive = synergy.loc[("nrc", "solidarity")]
    assert additive["ci_low"] <= 0.0 <= additive["ci_high"] and not additive["significant"]
    assert synergy.loc[("nrc", "strategic_concept"), "significant"]
    assert synergy.loc[("nrc", "strategic_concept"), "ci_low"] > 0
    assert synergy.loc[("solidarity", "strategic_concept"), "significant"]
    assert synergy.loc[("solidarity", "strategic_concept"), "ci_high"] < 0
    # the table written is the table returned
    written = pd.read_parquet(tmp_path / "synergy.parquet").set_index(["a", "b"])
    pd.testing.assert_frame_equal(written, synergy)
    assert (tmp_path / "synergy.png").exists()


def test_unknown_option_in_pairs_fails_before_running(tmp_path):
    out = tmp_path / "comb"
    proc = subprocess.run([sys.executable, "-m", "experiments.combinations", f"hydra.run.dir={out}",
                           "options=[nrc,zzz]"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "'options[1]'" in proc.stderr
    assert not out.exists()


def test_pair_synergies_of_additive_arms_are_zero_and_interactions_are_found():
    """combinations.pair_synergies itself: a pair whose effect is the sum of the single effects
    has synergy 0 with a CI around it; an interaction shows with its sign."""
    from experiments.combinations import pair_synergies

    rng = np.random.default_rng(4)
    base = rng.normal(0.5, 0.1, 300)
    finals = {"baseline": base, "a": base + 0.1 + rng.normal(0, 0.01, 300), "b": base - 0.05,
              "c": base + 0.02}
    finals["a+b"] = finals["a"] + finals["b"] - base  # additive
    finals["a+c"] = finals["a"] + finals["c"] - base + 0.03  # interaction +0.03
    finals["b+c"] = finals["b"] + finals["c"] - base - 0.04 + rng.normal(0, 0.01, 300)
    table = pair_synergies(finals, ["a", "b", "c"]).set_index(["a", "b"])
    assert abs(table.loc[("a", "b"), "synergy"]) < 1e-12 and not table.loc[("a", "b"), "significant"]
    assert table.loc[("a", "c"), "synergy"] == pytest.approx(0.03, abs=1e-12)
    assert table.loc[("b", "c"), "ci_high"] < 0 and table.loc[("b", "c"), "significant"]
