"""The dashboard's state without any web server: the settings a page shows, the model they build,
and what the views draw, updated month by month. Everything here is plain Python, so the smoke
tests (tests/test_dashboard.py) drive it exactly as the page does.

The model is the one the sweeps use (:class:`sim.model.EurosecModel`); this module only chooses
its config and reads its state and event log. A bad setting is a :class:`ConfigError` whose
message the page shows (never a traceback).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import numpy as np
import pandas as pd

from sim.config import config_groups, load_config
from sim.config.spec import compile_spec
from sim.core.events import EventLog
from sim.errors import ConfigError, check_range
from sim.model import EurosecModel, MoveStatus
from sim.output.narrative import STORY_KINDS, narrative, short_name

DEFAULT_SCENARIO = "incremental_web"
# The key trusts drawn against time (columns of the model's summary: observer_target), and mean threat.
KEY_TRUSTS: tuple[tuple[str, str], ...] = (("RUS", "NATO"), ("NATO", "RUS"), ("RUS", "EU"), ("EU", "RUS"), ("RUS", "USA"))
CRISIS_RATE_ALLOWED = (0.0, 10.0)


def scenarios() -> list[str]:
    """Every scenario of scenarios/ (a new file there is a new choice)."""
    return sorted(config_groups()["scenario"])


def option_ids() -> list[str]:
    return list(config_groups()["option"])


@dataclass(frozen=True)
class Catalog:
    """What one scenario offers: its config with every option's move present, the options it
    schedules itself, each option's month and title, and the defaults of the key parameters."""

    scenario: str
    config: Mapping
    included: frozenset[str]
    starts: Mapping[str, int]
    titles: Mapping[str, str]
    paper: Mapping[str, int | None]
    horizon: int
    spiral_bias: float
    hawkishness: Mapping[str, float]
    base_rates: Mapping[str, float]

    @property
    def options(self) -> list[str]:
        """The options in the paper's order (1-10), then the others (the treaty, GRIT)."""
        return sorted(self.starts, key=lambda o: (self.paper[o] is None, self.paper[o] or 0, o))


@functools.lru_cache(maxsize=None)
def catalog(scenario: str) -> Catalog:
    """The scenario's :class:`Catalog` (composed once per process: a few seconds)."""
    if scenario not in scenarios():
        raise ConfigError("scenario", f"unknown scenario {scenario!r}", scenarios())
    opts = option_ids()
    base = load_config([f"scenario={scenario}"])
    full = load_config([f"scenario={scenario}", f"option=[{','.join(opts)}]"])
    moves = full["moves"]
    from sim.mechanisms.crisis_params import CrisisTypeConfig  # the declared default base rate

    default_rate = CrisisTypeConfig.__dataclass_fields__["base_rate"].default
    default_rate = getattr(default_rate, "default", default_rate)
    rates = {t: float((c or {}).get("base_rate", default_rate)) for t, c in (full["crises"].get("types") or {}).items()}
    roster = full["roster"]
    spec = compile_spec(base)
    return Catalog(
        scenario=scenario, config=full, included=frozenset(o for o in opts if o in base["moves"]),
        starts={o: int(moves[o]["start"]) for o in opts}, titles={o: str(moves[o].get("title", o)) for o in opts},
        paper={o: moves[o].get("option") for o in opts}, horizon=int(spec.horizon),
        spiral_bias=float(full["dynamics"]["spiral_bias"]),
        hawkishness={a: float(roster[a].get("hawkishness", 0.5)) for a in ("RUS", "NATO")}, base_rates=rates)


@dataclass(frozen=True)
class Settings:
    """Everything the page's controls set; it takes effect when the model is (re)built."""

    scenario: str = DEFAULT_SCENARIO
    seed: object = 0  # an int, or the text typed into the seed box
    options: Mapping[str, int | None] = field(default_factory=dict)  # option -> month tabled, None = off
    spiral_bias: float | None = None  # None: the scenario's
    crisis_rate: float = 1.0  # multiplies every crisis type's base rate
    hawkishness_rus: float | None = None
    hawkishness_nato: float | None = None

    @classmethod
    def for_scenario(cls, scenario: str = DEFAULT_SCENARIO, seed: object = 0) -> Settings:
        """The scenario's own choices: its options at its months, the key parameters' defaults."""
        cat = catalog(scenario)
        return cls(scenario=scenario, seed=seed,
                   options={o: (cat.starts[o] if o in cat.included else None) for o in cat.options},
                   spiral_bias=cat.spiral_bias, hawkishness_rus=cat.hawkishness["RUS"],
                   hawkishness_nato=cat.hawkishness["NATO"])

    def toggled(self, option: str, month: int | None = None) -> Settings:
        """The same settings with ``option`` switched (on at ``month`` or its usual month)."""
        opts = dict(self.options)
        if opts.get(option) is not None:
            opts[option] = None
        else:
            opts[option] = month if month is not None else catalog(self.scenario).starts[option]
        return replace(self, options=opts)


def build_config(settings: Settings) -> dict:
    """The config dict of ``settings``: the scenario's config, the options switched on at their
    months (the others removed), and the key parameters. Checked by the model (compile_spec)."""
    cat = catalog(settings.scenario)
    cfg = copy.deepcopy(dict(cat.config))
    unknown = [o for o in settings.options if o not in cat.starts]
    if unknown:
        raise ConfigError("options", f"unknown option {unknown[0]!r}", cat.options)
    for option in cat.options:
        month = settings.options.get(option, cat.starts[option] if option in cat.included else None)
        if month is None or month is False:
            cfg["moves"].pop(option, None)
            continue
        if isinstance(month, str):
            month = month.strip()
            if not month.isdigit():
                raise ConfigError(f"moves.{option}.start", f"{month!r} is not a month",
                                  f"an integer in [1, {cat.horizon}]")
            month = int(month)
        cfg["moves"][option] = {**cfg["moves"][option], "start": month}
    if settings.spiral_bias is not None:
        cfg["dynamics"] = {**cfg["dynamics"], "spiral_bias": settings.spiral_bias}
    rate = check_range("crisis rate (x base rates)", settings.crisis_rate, *CRISIS_RATE_ALLOWED)
    if rate != 1.0:
        types = cfg["crises"].get("types") or {}
        cfg["crises"] = {**cfg["crises"], "types": {
            t: {**(c or {}), "base_rate": cat.base_rates[t] * rate} for t, c in types.items()}}
    roster = {k: dict(v) for k, v in cfg["roster"].items()}
    for actor, value in (("RUS", settings.hawkishness_rus), ("NATO", settings.hawkishness_nato)):
        if value is not None:
            roster[actor]["hawkishness"] = value
    cfg["roster"] = roster
    return cfg


def build_model(settings: Settings, replicates: int | None = None, record_events: bool = True) -> EurosecModel:
    """The model of ``settings`` (a ConfigError names the bad setting)."""
    cfg = build_config(settings)
    if replicates is not None:
        cfg["replicates"] = replicates
    return EurosecModel(rng=settings.seed, config=cfg, record_events=record_events,
                        replicates=replicates)


@dataclass(frozen=True)
class Marker:
    """A dated event drawn on the trajectories: an agreement, a crisis, an escalation, an intervention."""

    step: int
    kind: str  # agreement | crisis | escalation | intervention
    label: str


class Run:
    """One model and what the views draw from it, kept up to date month by month.

    ``series`` holds the key trusts and mean threat for every month so far; ``markers`` the
    agreements, crises, escalations and interventions; ``agenda`` the narrative's lines (the
    same sentences as ``make run`` prints), newest last. Only the events added since the last
    update are read, so a month costs the same at the end of a run as at its start.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.model = build_model(settings)
        self.spec = self.model.spec
        self.ids = list(self.spec.ids)
        self.names = {a.id: a.name for a in self.spec.roster.actors}
        self.series: dict[str, list[float]] = {name: [] for name in self.series_names}
        self.steps: list[int] = []
        self.markers: list[Marker] = []
        self.agenda: list[str] = []
        self._chunks_read = 0
        self._trust_by_step: dict[int, np.ndarray] = {}
        self._steps_by_date = {self.spec.date(s): s for s in range(self.spec.horizon + 1)}
        self._record()
        self.read_events()

    # ---------------------------------------------------------------- the model
    @property
    def series_names(self) -> list[str]:
        return [f"trust_{a}_{b}" for a, b in KEY_TRUSTS] + ["mean_threat"]

    def label(self, name: str) -> str:
        if name == "mean_threat":
            return "mean threat (all actors)"
        _, a, b = name.split("_")
        return f"trust {short_name(self.spec, a)} -> {short_name(self.spec, b)}"

    @property
    def month(self) -> int:
        return self.model.month

    @property
    def date(self) -> str:
        return self.model.date

    @property
    def horizon(self) -> int:
        return self.spec.horizon

    @property
    def finished(self) -> bool:
        return not self.model.running or self.model.month >= self.spec.horizon

    def step(self, months: int = 1, events: bool = True) -> None:
        """Advance the model ``months`` months (to its end at most) and record them; with
        ``events=False`` their events are left for :meth:`read_events` (the map needs none)."""
        for _ in range(months):
            if self.finished:
                break  # still read the events of the months stepped before the end
            self.model.step()
            self._record()
        if events:
            self.read_events()

    def table_now(self, move_id: str) -> bool:
        """The model's :meth:`EurosecModel.table_now`; True if the move is in force afterwards."""
        in_force = bool(self.model.table_now(move_id)[0])
        self.read_events()
        return in_force

    def crisis_now(self, site: str, crisis_type: str | None = None) -> bool:
        """The model's :meth:`EurosecModel.crisis_now`; True if it escalated."""
        escalated = bool(self.model.crisis_now(site, crisis_type)[0])
        self.read_events()
        return escalated

    def open_moves(self) -> list[str]:
        """Moves of this run still open to negotiation (what table_now accepts)."""
        status = self.model.engine.book.status[0]
        return [m.id for m in self.spec.moves if status[m.index] == MoveStatus.IDLE and not m.history]

    def move_title(self, move_id: str) -> str:
        return self.spec.move(move_id).title

    # ------------------------------------------------------------ what is drawn
    def trust_matrix(self) -> np.ndarray:
        return self.model.engine.state.trust[0]

    def threat_matrix(self) -> np.ndarray:
        return self.model.engine.state.threat[0]

    def felt_threat(self) -> np.ndarray:
        """(n,) the threat each actor feels: the greatest threat it perceives from another actor."""
        t = self.threat_matrix().copy()
        np.fill_diagonal(t, 0.0)
        return t.max(axis=1)

    def _record(self) -> None:
        latest = self.model.recorder.latest()
        self.steps.append(self.model.month)
        for name in self.series_names:
            self.series[name].append(float(latest[name][0]))
        self._trust_by_step[self.model.month] = self.trust_matrix().copy()

    def read_events(self) -> None:
        """Markers and agenda lines from the events added since the last call."""
        log = self.model.engine.log
        chunks = log._chunks[self._chunks_read:]  # noqa: SLF001 - read the new chunks only (EventLog keeps them in order)
        self._chunks_read += len(chunks)
        story = set(STORY_KINDS)
        chunks = [c for c in chunks if c["kind"] in story or c["kind"] in ("proposal", "vote", "decision")]
        if not any(c["kind"] in story for c in chunks):
            return
        part = EventLog()
        part._chunks = chunks  # noqa: SLF001
        ev = part.frame(self.model.seeds, self.spec.date)
        # the rows drawn as markers, read from the columns' arrays (a Series per row, iterrows, or a
        # selected frame cost 3-4 ms of a month; this 1 ms)
        lines = []
        kinds = ev["kind"].to_numpy()
        rows = [i for i, k in enumerate(kinds) if k in ("outcome", "crisis", "escalation", "intervention")]
        columns = {c: ev[c].to_numpy() for c in ("step", "value", "move", "actor", "detail", "date", "reason")} if rows else {}
        for i in rows:
            e = SimpleNamespace(kind=kinds[i], **{c: values[i] for c, values in columns.items()})
            step, kind = int(e.step), str(e.kind)
            if kind == "outcome":
                if e.value > 0.5:
                    self.markers.append(Marker(step, "agreement", _short_title(self.spec.move(str(e.move)).title)))
            elif kind == "crisis":
                self.markers.append(Marker(step, "crisis", f"{str(e.detail).replace('_', ' ')} {e.actor}"))
            elif kind == "escalation":
                self.markers.append(Marker(step, "escalation", f"war: {str(e.actor).split(' ')[0]}"))
            else:
                self.markers.append(Marker(step, "intervention", str(e.move) or str(e.detail).replace("_", " ")))
        # the months whose trust change the narrative quotes: negotiated outcomes and scheduled acts
        outcomes = {int(s) for s, k in zip(ev["step"].to_numpy(), kinds, strict=True) if k in ("outcome", "enacted")}
        dyads = self._dyads_for(outcomes) if outcomes else None
        for line in narrative(self.spec, ev, dyads):
            lines.append((_line_step(line, self._steps_by_date), line))
        lines.sort(key=lambda x: x[0])  # stable: the intervention note before what it caused
        self.agenda.extend(line for _, line in lines)

    def _dyads_for(self, outcomes: set[int]) -> pd.DataFrame:
        """The trust rows the narrative reads (the month before and of each outcome's month), as
        one frame built from the arrays (a frame per month and a concat cost a few ms a month)."""
        n = len(self.ids)
        steps = [s for s in sorted(outcomes | {s - 1 for s in outcomes}) if s in self._trust_by_step]
        if not steps:
            return pd.DataFrame({"replicate": [], "step": [], "observer": [], "target": [], "trust": []})
        k = len(steps)
        return pd.DataFrame({"replicate": np.zeros(k * n * n, dtype=np.int64),
                             "step": np.repeat(np.array(steps, dtype=np.int64), n * n),
                             "observer": np.tile(np.repeat(self.ids, n), k), "target": np.tile(self.ids, n * k),
                             "trust": np.concatenate([self._trust_by_step[s].reshape(-1) for s in steps])})


def _line_step(line: str, steps_by_date: Mapping[str, int]) -> int:
    """The month of a narrative line from its date prefix (``spec.date(step)``)."""
    return steps_by_date.get(line.split(":", 1)[0], 0)


def _short_title(title: str, width: int = 28) -> str:
    return title if len(title) <= width else title[: width - 1].rstrip() + "…"


def ensemble_band(settings: Settings, replicates: int = 200, low: float = 5.0, high: float = 95.0) -> dict:
    """The spread across runs: ``replicates`` seeds of the same settings advanced together
    (vectorised, the sweeps' code path) to the horizon; per series the (low, median, high)
    percentiles at every month. Returns {"steps", "replicates", name: (3, T) array}."""
    model = build_model(settings, replicates=replicates, record_events=False)
    model.run()
    summary = model.summary()
    out: dict = {"replicates": replicates, "low": low, "high": high}
    names = [f"trust_{a}_{b}" for a, b in KEY_TRUSTS] + ["mean_threat"]
    table = summary.pivot_table(index="step", columns="replicate", values=names)
    out["steps"] = table.index.to_numpy()
    for name in names:
        values = table[name].to_numpy()
        out[name] = np.percentile(values, [low, 50.0, high], axis=1)
    return out
