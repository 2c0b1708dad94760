"""Mesa agents for eurosec's actors.

An agent does not copy beliefs: its ``trust`` and ``threat`` are views into the model's
replicate-vectorised arrays (shape (R, n)), so the agent and the engine can never disagree.
Agents answer proposals through their strategy; composite agents (NATO, the EU, ...) decide
through their members, whose votes the mechanism combines under the composite's rule.
"""

from __future__ import annotations

import mesa
import numpy as np

from agents.strategies import STRATEGIES, Strategy
from sim.errors import ConfigError
from sim.mechanisms.negotiation import ProposalView
from sim.config.roster import ActorSpec


class ActorAgent(mesa.Agent):
    """A state, faction or territory."""

    def __init__(self, model: mesa.Model, spec: ActorSpec):
        super().__init__(model)
        self.spec = spec
        if spec.strategy not in STRATEGIES:
            raise ConfigError(f"roster.{spec.id}.strategy", f"unknown strategy {spec.strategy!r}", sorted(STRATEGIES))
        self.strategy: Strategy = STRATEGIES[spec.strategy]()

    @property
    def actor_id(self) -> str:
        return self.spec.id

    @property
    def index(self) -> int:
        return self.spec.index

    @property
    def trust(self) -> np.ndarray:
        """(R, n) this actor's trust in every actor, one row per replicate (read-only view)."""
        view = self.model.engine.state.trust[:, self.index, :]
        view.flags.writeable = False
        return view

    @property
    def threat(self) -> np.ndarray:
        """(R, n) threat this actor perceives from every actor (read-only view)."""
        view = self.model.engine.state.threat[:, self.index, :]
        view.flags.writeable = False
        return view

    def trust_in(self, other: str) -> np.ndarray | float:
        """Trust in ``other``: a float for a single-replicate model, else an (R,) array."""
        value = self.trust[:, self.model.index(other)]
        return float(value[0]) if value.size == 1 else value

    def threat_from(self, other: str) -> np.ndarray | float:
        value = self.threat[:, self.model.index(other)]
        return float(value[0]) if value.size == 1 else value

    def respond(self, view: ProposalView) -> np.ndarray:
        """Probability of accepting the proposal in each negotiating replicate."""
        return self.strategy.accept_probability(view)

    def utility(self, view: ProposalView) -> np.ndarray:
        """The strategy's utility of accepting (NaN for strategies without one), for the log."""
        try:
            return np.asarray(self.strategy.utility(view), dtype=np.float64)
        except NotImplementedError:
            return np.full(view.trust.shape, np.nan)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.actor_id}>"


class CompositeAgent(ActorAgent):
    """An alliance, union or organisation: its view is its members' mean view, and it consents
    only under its decision rule (NATO: consensus; EU: unanimity) over its members' votes."""

    @property
    def members(self) -> list[ActorAgent]:
        return [self.model.actor(m) for m in self.spec.members]

    def respond(self, view: ProposalView) -> np.ndarray:  # pragma: no cover - composites never vote themselves
        raise RuntimeError(f"{self.actor_id} decides through its members {self.spec.members}")
