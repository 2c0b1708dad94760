"""The 2010 stage as it was (issue 11, part 1): structures in force at the start, levels,
upgrades of a format in force, and suspension or resumption by decision (docs/model.md §7.4)."""

from __future__ import annotations

import copy
from functools import lru_cache

import numpy as np
import pytest

from sim.config import load_config
from sim.config.spec import compile_spec
from sim.core.state import MoveStatus
from sim.errors import ConfigError
from sim.mechanisms.negotiation import is_conciliatory
from sim.model import EurosecModel
from sim.output.narrative import narrative


@lru_cache(maxsize=None)
def _composed(scenario: str, options: tuple[str, ...]) -> dict:
    return load_config([f"scenario={scenario}", f"option=[{','.join(options)}]"])


def cfg_of(scenario: str = "baseline_2010", *options: str) -> dict:
    cfg = copy.deepcopy(_composed(scenario, tuple(options)))
    cfg["output"]["dyad_period"] = 0
    return cfg


def quiet(cfg: dict, crises: bool = False) -> dict:
    """Every actor a security seeker that takes every act and accepts every move; no suspension
    after escalations; crises off unless asked for."""
    cfg["dynamics"].update(seeker_value=5.0, type_noise=0.0)
    cfg["scenario"]["type_prior"] = {a: 1.0 for a in cfg["roster"]}
    for a in cfg["roster"].values():
        a["strategy"] = "always_accept"
    cfg["crises"]["suspension_base"] = 0.0
    cfg["crises"]["enabled"] = crises
    return cfg


def structure(model: EurosecModel, name: str, move_id: str):
    return next(s for s in model.engine.structures.standing
                if getattr(s.effect, "name", "") == name and s.move.id == move_id)


# ------------------------------------------------------------------ in force at the start
def test_a_format_in_force_is_at_its_level_in_month_0_and_never_negotiated():
    cfg = cfg_of()
    cfg["moves"]["nrc_2002"]["phase_in"] = 12  # not used: no ramp for a structure already there
    model = EurosecModel(rng=5, replicates=6, config=cfg)
    nrc = structure(model, "nrc", "nrc_2002")
    assert (model.move_status("nrc_2002") == MoveStatus.IN_FORCE).all()
    assert nrc.strength == pytest.approx(np.full(6, 0.3))  # month 0: full phase-in x level 0.3
    assert model.summary()["channels_open"].iloc[0] == 9 - 1  # nine formats in force, one of them a mission
    model.run(24)
    assert nrc.strength[nrc.strength > 0] == pytest.approx(0.3)  # never ramps (0 only while suspended)
    ev = model.events()
    mine = ev[ev["move"] == "nrc_2002"]
    assert not mine["kind"].isin(["proposal", "vote", "declined", "outcome", "enacted"]).any()
    start = mine[mine["kind"] == "in_force"]
    assert len(start) == 6 and (start["step"] == 0).all()
    assert "was in force at the start (nrc at level 0.3)" in start["reason"].iloc[0]
    assert any("NATO-Russia Council" in line and "in force at the start" in line
               for line in narrative(model.spec, ev, replicate=0))
    assert not is_conciliatory(model.spec.move("nrc_2002"))


def test_prewar_has_the_nrc_at_its_prewar_level_and_no_post_war_formats_yet():
    model = EurosecModel(rng=1, replicates=3, config=cfg_of("prewar_2008"))
    assert structure(model, "nrc", "nrc_2002").strength == pytest.approx(0.5)
    for name, move_id, created in (("geneva_discussions", "geneva_discussions_2008", 10),
                                   ("eumm_georgia", "eumm_georgia_2008", 10), ("corfu", "corfu_2009", 18)):
        s = structure(model, name, move_id)
        assert not model.spec.move(move_id).in_force and (s.strength == 0).all()
        assert (model.engine.book.next_attempt[:, s.move.index] == created).all()
    postwar = EurosecModel(rng=1, replicates=3, config=cfg_of("postwar_2008"))
    frozen = structure(postwar, "nrc", "nrc_2002")
    assert (postwar.move_status("nrc_2002") == MoveStatus.IN_FORCE).all() and (frozen.strength == 0).all()


# ------------------------------------------------------------------------------- levels
def _crisis_damage(level: float) -> float:
    """Mean fall of the eastern flank's log-odds of trust in Russia caused by military incidents
    between them, with the NRC (covering both) in force at ``level``: the crisis arm minus a
    calm arm of the same seeds. The forum's contacts are off (cost 0): under the crises' threat
    they would be spiral-discounted, a second effect of the forum mixed with its dampening."""
    def arm(rate: float) -> EurosecModel:
        cfg = quiet(cfg_of(), crises=True)
        cfg["moves"] = {"nrc_2002": cfg["moves"]["nrc_2002"]}
        cfg["moves"]["nrc_2002"]["effects"][0].update(level=level, contact_cost=0.0)
        cfg["scenario"]["horizon"] = 36
        for name, t in cfg["crises"]["types"].items():
            t["base_rate"] = rate if name == "military_incident" else 0.0
        return EurosecModel(rng=3, replicates=40, config=cfg, record_events=False).run()

    calm, hit = arm(0.0), arm(0.15)
    assert hit.summary()["crises"].sum() > 100
    i, j = hit.index("EFL"), hit.index("RUS")
    return float((calm.engine.state.own[:, i, j] - hit.engine.state.own[:, i, j]).mean())


def test_a_low_level_forum_cushions_crises_in_proportion_to_its_level():
    damage = {lv: _crisis_damage(lv) for lv in (0.0, 0.5, 1.0)}
    assert damage[0.0] > damage[0.5] > damage[1.0] > 0
    # dampening 0.5 at strength = level: half of it at level 0.5 (linear, up to the feedback of
    # trust on the crises' hazard)
    assert damage[0.5] == pytest.approx((damage[0.0] + damage[1.0]) / 2, rel=0.15)


def test_escalation_cover_and_contacts_scale_with_the_level():
    def model_at(level: float) -> EurosecModel:
        cfg = cfg_of()
        cfg["moves"]["five_plus_two_2005"]["effects"][0]["level"] = level
        return EurosecModel(rng=1, replicates=2, config=cfg, record_events=False)

    trn = next(k for k, s in enumerate(model_at(1.0).spec.slots) if s.type == "frozen_conflict_flareup" and s.site == "TRN")
    cover = {lv: model_at(lv).engine.structures.escalation_cover(np.array([0]))[0, trn] for lv in (0.2, 1.0)}
    assert cover[0.2] == pytest.approx(0.2 * cover[1.0]) and cover[1.0] > 0
    # a contact at level l is an act of cost contact_cost * l: what attending reveals shrinks with it
    m = model_at(0.2)
    choice = m.engine.choice
    llr = lambda c: float(np.log(choice.probability(np.array([c]), np.array([True]))[0])  # noqa: E731
                          - np.log(choice.probability(np.array([c]), np.array([False]))[0]))
    assert abs(llr(0.002 * 0.2)) < abs(llr(0.002))


# ----------------------------------------------------------------------------- upgrades
def test_an_option_on_a_format_in_force_upgrades_it_rather_than_adding_a_forum():
    def arm(*options):
        cfg = quiet(cfg_of("baseline_2010", *options))
        for o in options:
            cfg["moves"][o]["start"] = 1
        return EurosecModel(rng=2, replicates=5, config=cfg, record_events=False).run(12)

    base, up = arm(), arm("nrc")
    assert (up.move_status("nrc") == MoveStatus.IN_FORCE).all()
    assert (up.summary()["channels_open"].to_numpy() == base.summary()["channels_open"].to_numpy()).all()
    old, new = structure(up, "nrc", "nrc_2002"), structure(up, "nrc", "nrc")
    assert (old.strength == 0).all() and new.strength == pytest.approx(1.0)  # raised to full level, once
    # during the phase-in the forum never falls below the level it had
    cfg = quiet(cfg_of("baseline_2010", "nrc"))
    cfg["moves"]["nrc"].update(start=1, phase_in=10)
    m = EurosecModel(rng=2, replicates=3, config=cfg, record_events=False)
    seen = []
    for _ in range(12):
        m.step()
        seen.append(max(s.strength[0] for s in m.engine.structures.named("nrc")))
    assert min(seen) == pytest.approx(0.3) and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)


def test_an_upgrade_takes_the_members_it_declares():
    cfg = quiet(cfg_of("baseline_2010", "contact_groups"))
    cfg["moves"]["contact_groups"]["start"] = 1
    m = EurosecModel(rng=2, replicates=3, config=cfg, record_events=False).run(8)
    defs = m.engine.structures.named("minsk_group")
    active = m.engine.structures.active("minsk_group", np.arange(3), m.engine.book)
    assert [d.move.id for d in defs] == ["contact_groups", "minsk_group_1992"]  # options come first in the config
    assert (active == 0).all() and m.index("EU") in defs[0].effect.members
    assert m.index("EU") not in defs[1].effect.members


def test_on_a_stage_without_the_format_the_option_creates_it():
    def arm(*options):
        cfg = quiet(cfg_of("baseline_2010", *options))
        for mid in ("nrc_2002", "pfp_1994"):
            del cfg["moves"][mid]
        for o in options:
            cfg["moves"][o]["start"] = 1
        return EurosecModel(rng=2, replicates=5, config=cfg, record_events=False).run(6)

    base, created = arm(), arm("nrc")
    assert (created.summary()["channels_open"].iloc[-1] - base.summary()["channels_open"].iloc[-1]) == 2


# --------------------------------------------------------------- suspension by decision
def _suspension_arms(level: float | None):
    """Quiet baseline; in the second arm NATO sets the NRC's level in month 3 (None: no move)."""
    def arm(with_move: bool) -> EurosecModel:
        cfg = quiet(cfg_of())
        if with_move:
            cfg["moves"]["nrc_suspension"] = {
                "title": "NATO suspends the NRC", "proposer": "NATO", "consent": ["NATO"], "start": 3,
                "effects": [{"type": "level", "structure": "nrc", "level": level}]}
        m = EurosecModel(rng=4, replicates=5, config=cfg)
        return m.run(3)
    return arm(False), arm(True)


def test_a_suspension_by_decision_closes_the_forum_and_is_read_as_hostile_by_its_other_members():
    control, suspended = _suspension_arms(0.0)
    move = suspended.spec.move("nrc_suspension")
    assert not is_conciliatory(move)  # below the declared level: history, not a type's choice
    nrc = structure(suspended, "nrc", "nrc_2002")
    assert (nrc.strength == 0).all() and (nrc.level == 0).all()
    st, i = suspended.engine.structures, suspended.index
    slot = next(k for k, s in enumerate(suspended.spec.slots) if s.site == "eastern_flank")
    through = st.damage_through(np.array([0]), np.array([slot]), suspended.spec.roster.n)
    # the NRC's dampening (0.5 x 0.3) is gone; the Corfu forum's (0.2 x 0.5) is all that is left
    assert through[0, i("EFL"), i("RUS")] == pytest.approx(1 - 0.2 * 0.5)
    assert suspended.summary()["channels_open"].iloc[-1] == control.summary()["channels_open"].iloc[-1] - 1
    own_s, own_c = suspended.engine.state.own, control.engine.state.own
    # Russia reads it as a hostile act (of cost 0.2 x the fall 0.3: a mild one, -llr(0.06))
    assert (own_s[:, i("RUS"), i("NATO")] < own_c[:, i("RUS"), i("NATO")] - 0.005).all()
    assert (suspended.threat("RUS", "NATO") > control.threat("RUS", "NATO")).all()
    assert own_s[:, i("KAZ"), i("NATO")] == pytest.approx(own_c[:, i("KAZ"), i("NATO")])  # not a member: no reading
    ev = suspended.events()
    line = ev[(ev["kind"] == "level") & (ev["replicate"] == 0)]["reason"].iloc[0]
    assert line == "NATO suspends nrc (level 0.3 -> 0)"


def test_a_resumption_is_a_conciliatory_decision_and_reopens_the_forum():
    cfg = quiet(cfg_of())
    cfg["moves"]["nrc_suspension"] = {"title": "NATO suspends the NRC", "proposer": "NATO", "consent": ["NATO"],
                                      "start": 2, "effects": [{"type": "level", "structure": "nrc", "level": 0.0}]}
    cfg["moves"]["nrc_resumption"] = {"title": "Formal NRC meetings resume", "proposer": "NATO",
                                      "consent": ["NATO", "RUS"], "start": 5, "cost": 0.05,
                                      "effects": [{"type": "level", "structure": "nrc", "level": 0.3}]}
    m = EurosecModel(rng=4, replicates=4, config=cfg).run(6)
    assert is_conciliatory(m.spec.move("nrc_resumption"))  # at the declared level: a choice by type
    assert structure(m, "nrc", "nrc_2002").strength == pytest.approx(0.3)
    reasons = m.events().query("kind == 'level' and replicate == 0")["reason"].tolist()
    assert reasons == ["NATO suspends nrc (level 0.3 -> 0)", "NATO raises nrc (level 0 -> 0.3)"]


# ------------------------------------------------------------------------- config errors
@pytest.mark.parametrize("effect, key, allowed", [
    ({"type": "level", "structure": "nrc_council", "level": 0.0}, "effects[0].structure", "geneva_discussions"),
    ({"type": "level", "structure": "nrc", "level": 1.5}, "effects[0].level", "[0.0, 1.0]"),
    ({"type": "level", "structure": "nrc", "level": 0.0, "senders": ["NATO"]}, "effects[0].senders", "structure"),
    ({"type": "level", "level": 0.0}, "effects[0].structure", "e.g. nrc"),
])
def test_a_bad_level_decision_is_a_config_error_naming_the_key(effect, key, allowed):
    cfg = cfg_of()
    cfg["moves"]["cut"] = {"title": "cut", "proposer": "NATO", "consent": ["NATO"], "effects": [effect]}
    with pytest.raises(ConfigError) as err:
        compile_spec(cfg)
    text = str(err.value)
    assert f"moves.cut.{key}" in text and allowed in text and "\n" not in text


def test_an_act_in_a_move_in_force_at_the_start_is_a_config_error():
    cfg = cfg_of()
    cfg["moves"]["nrc_2002"]["effects"].append({"type": "signal", "senders": ["RUS"], "cost": 0.05})
    with pytest.raises(ConfigError) as err:
        compile_spec(cfg)
    assert "moves.nrc_2002.effects[1].type" in str(err.value) and "channel" in str(err.value)
