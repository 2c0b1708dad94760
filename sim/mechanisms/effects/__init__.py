"""The generic effect types a policy move is made of. Moves are data; these classes are the
only place where an agreed move acts on the world, and each type owns all of its behaviour.

An effect type is one class: it validates its own config (``from_config``) and acts through the
:class:`~sim.core.world.World` interface in a few hooks, all optional (the base class does
nothing):

- ``on_enact``: once, in the month the move enters into force, with ``n_enact_draws`` uniforms
  per replicate for the acts it carries out by choice (sim/mechanisms/types.py);
- ``monthly``: every month while in force, with ``strength`` ramping 0 -> 1 over the phase-in;
- crisis hooks of a *standing* type (``standing = True``: it leaves a structure whose strength
  the registry in :mod:`sim.mechanisms.structures` tracks): ``hazard_cut``, ``damage_through``
  (dampening), ``escalation_cover``, ``absorbed``, ``respond`` (a response to a crisis) and
  ``after_escalation``; ``human_security_gain``;
- ``check_sites``: cross-checks against the crisis sites when the config is compiled;
- ``resolve``: cross-checks against the other moves' levelled structures (``level`` decisions).

One module per family (acts, channels, pledges, grit, missions, hostile, levels) on :mod:`.base`; register a new
type by adding it to ``EFFECT_TYPES`` below (docs/contributing.md).
"""

from __future__ import annotations

from typing import Any

from sim.errors import ConfigError
from sim.mechanisms.effects.acts import Arming, Conflict, Irritant, Reassurance, Signal
from sim.mechanisms.effects.base import Effect, Standing
from sim.mechanisms.effects.channels import Channel
from sim.mechanisms.effects.grit import Grit
from sim.mechanisms.effects.hostile import Annexation, Sanctions
from sim.mechanisms.effects.levels import Level
from sim.mechanisms.effects.missions import HumanSecurity, Mission
from sim.mechanisms.effects.pledges import Clause, Commitment

__all__ = ["EFFECT_TYPES", "Effect", "Standing", "compile_effect", *("Annexation Arming Channel Clause Commitment Conflict Grit "
           "HumanSecurity Irritant Level Mission Reassurance Sanctions Signal").split()]

EFFECT_TYPES: dict[str, type[Effect]] = {
    t.type: t for t in (Signal, Irritant, Reassurance, Channel, Clause, Commitment, Mission, HumanSecurity, Conflict,
                        Arming, Grit, Sanctions, Annexation, Level)
}


def compile_effect(cfg: Any, key: str, roster, crisis_types) -> Effect:
    """Build one effect from its config mapping; the ``type`` field picks the class."""
    if not isinstance(cfg, dict):
        raise ConfigError(key, f"an effect must be a mapping, got {cfg!r}", "{type: ..., ...}")
    kind = cfg.get("type")
    if kind not in EFFECT_TYPES:
        raise ConfigError(f"{key}.type", f"unknown effect type {kind!r}", EFFECT_TYPES)
    return EFFECT_TYPES[kind].from_config(cfg, key, roster, crisis_types)
