"""The comparison's figure files, drawn by the results API's figure functions (sim.results.plots)
so that a saved PNG and a notebook's figure are the same: trajectories with named bands and
dates, a forest plot of every compared outcome (tabled and where agreed), the distribution of
final values per option, and final trust between actors, one option minus the baseline."""

from __future__ import annotations

import pandas as pd

from sim.results import plots
from sim.results.labels import AGREED_CAVEAT
from sim.results.metadata import actor_table, option_table


def _names_and_labels() -> tuple[dict, dict]:
    actors, options = actor_table(), option_table()
    return dict(zip(actors["actor"], actors["name"])), dict(zip(options["option"], options["label"]))


def save(fig, path) -> None:
    fig.savefig(path, dpi=110)


def trajectories(summary: pd.DataFrame, columns: list[str], path, title: str = "", tabled: dict | None = None) -> None:
    names, _ = _names_and_labels()
    save(plots.trajectories(summary, columns, names, tabled=tabled, title=title), path)


def forest(effects: pd.DataFrame, outcomes: list[str], path) -> None:
    names, labels = _names_and_labels()
    save(plots.forest(effects, outcomes, labels, names, "both", AGREED_CAVEAT), path)


def distributions(finals: pd.DataFrame, outcome: str, path) -> None:
    names, labels = _names_and_labels()
    save(plots.distributions(finals, outcome, labels, names), path)


def trust_difference(diff, ids: list[str], arm: str, runs: int, path) -> None:
    """Mean final trust over all runs (observer rows, target columns), ``arm`` minus the baseline."""
    names, _ = _names_and_labels()
    save(plots.trust_matrix(diff, ids, arm, runs, names), path)
