"""Stylised facts the model should reproduce, each over hundreds of seeds (vectorised
replicates) with random crises on, comparing arms that share their seeds (common random
numbers: crisis and vote draws are keyed by seed and move id, so arms differ only by the
mechanism under test). Assertions are inequalities with margins; where an effect is small
relative to the noise of crises the margin is stated in standard errors of the paired difference.
"""

from __future__ import annotations

import copy
from functools import lru_cache

import numpy as np

from sim.mechanisms import dynamics as dyn
from sim.config import load_config
from sim.model import EurosecModel
from sim.core.state import MoveStatus

NATO_DECIDERS = ("USA", "WEU", "EFL")
CSTO_OTHERS = ("BLR", "ARM", "KAZ", "KGZ")
WEST = ("USA", "WEU", "EFL", "NEU", "NATO", "EU")


# ----------------------------------------------------------------------------- helpers
@lru_cache(maxsize=None)
def _compose(*overrides: str) -> dict:
    return load_config(list(overrides))


def config(*overrides: str, horizon: int | None = None) -> dict:
    cfg = copy.deepcopy(_compose("scenario=baseline_2010", *overrides))
    cfg["output"]["dyad_period"] = 0
    if horizon is not None:
        cfg["scenario"]["horizon"] = horizon
    return cfg


def accept(cfg: dict, *actors: str) -> dict:
    """Force these deciders' strategies to accept, and make every actor a security seeker that
    takes every act (no trembling hand): facts about other mechanisms, not about types."""
    for a in actors:
        cfg["roster"][a]["strategy"] = "always_accept"
    cfg["dynamics"]["seeker_value"] = 5.0
    cfg["dynamics"]["type_noise"] = 0.0
    cfg["scenario"]["type_prior"] = {a: 1.0 for a in cfg["roster"]}
    return cfg


def run(cfg: dict, replicates: int, seed: int = 2010) -> EurosecModel:
    return EurosecModel(rng=seed, replicates=replicates, config=cfg, record_events=False).run()


def enacted(model: EurosecModel, move_id: str) -> np.ndarray:
    return model.enacted_month(move_id) >= 0


def paired_t(diff: np.ndarray) -> float:
    return float(diff.mean() / (diff.std(ddof=1) / np.sqrt(diff.size)))


def mutual_trust(model: EurosecModel) -> np.ndarray:
    return 0.5 * (model.trust("RUS", "NATO") + model.trust("NATO", "RUS"))


# ------------------------------------------------------------------ distrustful veto player
def test_distrustful_veto_player_blocks_more_often():
    """No contingency planning needs Russia's consent (alone and as the CSTO's leading member);
    everyone else accepts. A Russia that starts out distrusting NATO (a scenario trust rule)
    lets the move fail after all its attempts far more often."""
    R = 400

    def arm(rus_trust_in_nato: float) -> EurosecModel:
        cfg = accept(config("option=[no_contingency]"), *NATO_DECIDERS, *CSTO_OTHERS)
        cfg["moves"]["no_contingency"]["start"] = 1
        # a costless text: tabling and votes carry no evidence between attempts, so the arms
        # differ by Russia's initial distrust alone
        cfg["moves"]["no_contingency"]["cost"] = 0.0
        neg = cfg["negotiation"]
        cfg["scenario"]["horizon"] = 2 + neg["retry_after"] * (neg["max_attempts"] - 1)
        cfg["scenario"]["trust"]["adjust"] = [
            {"from": ["RUS"], "to": ["NATO"], "value": rus_trust_in_nato, "why": "test: Russia's distrust of NATO"}]
        return run(cfg, R)

    low, high = arm(0.05), arm(0.6)
    assert low.trust("RUS", "NATO").mean() < high.trust("RUS", "NATO").mean() - 0.2
    failed_low = ~enacted(low, "no_contingency")
    failed_high = ~enacted(high, "no_contingency")
    # after every attempt was used, the move was abandoned
    assert (low.move_status("no_contingency")[failed_low] == MoveStatus.FAILED).all()
    assert failed_low.mean() > failed_high.mean() + 0.15
    # same vote draws: a deal the distrustful Russia accepts, the trusting one accepts too
    assert (~failed_low & failed_high).mean() < 0.02


# --------------------------------------------------------------------- NRC dampening
def test_nrc_dampens_the_trust_loss_from_crises_between_its_members():
    """Incidents between Russia and the Eastern flank (both NRC members through NATO), both
    expansionists here, so that many incidents escalate (bad news, read by Bayes' rule). The
    trust lost to them, against a calm run of the same arm, is much smaller with the NATO-Russia
    Council open (it damps the bad news among its members and covers escalation risk). Loss is measured in log-odds of trust (logit), the
    scale on which evidence adds up, so that the Council's own contacts (which move trust along
    the sigmoid) do not change the yardstick. Crisis occurrence does not depend on threat here,
    so both arms face the same incidents."""
    R, months = 300, 36

    def arm(nrc: bool, incidents: bool) -> EurosecModel:
        cfg = config(*(["option=[nrc]"] if nrc else []), horizon=months)
        if nrc:
            cfg["moves"]["nrc"]["start"] = 1
            accept(cfg, *NATO_DECIDERS, "RUS")
        for t in cfg["crises"]["types"].values():
            t["base_rate"] = 0.0
        cfg["crises"]["types"]["border_incident"] = {
            "base_rate": 0.15 if incidents else 0.0, "threat_sensitivity": 0.0, "severity": 0.2, "blame": 1.0,
            "escalation": 0.3, "escalation_severity": 0.4, "threat_shock": 0.05,
            "sites": [{"sides": [["RUS"], ["EFL"]]}]}
        cfg["crises"]["suspension_base"] = 0.0
        cfg["scenario"]["type_prior"] = {**cfg["scenario"].get("type_prior", {}), "RUS": 0.0, "EFL": 0.0}
        return run(cfg, R)

    def loss(calm: EurosecModel, hit: EurosecModel, a: str, b: str) -> np.ndarray:
        return dyn.logit(calm.trust(a, b)) - dyn.logit(hit.trust(a, b))

    open_, closed = (arm(True, False), arm(True, True)), (arm(False, False), arm(False, True))
    assert enacted(open_[1], "nrc").all()
    for a, b in (("EFL", "RUS"), ("RUS", "EFL"), ("NATO", "RUS"), ("WEU", "RUS"), ("USA", "RUS")):
        without, with_nrc = loss(*closed, a, b), loss(*open_, a, b)
        assert without.mean() > 0.1, (a, b)  # the incidents do cost trust
        assert with_nrc.mean() < 0.75 * without.mean(), (a, b)
        assert (with_nrc < without).mean() > 0.6, (a, b)  # per replicate, escalations are rare events


# ---------------------------------------------------------------- solidarity clause
def test_mutual_assistance_turns_a_covered_crisis_into_a_trust_gain():
    """Terrorist attacks on Russia, Western Europe and the USA (the default sites, more frequent),
    with the solidarity clause in force. Where the clause covers terrorism, each attack brings
    assistance from the parties outside the victim's bloc and the victim ends up trusting them
    more than in a run without attacks; where it does not cover terrorism, the victim (who blames
    those it distrusts) ends up trusting them less."""
    R, months = 300, 36

    def arm(attacks: bool, covered: bool) -> EurosecModel:
        cfg = accept(config("option=[solidarity]", horizon=months), *NATO_DECIDERS, "RUS")
        cfg["moves"]["solidarity"]["start"] = 1
        clause = cfg["moves"]["solidarity"]["effects"][0]
        assert clause["type"] == "clause" and "terrorist_attack" in clause["covers"]
        if not covered:
            clause["covers"] = [c for c in clause["covers"] if c != "terrorist_attack"]
        cfg["crises"]["types"]["terrorist_attack"]["base_rate"] = 0.1 if attacks else 0.0
        return run(cfg, R)

    covered, uncovered, calm = arm(True, True), arm(True, False), arm(False, True)
    assert enacted(covered, "solidarity").all()
    for victim, helper in (("RUS", "NATO"), ("WEU", "RUS"), ("USA", "RUS")):
        t_cov, t_unc, t_calm = (m.trust(victim, helper) for m in (covered, uncovered, calm))
        assert t_cov.mean() > t_calm.mean() + 0.02, (victim, helper)
        assert t_unc.mean() < t_calm.mean(), (victim, helper)
        assert (t_cov > t_unc).mean() > 0.9, (victim, helper)


# ------------------------------------------------------------------------- irritants
def test_irritants_raise_russian_threat_perception_of_their_senders():
    R, months = 300, 24
    cases = {"kosovo_recognition": ("USA", "WEU"), "missile_defence": ("USA", "EFL"), "enlargement": ("NATO",)}
    for mid, senders in cases.items():
        cfg = accept(config(f"irritant=[{mid}]", horizon=months), *NATO_DECIDERS, "GEO", "UKR")
        control = copy.deepcopy(cfg)
        control["moves"] = {k: m for k, m in cfg["moves"].items() if m.get("in_force")}  # the stage stays
        treated, calm = run(cfg, R), run(control, R)
        assert enacted(treated, mid).all(), mid
        load = next(e["load"] for e in cfg["moves"][mid]["effects"] if e["type"] == "irritant")
        for s in senders:
            diff = treated.threat("RUS", s) - calm.threat("RUS", s)
            assert (diff > 0).mean() > 0.95, (mid, s)
            # at least a quarter of the load, which decays by about half over two years
            assert diff.mean() > 0.25 * load, (mid, s)


# ---------------------------------------------------------------------- August war
def test_august_war_lowers_western_trust_in_russia():
    """The prewar_2008 scenario (irritants negotiated by the actors' own strategies, random
    crises) with and without the scheduled war. On average the war lowers Western trust in
    Russia. Run by run, its evidence does so almost always; but the escalation may also suspend
    the forums in force (the NRC, the Minsk Group, ...) for a year, and their monthly contacts,
    which sort Russia's type (a skip is read strongly, attendance weakly and discounted by fear),
    stop with them: with those suspensions on, the war lowers trust in about three runs of four."""
    R = 300

    def arms(suspension_base: float | None):
        cfg = copy.deepcopy(_compose("scenario=prewar_2008"))
        cfg["output"]["dyad_period"] = 0
        cfg["scenario"]["horizon"] = 36
        if suspension_base is not None:
            cfg["crises"]["suspension_base"] = suspension_base
        peace = copy.deepcopy(cfg)
        del peace["moves"]["august_war"]
        return run(cfg, R), run(peace, R)

    war, calm = arms(None)
    assert enacted(war, "august_war").all()
    assert war.summary().query("step == @war.spec.move('august_war').start")["escalations"].min() >= 1
    for w in WEST:
        diff = war.trust(w, "RUS") - calm.trust(w, "RUS")
        assert diff.mean() < -0.01, w  # an escalation is bad news about its sides (Bayes' rule)
        assert (diff < 0).mean() > 0.6, w
    # and Georgia, the other belligerent, too
    assert (war.trust("GEO", "RUS") <= calm.trust("GEO", "RUS") + 1e-12).mean() > 0.9
    war, calm = arms(0.0)  # no forum suspended: the war's evidence alone
    for w in WEST:
        assert ((war.trust(w, "RUS") - calm.trust(w, "RUS")) < 0).mean() > 0.9, w


# ---------------------------------------------------------------------- treaty track
def test_medvedev_treaty_is_agreed_far_less_often_than_the_nrc():
    """The treaty needs NATO's and the EU's internal consensus, the CSTO, every OSCE state and
    ratification by the US and every EU member; the NRC needs NATO and Russia. Both are tabled
    in month 1 with the actors' own strategies and all their attempts."""
    R = 400

    def arm(*overrides: str, move: str) -> EurosecModel:
        cfg = copy.deepcopy(_compose(*overrides))
        cfg["output"]["dyad_period"] = 0
        cfg["moves"][move]["start"] = 1
        neg = cfg["negotiation"]
        cfg["scenario"]["horizon"] = 2 + neg["retry_after"] * (neg["max_attempts"] - 1)
        return run(cfg, R)

    treaty = arm("scenario=treaty_track", move="medvedev_treaty")
    nrc = arm("scenario=baseline_2010", "option=[nrc]", move="nrc")
    assert list(m.id for m in treaty.spec.moves if not m.in_force) == ["medvedev_treaty"]
    m = treaty.spec.move("medvedev_treaty")
    assert m.ratifiers and any(treaty.spec.ids[p.index] == "OSCE" for p in m.parties)
    # every attempt was made
    assert (treaty.attempts("medvedev_treaty") == treaty.spec.negotiation.max_attempts).mean() > 0.95
    rate_treaty, rate_nrc = enacted(treaty, "medvedev_treaty").mean(), enacted(nrc, "nrc").mean()
    assert rate_treaty < 0.02
    assert rate_nrc > rate_treaty + 0.5
