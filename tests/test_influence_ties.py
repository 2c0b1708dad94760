"""Friedkin-Johnsen weights follow ties (issue 10, part 5): a bloc member's pull on a co-member's
views grows with its capability (``dynamics.influence_capability_exponent``), an actor in several
blocs splits its attention between them, stubbornness is untouched, and exponent 0 gives the
equal shares of earlier versions (docs/model.md, section 7.2 (b))."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import load_config
from sim.config.roster import compile_roster, influence_weights
from sim.config.spec import compile_spec
from sim.mechanisms import dynamics as dyn


def spec(exponent: float | None = None):
    overrides = ["scenario=baseline_2010", "option=[]"]
    if exponent is not None:
        overrides.append(f"dynamics.influence_capability_exponent={exponent}")
    return compile_spec(load_config(overrides))


def dense(s) -> np.ndarray:
    rows, matrix = dyn.influence_matrix(s.influence, s.roster.n)
    full = np.zeros((s.roster.n, s.roster.n))
    full[rows] = matrix
    return full


def test_russia_pulls_kyrgyzstan_more_than_kyrgyzstan_pulls_russia():
    s = spec()  # the declared default exponent
    assert s.dynamics.influence_capability_exponent == 1.0
    W, ids = dense(s), s.ids
    rus, kgz = ids.index("RUS"), ids.index("KGZ")
    assert W[kgz, rus] > W[rus, kgz]
    assert W[kgz, rus] == pytest.approx(0.8) and W[rus, kgz] == pytest.approx(0.02)  # capabilities 0.8 and 0.02 of 1.0
    rows = dyn.influence_matrix(s.influence, s.roster.n).rows
    assert np.allclose(W[rows].sum(axis=1), 1.0)  # row-stochastic
    # the USA pulls WEU more than NEU does (WEU sits in NATO and the EU, NEU only in the EU)
    assert W[ids.index("WEU"), ids.index("USA")] > W[ids.index("WEU"), ids.index("NEU")]


def test_exponent_zero_gives_equal_shares():
    s = spec(0.0)
    roster, W = s.roster, dense(s)
    blocs = [[roster.index(m) for m in c.members if not roster[m].is_composite] for c in roster.composites() if c.influence]
    expected = np.zeros_like(W)
    for i in range(roster.n):
        mine = [b for b in blocs if i in b]
        for b in mine:
            for m in b:
                expected[i, m] += 1.0 / (len(mine) * len(b))
    assert np.array_equal(W, expected)
    rus, kgz = s.ids.index("RUS"), s.ids.index("KGZ")
    assert W[kgz, rus] == W[rus, kgz] == pytest.approx(0.2)


def test_stubbornness_is_unchanged_and_the_pull_acts_in_the_step():
    """One Friedkin-Johnsen step: a change in Russia's view of NATO moves Kyrgyzstan's more than
    the same change in Kyrgyzstan's view moves Russia's; stubbornness scales both as before."""
    for exponent, bigger in ((1.0, True), (0.0, None)):
        s = spec(exponent)
        ids, n = s.ids, s.roster.n
        rus, kgz, nato = ids.index("RUS"), ids.index("KGZ"), ids.index("NATO")
        infl = dyn.influence_matrix(s.influence, n)

        def response(source: int, target: int) -> float:
            social = np.zeros((1, n, n))
            social[0, source, nato] = 1.0
            out = dyn.friedkin_johnsen(social, np.zeros((1, n, n)), infl, s.roster.stubbornness, s.same_bloc)
            return float(out[0, target, nato])

        rus_on_kgz, kgz_on_rus = response(rus, kgz), response(kgz, rus)
        W = dense(s)
        assert rus_on_kgz == pytest.approx((1 - s.roster["KGZ"].stubbornness) * W[kgz, rus])
        assert kgz_on_rus == pytest.approx((1 - s.roster["RUS"].stubbornness) * W[rus, kgz])
        if bigger:
            assert rus_on_kgz > 10 * kgz_on_rus


def test_zero_capability_members_do_not_divide_by_zero():
    cfg = {"A": {"kind": "state", "capability": 0.0}, "B": {"kind": "state", "capability": 0.0},
           "AB": {"kind": "alliance", "members": ["A", "B"], "influence": True}}
    weights = influence_weights(compile_roster(cfg), 2.0)
    assert all(np.isfinite(w) for _, _, w in weights)
    assert sum(w for i, _, w in weights if i == 0) == pytest.approx(1.0)
