"""Compile a resolved config mapping into an immutable, validated :class:`ModelSpec`.

All validation of values and cross-references happens here, before any output is written,
and every failure is a :class:`~sim.errors.ConfigError` naming the key and allowed values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenarios.calendar import month_label, parse_start
from scenarios.initial import initial_matrices
from sim.mechanisms.crises import CrisisSlot, compile_crises
from sim.config import schema
from sim.core.params import check, declared
from sim.errors import ConfigError, check_int
from sim.config.moves import MoveSpec, check_combination, compile_move, resolve_structures
from sim.config.selection import check_replicate_selection
from sim.config.roster import Roster, attribution_matrix, bloc_masks, compile_roster, influence_weights

MAX_SEED = 2**63 - 1  # seeds (the config's ``seed``, EurosecModel's ``rng`` and ``seeds``) are in [0, MAX_SEED]
MAX_REPLICATES = 10_000_000
MAX_THREADS = 256

# Names that end up in file and folder names (scenario.name is part of the Hydra output folder,
# outputs/DATE/TIME_${scenario.name}_seed${seed}) or come from user files (move ids).
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
SAFE_NAME_ALLOWED = "letters, digits, _ . - (at most 64, starting with a letter or digit)"


def check_name(key: str, value) -> str:
    """Return ``value`` if it is safe as (part of) a file name: 1-64 letters, digits, ``_``,
    ``.`` and ``-``, starting with a letter or digit, without ``..``; else raise a ConfigError."""
    if not isinstance(value, str):
        raise ConfigError(key, f"{value!r} is not a name (a string)", SAFE_NAME_ALLOWED)
    if not SAFE_NAME.fullmatch(value) or ".." in value:
        raise ConfigError(key, f"{value!r} is not a safe name", SAFE_NAME_ALLOWED)
    return value


@dataclass(frozen=True)
class Dynamics:
    type_precision: float
    seeker_value: float
    expansionist_value: float
    type_noise: float
    hostile_sensitivity: float
    spiral_bias: float
    posture_evidence: float
    unverified_reading: float
    trust_memory: float
    trust_low: float
    trust_high: float
    bloc_attribution: float
    member_attribution: float
    social_influence: bool
    influence_capability_exponent: float
    threat_adjustment: float
    threat_posture_weight: float
    threat_mistrust_weight: float
    reassurance: float
    posture_reactivity: float
    posture_fatigue: float
    irritant_decay: float
    equilibrate_months: int
    human_security_base: float
    human_security_threat_weight: float
    human_security_adjustment: float
    human_security_crisis_shock: float


@dataclass(frozen=True)
class Negotiation:
    rationality: float
    retry_after: int
    concession_step: float
    max_attempts: int


@dataclass(frozen=True)
class ModelSpec:
    """Everything a run needs, validated; shared read-only by all replicates."""

    config: Mapping[str, Any]
    roster: Roster
    dynamics: Dynamics
    negotiation: Negotiation
    moves: tuple[MoveSpec, ...]
    slots: tuple[CrisisSlot, ...]
    crisis_types: tuple[str, ...]
    crises_enabled: bool
    suspension_months: int
    suspension_base: float
    attribution_bias: float
    escalation_type_ratio: float
    scenario_name: str
    start: tuple[int, int]
    horizon: int
    initial: Mapping[str, np.ndarray]
    influence: tuple[tuple[int, int, float], ...]
    same_bloc: np.ndarray
    attribution: np.ndarray
    key_dyads: tuple[tuple[int, int], ...]
    affected: tuple[int, ...]
    west: tuple[int, ...]
    type_prior: np.ndarray  # (n,) P(security seeker) of each actor (sim/mechanisms/types.py)
    dyad_period: int
    dyad_replicates: int | tuple[int, ...] | None = None  # None: all; k: the first k; tuple: those
    threads: int = 1  # threads over replicates in the monthly update and the channels' acts (sim/numerics/threads.py)

    @property
    def ids(self) -> tuple[str, ...]:
        return self.roster.ids

    def date(self, step: int) -> str:
        return month_label(self.start, step)

    def move(self, move_id: str) -> MoveSpec:
        for m in self.moves:
            if m.id == move_id:
                return m
        raise ConfigError("moves", f"unknown move {move_id!r}", [m.id for m in self.moves])


def _section(cfg: Mapping, name: str) -> Mapping:
    value = cfg.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(name, f"must be a mapping, got {type(value).__name__}", "a mapping of keys to values")
    return value


def _check_keys(cfg: Mapping) -> None:
    """Reject keys the schema does not know (Hydra lets ``+key=value`` through silently)."""
    from dataclasses import fields

    def check(section: Mapping, cls, prefix: str) -> None:
        allowed = [f.name for f in fields(cls)]
        for key in section:
            if key not in allowed:
                raise ConfigError(f"{prefix}{key}", "unknown key", allowed)

    check(cfg, schema.Config, "")
    for name, cls in (("dynamics", schema.DynamicsConfig), ("negotiation", schema.NegotiationConfig),
                      ("crises", schema.CrisesConfig), ("scenario", schema.ScenarioConfig), ("output", schema.OutputConfig)):
        check(_section(cfg, name), cls, f"{name}.")
    for mid, move in _section(cfg, "moves").items():
        check(move or {}, schema.MoveConfig, f"moves.{mid}.")
    for aid, actor in _section(cfg, "roster").items():
        check(actor or {}, schema.ActorConfig, f"roster.{aid}.")


def _check_sites(moves, slots) -> None:
    """Each effect's cross-check against the crisis sites (a scheduled war needs its site)."""
    for m in moves:
        for k, e in enumerate(m.effects):
            e.check_sites(slots, f"moves.{m.id}.effects[{k}]")


def compile_type_prior(s: Mapping, roster: Roster, trust: np.ndarray) -> np.ndarray:
    """(n,) P(security seeker) per actor: ``scenario.type_prior`` where it names the actor, else
    the mean trust the other actors place in it at the start (docs/model.md, Types)."""
    n = roster.n
    prior = (trust.sum(axis=0) - np.diag(trust)) / max(n - 1, 1)
    given = s.get("type_prior") or {}
    if not isinstance(given, Mapping):
        raise ConfigError("scenario.type_prior", "must be a mapping of actor ids to probabilities", roster.ids)
    for aid, p in given.items():
        i = roster.index(aid, f"scenario.type_prior.{aid}")
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= float(p) <= 1.0:
            raise ConfigError(f"scenario.type_prior.{aid}", f"{p!r} is not a probability", "a number in [0, 1]")
        prior[i] = float(p)
    return prior


def compile_spec(cfg: Mapping) -> ModelSpec:
    """Validate ``cfg`` (a plain nested dict, e.g. from OmegaConf.to_container) into a spec."""
    _check_keys(cfg)
    check_int("seed", cfg.get("seed", 0), 0, MAX_SEED)
    check_int("replicates", cfg.get("replicates", 1), 1, MAX_REPLICATES)
    threads = check_int("threads", cfg.get("threads", 1), 1, MAX_THREADS)
    roster = compile_roster(_section(cfg, "roster"))
    d = _section(cfg, "dynamics")
    bounds = list(d.get("trust_bounds", declared(schema.DynamicsConfig)["trust_bounds"].default))
    if len(bounds) != 2 or not 0.0 < float(bounds[0]) < float(bounds[1]) < 1.0:
        raise ConfigError("dynamics.trust_bounds", f"{bounds!r} is not an interval inside (0, 1)", "[low, high] with 0 < low < high < 1")
    dyn = check(schema.DynamicsConfig, d, "dynamics.")
    del dyn["trust_bounds"]
    dynamics = Dynamics(trust_low=float(bounds[0]), trust_high=float(bounds[1]), **dyn)
    negotiation = Negotiation(**check(schema.NegotiationConfig, _section(cfg, "negotiation"), "negotiation."))
    c = _section(cfg, "crises")
    slots, crisis_types = compile_crises(c, roster, dynamics.member_attribution)
    s = _section(cfg, "scenario")
    scenario_name = check_name("scenario.name", s.get("name", "scenario"))
    start = parse_start("scenario.start_date", s.get("start_date", "2010-01"))
    horizon = check_int("scenario.horizon", s.get("horizon", 120), 1, 12_000)
    moves_cfg = _section(cfg, "moves")
    for mid in moves_cfg:
        check_name(f"moves.{mid}", mid)
    moves = tuple(
        compile_move(mid, k, mcfg or {}, roster, crisis_types, horizon) for k, (mid, mcfg) in enumerate(moves_cfg.items())
    )
    check_combination(moves, list(moves_cfg))
    moves = resolve_structures(moves)
    _check_sites(moves, slots)
    o = _section(cfg, "output")
    output = check(schema.OutputConfig, o, "output.")  # declared defaults filled in, types checked
    key_dyads = []
    for k, pair in enumerate(output["key_dyads"] or []):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ConfigError(f"output.key_dyads[{k}]", f"{pair!r} is not an [observer, target] pair", roster.ids)
        key_dyads.append((roster.index(pair[0], f"output.key_dyads[{k}][0]"), roster.index(pair[1], f"output.key_dyads[{k}][1]")))
    crises = check(schema.CrisesConfig, c, "crises.")
    return ModelSpec(
        config=cfg,
        roster=roster,
        dynamics=dynamics,
        negotiation=negotiation,
        moves=moves,
        slots=slots,
        crisis_types=crisis_types,
        crises_enabled=crises["enabled"],
        suspension_months=crises["suspension_months"],
        suspension_base=crises["suspension_base"],
        attribution_bias=crises["attribution_bias"],
        escalation_type_ratio=crises["escalation_type_ratio"],
        scenario_name=scenario_name,
        start=start,
        horizon=horizon,
        initial=(initial := initial_matrices(s, roster)),
        type_prior=compile_type_prior(s, roster, initial["trust"]),
        influence=tuple(influence_weights(roster, dynamics.influence_capability_exponent)) if dynamics.social_influence else (),
        same_bloc=bloc_masks(roster),
        attribution=attribution_matrix(roster, dynamics.bloc_attribution, dynamics.member_attribution),
        key_dyads=tuple(key_dyads),
        affected=tuple(roster.index(a, f"output.affected_states[{k}]") for k, a in enumerate(output["affected_states"] or [])),
        west=tuple(roster.index(a, f"output.west[{k}]") for k, a in enumerate(output["west"] or [])),
        dyad_period=output["dyad_period"],
        dyad_replicates=check_replicate_selection("output.dyad_replicates", output["dyad_replicates"]),
        threads=threads,
    )
