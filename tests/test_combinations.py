"""Pair synergies and the ordering experiment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.stats import paired_effect

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
    assert ordering.loc["incremental_web", "effect"] > ordering.loc["treaty_track", "effect"]
    assert (out / "synergy.png").exists()


def test_synergy_of_additive_effects_is_zero():
    rng = np.random.default_rng(1)
    base = rng.normal(size=500)
    a, b = base + 0.2, base + 0.5
    pair = base + 0.7 + rng.normal(0, 0.1, 500)
    syn = paired_effect(pair + base, a + b)
    assert syn["ci_low"] <= 0.0 <= syn["ci_high"]


def test_unknown_option_in_pairs_fails_before_running(tmp_path):
    out = tmp_path / "comb"
    proc = subprocess.run([sys.executable, "-m", "experiments.combinations", f"hydra.run.dir={out}",
                           "options=[nrc,zzz]"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "'options[1]'" in proc.stderr
    assert not out.exists()
