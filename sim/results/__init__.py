"""Results for analysts: load a finished output folder and get typed tables, metadata and figures.

    from sim import results
    res = results.load("latest", kind="compare_options")    # or a folder's path
    res.effects                    # tidy pandas frames: summary, finals, effects, dyads, events, ...
    res.options, res.actors        # paper number, title, proposer; full names and kinds
    res.plot_effects()             # matplotlib Figures: plot_trajectories, plot_distributions, plot_heatmap

Every folder is verified before it is read (its manifest, or a sweep's aggregate.json); a
partial, damaged or unknown folder raises :class:`ResultsError` with one paragraph saying why.
"""

from __future__ import annotations

from sim.results.folders import KINDS, ResultsError, latest, open_folder
from sim.results.metadata import actor_table, option_table
from sim.results.result import Results

__all__ = ["KINDS", "Results", "ResultsError", "actor_table", "load", "option_table"]


def load(path="latest", kind: str | None = None, root=None) -> Results:
    """The results in ``path`` (a folder), or with ``"latest"`` the newest complete folder of
    ``kind`` under ``root`` (default: results/, outputs/ and multirun/ of the working
    directory). ``kind`` (run, compare_options, combinations, facts, validation, calibrate,
    sweep) is detected from the folder when None, and checked when given."""
    if str(path) == "latest":
        return Results(latest(kind, root))
    return Results(open_folder(path, kind))
