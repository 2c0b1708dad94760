"""PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999), for scenario discovery.

Friedman, J. H. and Fisher, N. I. (1999), "Bump hunting in high-dimensional data", *Statistics
and Computing* 9: 123-143. Given points ``X`` (n x d) and a binary outcome ``y`` (1 = the case of
interest), PRIM looks for a box (an interval per input) in which the share of cases is high:

- **Peeling** (their section 3): starting from the box holding every point, at each step remove
  a slice holding a share ``alpha`` of the points still in the box, from the low or the high end
  of one input, choosing among all 2d candidate slices the one that leaves the highest mean of
  ``y`` in the box (ties: the one leaving more points). Stop when the box would hold fewer than
  ``min_mass`` of all points. The sequence of boxes is the *peeling trajectory*.
- **Pasting** (their section 4): from the chosen box, widen one face at a time by a slice of
  ``alpha`` times the points in the box (points outside the box on that input only) while that
  raises the mean.
- **Pruning**: a restriction whose removal lowers the box's density by at most ``prune`` (from
  the pasted box's density) is dropped, the least costly first, so that a box names only the
  inputs that matter (peeling on a few hundred points also trims inputs by chance; Friedman and
  Fisher's section 8 and EMA Workbench's ``drop_restriction`` do the same by inspection).
- **Covering** (their section 6): remove the points of the box found and search the rest again,
  for up to ``max_boxes`` boxes; a further box is kept only if its density reaches ``threshold``
  and exceeds the share of cases left outside the earlier boxes.

Scenario discovery (Bryant and Lempert 2010; Kwakkel's EMA Workbench, whose ``prim`` this follows
in its measures) reads a box by its **coverage** (the share of all cases that fall in it), its
**density** (the share of cases among the points in it) and its **mass** (the share of all
points in it). From each trajectory the box chosen is the one with the largest coverage whose
density reaches ``threshold``; if none does, the densest. A box's limits are inclusive and lie on
the data: an input the box does not restrict keeps the full range given in ``bounds``.

EMA Workbench itself was not used: it brings in scikit-learn, statsmodels, seaborn, Platypus and
seven more packages for these hundred lines (checked: ``pip install --dry-run ema-workbench``).
Standard library and numpy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Box:
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    coverage: float  # cases in the box / all cases (of the data the search started from)
    density: float  # cases in the box / points in the box
    mass: float  # points in the box / all points
    n: int  # points in the box
    restricted: tuple[bool, ...]  # which inputs the box limits (lower or upper inside the bounds)


@dataclass
class PrimResult:
    names: list[str]
    boxes: list[Box]  # chosen boxes, one per covering round
    trajectories: list[list[Box]] = field(default_factory=list)  # the peeling trajectory of each round
    base_rate: float = math.nan  # share of cases among all points
    n: int = 0

    def table(self) -> list[dict]:
        """One row per (box, input): the box's limits on that input and its measures."""
        rows = []
        for k, b in enumerate(self.boxes):
            for j, name in enumerate(self.names):
                rows.append({"box": k + 1, "parameter": name, "low": b.lower[j], "high": b.upper[j],
                             "restricted": b.restricted[j], "coverage": b.coverage, "density": b.density,
                             "mass": b.mass, "points": b.n})
        return rows


def _box(X, y, inside, lower, upper, bounds, cases_total, n_total) -> Box:
    n_in = int(inside.sum())
    hits = float(y[inside].sum())
    restricted = tuple(bool(lower[j] > bounds[j][0] or upper[j] < bounds[j][1]) for j in range(X.shape[1]))
    return Box(tuple(float(v) for v in lower), tuple(float(v) for v in upper),
               hits / cases_total if cases_total else math.nan, hits / n_in if n_in else math.nan,
               n_in / n_total, n_in, restricted)


def _in_box(X, lower, upper):
    return np.all((X >= lower) & (X <= upper), axis=1)


def peel(X, y, bounds, alpha, min_mass, cases_total, n_total, rows=None) -> list[tuple[Box, np.ndarray, np.ndarray]]:
    """The peeling trajectory over the points ``rows`` (all if None): (box, lower, upper) per step."""
    d = X.shape[1]
    rows = np.ones(len(X), bool) if rows is None else rows
    lower = np.array([b[0] for b in bounds], float)
    upper = np.array([b[1] for b in bounds], float)
    inside = rows & _in_box(X, lower, upper)
    out = [(_box(X, y, inside, lower, upper, bounds, cases_total, n_total), lower.copy(), upper.copy())]
    floor = max(1, math.ceil(min_mass * n_total))
    while True:
        n_in = int(inside.sum())
        best = None
        for j in range(d):
            xs = np.sort(X[inside, j])
            if xs.size == 0 or xs[0] == xs[-1]:
                continue
            k = max(1, int(alpha * n_in))
            for side in ("low", "high"):
                if side == "low":
                    cut = xs[k - 1]
                    keep = inside & (X[:, j] > cut)
                else:
                    cut = xs[-k]
                    keep = inside & (X[:, j] < cut)
                m = int(keep.sum())
                if m < floor or m == n_in:
                    continue
                mean = float(y[keep].mean())
                if best is None or (mean, m) > (best[0], best[1]):
                    best = (mean, m, j, side, keep)
        if best is None:
            return out
        _, _, j, side, keep = best
        if side == "low":
            lower[j] = X[keep, j].min()
        else:
            upper[j] = X[keep, j].max()
        inside = keep
        out.append((_box(X, y, inside, lower, upper, bounds, cases_total, n_total), lower.copy(), upper.copy()))


def paste(X, y, lower, upper, bounds, alpha, rows, cases_total, n_total):
    """Widen the box one face at a time while that raises its mean (Friedman and Fisher, section 4)."""
    lower, upper = lower.copy(), upper.copy()
    while True:
        inside = rows & _in_box(X, lower, upper)
        n_in = int(inside.sum())
        current = float(y[inside].mean()) if n_in else -math.inf
        k = max(1, int(alpha * n_in))
        best = None
        for j in range(X.shape[1]):
            others = rows & np.all(np.delete((X >= lower) & (X <= upper), j, axis=1), axis=1)
            for side in ("low", "high"):
                if side == "low":
                    cand = np.sort(X[others & (X[:, j] < lower[j]), j])[::-1]
                else:
                    cand = np.sort(X[others & (X[:, j] > upper[j]), j])
                if cand.size == 0:
                    continue
                edge = cand[min(k, cand.size) - 1]
                lo, hi = lower.copy(), upper.copy()
                if side == "low":
                    lo[j] = edge
                else:
                    hi[j] = edge
                grown = rows & _in_box(X, lo, hi)
                mean = float(y[grown].mean())
                if mean > current + 1e-12 and (best is None or mean > best[0]):
                    best = (mean, lo, hi)
        if best is None:
            return lower, upper
        _, lower, upper = best


def prune(X, y, lower, upper, bounds, rows, tol):
    """Drop restrictions that cost at most ``tol`` of density (see the module docstring)."""
    lower, upper = lower.copy(), upper.copy()
    inside = rows & _in_box(X, lower, upper)
    start = float(y[inside].mean()) if inside.any() else 0.0
    while True:
        best = None
        for j in range(X.shape[1]):
            if lower[j] <= bounds[j][0] and upper[j] >= bounds[j][1]:
                continue
            lo, hi = lower.copy(), upper.copy()
            lo[j], hi[j] = bounds[j]
            grown = rows & _in_box(X, lo, hi)
            mean = float(y[grown].mean())
            if mean >= start - tol - 1e-12 and (best is None or mean > best[0]):
                best = (mean, lo, hi)
        if best is None:
            return lower, upper
        _, lower, upper = best


def choose(trajectory: list[Box], threshold: float) -> int:
    """Index of the box with the largest coverage whose density reaches ``threshold``; else the densest."""
    ok = [k for k, b in enumerate(trajectory) if b.density >= threshold]
    if ok:
        return max(ok, key=lambda k: (trajectory[k].coverage, -k))
    return max(range(len(trajectory)), key=lambda k: (trajectory[k].density, trajectory[k].coverage))


def prim(X, y, names: list[str], bounds: list[tuple[float, float]] | None = None, alpha: float = 0.05,
         min_mass: float = 0.05, threshold: float = 0.8, max_boxes: int = 1, pasting: bool = True,
         prune_tol: float | None = 0.02) -> PrimResult:
    """PRIM over points ``X`` (n x d) with binary outcome ``y``; ``bounds`` (default: the data's
    range) is the full box; ``prune_tol`` None keeps every restriction. See the module docstring."""
    X = np.asarray(X, float)
    y = np.asarray(y).astype(float)
    if X.ndim != 2 or len(X) != len(y) or len(names) != X.shape[1]:
        raise ValueError("X must be n x d with n outcomes and d names")
    if not set(np.unique(y)) <= {0.0, 1.0}:
        raise ValueError("y must be binary (0/1 or False/True)")
    if not (0 < alpha < 0.5 and 0 < min_mass < 1 and max_boxes >= 1):
        raise ValueError("need 0 < alpha < 0.5, 0 < min_mass < 1, max_boxes >= 1")
    bounds = [(float(X[:, j].min()), float(X[:, j].max())) for j in range(X.shape[1])] if bounds is None else \
        [(float(lo), float(hi)) for lo, hi in bounds]
    n_total = len(X)
    cases_total = float(y.sum())
    result = PrimResult(list(names), [], [], cases_total / n_total if n_total else math.nan, n_total)
    rows = np.ones(n_total, bool)
    for _ in range(max_boxes):
        if y[rows].sum() == 0 or rows.sum() < max(2, math.ceil(min_mass * n_total)):
            break
        steps = peel(X, y, bounds, alpha, min_mass, cases_total, n_total, rows)
        trajectory = [s[0] for s in steps]
        k = choose(trajectory, threshold)
        lower, upper = steps[k][1], steps[k][2]
        if pasting:
            lower, upper = paste(X, y, lower, upper, bounds, alpha, rows, cases_total, n_total)
        if prune_tol is not None:
            lower, upper = prune(X, y, lower, upper, bounds, rows, prune_tol)
        inside = rows & _in_box(X, lower, upper)
        box = _box(X, y, inside, lower, upper, bounds, cases_total, n_total)
        if result.boxes and (box.density < threshold or box.density <= float(y[rows].mean())):
            break  # a further box must reach the threshold and beat what is left: covering ends
        result.boxes.append(box)
        result.trajectories.append(trajectory)
        rows = rows & ~inside
    return result
