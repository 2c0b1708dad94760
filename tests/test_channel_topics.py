"""Channels and missions with topics (issue 10, part 4): a forum dampens and covers only the
crises of its topics and sites; bad topics and sites are a one-paragraph ConfigError."""

from __future__ import annotations

import copy
from functools import lru_cache

import numpy as np
import pytest

from sim.config import load_config
from sim.config.spec import compile_spec
from sim.errors import ConfigError
from sim.model import EurosecModel


@lru_cache(maxsize=None)
def _composed(option: str) -> dict:
    return load_config(["scenario=baseline_2010", f"option=[{option}]"])


def cfg_of(option: str) -> dict:
    """The option on the stage without the formats in force at the start: their topics (the
    Corfu process deals with every crisis) are not under test here."""
    cfg = copy.deepcopy(_composed(option))
    cfg["moves"] = {k: m for k, m in cfg["moves"].items() if not m.get("in_force")}
    cfg["output"]["dyad_period"] = 0
    return cfg


def at_full_strength(option: str) -> EurosecModel:
    model = EurosecModel(rng=1, replicates=3, config=cfg_of(option), record_events=False)
    for s in model.engine.structures.standing:
        s.strength[:] = 1.0
    return model


def slot_index(model, crisis_type: str, site: str) -> int:
    return next(k for k, s in enumerate(model.spec.slots) if s.type == crisis_type and s.site == site)


def test_the_five_plus_two_damps_the_transdnistria_conflict_not_a_gas_dispute():
    model = at_full_strength("transdnistria")
    st, i = model.engine.structures, model.index
    rows = np.array([0, 0])
    trn = slot_index(model, "frozen_conflict_flareup", "TRN")
    gas = next(k for k, s in enumerate(model.spec.slots) if s.type == "energy_dispute" and s.side_b == (i("UKR"),))
    through = st.damage_through(rows, np.array([trn, gas]), model.spec.roster.n)
    assert through[0, i("RUS"), i("MDA")] == pytest.approx(0.4)  # 1 - 0.6
    assert through[1, i("RUS"), i("UKR")] == 1.0  # the gas dispute is not the 5+2's business
    cover = st.escalation_cover(np.array([0]))
    assert cover[0, trn] > 0 and cover[0, gas] == 0.0


def test_the_kyrgyz_mission_manages_conflict_not_earthquakes():
    model = at_full_strength("crisis_management")
    st = model.engine.structures
    unrest = slot_index(model, "internal_unrest", "KGZ")
    disaster = slot_index(model, "disaster", "KGZ")
    cut = st.hazard_cut()
    assert cut[0, unrest] == pytest.approx(0.3) and cut[0, disaster] == 0.0
    absorbed = st.absorbed(np.array([0]))
    assert absorbed[0, unrest] == pytest.approx(0.6) and absorbed[0, disaster] == 0.0


def test_a_general_forum_covers_every_topic():
    model = at_full_strength("nrc")
    st, i = model.engine.structures, model.index
    slots = np.arange(len(model.spec.slots))
    through = st.damage_through(np.zeros(slots.size, dtype=np.int64), slots, model.spec.roster.n)
    assert (through[:, i("RUS"), i("NATO")] == pytest.approx(0.5))  # the NRC: topics all


def test_a_gas_dispute_costs_as_much_trust_with_the_five_plus_two_as_without():
    """Only the Russia-Ukraine gas dispute strikes; the 5+2 forum, agreed at once, does not
    cushion it: what the disputes do to Russia's and Ukraine's trust in each other (against a
    calm run of the same arm, so the forum's own contacts cancel) is the same with and without."""
    def arm(with_forum: bool, rate: float) -> EurosecModel:
        cfg = cfg_of("transdnistria")
        cfg["scenario"]["horizon"] = 36
        if with_forum:
            cfg["moves"]["transdnistria"]["start"] = 1
            cfg["moves"]["transdnistria"]["effects"] = [e for e in cfg["moves"]["transdnistria"]["effects"]
                                                        if e.get("name") == "five_plus_two"]
            for a in ("EU", "RUS", "MDA", "TRN", "WEU", "EFL", "NEU"):
                cfg["roster"][a]["strategy"] = "always_accept"
        else:
            cfg["moves"] = {}
        # in both arms every party a security seeker that takes every act: the forum is agreed at once
        cfg["dynamics"].update(seeker_value=5.0, type_noise=0.0)
        cfg["scenario"]["type_prior"] = {a: 1.0 for a in cfg["roster"]}
        for name, t in cfg["crises"]["types"].items():
            t["base_rate"] = rate if name == "energy_dispute" else 0.0
            if name == "energy_dispute":
                t["escalation"] = 0.3
                t["sites"] = [s for s in t["sites"] if s.get("name") != "EFL_energy"]
        cfg["crises"]["suspension_base"] = 0.0
        return EurosecModel(rng=3, replicates=40, config=cfg, record_events=False).run()

    base, forum = (arm(False, 0.0), arm(False, 0.2)), (arm(True, 0.0), arm(True, 0.2))
    assert (forum[1].enacted_month("transdnistria") >= 0).all()
    assert forum[1].summary()["crises"].sum() > 100
    for a, b in (("RUS", "UKR"), ("UKR", "RUS")):
        ia, ib = forum[0].index(a), forum[0].index(b)
        effect = [float((run[1].engine.state.own[:, ia, ib] - run[0].engine.state.own[:, ia, ib]).mean())
                  for run in (base, forum)]
        assert abs(effect[0]) > 0.05, (a, b)  # the disputes do move trust
        assert effect[1] == pytest.approx(effect[0], rel=0.2, abs=0.02), (a, b)


@pytest.mark.parametrize("field, value, key, allowed", [
    ("topics", ["gas_war"], "topics[0]", "frozen_conflict_flareup"),
    ("topics", 3, "topics", "all"),
    ("sites", ["Narnia"], "sites[0]", "TRN"),
    ("sites", "TRN", "sites", "e.g. [TRN]"),
])
def test_bad_topics_and_sites_are_a_config_error_naming_the_key(field, value, key, allowed):
    cfg = cfg_of("transdnistria")
    cfg["moves"]["transdnistria"]["effects"][0][field] = value
    with pytest.raises(ConfigError) as err:
        compile_spec(cfg)
    text = str(err.value)
    assert f"moves.transdnistria.effects[0].{key}" in text and allowed in text
