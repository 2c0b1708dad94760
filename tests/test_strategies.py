"""One shared harness for every decision strategy registered in agents.strategies.STRATEGIES.

Every strategy must carry its metadata, answer a ProposalView with one acceptance probability
per negotiating replicate, never be able to write to the view it is given, and (where the
model says so) respond in the right direction to trust, concessions and threat.
"""

from __future__ import annotations

import dataclasses
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.strategies import STRATEGIES, Strategy
from sim.config import load_config
from sim.model import EurosecModel
from sim.mechanisms.negotiation import ProposalView

ALL = sorted(STRATEGIES)
# The direction each strategy must move in (+1 non-decreasing, -1 non-increasing) as the named
# view field grows, and, at a moderate view, actually move.
MONOTONE = {
    "security_calculus": {"trust": +1, "concession": +1},
    "threat_averse": {"trust": +1, "concession": +1, "threat": -1},
}
ARRAY_FIELDS = ("attempt", "concession", "trust", "threat")


def _ro(values, k: int) -> np.ndarray:
    a = np.array(np.broadcast_to(np.asarray(values, dtype=np.float64), (k,)))
    a.flags.writeable = False
    return a


def make_view(k: int = 5, *, trust=0.5, threat=0.3, concession=0.0, attempt=0, gain=0.3, exposure=0.3,
              domestic_cost=0.2, hawkishness=0.5, rationality=8.0) -> ProposalView:
    """A view as sim.negotiation builds it: k negotiating replicates, read-only arrays."""
    return ProposalView(
        move="m", title="a move", proposer="NATO", party="RUS", decider="RUS", counterparts=("NATO",),
        attempt=_ro(attempt, k), concession=_ro(concession, k), gain=gain, exposure=exposure,
        domestic_cost=domestic_cost, hawkishness=hawkishness, trust=_ro(trust, k), threat=_ro(threat, k),
        rationality=rationality,
    )


def answer(sid: str, view: ProposalView) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # exp overflow at extreme utilities is fine
        return np.asarray(STRATEGIES[sid]().accept_probability(view), dtype=np.float64)


# ---------------------------------------------------------------------------- metadata
def test_registry_is_keyed_by_id_and_not_empty():
    assert {"security_calculus", "threat_averse", "always_accept", "always_reject"} <= set(STRATEGIES)
    for sid, cls in STRATEGIES.items():
        assert issubclass(cls, Strategy) and cls.id == sid
    assert len({cls.name for cls in STRATEGIES.values()}) == len(STRATEGIES), "names are distinct"


@pytest.mark.parametrize("sid", ALL)
def test_strategy_has_metadata(sid):
    cls = STRATEGIES[sid]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", cls.id)
    for field in ("name", "description", "citation"):
        value = getattr(cls, field)
        assert isinstance(value, str) and len(value.strip()) >= 5, field
    assert re.search(r"\b(1[89]|20)\d\d\b", cls.citation), "a citation names its year"
    assert isinstance(cls.stochastic, bool)


# ------------------------------------------------------------------- probabilities
views = st.builds(
    make_view,
    k=st.integers(1, 9),
    trust=st.floats(0.0, 1.0), threat=st.floats(0.0, 1.0), concession=st.floats(0.0, 2.0),
    attempt=st.integers(0, 5), gain=st.floats(-1.0, 1.0), exposure=st.floats(0.0, 1.0),
    domestic_cost=st.floats(0.0, 1.0), hawkishness=st.floats(0.0, 1.0), rationality=st.floats(0.0, 1000.0),
)


@pytest.mark.parametrize("sid", ALL)
@settings(max_examples=60, deadline=None)
@given(view=views)
def test_returns_one_probability_per_replicate(sid, view):
    p = answer(sid, view)
    assert p.shape == view.trust.shape
    assert np.isfinite(p).all()
    assert ((p >= 0.0) & (p <= 1.0)).all()


@pytest.mark.parametrize("sid", ALL)
def test_replicates_are_answered_independently(sid):
    """Row r of the answer depends only on row r of the view (no mixing across replicates)."""
    trust = np.linspace(0.05, 0.95, 7)
    threat = np.linspace(0.9, 0.1, 7)
    concession = np.linspace(0.0, 0.3, 7)
    together = answer(sid, make_view(7, trust=trust, threat=threat, concession=concession))
    alone = [answer(sid, make_view(1, trust=trust[r], threat=threat[r], concession=concession[r]))[0] for r in range(7)]
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-15)


@pytest.mark.parametrize("sid", ALL)
def test_strategy_does_not_modify_its_view(sid):
    view = make_view(4, trust=[0.1, 0.4, 0.6, 0.9])
    before = {f: getattr(view, f).copy() for f in ARRAY_FIELDS}
    answer(sid, view)
    for f in ARRAY_FIELDS:
        np.testing.assert_array_equal(getattr(view, f), before[f])


# ---------------------------------------------------------------------- monotonicity
base_views = st.fixed_dictionaries({
    "threat": st.floats(0.0, 1.0), "trust": st.floats(0.0, 1.0), "concession": st.floats(0.0, 1.0),
    "gain": st.floats(-1.0, 1.0), "exposure": st.floats(0.0, 1.0), "domestic_cost": st.floats(0.0, 1.0),
    "hawkishness": st.floats(0.0, 1.0), "rationality": st.floats(0.0, 1000.0),
})
GRID = {"trust": np.linspace(0.0, 1.0, 21), "concession": np.linspace(0.0, 1.0, 21), "threat": np.linspace(0.0, 1.0, 21)}
MONOTONE_CASES = [(sid, field, sign) for sid, fields in MONOTONE.items() for field, sign in fields.items()]


@pytest.mark.parametrize("sid,field,sign", MONOTONE_CASES)
@settings(max_examples=60, deadline=None)
@given(base=base_views)
def test_monotone_where_it_should_be(sid, field, sign, base):
    """Sweeping one view field over a grid (one replicate per grid point, all else fixed)."""
    grid = GRID[field]
    p = answer(sid, make_view(len(grid), **dict(base, **{field: grid})))
    assert np.all(sign * np.diff(p) >= -1e-12), p


@pytest.mark.parametrize("sid,field,sign", MONOTONE_CASES)
def test_monotone_strategies_respond_at_a_moderate_view(sid, field, sign):
    """Non-decreasing would also hold for a strategy that ignored the field: it must move."""
    grid = GRID[field]
    p = answer(sid, make_view(len(grid), **{field: grid}))
    assert sign * (p[-1] - p[0]) > 0.05, p


def test_monotone_registry_names_known_strategies():
    assert set(MONOTONE) <= set(STRATEGIES)


# ------------------------------------------------- read-only views in a real negotiation
def _captured_views(sid: str) -> tuple[list[tuple[int, ProposalView, np.ndarray]], EurosecModel]:
    """Run one negotiation of the NATO-Russia Council with Russia using ``sid``; capture every
    view the mechanism hands to a decider, and what the decider answered."""
    cfg = load_config(["scenario=baseline_2010", "option=[nrc]"])
    cfg["crises"]["enabled"] = False
    cfg["moves"]["nrc"]["start"] = 1
    cfg["scenario"]["horizon"] = 1
    cfg["roster"]["RUS"]["strategy"] = sid
    model = EurosecModel(rng=21, replicates=6, config=cfg)
    seen = []
    for agent in model.agents:
        if agent.spec.is_composite:
            continue
        strategy = agent.strategy

        def spy(view, decider=agent.index, answer=strategy.accept_probability):
            p = answer(view)
            seen.append((decider, view, np.array(p, dtype=np.float64)))
            return p

        strategy.accept_probability = spy  # instance attribute: wraps this agent's strategy only
    model.run()
    return seen, model


@pytest.mark.parametrize("sid", ALL)
def test_views_given_to_deciders_are_read_only(sid):
    seen, model = _captured_views(sid)
    rus = model.index("RUS")
    assert rus in [d for d, _, _ in seen]
    for decider, view, p in seen:
        for f in ARRAY_FIELDS:
            a = getattr(view, f)
            with pytest.raises(ValueError):
                a[0] = 0.5
            with pytest.raises(ValueError):
                a += 1.0
        with pytest.raises(dataclasses.FrozenInstanceError):
            view.trust = np.ones(3)
        # writing to the view cannot reach the engine: its state is not a view of it either
        assert not np.shares_memory(view.trust, model.engine.state.trust)
        if decider == rus:
            assert p.shape == (model.replicates,)
            np.testing.assert_allclose(p, answer(sid, view))
    # what the decider answered, times its type's willingness to bear the move's cost
    # (sim/mechanisms/types.py), is the probability the mechanism recorded and drew against
    votes = model.events().query("kind == 'vote' and actor == 'RUS'")
    rows = votes["replicate"].to_numpy()
    willing = model.engine.choice.probability(model.spec.move("nrc").cost, model.engine.state.seeker[rows, rus])
    answered = [p for d, _, p in seen if d == rus][0]
    np.testing.assert_allclose(votes["p"].to_numpy(), answered[rows] * willing)
