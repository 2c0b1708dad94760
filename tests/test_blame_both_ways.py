"""Blame both ways (issue 10, part 3): a member's act is credited to its alliance or union at
``dynamics.member_attribution``, in signals and in crises alike, and crises with Western
actors on a side lower Russia's trust in the Western side."""

from __future__ import annotations

import copy
from functools import lru_cache

import numpy as np

from sim.config import load_config
from sim.config.spec import compile_spec
from sim.mechanisms import crises
from sim.model import EurosecModel


@lru_cache(maxsize=None)
def _default() -> dict:
    return load_config(["scenario=baseline_2010", "option=[]"])


def cfg_with(**dynamics) -> dict:
    cfg = copy.deepcopy(_default())
    cfg["output"]["dyad_period"] = 0
    cfg["dynamics"].update(dynamics)
    return cfg


def test_a_members_act_is_credited_to_its_alliance_and_union_at_the_weight():
    spec = compile_spec(cfg_with(member_attribution=0.3, bloc_attribution=0.5))
    i = spec.roster.index
    att = spec.attribution
    assert att[i("USA"), i("NATO")] == 0.3 and att[i("USA"), i("EU")] == 0.0
    assert att[i("EFL"), i("NATO")] == 0.3 and att[i("EFL"), i("EU")] == 0.3
    assert att[i("RUS"), i("CSTO")] == 0.3
    assert att[i("USA"), i("OSCE")] == 0.0  # an organisation spanning both sides is not credited
    assert att[i("NATO"), i("USA")] == 0.5  # and a bloc's act is still credited to its members
    off = compile_spec(cfg_with(member_attribution=0.0)).attribution
    assert off[i("USA"), i("NATO")] == 0.0
    # a USA signal seen by Russia is read as NATO's at the weight
    model = EurosecModel(rng=1, replicates=2, config=cfg_with(member_attribution=0.3), record_events=False)
    w = model.engine.signals.weights((i("USA"),), (i("RUS"),))
    assert w[i("RUS"), i("USA")] == 1.0 and w[i("RUS"), i("NATO")] == 0.3 and w[i("RUS"), i("WEU")] == 0.0


def test_blame_across_a_western_sided_incident_is_symmetric():
    """Russia vs the eastern flank: each side blames the other fully and the other's blocs at
    member_attribution; onlookers blame each side's blocs at that weight times their own mistrust."""
    spec = compile_spec(cfg_with(member_attribution=0.5))
    i = spec.roster.index
    slot = next(s for s in spec.slots if s.site == "eastern_flank")
    F, A = slot.fixed_blame, slot.attributive
    assert F[i("RUS"), i("EFL")] == F[i("EFL"), i("RUS")] == 1.0
    assert F[i("RUS"), i("NATO")] == F[i("RUS"), i("EU")] == F[i("EFL"), i("CSTO")] == 0.5
    assert A[i("USA"), i("CSTO")] == A[i("BLR"), i("NATO")] == A[i("BLR"), i("EU")] == 0.5
    assert A[i("USA"), i("RUS")] == A[i("BLR"), i("EFL")] == 1.0
    assert F[i("RUS"), i("USA")] == 0.0  # the USA is not a side of this incident
    trust = np.full((spec.roster.n, spec.roster.n), 0.3)
    w = crises.blame_weights(slot, trust, spec.attribution_bias)
    assert np.isclose(w[i("USA"), i("CSTO")], w[i("BLR"), i("NATO")])
    # no bloc that holds members of both sides is credited (the OSCE is not a bloc anyway)
    assert F[i("EFL"), i("OSCE")] == F[i("RUS"), i("OSCE")] == 0.0


def test_a_western_sided_incident_lowers_russias_trust_in_nato_and_the_eu():
    """Only eastern-flank incidents, frequent, between two expansionist sides, who escalate most of
    them (bad news about both sides, read by Bayes' rule): Russia's own log-odds of trust in EFL, NATO and the EU fall (NATO and the EU
    through member attribution), as do EFL's in Russia; with member_attribution 0 Russia's
    trust in NATO and the EU is untouched by them."""
    def arm(weight: float, rate: float) -> EurosecModel:
        cfg = cfg_with(member_attribution=weight)
        cfg["scenario"]["horizon"] = 24
        for name, t in cfg["crises"]["types"].items():
            t["base_rate"] = rate if name == "military_incident" else 0.0
        cfg["crises"]["types"]["military_incident"]["escalation"] = 0.5
        cfg["scenario"]["type_prior"] = {"RUS": 0.0, "EFL": 0.0}  # expansionists: escalations pile up
        cfg["dynamics"]["posture_evidence"] = 0.0  # the crises' evidence alone, not the postures they provoke
        cfg["crises"]["types"]["military_incident"]["sites"] = [
            s for s in cfg["crises"]["types"]["military_incident"]["sites"] if s.get("name") == "eastern_flank"]
        return EurosecModel(rng=5, replicates=50, config=cfg, record_events=False).run()

    def own(model, a, b):
        return model.engine.state.own[:, model.index(a), model.index(b)]

    def fall(calm, hit, a, b):
        return (own(calm, a, b) - own(hit, a, b)).mean()

    calm, hit = arm(0.5, 0.0), arm(0.5, 0.2)
    assert hit.summary()["crises"].sum() > 100
    assert fall(calm, hit, "RUS", "EFL") > 0.1 and fall(calm, hit, "EFL", "RUS") > 0.1
    calm0, hit0 = arm(0.0, 0.0), arm(0.0, 0.2)
    for target in ("NATO", "EU"):
        # a fall that member attribution carries (0.08 and 0.32 on the 2010 stage), against none
        # without it (-0.03 and -0.01: social influence alone)
        assert fall(calm, hit, "RUS", target) > 0.05, target
        assert fall(calm, hit, "RUS", target) - fall(calm0, hit0, "RUS", target) > 0.05, target
        assert abs(fall(calm0, hit0, "RUS", target)) < 0.05, target
