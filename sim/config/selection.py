"""Choices of replicates (``output.dyad_replicates``, ``dyads.replicates``): checked with the
config, used by the recorder and the ensembles."""

from __future__ import annotations

import numpy as np

from sim.errors import ConfigError

SELECTION = ("null (every replicate), an integer k >= 0 (the first k replicates) "
             "or a list of distinct replicate indices >= 0")


def check_replicate_selection(key: str, value, replicates: int | None = None) -> int | tuple[int, ...] | None:
    """Validate a choice of replicates (``output.dyad_replicates``, ``dyads.replicates``): None =
    every replicate, an integer k = the first k (all if fewer), a list = those indices. With
    ``replicates`` known, a listed index must exist. Returns None, the int, or a sorted tuple."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ConfigError(key, f"{value} is negative", SELECTION)
        return value
    if not isinstance(value, list | tuple):
        raise ConfigError(key, f"{value!r} is not a replicate selection", SELECTION)
    seen = set()
    for k, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ConfigError(f"{key}[{k}]", f"{v!r} is not a replicate index", "an integer >= 0")
        if replicates is not None and v >= replicates:
            raise ConfigError(f"{key}[{k}]", f"replicate {v} does not exist (the run has {replicates} replicates)",
                              f"an integer in [0, {replicates - 1}]")
        if v in seen:
            raise ConfigError(f"{key}[{k}]", f"replicate {v} is listed twice", "distinct replicate indices")
        seen.add(v)
    return tuple(sorted(value))


def selected_replicates(selection: int | tuple[int, ...] | None, replicates: int) -> np.ndarray:
    """Sorted indices in [0, replicates) that a checked selection picks."""
    if selection is None:
        return np.arange(replicates)
    if isinstance(selection, int):
        return np.arange(min(selection, replicates))
    return np.array(sorted(selection), dtype=np.int64)
