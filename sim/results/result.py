"""One loaded result folder: its tables as typed pandas frames, its config and provenance, the
options and actors it is about, and its figures as methods."""

from __future__ import annotations

import json
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sim.app.aggregate import agreement_column, typed_overrides
from sim.results import plots
from sim.results.folders import Folder, ResultsError
from sim.results.labels import AGREED_CAVEAT, number, outcome_label
from sim.results.metadata import actor_table, option_table

# every table an app writes, by the kind of folder (a sweep holds its jobs' combined tables)
TABLES = {"run": ("summary", "finals", "dyads", "events"), "compare_options": ("summary", "finals", "dyads", "effects"),
          "combinations": ("synergy", "ordering"), "facts": ("facts",), "validation": ("validation", "trajectories"),
          "calibrate": ("series", "search"), "sweep": ("finals", "effects", "summary", "synergy", "ordering")}
KNOWN = sorted({t for names in TABLES.values() for t in names})


def typed(df: pd.DataFrame, override_columns=()) -> pd.DataFrame:
    """``agreed_*`` as booleans (nullable ``boolean`` where some runs never tabled the move, so
    ``~col`` negates), override values as numbers where they are numbers."""
    for col in [c for c in df.columns if agreement_column(df[c])]:
        col_values = df[col].astype("boolean")
        df[col] = col_values.astype(bool) if not col_values.isna().any() else col_values
    return typed_overrides(df, [c for c in override_columns if c in df.columns])


class Results:
    """A verified result folder (``sim.results.load``). Tables are attributes (``res.finals``,
    ``res.effects``, ...), read on first use; ``res.tables`` lists those this folder has."""

    def __init__(self, folder: Folder):
        self._folder = folder
        self._frames: dict[str, pd.DataFrame] = {}

    def __repr__(self) -> str:
        return f"<eurosec results: {self.kind} in {self.path} ({', '.join(self.tables)})>"

    # ---------------------------------------------------------------- what it is
    path = property(lambda self: self._folder.path)
    kind = property(lambda self: self._folder.kind, doc="run, compare_options, combinations, facts, ..., sweep")
    job_kind = property(lambda self: self._folder.job_kind, doc="the app whose jobs a sweep combined (else = kind)")
    config = property(lambda self: self._folder.config, doc="the resolved config (a sweep: its plan and each job's)")

    @cached_property
    def metadata(self) -> dict:
        """Provenance: version, git commit, seeds, packages (``metadata.json``, else the tables')."""
        if "metadata.json" in self._folder.manifest.get("files", {}):  # verified with the folder
            return json.loads((self.path / "metadata.json").read_text())
        for file in self._folder.tables.values():
            raw = (pq.read_schema(file).metadata or {}).get(b"eurosec.metadata")
            if raw:
                return json.loads(raw)
        return {}

    @property
    def seed(self):
        return self.config.get("seed") if self.kind != "sweep" else [m.get("seed") for m in self.metadata.get("jobs", [])]

    @property
    def version(self) -> str | None:
        return self._folder.manifest.get("eurosec_version") or self.metadata.get("eurosec_version")

    @property
    def tables(self) -> list[str]:
        return sorted(self._folder.tables) + (["finals"] if self.kind == "run" else [])

    # ---------------------------------------------------------------- tables
    def table(self, name: str) -> pd.DataFrame:
        """The table ``name`` as a typed DataFrame (ResultsError naming those there are if absent)."""
        if name in self._frames:
            return self._frames[name]
        if name == "finals" and self.kind == "run":
            s = self.table("summary")
            frame = s[s["step"] == s["step"].max()].reset_index(drop=True)
        elif name in self._folder.tables:
            try:
                frame = pd.read_parquet(self._folder.tables[name])
            except Exception as err:  # noqa: BLE001 - any unreadable table: one clear error
                raise ResultsError(self.path, f"{self._folder.tables[name].name} cannot be read ({type(err).__name__}: "
                                   f"{str(err).splitlines()[0] if str(err) else ''})") from None
            frame = typed(frame, self._override_columns())
        else:
            raise ResultsError(self.path, f"a {self.kind} folder{f' of {self.job_kind} jobs' if self.kind == 'sweep' else ''}"
                               f" has no {name!r} table", f"one of the tables it has: {', '.join(self.tables) or 'none'}")
        self._frames[name] = frame
        return frame

    def __getattr__(self, name: str):
        if name in KNOWN:
            return self.table(name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def _override_columns(self) -> list[str]:
        if self.kind != "sweep":
            return []
        keys = {o.split("=", 1)[0].lstrip("+~") for j in self.metadata.get("jobs", []) for o in j.get("overrides", [])}
        return sorted(keys | {f"override.{k}" for k in keys})

    # ---------------------------------------------------------------- who and what
    @cached_property
    def actors(self) -> pd.DataFrame:
        """Actor id, full name, kind, members (the run's roster, else the default one)."""
        return actor_table(self.config.get("roster"))

    @cached_property
    def options(self) -> pd.DataFrame:
        """Option id, paper number, title, proposer, consent (from configs/option/)."""
        return option_table(self.config.get("roster"))

    @property
    def names(self) -> dict[str, str]:
        return dict(zip(self.actors["actor"], self.actors["name"]))

    @property
    def labels(self) -> dict[str, str]:
        """Option id -> '4 solidarity' (the paper's number first) for figures."""
        return dict(zip(self.options["option"], self.options["label"]))

    def agreement(self) -> pd.DataFrame:
        """Per arm and move: the share of runs in which the move was agreed (``finals``' agreed
        columns; for a single run's folder, its ``enacted`` events)."""
        if self.kind == "run":
            ev, runs = self.events, self.summary["replicate"].nunique()
            moves = [m for m, v in (self.config.get("moves") or {}).items() if not (v or {}).get("in_force")]
            done = ev[ev["kind"].astype(str) == "enacted"].groupby(ev["move"].astype(str))["replicate"].nunique()
            out = pd.DataFrame({"move": moves, "agreed_share": [done.get(m, 0) / runs for m in moves], "runs": runs})
        else:
            f = self.finals
            cols = [c for c in f.columns if agreement_column(f[c])]
            ids = ["arm"] if "arm" in f.columns else []
            long = f.melt(id_vars=ids, value_vars=cols, var_name="move", value_name="agreed").dropna(subset=["agreed"])
            long["move"] = long["move"].str.removeprefix("agreed_")
            long["agreed"] = long["agreed"].astype(float)
            out = long.groupby([*ids, "move"], observed=True)["agreed"].agg(agreed_share="mean", runs="size").reset_index()
        return out.merge(self.options[["option", "paper_number", "title"]], left_on="move", right_on="option",
                         how="left").drop(columns="option")

    def effects_summary(self, outcome: str) -> pd.DataFrame:
        """The effects on ``outcome`` as printed text columns (significant digits, never +0.000):
        tabled (all runs) and where agreed, with the paper's number and title."""
        e = self.effects[self.effects["outcome"] == outcome].merge(
            self.options[["option", "paper_number", "title"]], left_on="arm", right_on="option", how="left")
        fmt = lambda r, s="": f"{number(r['effect' + s])} [{number(r['ci_low' + s])}, {number(r['ci_high' + s])}]"  # noqa: E731
        out = pd.DataFrame({"paper_number": e["paper_number"], "option": e["arm"], "title": e["title"],
                            "tabled (all runs)": e.apply(fmt, axis=1),
                            "where agreed": e.apply(lambda r: fmt(r, "_agreed"), axis=1),
                            "agreed_share": e["agreed_share"].round(3)})
        return out.sort_values("paper_number").reset_index(drop=True)

    # ---------------------------------------------------------------- figures
    def _tabled(self) -> dict[str, str]:
        """Label -> 'YYYY-MM' of the month each option is tabled."""
        s = self.summary
        date_of = dict(zip(s["step"], s["date"].astype(str)))
        if self.job_kind == "compare_options":
            start = self.config.get("start") if self.kind != "sweep" else None
            if start is not None:
                return {f"options tabled (month {start})": date_of.get(start, "")} if start in date_of else {}
            starts = self.options.set_index("option")["start"]
            arms = [a for a in pd.unique(s["arm"].astype(str)) if a in starts.index]
            return {f"{a} tabled": date_of[int(starts[a])] for a in arms if int(starts[a]) in date_of}
        moves = self.config.get("moves") or {}
        return {f"{m} tabled": date_of[int(v["start"])] for m, v in moves.items()
                if isinstance(v, dict) and not v.get("in_force") and v.get("start") is not None
                and int(v["start"]) in date_of}

    def plot_trajectories(self, outcomes=None, arms=None, band: str = "auto", events: bool = True):
        """Monthly means of ``outcomes`` (default: Russia's and NATO's trust in each other and
        mean threat) per arm, with named bands; the month each option is tabled marked; for a
        single run's folder, its first replicate's agreements and escalations (named so)."""
        s = self.summary
        outcomes = list(outcomes or [c for c in ("trust_RUS_NATO", "trust_NATO_RUS", "mean_threat") if c in s.columns])
        ev = self.events if events and "events" in self._folder.tables else None
        title = {"compare_options": f"{self.config.get('stage', '')}: each option alone vs the baseline"}.get(
            self.job_kind, f"{(self.config.get('scenario') or {}).get('name', '')}, seed {self.seed}")
        return plots.trajectories(s, outcomes, self.names, arms, self._tabled(), band, ev, title)

    def plot_effects(self, outcomes=None, which: str = "both"):
        """Forest plot, one panel per compared outcome: the effect of tabling each option (all
        runs) and where it was agreed (not a causal effect: the caveat is in the figure)."""
        e = self.effects
        outcomes = list(outcomes or pd.unique(e["outcome"].astype(str)))
        missing = "effect_agreed" not in e.columns
        if missing and which != "itt":
            raise ResultsError(self.path, "its effects table has no where-agreed columns (written before they existed)",
                               "which='itt', or rerun the comparison")
        return plots.forest(e, outcomes, self.labels, self.names, which, AGREED_CAVEAT)

    def plot_distributions(self, outcome: str = "trust_RUS_NATO", kind: str = "violin", arms=None):
        """Final value of ``outcome`` in every run, one violin (or box) per arm."""
        return plots.distributions(self.finals, outcome, self.labels, self.names, arms, kind)

    def plot_heatmap(self, outcome: str | None = None, x: str | None = None, y: str | None = None, arm: str | None = None):
        """A sweep: the mean final ``outcome`` over two swept overrides ``x`` and ``y``; a
        comparison: final trust between actors, ``arm`` (default: the best on the first
        outcome) minus the baseline; combinations: the synergy matrix, numbers in the cells."""
        if self.kind == "sweep" and "finals" in self._folder.tables:
            return self._sweep_heatmap(outcome or "mean_trust", x, y, arm)
        if self.kind == "combinations" or (self.kind == "sweep" and "synergy" in self._folder.tables):
            return self._synergy_heatmap()
        if self.job_kind == "compare_options":
            if arm is None:
                first = self.effects["outcome"].astype(str).iloc[0] if outcome is None else outcome
                e = self.effects[self.effects["outcome"] == first]
                arm = str(e.sort_values("effect").iloc[-1]["arm"])
            return plots.trust_difference(self.dyads, arm, names=self.names)
        raise ResultsError(self.path, f"a {self.kind} folder has no heatmap", "a sweep, a comparison or combinations")

    def _sweep_heatmap(self, outcome: str, x, y, arm):
        f = self.finals
        swept = [c for c in self._override_columns() if c in f.columns and f[c].nunique() > 1]
        if x is None or y is None:
            if len(swept) < 2:
                raise ResultsError(self.path, f"x and y must name two swept overrides (swept: {', '.join(swept) or 'none'})",
                                   "plot_heatmap(outcome, x=KEY, y=KEY) with keys among the swept overrides")
            x, y = x or swept[0], y or swept[1]
        for key, value in (("x", x), ("y", y)):
            if value not in f.columns:
                raise ResultsError(self.path, f"{key}={value!r} is not a column of the sweep", ", ".join(swept))
        if arm is not None:
            f = f[f["arm"].astype(str) == arm]
        grid = f.groupby([y, x], observed=False)[outcome].mean().unstack(x)
        return plots.matrix(grid.to_numpy(dtype=float), [str(v) for v in grid.index], [str(v) for v in grid.columns],
                            f"mean final {outcome_label(outcome, self.names)}",
                            f"Sweep: mean final {outcome} by {y} and {x}" + (f" ({arm})" if arm else ""),
                            xlabel=x, ylabel=y, undefined="no runs with these values")

    def _synergy_heatmap(self):
        syn = self.synergy
        opts = list(dict.fromkeys([*syn["a"].astype(str), *syn["b"].astype(str)]))
        k = len(opts)
        m, marks = np.full((k, k), np.nan), np.full((k, k), "", dtype=object)
        for _, r in syn.iterrows():
            i, j = opts.index(str(r["a"])), opts.index(str(r["b"]))
            m[i, j] = m[j, i] = r["synergy"]
            marks[i, j] = marks[j, i] = "*" if r["significant"] else ""
        outcome = (self.config.get("outcome") if self.kind != "sweep" else None) or "the outcome"
        labels = [self.labels.get(o, o) for o in opts]
        return plots.matrix(m, labels, labels, f"synergy on final {outcome_label(outcome, self.names)}: the pair's "
                            "effect minus the sum of the single effects", f"Synergy of option pairs ({k} options; "
                            "* = 95% CI excludes 0)", diverging=True, marks=marks,
                            undefined="undefined (an option with itself)")
