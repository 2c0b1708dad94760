"""The hostile acts of sim/mechanisms/effects/hostile.py: sanctions (and counter-sanctions) and
annexation. Behaviour on the bare 2010 stage with crises off, the shared move harness's checks
on the replay's own moves (configs/history/), and bad configs naming their key."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import test_moves_harness as harness

from sim.config import load_config
from sim.config.spec import compile_spec
from sim.errors import ConfigError
from sim.mechanisms.effects import EFFECT_TYPES, Annexation, Sanctions
from sim.mechanisms.negotiation import is_conciliatory
from sim.model import EurosecModel

R = 6
START = 2
HORIZON = 14


def stage() -> dict:
    cfg = load_config(["scenario=baseline_2010"])
    cfg["crises"]["enabled"] = False
    cfg["scenario"]["horizon"] = HORIZON
    cfg["output"]["dyad_period"] = 0
    cfg["moves"] = {}
    return cfg


def move(*effects, proposer="EU", start=START, **fields) -> dict:
    return {"title": "test", "proposer": proposer, "consent": [], "start": start, "cost": 0.0, "effects": list(effects),
            **fields}


def run(moves: dict, months: int = HORIZON, cfg: dict | None = None) -> EurosecModel:
    cfg = copy.deepcopy(cfg or stage())
    cfg["moves"] = moves
    model = EurosecModel(rng=11, replicates=R, config=cfg, record_events=True)
    for _ in range(months):
        model.step()
    return model


def idx(model, aid: str) -> int:
    return model.spec.roster.index(aid)


_CONTROL: dict = {}


def control_at(month: int, name: str) -> np.ndarray:
    """The state array ``name`` at the end of ``month`` without any move (same seeds)."""
    if month not in _CONTROL:
        _CONTROL[month] = run({}, months=month).engine.state
    return getattr(_CONTROL[month], name)


def sanctions(cost: float, load: float = 0.05, senders=("EU",), targets=("RUS",)) -> dict:
    return {"type": "sanctions", "senders": list(senders), "targets": list(targets), "cost": cost, "load": load}


# ------------------------------------------------------------------ sanctions
def test_the_new_types_are_registered_and_hostile():
    assert EFFECT_TYPES["sanctions"] is Sanctions and EFFECT_TYPES["annexation"] is Annexation
    assert Sanctions.hostile and Annexation.hostile and Sanctions.standing and Annexation.standing
    spec = compile_spec({**stage(), "moves": {"s": move(sanctions(0.3))}})
    assert not is_conciliatory(spec.move("s")), "a move of sanctions only is history, not a type's choice"


def test_costlier_sanctions_lower_the_targets_trust_in_the_senders_more():
    """The senders' cost is what the act reveals (-llr(cost)): the costlier, the larger the fall of
    Russia's own log-odds that the EU is trustworthy, and the larger the rise of its threat."""
    model = run({}, months=0)
    rus, eu = idx(model, "RUS"), idx(model, "EU")
    falls, rises = [], []
    for cost in (0.05, 0.2, 0.35, 0.5):
        model = run({"s": move(sanctions(cost))}, months=START)
        falls.append((control_at(START, "own") - model.engine.state.own)[:, rus, eu].mean())
        rises.append((model.engine.state.threat - control_at(START, "threat"))[:, rus, eu].mean())
    assert all(f > 0 for f in falls) and np.all(np.diff(falls) > 0), falls
    assert all(r > 0 for r in rises) and np.all(np.diff(rises) > 0), rises


def test_sanctions_hold_their_load_while_in_force_and_it_decays_once_lifted():
    """While in force the effect's share of the irritant load is exactly load * strength (here a
    3-month phase-in); once the move ends the share decays at dynamics.irritant_decay."""
    load, tau = 0.08, 3
    cfg = stage()
    model = run({"s": move(sanctions(0.2, load), phase_in=tau)}, months=0, cfg=cfg)
    ctrl = run({}, months=0, cfg=cfg)
    rus, eu = idx(model, "RUS"), idx(model, "EU")
    delta = model.spec.dynamics.irritant_decay
    for t in range(1, 9):
        model.step()
        ctrl.step()
        share = model.engine.state.irritant[:, rus, eu] - ctrl.engine.state.irritant[:, rus, eu]
        ramp = np.clip((t - START + 1) / tau, 0.0, 1.0) if t >= START else 0.0
        np.testing.assert_allclose(share, load * ramp, atol=1e-12)
    model.engine.end_move(np.arange(R), model.spec.move("s"))  # lifted
    before = share
    for _ in range(3):
        model.step()
        ctrl.step()
        share = model.engine.state.irritant[:, rus, eu] - ctrl.engine.state.irritant[:, rus, eu]
        np.testing.assert_allclose(share, before * (1.0 - delta), atol=1e-12)
        before = share


def test_counter_sanctions_are_the_same_type_with_the_roles_swapped():
    """Russia's counter-sanctions on the EU are read by the EU's members (the targets expanded):
    their trust in Russia falls; the sender learns nothing from its own act (its views move only
    by the month's reading of the targets' postures, the spiral)."""
    model = run({"c": move(sanctions(0.3, senders=("RUS",), targets=("EU",)), proposer="RUS")}, months=START)
    before = control_at(START, "own")
    rus = idx(model, "RUS")
    for o in ("WEU", "EFL", "NEU"):
        assert (model.engine.state.own[:, idx(model, o), rus] < before[:, idx(model, o), rus]).all(), o
    assert np.abs(model.engine.state.own[:, rus] - before[:, rus]).max() < 0.01


# ------------------------------------------------------------------ annexation
ANNEX = {"type": "annexation", "annexer": "RUS", "victim": "UKR", "territory": "Crimea",
         "clients": ["CSTO", "ABK", "SOS", "TRN"]}


def test_annexation_raises_every_observers_threat_of_the_annexer():
    model = run({"a": move(ANNEX, proposer="RUS")}, months=START)
    s, rus = model.engine.state, idx(model, "RUS")
    threat, own = control_at(START, "threat"), control_at(START, "own")
    for o in ("NATO", "USA", "WEU", "EFL", "NEU", "EU", "GEO", "MDA", "AZE", "SRB", "UKR"):
        i = idx(model, o)
        assert (s.threat[:, i, rus] > threat[:, i, rus]).all(), o
        # a broken restraint is strong evidence: at least 2 in log-odds, or down to the trust bound
        assert (s.own[:, i, rus] < np.maximum(own[:, i, rus] - 2.0, model.engine.logit_bounds[0] + 0.05)).all(), o
    for c in ("BLR", "KAZ", "ARM", "ABK"):  # clients read nothing
        np.testing.assert_array_equal(s.own[:, idx(model, c), rus], own[:, idx(model, c), rus])
        np.testing.assert_array_equal(s.threat[:, idx(model, c), rus], threat[:, idx(model, c), rus])
    low = model.spec.dynamics.trust_low
    assert (s.trust[:, idx(model, "UKR"), rus] < low + 0.005).all(), "the victim's trust collapses"
    events = model.events()
    annexed = events[events["kind"] == "annexation"]
    assert len(annexed) == R and (annexed["step"] == START).all() and (annexed["detail"] == "Crimea").all()


def test_an_annexation_holds_its_load_while_it_stands():
    model = run({"a": move(ANNEX, proposer="RUS")}, months=8)
    ctrl = run({}, months=8)
    rus = idx(model, "RUS")
    for o in ("NATO", "USA", "UKR", "GEO"):
        i = idx(model, o)
        np.testing.assert_allclose(model.engine.state.irritant[:, i, rus] - ctrl.engine.state.irritant[:, i, rus],
                                   0.1, atol=1e-12)
    assert (model.engine.state.irritant[:, idx(model, "BLR"), rus] == ctrl.engine.state.irritant[:, idx(model, "BLR"), rus]).all()


# ------------------------------------------------------------------ the shared harness on the replay's moves
@pytest.mark.parametrize("mid", ["crimea_annexation", "sectoral_sanctions", "russian_food_embargo", "magnitsky_act"])
def test_the_replays_moves_pass_the_shared_harness(mid, monkeypatch):
    """The history files compose on the bare 2010 stage like any option (``+history=[...]``: the
    group is not in the primary config's defaults), and each of their effects does what its type
    says (tests/test_moves_harness.py)."""
    groups = {**harness._group_of(), mid: "+history"}
    monkeypatch.setattr(harness, "_group_of", lambda: groups)
    run_ = harness.treated(mid)
    spec = run_.model.spec
    assert (run_.model.enacted_month(mid) == harness.START).all()
    for k, effect in enumerate(spec.move(mid).effects):
        harness.CHECKS[effect.type](mid, k, effect, run_)


# ------------------------------------------------------------------ bad configs name their key
@pytest.mark.parametrize("effect, key", [
    (sanctions(-0.1), "moves.s.effects[0].cost"),
    (sanctions(0.1, load=1.5), "moves.s.effects[0].load"),
    (sanctions(0.1, senders=("EU",), targets=("WEU",)), "moves.s.effects[0].targets"),
    (sanctions(0.1, targets=("ATLANTIS",)), "moves.s.effects[0].targets[0]"),
    ({"type": "sanctions", "senders": ["EU"], "cost": 0.1}, "moves.s.effects[0].targets"),
    ({**sanctions(0.1), "severity": 1}, "moves.s.effects[0].severity"),
    ({**ANNEX, "victim": "EU"}, "moves.s.effects[0].victim"),
    ({**ANNEX, "victim": "RUS"}, "moves.s.effects[0].victim"),
    ({**ANNEX, "annexer": ["RUS", "BLR"]}, "moves.s.effects[0].annexer"),
    ({**ANNEX, "territory": ""}, "moves.s.effects[0].territory"),
    ({**ANNEX, "clients": ["UKR"]}, "moves.s.effects[0].clients[0]"),
    ({**ANNEX, "restraint_cost": -1}, "moves.s.effects[0].restraint_cost"),
    ({"type": "conflict", "site": "DONBASS", "crisis_type": "armed_intervention"}, "moves.s.effects[0].site"),
])
def test_a_bad_hostile_act_is_a_config_error_naming_its_key(effect, key):
    with pytest.raises(ConfigError) as err:
        compile_spec({**stage(), "moves": {"s": move(effect)}})
    assert err.value.key == key, str(err.value)
