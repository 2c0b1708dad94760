"""The parameters of a crisis type, declared once (:func:`sim.core.params.param`): the Hydra
schema (:mod:`sim.config.schema`) uses this class for ``crises.types.X``, and
:func:`sim.mechanisms.crises.compile_crises` validates each type against it.

Per type and site: monthly probability ``1 - exp(-base_rate * (1 + threat_sensitivity * tension))``,
tension = mean threat between the site's sides (or of its victims). Equations: docs/model.md,
section "Crises".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.core.params import param

UNIT = dict(low=0.0, high=1.0)


@dataclass
class CrisisTypeConfig:
    base_rate: float = param(0.01, **UNIT, doc="monthly base rate of the hazard at each site",
                             source="per type (configs/crises/default.yaml), from the frequency of past crises")
    threat_sensitivity: float = param(0.0, low=0.0, high=100.0, doc="rise of the hazard with tension, the mean "
                                      "threat between the site's sides (or of its victims)",
                                      source="per type (configs/crises/default.yaml)")
    severity: float = param(0.3, low=0.0, high=5.0, doc="scales the threat shock and the human-security loss of a crisis (a crisis striking is no evidence "
                            "about anyone's type: trust moves only with escalation or containment, docs/model.md §7.5)",
                            source="per type (configs/crises/default.yaml)")
    blame: float = param(0.5, **UNIT, doc="the share of severity added to threat through the blame weights (fear of the distrusted)",
                         source="per type (configs/crises/default.yaml)")
    escalation: float = param(0.0, **UNIT, doc="the probability an unmanaged crisis escalates (times 1 + mean "
                              "threat between sides); only conflicts (sites with two sides) escalate",
                              source="per type (configs/crises/default.yaml)")
    escalation_severity: float = param(1.0, low=0.0, high=5.0, doc="threat and human-security weight of an escalation (its trust effect is "
                                       "the likelihood ratio of escalating, docs/model.md §7.5)",
                                       source="per type; an escalation is a small war (August 2008)")
    threat_shock: float = param(0.1, **UNIT, doc="direct threat increase of a crisis",
                                source="per type (configs/crises/default.yaml)")
    # where (victims) and between whom (sides); `conflict: X` is shorthand for sides
    # [[parent of X], [X, patron of X]] with victims [parent of X]. Checked by compile_crises.
    sites: list[Any] = field(default_factory=list)
