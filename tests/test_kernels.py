"""Compiled kernels against their numpy references: each must give exactly the same numbers
(the speed work keeps every replicate bit-identical), on states pushed away from equilibrium so
that every branch (bounds, signs, diagonal, caps) is exercised."""

from __future__ import annotations

import numpy as np
import pytest

from sim.mechanisms.signals import act_reference
from sim.model import EurosecModel


@pytest.fixture(scope="module")
def moved_model():
    """Five replicates a year into a run with a channel (members acting every month)."""
    model = EurosecModel(rng=7, replicates=5, scenario="baseline_2010", options="nrc", record_events=False)
    return model.run(12)


def _randomised_state(model, seed: int) -> None:
    eng, rng = model.engine, np.random.default_rng(seed)
    s = eng.state
    low, high = eng.logit_bounds
    s.threat[:] = rng.uniform(0.0, 1.0, s.threat.shape)
    s.own[:] = rng.uniform(low, high, s.own.shape)
    s.own[:, :, ::4] = high  # some pairs at the bounds, so that clipping is exercised
    s.own[:, :, 1::5] = low


@pytest.mark.parametrize("rows", [None, [0, 2, 3]])
def test_compiled_choices_equal_the_numpy_reference(moved_model, rows):
    """Signals.act_each (kernels.choice_pairs with tables per distinct cost) computes exactly
    act_reference: each sender's choice by type, then its reading, sender after sender."""
    model = moved_model
    eng, d = model.engine, model.spec.dynamics
    _randomised_state(model, 3)
    rng = np.random.default_rng(4)
    rows = np.arange(eng.R) if rows is None else np.array(rows)
    senders = (0, 5, 9, 5)  # a sender twice: its second act reads the state its first one left
    observers = [None, (0, 1, 2, 3, 9), (), None]
    cost = rng.choice([0.0, 0.2, 0.45, 0.45, 0.9], rows.size)  # repeated costs, as a phase-in ramp gives
    u = rng.uniform(0.0, 1.0, (rows.size, len(senders)))
    u[0] = 0.0  # all taken in the first row
    s = eng.state
    before = s.own.copy()
    own, threat = s.own.copy(), s.threat.copy()
    weights = [eng.signal_weights((k,), o) for k, o in zip(senders, observers)]
    expected = act_reference(own, threat, rows, weights, cost, u, s.seeker[rows][:, list(senders)], eng.choice,
                             d.reassurance, d.spiral_bias, *eng.logit_bounds)
    taken = eng.act_each(rows, senders, observers, cost, u)
    np.testing.assert_array_equal(taken, expected)
    assert taken[0] and not taken.all() and not np.array_equal(own, before)
    np.testing.assert_array_equal(s.own, own)
    np.testing.assert_array_equal(s.threat, threat)


def test_act_with_shared_observers_equals_act_each(moved_model):
    """act (one observer set for all senders) is act_each with that set repeated."""
    model = moved_model
    eng = model.engine
    rng = np.random.default_rng(5)
    u = rng.uniform(0.0, 1.0, (eng.R, 2))
    _randomised_state(model, 6)
    first = eng.act(np.arange(eng.R), (0, 5), (1, 2, 3), 0.3, u)
    own, threat = eng.state.own.copy(), eng.state.threat.copy()
    _randomised_state(model, 6)
    second = eng.act_each(np.arange(eng.R), (0, 5), [(1, 2, 3), (1, 2, 3)], 0.3, u)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(eng.state.own, own)
    np.testing.assert_array_equal(eng.state.threat, threat)
