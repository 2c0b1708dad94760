"""Property tests: whatever the parameters (within their validated ranges), the roster, the
scenario, the crises and the moves, beliefs stay well-formed.

Two generators build a complete config dict: a random subset of the default roster (with its
composites, territories, scenario rules and crisis sites cut down consistently) and a small
roster made from scratch. Both get random dynamics and negotiation parameters and a random
sequence of moves built from the five effect types. Every month of a short run, in every
replicate: trust lies inside the trust bounds (so in [0, 1]), threat and posture in [0, 1],
no NaN anywhere, and no actor threatens itself.
"""

from __future__ import annotations

import copy
import warnings
from functools import lru_cache

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.strategies import STRATEGIES
from sim.config import load_config
from sim.model import EurosecModel
from sim.config.roster import COMPOSITE_KINDS

PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REPLICATES = 4
unit = st.floats(0.0, 1.0, allow_nan=False)


@lru_cache(maxsize=1)
def _default_config() -> dict:
    return load_config(["scenario=baseline_2010", "option=[nrc,solidarity,no_contingency]"])


# ------------------------------------------------------------------------- parameters
@st.composite
def dynamics_params(draw) -> dict:
    """Every dynamics parameter, uniformly inside the range sim/config/spec.py accepts."""
    low = draw(st.floats(0.001, 0.3))
    high = draw(st.floats(0.7, 0.999))
    return {
        "type_precision": draw(st.floats(0.0, 200.0)),
        "seeker_value": draw(st.floats(0.0, 5.0)),
        "expansionist_value": draw(st.floats(0.0, 5.0)),
        "type_noise": draw(unit),
        "hostile_sensitivity": draw(st.floats(0.0, 20.0)),
        "spiral_bias": draw(unit),
        "posture_evidence": draw(st.floats(0.0, 50.0)),
        "unverified_reading": draw(unit),
        "trust_memory": draw(unit),
        "trust_bounds": [low, high],
        "bloc_attribution": draw(unit),
        "social_influence": draw(st.booleans()),
        "influence_capability_exponent": draw(st.floats(0.0, 5.0)),
        "threat_adjustment": draw(unit),
        "threat_posture_weight": draw(unit),
        "threat_mistrust_weight": draw(unit),
        "reassurance": draw(unit),
        "posture_reactivity": draw(unit),
        "posture_fatigue": draw(unit),
        "irritant_decay": draw(unit),
        "equilibrate_months": draw(st.integers(0, 400)),
    }


@st.composite
def negotiation_params(draw) -> dict:
    return {
        "rationality": draw(st.floats(0.0, 1000.0)),
        "retry_after": draw(st.integers(1, 12)),
        "concession_step": draw(unit),
        "max_attempts": draw(st.integers(1, 5)),
    }


# ------------------------------------------------------------------------------ moves
def _some(draw, ids, min_size=1, max_size=3):
    return draw(st.lists(st.sampled_from(ids), min_size=min_size, max_size=min(max_size, len(ids)), unique=True))


@st.composite
def effect(draw, ids: list[str], crisis_types: list[str]) -> dict:
    kinds = ["signal", "irritant", "reassurance", "channel", "commitment", "mission", "human_security"] + (
        ["clause"] if crisis_types else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "signal":
        e = {"senders": _some(draw, ids), "cost": draw(st.floats(0.0, 5.0)), "hostile": draw(st.booleans())}
        if draw(st.booleans()):
            e["observers"] = _some(draw, ids)
    elif kind == "irritant":
        e = {"senders": _some(draw, ids), "observers": _some(draw, ids), "cost": draw(st.floats(0.0, 5.0)),
             "load": draw(unit)}
    elif kind == "reassurance":
        e = {"senders": _some(draw, ids), "observers": _some(draw, ids), "cost": draw(st.floats(0.0, 5.0)),
             "relief": draw(unit)}
    elif kind == "mission":
        e = {"parties": _some(draw, ids), "sites": _some(draw, ids), "management": draw(unit),
             "hazard_reduction": draw(unit), "cooperation_cost": draw(st.floats(0.0, 5.0))}
    elif kind == "human_security":
        e = {"gain": draw(st.floats(-1.0, 1.0))}
    elif kind == "channel":
        e = {"members": _some(draw, ids, min_size=2, max_size=4), "contact_cost": draw(unit),
             "crisis_dampening": draw(unit)}
    elif kind == "clause":
        e = {"parties": _some(draw, ids), "covers": _some(draw, crisis_types),
             "assistance_cost": draw(st.floats(0.0, 5.0))}
    else:
        order = draw(st.permutations(ids))
        cut = draw(st.integers(1, len(ids) - 1))
        e = {"between": [list(order[:cut][:3]), list(order[cut:][:3])], "posture_ceiling": draw(unit),
             "verification_cost": draw(unit), "breach_rate": draw(unit), "breach_cost": draw(st.floats(0.0, 5.0))}
    return {"type": kind, **e}


@st.composite
def moves(draw, ids: list[str], crisis_types: list[str], horizon: int) -> dict:
    out = {}
    for k in range(draw(st.integers(1, 4))):
        out[f"m{k}"] = {
            "title": f"move {k}",
            "proposer": draw(st.sampled_from(ids)),
            "consent": _some(draw, ids, min_size=0, max_size=3),
            "start": draw(st.integers(1, horizon)),
            "cost": draw(st.floats(0.0, 5.0)),
            "gain": draw(st.floats(-1.0, 1.0)),
            "exposure": draw(unit),
            "domestic_cost": draw(unit),
            "ratify": _some(draw, ids, min_size=0, max_size=2),
            "phase_in": draw(st.integers(1, 12)),
            "retry": draw(st.booleans()),
            "effects": draw(st.lists(effect(ids, crisis_types), min_size=1, max_size=3)),
        }
    return out


# ------------------------------------------------------------- subset of the default
def _cut_scenario(scenario: dict, keep: set[str]) -> dict:
    """The scenario's groups and rules restricted to the kept actors; empty rules dropped."""
    groups = {g: [a for a in members if a in keep or a == "all"] for g, members in scenario.get("groups", {}).items()}

    def names(lst):
        return [x for x in lst if x in keep or x == "all" or (x in groups and groups[x])]

    out = copy.deepcopy(scenario)
    out["groups"] = {g: m for g, m in groups.items() if m}
    for section in ("trust", "posture", "irritants", "threat"):
        rules = []
        for rule in (out.get(section) or {}).get("rules") or []:
            r = dict(rule, **{"from": names(rule["from"]), "to": names(rule["to"])})
            if r["from"] and r["to"]:
                rules.append(r)
        out.setdefault(section, {})["rules"] = rules
    matrix = (out.get("trust") or {}).get("matrix")
    if matrix:  # a whole state in rows (the stage derived from the replay): the kept rows and columns
        cols = [k for k, t in enumerate(matrix["targets"]) if t in keep]
        out["trust"]["matrix"] = {"targets": [matrix["targets"][k] for k in cols],
                                  "rows": {a: [row[k] for k in cols] for a, row in matrix["rows"].items() if a in keep}}
    return out


def _cut_crises(crises: dict, keep: set[str], roster: dict, rate_factor: float) -> dict:
    out = copy.deepcopy(crises)
    for t in out["types"].values():
        sites = []
        for site in t["sites"]:
            if "conflict" in site:
                if site["conflict"] in keep:
                    sites.append(site)
                continue
            victims = [v for v in site.get("victims", []) if v in keep]
            sides = [[a for a in s if a in keep] for s in site.get("sides", [[], []])]
            if victims or any(sides):
                sites.append({"victims": victims, "sides": sides})
        t["sites"] = sites
        t["base_rate"] = min(1.0, t["base_rate"] * rate_factor)
    return out


@st.composite
def default_subset_configs(draw) -> dict:
    base = copy.deepcopy(_default_config())
    roster = base["roster"]
    leaves = [a for a, spec in roster.items() if spec["kind"] not in COMPOSITE_KINDS and spec["kind"] != "territory"]
    keep = set(draw(st.lists(st.sampled_from(leaves), min_size=2, max_size=len(leaves), unique=True)))
    for a, spec in roster.items():  # territories whose parent and patron are kept
        if spec["kind"] == "territory" and spec["parent"] in keep and spec["patron"] in keep and draw(st.booleans()):
            keep.add(a)
    new_roster = {}
    for a, spec in roster.items():
        if spec["kind"] in COMPOSITE_KINDS:
            members = spec["members"] if spec["members"] == ["all"] else [m for m in spec["members"] if m in keep]
            if members:
                new_roster[a] = dict(spec, members=members)
                keep.add(a)
        elif a in keep:
            new_roster[a] = dict(spec, strategy=draw(st.sampled_from(sorted(STRATEGIES))))
    horizon = draw(st.integers(24, 36))
    cfg = {
        "seed": 0,
        "replicates": 1,
        "roster": {a: s for a, s in new_roster.items()},
        "dynamics": draw(dynamics_params()),
        "negotiation": draw(negotiation_params()),
        "crises": _cut_crises(base["crises"], keep, roster, draw(st.floats(1.0, 50.0))),
        "scenario": dict(_cut_scenario(base["scenario"], keep), horizon=horizon),
        "output": {"dyad_period": draw(st.integers(0, 2)), "key_dyads": [], "affected_states": [], "west": []},
    }
    crisis_types = [t for t, spec in cfg["crises"]["types"].items() if spec["sites"]]
    cfg["moves"] = draw(moves(sorted(cfg["roster"]), crisis_types, horizon))
    return cfg


# ------------------------------------------------------------------ roster from scratch
@st.composite
def scratch_configs(draw) -> dict:
    n_leaves = draw(st.integers(2, 6))
    leaves = [f"S{k}" for k in range(n_leaves)]
    roster = {}
    for a in leaves:
        roster[a] = {"name": a, "kind": draw(st.sampled_from(["state", "faction"])), "capability": draw(unit),
                     "hawkishness": draw(unit), "stubbornness": draw(unit),
                     "strategy": draw(st.sampled_from(sorted(STRATEGIES)))}
    for k in range(draw(st.integers(0, 2))):  # territories: a parent and a (different) patron
        parent, patron = draw(st.lists(st.sampled_from(leaves), min_size=2, max_size=2, unique=True))
        roster[f"T{k}"] = {"name": f"T{k}", "kind": "territory", "capability": draw(unit), "hawkishness": draw(unit),
                           "stubbornness": draw(unit), "parent": parent, "patron": patron}
    for k in range(draw(st.integers(0, 3))):  # composites of leaves (any rule, maybe pooling views)
        rule = draw(st.sampled_from(["consensus", "unanimity", "majority"]))
        roster[f"C{k}"] = {"name": f"C{k}", "kind": draw(st.sampled_from(list(COMPOSITE_KINDS))),
                           "capability": draw(unit), "hawkishness": draw(unit), "stubbornness": draw(unit),
                           "members": _some(draw, leaves, max_size=4), "rule": rule, "quota": draw(unit),
                           "influence": draw(st.booleans())}
    ids = list(roster)
    horizon = draw(st.integers(24, 36))
    values = st.floats(0.01, 0.99)
    scenario = {
        "name": "random", "start_date": "2000-01", "horizon": horizon,
        "trust": {"default": draw(values), "rules": [
            {"from": _some(draw, ids), "to": _some(draw, ids), "value": draw(values)} for _ in range(draw(st.integers(0, 4)))]},
        "posture": {"default": draw(unit), "rules": [
            {"from": _some(draw, ids), "to": _some(draw, ids), "value": draw(unit)} for _ in range(draw(st.integers(0, 3)))]},
        "irritants": {"rules": [
            {"from": _some(draw, ids), "to": _some(draw, ids), "value": draw(unit)} for _ in range(draw(st.integers(0, 2)))]},
        "threat": {"rules": [
            {"from": _some(draw, ids), "to": _some(draw, ids), "value": draw(unit)} for _ in range(draw(st.integers(0, 2)))]},
    }
    types = {}
    for k in range(draw(st.integers(0, 3))):
        sites = []
        for _ in range(draw(st.integers(1, 3))):
            form = draw(st.sampled_from(["victims", "sides", "conflict"] if any(a.startswith("T") for a in ids)
                                        else ["victims", "sides"]))
            if form == "victims":
                sites.append({"victims": _some(draw, ids)})
            elif form == "sides":
                order = draw(st.permutations(ids))
                cut = draw(st.integers(1, len(ids) - 1))
                sites.append({"sides": [list(order[:cut][:2]), list(order[cut:][:2])],
                              "victims": _some(draw, ids, min_size=0, max_size=2)})
            else:
                sites.append({"conflict": draw(st.sampled_from([a for a in ids if a.startswith("T")]))})
        types[f"crisis{k}"] = {"base_rate": draw(unit), "threat_sensitivity": draw(st.floats(0.0, 100.0)),
                               "severity": draw(st.floats(0.0, 5.0)), "blame": draw(unit), "escalation": draw(unit),
                               "escalation_severity": draw(st.floats(0.0, 5.0)), "threat_shock": draw(unit),
                               "sites": sites}
    return {
        "seed": 0,
        "replicates": 1,
        "roster": roster,
        "dynamics": draw(dynamics_params()),
        "negotiation": draw(negotiation_params()),
        "crises": {"enabled": draw(st.booleans()) or bool(types), "suspension_months": draw(st.integers(0, 24)),
                   "suspension_base": draw(unit), "types": types},
        "scenario": scenario,
        "moves": draw(moves(ids, list(types), horizon)),
        "output": {"dyad_period": 1, "key_dyads": [], "affected_states": [], "west": []},
    }


# ------------------------------------------------------------------------- the check
def _check_well_formed(cfg: dict, seed: int) -> None:
    model = EurosecModel(rng=seed, replicates=REPLICATES, config=cfg, record_events=True)
    s, d = model.engine.state, model.spec.dynamics
    for month in range(model.spec.horizon + 1):
        if month:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # exp overflow in logit choice at huge rationality
                model.step()
        for name in ("trust", "threat", "posture"):
            a = getattr(s, name)
            assert np.isfinite(a).all(), (name, month)
            assert a.min() >= 0.0 and a.max() <= 1.0, (name, month, a.min(), a.max())
        # the logistic's exp is single precision (dyn.sigmoid): bounds hold to ~1e-7
        assert s.trust.min() >= d.trust_low - 1e-6 and s.trust.max() <= d.trust_high + 1e-6, month
        assert np.isfinite(s.own).all() and np.isfinite(s.social).all(), month
        assert np.abs(np.diagonal(s.threat, axis1=1, axis2=2)).max() == 0.0, month
    summary = model.summary()
    numeric = summary.select_dtypes("number")
    assert np.isfinite(numeric.to_numpy(dtype=float)).all()
    ev = model.events()
    p = ev["p"].dropna()
    assert ((p >= 0) & (p <= 1)).all()


@PROPERTY_SETTINGS
@given(cfg=default_subset_configs(), seed=st.integers(0, 2**31 - 1))
def test_beliefs_stay_bounded_on_random_subsets_of_the_default_roster(cfg, seed):
    _check_well_formed(cfg, seed)


@PROPERTY_SETTINGS
@given(cfg=scratch_configs(), seed=st.integers(0, 2**31 - 1))
def test_beliefs_stay_bounded_on_random_rosters(cfg, seed):
    _check_well_formed(cfg, seed)
