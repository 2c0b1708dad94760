"""PRIM (experiments/prim.py, Friedman and Fisher 1999): it finds a box planted in synthetic
data, reports coverage, density and mass as defined, and refuses what it cannot read."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.prim import choose, prim


def planted(n=1000, noise=0.05, seed=1):
    """Five inputs on [0, 1]; the case of interest where 0.2 < x0 < 0.6 and x2 > 0.5 (an eighth
    of the points... 0.4 x 0.5 = 0.2), labels flipped with probability ``noise``."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, 5))
    y = (X[:, 0] > 0.2) & (X[:, 0] < 0.6) & (X[:, 2] > 0.5)
    flip = rng.random(n) < noise
    return X, np.where(flip, ~y, y), y


def test_prim_finds_a_planted_box():
    X, y, _truth = planted()
    res = prim(X, y, list("abcde"), [(0, 1)] * 5, threshold=0.9)
    box = res.boxes[0]
    assert box.restricted == (True, False, True, False, False)  # the two inputs that matter, and only they
    assert box.lower[0] == pytest.approx(0.2, abs=0.05) and box.upper[0] == pytest.approx(0.6, abs=0.05)
    assert box.lower[2] == pytest.approx(0.5, abs=0.07) and box.upper[2] == pytest.approx(1.0, abs=0.02)
    assert box.density >= 0.9 and box.coverage >= 0.75
    # the measures are what they claim
    inside = np.all((X >= box.lower) & (X <= box.upper), axis=1)
    assert box.mass == pytest.approx(inside.mean())
    assert box.density == pytest.approx(y[inside].mean())
    assert box.coverage == pytest.approx(y[inside].sum() / y.sum())
    assert res.base_rate == pytest.approx(y.mean())


def test_peeling_trajectory_starts_with_everything_and_gains_density():
    X, y, _ = planted(noise=0.0)
    res = prim(X, y, list("abcde"), [(0, 1)] * 5)
    traj = res.trajectories[0]
    assert traj[0].mass == 1.0 and traj[0].coverage == 1.0 and not any(traj[0].restricted)
    assert traj[-1].density > traj[0].density
    assert all(b.mass >= 0.05 - 1e-12 for b in traj)
    assert all(a.mass > b.mass for a, b in zip(traj, traj[1:]))


def test_covering_finds_a_second_planted_box():
    rng = np.random.default_rng(3)
    X = rng.random((2000, 3))
    y = (X[:, 0] < 0.25) | (X[:, 1] > 0.85)  # two slabs: one box cannot hold both densely
    res = prim(X, y, list("abc"), [(0, 1)] * 3, threshold=0.9, max_boxes=3)
    assert len(res.boxes) == 2
    first, second = res.boxes
    assert first.restricted == (True, False, False) and first.upper[0] == pytest.approx(0.25, abs=0.05)
    assert second.restricted[1] and second.lower[1] == pytest.approx(0.85, abs=0.03)
    assert first.density >= 0.9 and second.density >= 0.9
    assert first.coverage + second.coverage > 0.9


def test_a_discrete_input_is_peeled_by_value():
    rng = np.random.default_rng(5)
    X = np.column_stack([rng.integers(1, 11, 800), rng.random(800)])
    y = X[:, 0] >= 7
    res = prim(X, y, ["attempts", "u"], [(1, 10), (0, 1)], threshold=0.95)
    box = res.boxes[0]
    assert box.lower[0] == 7 and box.upper[0] == 10 and box.density == 1.0 and box.coverage == 1.0


def test_no_case_gives_no_box_and_bad_input_is_refused():
    X = np.random.default_rng(0).random((50, 2))
    assert prim(X, np.zeros(50), ["a", "b"]).boxes == []
    with pytest.raises(ValueError, match="binary"):
        prim(X, np.linspace(0, 1, 50), ["a", "b"])
    with pytest.raises(ValueError, match="names"):
        prim(X, np.zeros(50), ["a"])


def test_choose_takes_the_widest_box_dense_enough():
    from experiments.prim import Box

    def b(cov, dens):
        return Box((0,), (1,), cov, dens, cov, 10, (False,))

    assert choose([b(1.0, 0.5), b(0.9, 0.8), b(0.6, 0.95)], 0.8) == 1
    assert choose([b(1.0, 0.5), b(0.9, 0.7)], 0.8) == 1  # none dense enough: the densest


def test_pruning_drops_chance_restrictions_only():
    X, y, _ = planted(n=300, seed=4)
    raw = prim(X, y, list("abcde"), [(0, 1)] * 5, threshold=0.9, prune_tol=None).boxes[0]
    pruned = prim(X, y, list("abcde"), [(0, 1)] * 5, threshold=0.9).boxes[0]
    assert sum(raw.restricted) > sum(pruned.restricted)  # 300 points: peeling trims an input by chance
    assert pruned.restricted[0] and pruned.restricted[2]
    assert pruned.density >= raw.density - 0.02 - 1e-9 and pruned.coverage >= raw.coverage
