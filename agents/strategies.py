"""Decision strategies: how an actor answers a proposal. Each is a small class with metadata
and a citation, registered in :data:`STRATEGIES` (the one place), and tested through one
shared harness (tests/test_strategies.py). A strategy sees only a frozen ProposalView.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from sim.mechanisms.negotiation import ProposalView


class Strategy:
    """Base class: ``accept_probability(view) -> (k,) array in [0, 1]``."""

    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    citation: ClassVar[str] = ""
    stochastic: ClassVar[bool] = True

    def utility(self, view: ProposalView) -> np.ndarray:
        raise NotImplementedError

    def accept_probability(self, view: ProposalView) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-view.rationality * self.utility(view)))


class SecurityCalculus(Strategy):
    """U = gain - exposure * (1 - trust) - domestic_cost * hawkishness + concession; logit choice."""

    id = "security_calculus"
    name = "Security calculus"
    description = ("Weighs the security gained if all keep their word against the exposure if a "
                   "counterpart is not trustworthy and the domestic cost of conceding.")
    citation = ("Kydd, A. (2005) Trust and Mistrust in International Relations, Princeton UP, ch. 1-3; "
                "McFadden, D. (1974) Conditional logit analysis of qualitative choice behavior.")

    def utility(self, view: ProposalView) -> np.ndarray:
        return view.gain - view.exposure * (1.0 - view.trust) - view.domestic_cost * view.hawkishness + view.concession


class ThreatAverse(SecurityCalculus):
    """Exposure is inflated by perceived threat: U = gain - exposure * (1 - trust) * (1 + threat) - ..."""

    id = "threat_averse"
    name = "Threat-averse security calculus"
    description = ("Like the security calculus, but fear magnifies the downside of being exploited: "
                   "the exposure term grows with the threat the decider perceives from its counterparts.")
    citation = "Jervis, R. (1976) Perception and Misperception in International Politics, Princeton UP, ch. 3."

    def utility(self, view: ProposalView) -> np.ndarray:
        return (view.gain - view.exposure * (1.0 - view.trust) * (1.0 + view.threat)
                - view.domestic_cost * view.hawkishness + view.concession)


class AlwaysAccept(Strategy):
    """Accepts every proposal: the counterfactual of a party that never blocks."""

    id = "always_accept"
    name = "Always accept"
    description = "Consents to everything; for counterfactual experiments (what if this party never vetoes?)."
    citation = "Counterfactual device, cf. Axelrod, R. (1984) The Evolution of Cooperation (Cooperator)."
    stochastic = False

    def accept_probability(self, view: ProposalView) -> np.ndarray:
        return np.ones_like(view.trust)


class AlwaysReject(Strategy):
    """Rejects every proposal: a veto player that blocks all agreements."""

    id = "always_reject"
    name = "Always reject"
    description = "Vetoes everything; for counterfactual experiments (a spoiler)."
    citation = "Tsebelis, G. (2002) Veto Players: How Political Institutions Work, Princeton UP."
    stochastic = False

    def accept_probability(self, view: ProposalView) -> np.ndarray:
        return np.zeros_like(view.trust)


STRATEGIES: dict[str, type[Strategy]] = {s.id: s for s in (SecurityCalculus, ThreatAverse, AlwaysAccept, AlwaysReject)}
