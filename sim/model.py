"""EurosecModel: the Mesa model of European security trust and threat dynamics.

One instance advances one replicate (Mesa's convention: ``EurosecModel(rng=seed, **params)``,
``model.step()``, works with ``mesa.batch_run``) or many replicates at once in vectorised
numpy (``EurosecModel(rng=master, replicates=1000)``). Replicate r's trajectory depends only on
its seed, so a seed gives the same results alone, in any batch and through ``mesa.batch_run``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import is_dataclass
from typing import get_args, get_origin, get_type_hints

import mesa
import numpy as np
from mesa.experimental.scenarios import Scenario as MesaScenario

from agents.actors import ActorAgent, CompositeAgent
from sim import __version__
from sim.config import config_groups, load_config
from sim.core.engine import Engine
from sim.core.state import MoveStatus  # noqa: F401  (re-exported: model.move_status(...) == MoveStatus.IN_FORCE)
from sim.errors import ConfigError
from sim.mechanisms import crises as crisis_mechanism
from sim.mechanisms import negotiation
from sim.mechanisms.negotiation import ProposalView
from sim.output.records import Recorder
from sim.resources import check_resources, estimate_run
from sim.config.schema import output_default
from sim.config.spec import MAX_REPLICATES, MAX_SEED, ModelSpec, compile_spec
from sim.numerics.streams import CRISIS, generator, replicate_seeds


def overrides_from_params(scenario=None, options=None, params: Mapping | None = None) -> list[str]:
    """Hydra overrides from Python-friendly arguments. ``options`` is a list or a comma string;
    ``params`` keys use ``__`` for dots (``dynamics__spiral_bias=0.3``)."""
    out = []
    if scenario is not None:
        out.append(f"scenario={scenario}")
    if options is not None:
        ids = [o.strip() for o in options.split(",") if o.strip()] if isinstance(options, str) else list(options)
        out.append(f"option=[{','.join(ids)}]")
    for key, value in (params or {}).items():
        out.append(f"{key.replace('__', '.')}={_override_value(value)}")
    return out


def _override_value(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return "[" + ",".join(_override_value(v) for v in value) + "]"
    return str(value)


SEED_ALLOWED = f"an integer in [0, 2**63-1 = {MAX_SEED}]"
SEEDS_ALLOWED = f"a non-empty sequence of at most {MAX_REPLICATES:,} integers in [0, 2**63-1 = {MAX_SEED}]"
_KEY_PART = re.compile(r"[A-Za-z0-9_-]+")
_DIGITS = re.compile(r"\s*[0-9]+\s*")


def _is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def check_seed(key: str, value) -> int:
    """``value`` as a Python int if it is an integer seed in [0, 2**63-1] (numpy integers
    included); else a ConfigError naming ``key``."""
    if not _is_int(value):
        raise ConfigError(key, f"{value!r} is not an integer seed", SEED_ALLOWED)
    if not 0 <= int(value) <= MAX_SEED:
        raise ConfigError(key, f"{value} is out of range", SEED_ALLOWED)
    return int(value)


def check_seeds(seeds) -> list[int]:
    """Explicit replicate seeds: a non-empty 1-d sequence (list, tuple, range, numpy array) of
    integer seeds, each in [0, 2**63-1]; errors name ``seeds`` or ``seeds[k]``."""
    if isinstance(seeds, np.ndarray):
        if seeds.ndim != 1:
            raise ConfigError("seeds", f"an array of shape {seeds.shape} is not a sequence of seeds", SEEDS_ALLOWED)
        values = list(seeds)
    elif isinstance(seeds, str | bytes | Mapping) or not isinstance(seeds, Iterable):
        raise ConfigError("seeds", f"{seeds!r} is not a sequence of seeds", SEEDS_ALLOWED)
    else:
        values = list(seeds)
    if not values:
        raise ConfigError("seeds", "no seeds given", SEEDS_ALLOWED)
    if len(values) > MAX_REPLICATES:
        raise ConfigError("seeds", f"{len(values):,} seeds is too many", SEEDS_ALLOWED)
    return [check_seed(f"seeds[{k}]", v) for k, v in enumerate(values)]


def check_replicates(value) -> int:
    allowed = f"an integer in [1, {MAX_REPLICATES:,}]"
    if not _is_int(value):
        raise ConfigError("replicates", f"{value!r} is not a positive integer", allowed)
    if not 1 <= int(value) <= MAX_REPLICATES:
        raise ConfigError("replicates", f"{value} is out of range", allowed)
    return int(value)


def _config_sections() -> dict[str, object]:
    """Top-level names a keyword override may start with: the schema's keys (their types) and
    the config groups that are not keys (``option``, ``irritant``: None)."""
    from sim.config import schema

    sections: dict[str, object] = dict(get_type_hints(schema.Config))
    for group in config_groups():
        if group != "hydra":
            sections.setdefault(group, None)
    return sections


def check_params(scenario, options, params: Mapping) -> None:
    """Check the Python-friendly arguments before Hydra composes them, so that a bad one is a
    ConfigError naming it: ``scenario`` a config name, ``options`` option names, and each
    ``section__key`` of ``params`` a key of the schema (``dynamics__spiral_biass`` names
    ``dynamics.spiral_biass`` and the keys of ``dynamics``)."""
    if scenario is not None and not isinstance(scenario, str):
        raise ConfigError("scenario", f"{scenario!r} is not a scenario name", config_groups().get("scenario", []))
    if options is not None and not isinstance(options, str):
        if isinstance(options, Mapping) or not isinstance(options, Iterable):
            raise ConfigError("options", f"{options!r} is not a list of option names", config_groups().get("option", []))
        for k, o in enumerate(options):
            if not isinstance(o, str):
                raise ConfigError(f"options[{k}]", f"{o!r} is not an option name", config_groups().get("option", []))
    if not params:
        return
    groups = config_groups()
    sections = _config_sections()
    for name, value in params.items():
        key = str(name).replace("__", ".")
        parts = key.split(".")
        if not isinstance(name, str) or not all(_KEY_PART.fullmatch(p) for p in parts):
            raise ConfigError(key, f"{name!r} is not a keyword override",
                              "section__key=value, e.g. dynamics__spiral_bias=0.3 (see `python -m sim.run --cfg job`)")
        if parts[0] not in sections:
            raise ConfigError(key, f"unknown section {parts[0]!r}", sorted(sections))
        if parts[0] in groups and len(parts) == 1:  # a config group choice: dynamics=default, option=[nrc]
            choices = value if isinstance(value, list | tuple) and parts[0] in ("option", "irritant") else [value]
            for k, v in enumerate(choices):
                if not isinstance(v, str):
                    where = f"{key}[{k}]" if choices is value else key
                    raise ConfigError(where, f"{v!r} is not the name of a {parts[0]} config", groups[parts[0]])
            continue
        _schema_node(sections, parts)


_VALUE_HINTS = {float: "a number", int: "an integer", bool: "true or false", str: "a string"}


def _schema_node(sections: Mapping, parts: list[str]):
    """The schema type at ``parts`` (None below lists, Any and plain values); a ConfigError
    naming the key and the keys beside it where the schema has no such key."""
    node = sections[parts[0]]
    for depth in range(1, len(parts)):
        if is_dataclass(node):
            hints = get_type_hints(node)
            if parts[depth] not in hints:
                raise ConfigError(".".join(parts[:depth + 1]), "unknown key", list(hints))
            node = hints[parts[depth]]
        elif get_origin(node) is dict:  # roster.<actor>, moves.<move>, crises.types.<type>
            node = get_args(node)[1]
        else:  # lists, Any and plain values: Hydra and compile_spec check the rest
            return None
    return node


def _override_error(err: Exception, scenario, options, params: Mapping) -> ConfigError:
    """A ConfigError naming the argument whose override Hydra could not compose: ``scenario``,
    ``options`` or the first keyword override whose addition makes composition fail (composing
    again only on this error path)."""
    problem = err.problem if isinstance(err, ConfigError) else (str(err).strip().splitlines() or [type(err).__name__])[0]
    allowed = err.allowed if isinstance(err, ConfigError) else None
    keys = {str(k).replace("__", "."): k for k in params}
    trials: list[tuple[str, list[str]]] = []
    if scenario is not None:
        trials.append(("scenario", overrides_from_params(scenario, None)))
    if options is not None:
        trials.append(("options", overrides_from_params(scenario, options)))
    base = overrides_from_params(scenario, options)
    added: dict = {}
    for dotted, name in keys.items():
        added[name] = params[name]
        trials.append((dotted, base + overrides_from_params(params=added)))
    for key, overrides in trials:
        try:
            load_config(overrides)
        except Exception:  # noqa: BLE001 - the first argument that fails to compose is the one to name
            if key in keys:  # a value Hydra could not merge: say what the schema expects there
                node = _schema_node(_config_sections(), key.split("."))
                allowed = _VALUE_HINTS.get(node, allowed) if isinstance(node, type) else allowed
            return ConfigError(key, problem, allowed)
    return ConfigError(" ".join(keys) or "config", problem, allowed)


def _load_config(scenario, options, params: Mapping) -> dict:
    """The config of the keyword arguments; every failure is a ConfigError naming an argument."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    check_params(scenario, options, params)
    try:
        return load_config(overrides_from_params(scenario, options, params))
    except (ValueError, TypeError, KeyError, HydraException, OmegaConfBaseException) as err:  # ConfigError is a ValueError
        raise _override_error(err, scenario, options, params) from None


class _NoSharedRandom:
    """Stands in for Mesa's ``model.random`` and ``model.rng``: any use raises, because one
    generator shared by the model would couple the replicates advanced together and break
    common random numbers. Draw from the replicate streams instead (sim/numerics/streams.py:
    ``UniformStream(seeds, purpose, name, width).month(step)`` gives each replicate its own
    uniforms), as every mechanism does (docs/contributing.md, "Randomness")."""

    _MESSAGE = ("eurosec models have no shared random generator: model.random and model.rng would couple "
                "the replicates and break common random numbers. Draw per-replicate uniforms from "
                "sim.numerics.streams.UniformStream (docs/contributing.md, 'Randomness').")

    def __getattr__(self, name):
        raise RuntimeError(self._MESSAGE)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(self._MESSAGE)

    def __repr__(self) -> str:
        return "<no shared random generator: see sim.numerics.streams>"


class EurosecModel(mesa.Model):
    """Trust and threat among Europe's security actors under negotiated policy moves.

    Args:
        rng: integer master seed (replicate 0's seed); defaults to the config's ``seed``. A string
            of decimal digits (a seed typed into a text box) is read as that integer.
        replicates: number of replicates advanced together (default: the config's, usually 1).
        seeds: explicit replicate seeds (overrides ``rng``/``replicates`` for the streams).
            Seeds (``rng`` and each of ``seeds``) are integers in [0, 2**63-1], numpy integers included.
        config: a resolved config dict or a compiled ModelSpec; default: ``configs/`` + overrides
            (not together with ``scenario``, ``options`` or overrides, which it would ignore).
        scenario, options: shortcuts for ``scenario=...`` and ``option=[...]``. ``scenario`` may
            also be Mesa's own Scenario object (``mesa.experimental.scenarios.Scenario``, what
            SolaraViz passes on Reset): its ``rng`` seeds the model when ``rng`` is not given, and
            its other fields are read as these keyword arguments (a field ``scenario`` names the
            eurosec scenario).
        record_events: keep the event log (default: the config's ``output.events``; off for the fastest sweeps).
        **params: further overrides, ``section__key=value`` (e.g. ``dynamics__spiral_bias=0.3``).
    """

    def __init__(self, rng: int | None = None, *, replicates: int | None = None, seeds: Sequence[int] | None = None,
                 config: Mapping | ModelSpec | None = None, scenario: str | None = None,
                 options: str | Sequence[str] | None = None, record_events: bool | None = None, **params):
        if isinstance(scenario, MesaScenario):  # SolaraViz's Reset passes Mesa's Scenario object
            fields = {k: v for k, v in vars(scenario).items() if not k.startswith("_") and k not in ("model", "rng")}
            if rng is None:
                rng = scenario.rng
            scenario = fields.pop("scenario", None)
            options = fields.pop("options", options)
            replicates = fields.pop("replicates", replicates)
            record_events = fields.pop("record_events", record_events)
            params = {**fields, **params}
        if isinstance(rng, str) and _DIGITS.fullmatch(rng):  # a seed typed into a text box
            rng = int(rng)
        if rng is not None:
            rng = check_seed("rng", rng)
        if seeds is not None:
            seeds = check_seeds(seeds)
        if replicates is not None:
            replicates = check_replicates(replicates)
            if seeds is not None and replicates != len(seeds):
                raise ConfigError("replicates", f"{replicates} replicates but {len(seeds)} seeds",
                                  "the number of seeds, or no replicates when seeds are given")
        if record_events is not None and not isinstance(record_events, bool | np.bool_):
            raise ConfigError("record_events", f"{record_events!r} is not a boolean",
                              "True, False or None (the config's output.events)")
        if record_events is not None:
            record_events = bool(record_events)
        if config is not None:
            if not isinstance(config, Mapping | ModelSpec):
                raise ConfigError("config", f"{config!r:.60} ({type(config).__name__}) is not a config",
                                  "a config dict (sim.config.load_config), a compiled sim.config.spec.ModelSpec, or None")
            given = [n for n, v in (("scenario", scenario), ("options", options)) if v is not None] + list(params)
            if given:
                raise ConfigError(given[0], "would be ignored: config= gives the whole config",
                                  "either config=... or scenario/options/section__key overrides, not both")
        if isinstance(config, ModelSpec):
            spec = config
        else:
            cfg = dict(config) if config is not None else _load_config(scenario, options, params)
            spec = compile_spec(cfg)
        master = rng if rng is not None else int(spec.config.get("seed", 0))
        n_rep = len(seeds) if seeds is not None else (
            replicates if replicates is not None else int(spec.config.get("replicates", 1)))
        if record_events is None:
            record_events = bool((spec.config.get("output") or {}).get("events", output_default("events")))
        # a model that would not fit in memory is refused before any seed is drawn or array allocated
        check_resources(estimate_run(spec, n_rep, record_events=record_events, write=False))
        if seeds is None:
            seeds = replicate_seeds(master, n_rep)
        super().__init__(rng=master)
        # Mesa's shared generators would tie every replicate to one stream and break common random
        # numbers: using them fails loudly (randomness comes from the per-replicate streams).
        self.random = self.rng = _NoSharedRandom()
        self._all_agents.random = self.random
        self.spec = spec
        self.version = __version__
        self.seeds = np.asarray(seeds, dtype=np.int64)
        self.engine = Engine(spec, self.seeds, self._decide, record_events=record_events)
        self._agents_by_id: dict[str, ActorAgent] = {}
        for a in spec.roster.actors:
            cls = CompositeAgent if a.is_composite else ActorAgent
            self._agents_by_id[a.id] = cls(self, a)
        self._delegates: dict[str, Callable] = {}
        self._intervention_gens: list[np.random.Generator] | None = None
        self.recorder = Recorder(self.engine, spec.dyad_period, spec.dyad_replicates)
        self.datacollector = mesa.DataCollector(
            model_reporters={c: (lambda m, c=c: float(m.recorder.latest()[c][0])) for c in self.recorder.columns})
        self.recorder.record()
        if self.replicates == 1:
            self.datacollector.collect(self)

    # ------------------------------------------------------------------ Mesa API
    def step(self) -> None:
        """Advance every replicate by one month."""
        self.engine.step()
        self.recorder.record()
        if self.replicates == 1:
            self.datacollector.collect(self)
        if self.engine.step_count >= self.spec.horizon:
            self.running = False

    def run(self, months: int | None = None) -> EurosecModel:
        """Run ``months`` more steps (default: to the scenario's horizon)."""
        todo = self.spec.horizon - self.engine.step_count if months is None else months
        for _ in range(max(todo, 0)):
            self.step()
        return self

    # -------------------------------------------------------------- conveniences
    @property
    def replicates(self) -> int:
        return len(self.seeds)

    @property
    def month(self) -> int:
        return self.engine.step_count

    @property
    def date(self) -> str:
        return self.spec.date(self.engine.step_count)

    def index(self, actor_id: str) -> int:
        return self.spec.roster.index(actor_id)

    def actor(self, actor_id: str) -> ActorAgent:
        if actor_id not in self._agents_by_id:
            raise ConfigError("actor", f"unknown actor {actor_id!r}", self.spec.ids)
        return self._agents_by_id[actor_id]

    def trust(self, observer: str, target: str) -> np.ndarray:
        """(R,) trust of ``observer`` in ``target`` in each replicate."""
        return self.engine.state.trust[:, self.index(observer), self.index(target)].copy()

    def threat(self, observer: str, target: str) -> np.ndarray:
        return self.engine.state.threat[:, self.index(observer), self.index(target)].copy()

    def move_status(self, move_id: str) -> np.ndarray:
        """(R,) where move ``move_id`` stands in each replicate, as :class:`MoveStatus` codes
        (compare with ``MoveStatus.IN_FORCE``, ``FAILED``, ...)."""
        return self.engine.book.status[:, self.spec.move(move_id).index].copy()

    def enacted_month(self, move_id: str) -> np.ndarray:
        """(R,) month in which ``move_id`` entered into force in each replicate, -1 if it never did."""
        return self.engine.book.enacted_at[:, self.spec.move(move_id).index].copy()

    def attempts(self, move_id: str) -> np.ndarray:
        """(R,) how many times ``move_id`` has been tabled in each replicate."""
        return self.engine.book.attempts[:, self.spec.move(move_id).index].copy()

    def summary(self):
        return self.recorder.summary_frame()

    def dyads(self):
        return self.recorder.dyads_frame()

    def events(self):
        return self.engine.log.frame(self.seeds, self.spec.date)

    # ------------------------------------------------------- live interventions
    def table_now(self, move_id: str) -> np.ndarray:
        """Table ``move_id`` now, between two months, in every replicate where it is still open
        (not in force, not abandoned, not ended), instead of waiting for its month.

        Everything then follows the model's own rules, as when its scheduled month comes: the
        proposer decides by its type whether to table it (and may decline), the parties vote,
        the move enters into force or is rejected and retried ``negotiation.retry_after`` months
        later. The event log records an ``intervention`` event, then the proposal, votes and
        outcome at the current month. Only moves of this run can be tabled (switch an option
        on to include it). Returns (R,) bool: where the move is in force afterwards.
        """
        move = self.spec.move(move_id)
        book, m, step = self.engine.book, move.index, self.engine.step_count
        rows = np.flatnonzero(book.status[:, m] == MoveStatus.IDLE)
        if rows.size == 0:
            where = MoveStatus(int(book.status[0, m])).name.lower().replace("_", " ")
            open_moves = [mv.id for mv in self.spec.moves if (book.status[:, mv.index] == MoveStatus.IDLE).any()]
            raise ConfigError("move", f"'{move.title}' is no longer open to negotiation (it is {where})",
                              open_moves or "none: every move of this run is in force, abandoned or ended")
        self.engine.log.add("intervention", step, rows, move=move.id, actor=self.spec.ids[move.proposer],
                            reason=f"'{move.title}' tabled now ({self.date}) at the user's request (model.table_now)")
        book.next_attempt[rows, m] = step
        negotiation.negotiate(self.engine, move, step)
        return book.status[:, m] == MoveStatus.IN_FORCE

    def crisis_sites(self) -> dict[str, list[str]]:
        """Where a crisis can strike: each site and the crisis types configured there."""
        out: dict[str, list[str]] = {}
        for slot in self.engine.crises.table.slots:
            out.setdefault(slot.site, []).append(slot.type)
        return out

    def crisis_now(self, site: str, crisis_type: str | None = None) -> np.ndarray:
        """A crisis of ``crisis_type`` strikes ``site`` now, between two months, in every replicate.

        It is resolved as a random crisis of that site and type is (configs/crises/default.yaml):
        blame and threat, damage damped by the channels covering it, assistance under clauses
        in force, and a conflict may escalate with the model's own escalation probability
        (drawn from a stream of the replicate's seed kept for interventions, so the model's
        other draws are unchanged). ``crisis_type`` may be left out where the site has one
        type. The event log records an ``intervention`` event, then the crisis. Returns (R,)
        bool: where it escalated into open conflict.
        """
        sites = self.crisis_sites()
        if not isinstance(site, str) or site not in sites:
            raise ConfigError("site", f"unknown crisis site {site!r}", sorted(sites))
        if crisis_type is None:
            if len(sites[site]) > 1:
                raise ConfigError("crisis_type", f"site {site} has several crisis types: name one", sites[site])
            crisis_type = sites[site][0]
        elif crisis_type not in sites[site]:
            raise ConfigError("crisis_type", f"no {crisis_type!r} crisis is configured at {site}", sites[site])
        engine = self.engine
        table, step, R = engine.crises.table, engine.step_count, self.replicates
        k = next(j for j, sl in enumerate(table.slots) if sl.site == site and sl.type == crisis_type)
        if self._intervention_gens is None:
            self._intervention_gens = [generator(int(s), CRISIS, "intervention") for s in self.seeds]
        hit = np.zeros((R, table.size), dtype=bool)
        hit[:, k] = True
        u_escalation = np.ones((R, table.size))
        u_escalation[:, k] = [g.random() for g in self._intervention_gens]
        rows = np.arange(R)
        engine.log.add("intervention", step, rows, actor=table.slots[k].victim_label, counterpart=table.slots[k].label,
                       detail=crisis_type, reason=f"{crisis_type.replace('_', ' ')} at {table.slots[k].label} "
                                                  f"now ({self.date}) at the user's request (model.crisis_now)")
        before = engine.counters["escalations"].copy()
        crisis_mechanism.resolve(engine, rows, hit, step, table.tension(engine.state.threat), u_escalation=u_escalation,
                                 p=1.0, u=np.nan)
        return engine.counters["escalations"] > before

    def delegate(self, actor_id: str, answer: Callable[[ProposalView, np.ndarray], object] | None) -> None:
        """Let ``answer(view, q)`` choose, in place of ``actor_id``'s strategy, whether to accept
        the proposals put to it: ``view`` is the ProposalView its agent sees, ``q`` (k,) the
        acceptance probability its strategy would give; the return value is the probability to
        use instead (1 or 0 for a person deciding). For an alliance or union, the answer is
        used for each of its members voting as that party. Everything else follows the model's
        rules: the decider's type must still be willing to bear its share of the move's cost,
        and observers read the vote as any other. ``answer=None`` hands the decision back."""
        self.actor(actor_id)  # a ConfigError naming the actors if unknown
        if answer is None:
            self._delegates.pop(actor_id, None)
        else:
            self._delegates[actor_id] = answer

    def _decide(self, decider: int, view: ProposalView) -> tuple[np.ndarray, np.ndarray]:
        agent = self._agents_by_id[self.spec.ids[decider]]
        q, utility = agent.respond(view), agent.utility(view)
        if self._delegates:
            answer = self._delegates.get(view.decider) or self._delegates.get(view.party)
            if answer is not None:
                q = np.broadcast_to(np.clip(np.asarray(answer(view, np.asarray(q)), dtype=np.float64), 0.0, 1.0),
                                    np.shape(view.trust)).copy()
        return q, utility
