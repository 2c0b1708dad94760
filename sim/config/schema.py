"""Typed Hydra schema for eurosec's configuration.

The schema makes Hydra reject unknown keys and ill-typed values at the command line
(``dynamics.spiral_biass=1`` -> "Key 'spiral_biass' not in 'DynamicsConfig'"). Range checks
and cross-references (actor ids, crisis types) live in :mod:`sim.config.spec` and the modules it calls, which name the key
and the allowed values. Each default's rationale is written beside it in ``configs/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore


@dataclass
class ActorConfig:
    name: str = "???"
    kind: str = "state"
    capability: float = 0.1
    hawkishness: float = 0.5
    stubbornness: float = 0.5
    strategy: str = "security_calculus"
    members: list[str] = field(default_factory=list)
    rule: str = "consensus"
    quota: float = 1.0
    influence: bool = False
    parent: str | None = None
    patron: str | None = None


@dataclass
class DynamicsConfig:
    signal_sensitivity: float = 2.0
    hostile_sensitivity: float = 2.0
    spiral_bias: float = 0.5
    trust_memory: float = 0.01
    trust_bounds: list[float] = field(default_factory=lambda: [0.01, 0.99])
    bloc_attribution: float = 0.5
    social_influence: bool = True
    threat_adjustment: float = 0.1
    threat_posture_weight: float = 0.6
    threat_mistrust_weight: float = 0.4
    reassurance: float = 0.3
    posture_reactivity: float = 0.05
    posture_fatigue: float = 0.05
    irritant_decay: float = 0.03
    equilibrate_months: int = 3000
    human_security_base: float = 0.5
    human_security_threat_weight: float = 0.5
    human_security_adjustment: float = 0.1
    human_security_crisis_shock: float = 0.3


@dataclass
class NegotiationConfig:
    rationality: float = 8.0
    rejection_cost: float = 0.1
    retry_after: int = 6
    concession_step: float = 0.1
    max_attempts: int = 3


@dataclass
class CrisisTypeConfig:
    base_rate: float = 0.01
    threat_sensitivity: float = 0.0
    severity: float = 0.3
    blame: float = 0.5
    escalation: float = 0.0
    escalation_severity: float = 1.0
    threat_shock: float = 0.1
    sites: list[Any] = field(default_factory=list)


@dataclass
class CrisesConfig:
    enabled: bool = True
    suspension_months: int = 12
    suspension_base: float = 0.8
    attribution_bias: float = 2.0
    types: dict[str, CrisisTypeConfig] = field(default_factory=dict)


@dataclass
class MoveConfig:
    title: str = "???"
    option: int | None = None
    paper: str = ""
    reference: str = ""
    proposer: str = "???"
    consent: list[str] = field(default_factory=list)
    start: int = 1
    cost: float = 0.1
    gain: float = 0.2
    gain_by: dict[str, float] = field(default_factory=dict)
    exposure: float = 0.2
    domestic_cost: float = 0.1
    phase_in: int = 1
    retry: bool = True
    ratify: list[str] = field(default_factory=list)
    ratification_cost: float = 0.3
    requires: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    effects: list[Any] = field(default_factory=list)


@dataclass
class ScenarioConfig:
    name: str = "???"
    description: str = ""
    start_date: str = "2010-01"
    horizon: int = 120
    groups: dict[str, list[str]] = field(default_factory=dict)
    trust: dict[str, Any] = field(default_factory=dict)
    posture: dict[str, Any] = field(default_factory=dict)
    irritants: dict[str, Any] = field(default_factory=dict)
    threat: dict[str, Any] = field(default_factory=dict)


@dataclass
class OutputConfig:
    dyad_period: int = 1
    # null, an int k (the first k replicates) or a list of indices; Any because OmegaConf has no
    # Union of int and list (sim.output.records.check_replicate_selection checks it)
    dyad_replicates: Any = 20
    figure: bool = True
    narrative: bool = True
    affected_states: list[str] = field(default_factory=lambda: ["GEO", "UKR", "MDA", "KGZ", "SRB", "KOS", "ARM", "AZE"])
    west: list[str] = field(default_factory=lambda: ["NATO", "EU", "USA"])
    events: bool = True
    key_dyads: list[list[str]] = field(
        default_factory=lambda: [
            ["RUS", "NATO"], ["NATO", "RUS"], ["RUS", "EU"], ["EU", "RUS"], ["RUS", "USA"], ["USA", "RUS"]
        ]
    )


@dataclass
class Config:
    seed: int = 0
    replicates: int = 1
    roster: dict[str, ActorConfig] = field(default_factory=dict)
    dynamics: DynamicsConfig = field(default_factory=DynamicsConfig)
    negotiation: NegotiationConfig = field(default_factory=NegotiationConfig)
    crises: CrisesConfig = field(default_factory=CrisesConfig)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    moves: dict[str, MoveConfig] = field(default_factory=dict)
    output: OutputConfig = field(default_factory=OutputConfig)


def register() -> None:
    """Store the schema under a name distinct from ``config`` (same name recurses in Hydra 1.3)."""
    ConfigStore.instance().store(name="eurosec_schema", node=Config)


register()
