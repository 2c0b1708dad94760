"""Typed Hydra schema for eurosec's configuration.

The schema makes Hydra reject unknown keys and ill-typed values at the command line
(``dynamics.spiral_biass=1`` -> "Key 'spiral_biass' not in 'DynamicsConfig'"). Range checks
and cross-references (actor ids, crisis types) live in :mod:`sim.config.spec` and the modules it calls, which name the key
and the allowed values.

One home per parameter: each scalar parameter is declared here once with
:func:`sim.core.params.param` (default, accepted range, meaning, source); the checks in
:mod:`sim.config.spec`, :mod:`sim.config.roster`, :mod:`sim.config.moves` and the crisis types'
(:mod:`sim.mechanisms.crisis_params`) use the declarations, the YAML files in ``configs/`` only set
values that differ, and ``docs/parameters.md`` is generated from them
(``python -m sim.config.schema --markdown > docs/parameters.md``). To add a parameter: declare it
here (or in the mechanism's own declarations) and use it where it acts (e.g. a field of
:class:`sim.config.spec.Dynamics`), then regenerate docs/parameters.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore

from sim.core.params import declared, markdown_table, param
from sim.mechanisms.crisis_params import CrisisTypeConfig


KINDS = ("state", "faction", "alliance", "union", "organisation", "territory")
RULES = ("consensus", "unanimity", "majority")
UNIT = dict(low=0.0, high=1.0)  # the most common range: a share, a probability, a point on [0, 1]


@dataclass
class ActorConfig:
    name: str = "???"
    kind: str = param("state", choices=KINDS, doc="state, faction (member states acting as one voice inside NATO "
                      "and/or the EU), alliance, union, organisation (composites that decide by their members), or "
                      "territory (non-recognised entity with a parent state and a patron)",
                      source="configs/roster/default.yaml")
    capability: float = param(0.1, **UNIT, doc="relative military capability (USA = 1): weights how much j's "
                              "posture and i's mistrust of j threaten i",
                              source="Judgement from SIPRI/IISS orders of magnitude.")
    hawkishness: float = param(0.5, **UNIT, doc="weight of domestic hawks: raises the domestic cost of concessions "
                               "and how strongly the actor's military posture reacts to threat",
                               source="judgement per actor (configs/roster/default.yaml)")
    stubbornness: float = param(0.5, **UNIT, doc="Friedkin-Johnsen anchoring: 1 keeps its own view, 0 adopts its "
                                "bloc's", source="Friedkin and Johnsen; judgement per actor (configs/roster/default.yaml)")
    strategy: str = "security_calculus"
    members: list[str] = field(default_factory=list)
    rule: str = param("consensus", choices=RULES, doc="for composites: how the members decide (majority: a quota "
                      "share of member weight, the members' capabilities)",
                      source="NATO by consensus, the EU by unanimity in CFSP/CSDP, the OSCE by consensus of all")
    quota: float = param(1.0, **UNIT, doc="for `rule: majority`: the share of member weight needed",
                         source="The CSTO formally decides by consensus, but in practice follows Moscow: a "
                         "capability-weighted majority (Russia holds 0.8 of 1.0) reproduces that (quota 0.5).")
    influence: bool = param(False, doc="for composites: members pull each other's views of third parties together "
                            "(Friedkin-Johnsen)", source="configs/roster/default.yaml")
    parent: str | None = None
    patron: str | None = None


@dataclass
class DynamicsConfig:
    type_precision: float = param(
        15.0, low=0.0, high=200.0, doc="precision lambda of the type-dependent choice: an act of cost c is taken "
        "with probability sigmoid(lambda (v - c)), v the type's value of the act (docs/model.md, Types)",
        source="judgement (Kydd 2005 has the limit lambda -> infinity, a pure separating equilibrium): 15 makes an "
        "act 0.1 below a type's value a 82% choice and 0.3 below a 99% one, so types separate over about 0.3 of cost")
    seeker_value: float = param(
        0.8, low=0.0, high=5.0, doc="v_S: what a security seeker is willing to pay for a reassuring step (the "
        "value of mutual cooperation to it)", source="judgement: above every option's cost (0.05-0.5, configs/option) "
        "so security seekers take each one with probability > 0.95")
    expansionist_value: float = param(
        0.35, low=0.0, high=5.0, doc="v_E: the same for an expansionist, lower by what it gains from others' "
        "vulnerability (v_E < v_S: only the costlier acts separate the types)", source="judgement, Kydd (2005, ch. 7): "
        "0.35 puts the separating costs (p_E = 0.5) in the middle of the options' range; cheap talk (c = 0) is "
        "then read at log LR 0.005, a cost-0.2 step at 0.10, a cost-0.4 step at 1.1")
    type_noise: float = param(
        0.02, **UNIT, doc="eps: share of type-dependent choices made for reasons unrelated to type (a coin), "
        "so p_type(c) = eps/2 + (1 - eps) sigmoid(lambda (v - c)); it bounds what one act can reveal at log((2 - eps) / eps)",
        source="Selten's (1975) trembling hand; judgement: 2% (domestic politics, timing) bounds one act's "
        "log likelihood ratio at log 99 = 4.6, the half-width of the trust bounds, so no single act settles a type")
    hostile_sensitivity: float = param(
        1.0, low=0.0, high=20.0, doc="weight of the evidence a crisis carries (its log likelihood ratio, "
        "docs/model.md §7.5): 1 is Bayes' rule, above 1 over-reads crises", source="Bayes' rule (1); the "
        "attribution bias (crises.attribution_bias) is the model's one departure from it in crises")
    spiral_bias: float = param(
        0.5, **UNIT, doc="an observer with threat perception P towards the sender credits only "
        "(1 - spiral_bias * P) of a conciliatory signal", source="Jervis' spiral model (1976); 0.5: a fully threatened "
        "observer halves it.")
    posture_evidence: float = param(
        1.0, low=0.0, high=50.0, doc="a rise of d in j's posture towards i (arming, hostile contingency planning) "
        "lowers i's log-odds of trust in j by posture_evidence * d * (1 + spiral_bias * P[i, j]); a fall raises "
        "them by posture_evidence * d * (1 - spiral_bias * P[i, j]), in full where a commitment verifies it",
        source="Jervis (1976, ch. 3): arming is read as evidence of hostile intent, more so by the threatened; "
        "judgement: 1 makes a build-up from 0.3 to 0.9 (the issue's test) worth 0.6-1.2 in log-odds, about one "
        "costly reassuring step")
    unverified_reading: float = param(
        0.5, **UNIT, doc="share of an unverified fall in posture that observers credit (a fall under a commitment "
        "in force, i.e. a binding posture cap, is verified and credited in full)",
        source="Jervis (1976): unverifiable reassurance is discounted; judgement: half")
    trust_memory: float = param(
        0.01, **UNIT, doc="monthly relaxation of each actor's own log-odds towards its scenario prior (forgetting)",
        source="0.01 gives a half-life of about 69 months, so unreinforced gains fade within a decade.")
    trust_bounds: list[float] = param(
        [0.01, 0.99], doc="trust never reaches certainty: beliefs stay in [low, high] (0 < low < high < 1)",
        source="[0.01, 0.99]: log-odds +-4.6.")
    bloc_attribution: float = param(
        0.5, **UNIT, doc="a signal sent by a composite (NATO, EU, CSTO) is also credited to its members at this "
        "weight", source="judgement: half of a bloc's signal is read as its members' own")
    member_attribution: float = param(
        0.5, **UNIT, doc="an act of a member (a signal, a contact, its side in a crisis) is also credited to each "
        "alliance or union it belongs to at this weight (organisations such as the OSCE are not credited), as "
        "bloc_attribution credits a bloc's act to its members; 0 switches it off",
        source="judgement, symmetric with bloc_attribution: Russia's 2010 Military Doctrine reads members' acts as "
        "the alliance's ('to move the military infrastructure of NATO member countries closer to the borders of "
        "the Russian Federation'), and the EU's members' energy disputes with Russia became EU matters (2009)")
    social_influence: bool = param(
        True, doc="Friedkin-Johnsen influence among members of composites with `influence: true`",
        source="Friedkin and Johnsen (switch)")
    influence_capability_exponent: float = param(
        1.0, low=0.0, high=5.0, doc="Friedkin-Johnsen weights follow ties: within each influencing bloc an actor "
        "weighs a co-member m (itself included) by capability_m ** exponent, normalised over the bloc; an actor in "
        "several blocs splits its attention equally between them. 0 gives every member an equal share; 1 makes "
        "pull proportional to capability (Russia 0.8 vs Kyrgyzstan 0.02 in the CSTO)",
        source="judgement: French (1956) and Friedkin (1998) ground interpersonal influence in bases of social "
        "power; 1 weighs members by the same capability that weights the CSTO's majority vote (roster). 0 restores "
        "the equal shares of earlier versions.")
    threat_adjustment: float = param(
        0.1, **UNIT, doc="threat perception moves this share of the way towards its target each month",
        source="half-life ~7 months")
    threat_posture_weight: float = param(
        0.6, **UNIT, doc="target threat = capability_j * (posture_weight * posture_j->i + mistrust_weight * "
        "(1 - trust_i->j)) + irritant load", source="judgement: posture weighs a little more than mistrust")
    threat_mistrust_weight: float = param(
        0.4, **UNIT, doc="the mistrust weight of the target threat (see threat_posture_weight)",
        source="judgement: 1 - threat_posture_weight")
    reassurance: float = param(
        0.3, **UNIT, doc="a conciliatory signal of effective cost c lowers the observer's threat perception by "
        "reassurance * c (spiral-discounted); a hostile act of severity c raises it by reassurance * c",
        source="judgement")
    posture_reactivity: float = param(
        0.05, **UNIT, doc="posture_i->j grows with threat at posture_reactivity * (0.5 + hawkishness_i)",
        source="Richardson (1960); equal rates with posture_fatigue give a posture of 1/3 for a medium hawk under "
        "threat 0.5.")
    posture_fatigue: float = param(
        0.05, **UNIT, doc="posture relaxes towards its grievance floor at this rate per month",
        source="Richardson (1960), as posture_reactivity")
    irritant_decay: float = param(
        0.03, **UNIT, doc="irritant loads on threat perception decay by this share per month",
        source="half-life ~23 months")
    equilibrate_months: int = param(
        3000, low=0, high=10_000, doc="maximum months of belief-free posture/threat iteration at set-up (it stops "
        "earlier once converged to 1e-14)", source="so a run starts at the Richardson equilibrium of its scenario "
        "and a run without events is stationary (baseline_2010 converges in about 930)")
    human_security_base: float = param(
        0.5, **UNIT, doc="human security of the populations of non-recognised territories relaxes towards base - "
        "threat_weight * tension + gains of arrangements in force", source="0.5 is a midpoint for isolated "
        "populations whose documents are not recognised (IDPs, closed crossings).")
    human_security_threat_weight: float = param(
        0.5, **UNIT, doc="the cost in human security of tension between the sides",
        source="Tension of 1 between the sides costs half the scale.")
    human_security_adjustment: float = param(
        0.1, **UNIT, doc="monthly share of the gap to the target human security closed",
        source="half-life ~7 months: living conditions change slowly.")
    human_security_crisis_shock: float = param(
        0.3, **UNIT, doc="a crisis of severity s at the territory costs crisis_shock * s at once",
        source="an escalation of 0.6: 0.18")


@dataclass
class NegotiationConfig:
    rationality: float = param(
        8.0, low=0.0, high=1000.0, doc="logit choice: P(accept) = 1 / (1 + exp(-rationality * U))",
        source="McFadden (1974). 8 makes a utility of +-0.25 an 88% / 12% choice: decisions follow interests but "
        "remain uncertain.")
    retry_after: int = param(
        6, low=1, high=1200, doc="months before a rejected proposal is tabled again",
        source="a diplomatic season")
    concession_step: float = param(
        0.1, **UNIT, doc="each new attempt adds this concession to every party's utility and to the cost of "
        "tabling it that the proposer bears (the conceder pays)", source="Osgood (1962), graduated reciprocation")
    max_attempts: int = param(
        3, low=1, high=100, doc="attempts per move before the proposer gives up", source="judgement")


@dataclass
class CrisesConfig:
    enabled: bool = param(True, doc="switches crises on or off (the draws are still consumed)",
                          source="switch")
    suspension_months: int = param(
        12, low=0, high=1200, doc="an escalation suspends each dialogue channel that includes a belligerent with "
        "probability suspension_base * (1 - mean trust among the channel's members), for suspension_months",
        source="the NATO-Russia Council was frozen from August 2008 to mid-2009: about 10-12 months")
    suspension_base: float = param(
        0.8, **UNIT, doc="scales the probability that an escalation suspends a channel (see suspension_months)",
        source="judgement: a channel among members who distrust each other is almost surely suspended")
    escalation_type_ratio: float = param(
        3.0, low=1.0, high=20.0, doc="an expansionist side of a conflict escalates it this many times as often as a "
        "security seeker (so an escalation is evidence against the sides, a contained crisis evidence for them)",
        source="judgement (Kydd 2005: expansionists exploit opportunities that security seekers let pass): 3; "
        "1 makes escalations uninformative")
    attribution_bias: float = param(
        2.0, low=0.0, high=10.0, doc="onlookers read bad news about an involved actor j (an escalation) with weight "
        "(1 - trust in j) ** attribution_bias and good news (a contained crisis) with weight (trust in j) ** "
        "attribution_bias; 0 is neutral (everyone reads every side's evidence in full); 1 already blames the "
        "distrusted and credits friends in proportion; above 1 more so",
        source="Fundamental attribution error / motivated reasoning (Mercer 1996, Reputation and Int. Politics): "
        "2 lets allies give Russia (or the West) the benefit of the doubt (trust 0.7 -> weight 0.09) while "
        "adversaries blame it almost fully (trust 0.2 -> 0.64).")
    types: dict[str, CrisisTypeConfig] = field(default_factory=dict)


@dataclass
class MoveConfig:
    title: str = "???"
    option: int | None = None
    paper: str = ""
    reference: str = ""
    source: str = ""  # documentation: a public source of a historical move (URL), e.g. configs/history/*.yaml
    proposer: str = "???"
    consent: list[str] = field(default_factory=list)
    start: int = param(1, low=1, doc="month of the first tabling (at most the scenario's horizon)",
                       source="per move: the options catalogue (docs/model.md, section 7.4)")
    cost: float = param(0.1, low=0.0, high=5.0, doc="the move's cost: what the proposer pays to table it (plus any concession) and what the "
                        "deciders bear, shared by capability inside a composite party (docs/model.md §7.0, §7.3)",
                        source="per move (configs/option, configs/irritant)")
    gain: float = param(0.2, low=-1.0, high=1.0, doc="expected security gain of every decider (gain_by sets it per "
                        "actor, in the same range)", source="per move (configs/option, configs/irritant)")
    gain_by: dict[str, float] = field(default_factory=dict)
    exposure: float = param(0.2, **UNIT, doc="loss if a counterpart cheats",
                            source="per move (configs/option, configs/irritant)")
    domestic_cost: float = param(0.1, **UNIT, doc="domestic cost of agreeing, scaled by hawkishness",
                                 source="per move (configs/option, configs/irritant)")
    phase_in: int = param(1, low=1, high=240, doc="months over which the move's structures ramp up to full "
                          "strength", source="per move (configs/option, configs/irritant)")
    retry: bool = param(True, doc="allow re-tabling after a rejection", source="per move")
    history: bool = param(False, doc="a move of the scenario's history (an irritant, a war): tabled as scheduled, "
                          "not by the proposer's type, and its votes carry no type factor (a move made of hostile acts "
                          "only is history whatever this says)", source="per move: true for configs/irritant/*.yaml")
    in_force: bool = param(False, doc="a standing structure that already exists when the scenario starts (the NATO-Russia "
                           "Council in 2010): not negotiated, in force from month 0 at full phase-in (no ramp) and at the "
                           "levels its effects declare; its effects must all be standing structures, and `start`, "
                           "`consent`, costs and `phase_in` are not used (it is history, never a type's choice)",
                           source="per move: the formats of the stage (scenarios/baseline_2010.yaml), each with its public "
                           "source; docs/model.md §7.4")
    ratify: list[str] = field(default_factory=list)
    ratification_cost: float = param(0.3, **UNIT, doc="added to the domestic cost in the ratification vote",
                                     source="per move (the Medvedev treaty: the US Senate, EU parliaments)")
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
    type_prior: dict[str, Any] = field(default_factory=dict)  # actor -> P(security seeker); others: mean initial trust in it


@dataclass
class OutputConfig:
    dyad_period: int = param(
        1, low=0, high=12_000, doc="store full trust/threat matrices every dyad_period months (1 = every month, "
        "0 = never), at steps 0, dyad_period, 2*dyad_period, ...", source="every month by default; matrices "
        "dominate memory and output for many replicates (see dyad_replicates)")
    # Any because OmegaConf has no Union of int and list (sim.config.selection checks it)
    dyad_replicates: Any = param(
        20, kind="any", doc="whose matrices are stored: null = every replicate; an integer k = the first k "
        "(replicates 0..k-1, all if fewer); a list of distinct replicate indices, e.g. [0, 17]. The per-step summary "
        "always covers every replicate, and storing fewer changes no other output",
        source="matrices are 23x22 dyads x 3 values: every month for all of 500 replicates is 31 M rows and peaked at "
        "4 GB; the first 20 (all of a run with up to 20) keep the README's examples under 1 GB. Replicate seeds are "
        "independent draws, so the first k are as good a sample as any; rerun one alone with its seed")
    figure: bool = param(True, doc="draw the run's trajectory figure (trajectories.png)", source="on for a single run")
    narrative: bool = param(True, doc="write the run's narrative (narrative.txt)", source="on for a single run")
    affected_states: list[str] = param(
        ["GEO", "UKR", "MDA", "KGZ", "SRB", "KOS", "ARM", "AZE"], doc="states whose trust with Russia and with "
        "the West (the mean over `west`) is recorded every month", source="the affected states the paper names")
    west: list[str] = param(["NATO", "EU", "USA"], doc="the actors averaged as 'the West' in the summary",
                            source="the paper's Western institutions and the USA")
    events: bool = param(True, doc="keep the event log (every proposal, vote, crisis, ...); off for the fastest "
                         "large sweeps", source="on: every number of a run can be traced to its event")
    key_dyads: list[list[str]] = param(
        [["RUS", "NATO"], ["NATO", "RUS"], ["RUS", "EU"], ["EU", "RUS"], ["RUS", "USA"], ["USA", "RUS"]],
        doc="observer -> target pairs recorded as columns of the per-step summary and plotted",
        source="the relations the paper's options address")


def output_default(name: str):
    """The declared default of ``output.<name>``, for code that reads a config dict that may lack it."""
    return declared(OutputConfig)[name].default


@dataclass
class Config:
    seed: int = 0
    replicates: int = 1
    threads: int = 1
    roster: dict[str, ActorConfig] = field(default_factory=dict)
    dynamics: DynamicsConfig = field(default_factory=DynamicsConfig)
    negotiation: NegotiationConfig = field(default_factory=NegotiationConfig)
    crises: CrisesConfig = field(default_factory=CrisesConfig)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    moves: dict[str, MoveConfig] = field(default_factory=dict)
    output: OutputConfig = field(default_factory=OutputConfig)


# the sections of docs/parameters.md: (title, class, key prefix)
SECTIONS = (
    ("Dynamics", "DynamicsConfig", "dynamics."),
    ("Negotiation", "NegotiationConfig", "negotiation."),
    ("Crises", "CrisesConfig", "crises."),
    ("Crisis types", "CrisisTypeConfig", "crises.types.X."),
    ("Actors", "ActorConfig", "roster.X."),
    ("Moves", "MoveConfig", "moves.X."),
    ("Output", "OutputConfig", "output."),
)


def declared_param(key: str):
    """The declaration (:class:`sim.core.params.Param`) of a numeric model parameter named by its
    dotted key: ``dynamics.hostile_sensitivity``, or with a concrete id where ``SECTIONS`` has
    ``X`` (``moves.medvedev_treaty.ratification_cost``, ``crises.types.disaster.base_rate``,
    ``roster.RUS.hawkishness``). KeyError if no such numeric parameter is declared."""
    for _title, name, prefix in SECTIONS:
        head = prefix.split("X.")[0]
        if not key.startswith(head):
            continue
        rest = key.removeprefix(head)
        if prefix.endswith("X."):
            parts = rest.split(".")
            if len(parts) != 2 or not parts[0]:
                continue
            rest = parts[1]
        p = declared(globals()[name]).get(rest)
        if p is not None and p.kind in ("float", "int"):
            return p
    raise KeyError(key)


def declared_range(key: str) -> tuple[float, float]:
    """The declared [low, high] of a numeric model parameter named by its dotted key (as
    :func:`declared_param`). KeyError if no such numeric parameter is declared."""
    p = declared_param(key)
    return (-math.inf if p.low is None else float(p.low), math.inf if p.high is None else float(p.high))


@dataclass(frozen=True)
class Explored:
    """The range a global sensitivity analysis samples a parameter over (experiments/sensitivity.py):
    inside the accepted range, narrower where the accepted range admits values no one defends (a
    rationality of 1000), and why."""
    low: float
    high: float
    label: str  # the parameter's name in words, for figures and tables
    why: str


# The plausible range of each parameter the sensitivity analysis may sample, declared once here
# (the accepted ranges above say what the model can run, not what is believable); listed in
# docs/parameters.md. Integers are sampled uniformly over low..high inclusive.
EXPLORED: dict[str, Explored] = {
    "dynamics.type_precision": Explored(
        5.0, 40.0, "Type precision of costly acts",
        "from types that barely separate over the options' costs (5: an act 0.3 below a type's value is still "
        "an 18% choice) to nearly Kydd's pure separation (40); the default 15 inside"),
    "dynamics.expansionist_value": Explored(
        0.2, 0.5, "Expansionist's value of a reassuring step",
        "keeps v_E below the cheapest costly options and well below v_S (0.8), so costly acts still separate "
        "the types; the default 0.35 in the middle"),
    "dynamics.hostile_sensitivity": Explored(
        0.5, 2.0, "Weight of the evidence crises carry",
        "crises read at half to twice Bayes' rule (1) (the calibration searched 0.25-4, docs/validation.md)"),
    "dynamics.spiral_bias": Explored(
        0.0, 1.0, "Spiral bias (threat discounts conciliation)",
        "the whole accepted range: no spiral discount (0) to a fully threatened observer crediting nothing "
        "(1); Jervis gives no number"),
    "dynamics.posture_evidence": Explored(
        0.25, 3.0, "Posture changes read as evidence",
        "a build-up from 0.3 to 0.9 worth 0.15-1.8 in log-odds instead of 0.6: from a hint to more than a "
        "costly reassuring step"),
    "dynamics.trust_memory": Explored(
        0.0, 0.03, "Trust memory (monthly relaxation to the prior)",
        "no forgetting to a half-life of about 23 months (the default 0.01: 69 months); the calibration to "
        "public opinion fits 0.15 (4.2 months), outside this range, where the web's lead over the treaty "
        "vanishes (README, docs/validation.md)"),
    "dynamics.reassurance": Explored(
        0.1, 0.5, "Threat relief per reassuring step",
        "a third to 1.7 times the default's threat relief per unit of effective cost (judgement, no source "
        "fixes it)"),
    "crises.attribution_bias": Explored(
        0.0, 4.0, "Attribution bias in reading crises",
        "neutral reading (0) to twice the default's motivated reasoning (Mercer 1996 gives a direction, not a "
        "number)"),
    "crises.escalation_type_ratio": Explored(
        1.5, 6.0, "Escalation rate, expansionist vs security seeker",
        "escalations nearly uninformative (1.5) to strongly revealing (6); the default 3 inside"),
    "negotiation.rationality": Explored(
        2.0, 20.0, "Rationality of acceptance (logit precision)",
        "a utility of +-0.25 as a 62%/38% choice (2) to a near-certain one (20, >99%); the default 8 gives "
        "88%/12%"),
    "negotiation.concession_step": Explored(
        0.0, 0.2, "Concession added per new attempt",
        "no concession per new attempt to twice the default, the span of the treaty_sensitivity fact"),
    "negotiation.max_attempts": Explored(
        1, 10, "Attempts per move before giving up",
        "a single tabling to the 10 attempts of the treaty_sensitivity fact (the treaty is never agreed at 3, "
        "in a third of runs at 10)"),
    "negotiation.retry_after": Explored(
        3, 12, "Months before a rejected move is retabled",
        "a quarter to a year between attempts (the default: a season of 6)"),
    "moves.medvedev_treaty.ratification_cost": Explored(
        0.0, 0.6, "Ratification cost of the Medvedev treaty",
        "no ratification hurdle to twice the default 0.3, the span of the treaty_sensitivity fact"),
}


def explored_range(key: str) -> Explored:
    """The declared sampling range of ``key`` (KeyError if none is declared)."""
    return EXPLORED[key]


def explored_markdown() -> str:
    rows = ["| Key | Name | Default | Accepted | Explored | Why this range |", "|---|---|---|---|---|---|"]
    from sim.core.params import accepted

    for key, e in EXPLORED.items():
        p = declared_param(key)
        default = p.default if not key.startswith("moves.") else "per move"
        num = (lambda x: str(int(x)) if float(x).is_integer() else str(x))
        rows.append(f"| `{key}` | {e.label} | {default} | {accepted(p)} | [{num(e.low)}, {num(e.high)}] | {e.why} |")
    return "\n".join(rows) + "\n"


def parameters_markdown() -> str:
    """docs/parameters.md: one table per section, generated from the declarations
    (``python -m sim.config.schema --markdown > docs/parameters.md``)."""
    out = ["# Parameters\n",
           "Generated from the declarations in `sim/config/schema.py`, `sim/mechanisms/crisis_params.py` and "
           "`sim/mechanisms/effects/` by "
           "`python -m sim.config.schema --markdown > docs/parameters.md`; do not edit by hand "
           "(tests/test_parameters.py fails when it is out of date). Set any key in a config file or on the "
           "command line, e.g. `python -m sim.run dynamics.spiral_bias=0.3`. Equations: docs/model.md.\n"]
    for title, name, prefix in SECTIONS:
        out.append(f"## {title}\n")
        if prefix.endswith("X."):
            out.append(f"`X` is any {'crisis type' if 'types' in prefix else 'actor id' if 'roster' in prefix else 'move id'}; "
                       "the values of the shipped ones are in `configs/`.\n")
        out.append(markdown_table(globals()[name], prefix))
    out.append("## Ranges explored by the sensitivity analysis\n")
    out.append("`python -m experiments.sensitivity` samples these parameters over these ranges (declared in "
               "`sim/config/schema.py: EXPLORED`; `configs/sensitivity.yaml` picks which, and may narrow a range "
               "inside the accepted one). A `moves.X.*` key acts in the arms whose scenario has move X.\n")
    out.append(explored_markdown())
    from sim.mechanisms.effects import EFFECT_TYPES

    out.append("## Effect types\n")
    out.append("The numeric fields of each effect type of a move (`moves.X.effects[k]`), declared in "
               "`sim/mechanisms/effects/`; the other fields (actors, sites, names) are described in "
               "docs/model.md, section 7.4.\n")
    for kind, cls in EFFECT_TYPES.items():
        table = markdown_table(cls, f"{{type: {kind}}}.")
        if table.count("\n") > 2:  # a header and its rule, then at least one row
            out.append(f"### `{kind}`\n")
            out.append(table)
    return "\n".join(out)


def register() -> None:
    """Store the schema under a name distinct from ``config`` (same name recurses in Hydra 1.3)."""
    ConfigStore.instance().store(name="eurosec_schema", node=Config)


register()


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m sim.config.schema --markdown > docs/parameters.md")
    sys.stdout.write(parameters_markdown())
