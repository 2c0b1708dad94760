"""GRIT (Osgood 1962) as a strategy: an initiator's small unilateral conciliatory steps, continued
while the target reciprocates (sim/mechanisms/effects/grit.py: Grit; configs/option/grit.yaml).

Seeded runs with crises off; types are fixed through scenario.type_prior and
dynamics.type_noise = 0, and each arm is compared with a control without the move, same seeds."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim.config import load_config
from sim.errors import ConfigError
from sim.model import EurosecModel

R = 20
SEED = 1963
START = 2
HORIZON = 60
MID = "grit"


def config(target_seeker: float, **grit) -> dict:
    cfg = load_config(["scenario=baseline_2010", f"option=[{MID}]"])
    # GRIT's own effect: on the stage without the formats in force, whose monthly contacts sort
    # Russia's type on their own and bring trust in an expansionist to its bound within the horizon
    cfg["moves"] = {k: m for k, m in cfg["moves"].items() if not m.get("in_force")}
    cfg["crises"]["enabled"] = False
    cfg["scenario"]["horizon"] = HORIZON
    cfg["output"]["dyad_period"] = 0
    cfg["dynamics"]["type_noise"] = 0.0
    cfg["scenario"]["type_prior"] = {"NATO": 1.0, "RUS": target_seeker}
    move = cfg["moves"][MID]
    move["start"] = START
    move["effects"][0].update(grit)
    return cfg


def control(cfg: dict) -> dict:
    """The same stage without the programme (the formats in force at the start stay)."""
    cfg = copy.deepcopy(cfg)
    cfg["moves"] = {k: m for k, m in cfg["moves"].items() if m.get("in_force")}
    return cfg


def run(cfg: dict, events: bool = True) -> EurosecModel:
    return EurosecModel(rng=SEED, replicates=R, config=cfg, record_events=events).run()


def of(model, kind):
    ev = model.events()
    return ev[(ev["kind"] == kind) & (ev["move"].astype(str) == MID)]


def trust(model, observer: str, target: str) -> np.ndarray:
    ids = model.spec.ids
    return model.engine.state.trust[:, ids.index(observer), ids.index(target)]


def test_reciprocated_grit_runs_its_course_and_builds_trust_both_ways():
    """A security-seeking Russia reciprocates small steps: the programme runs to max_steps in
    every replicate, and NATO and Russia trust each other more than without it."""
    steps, interval = 8, 3
    cfg = config(1.0, step_cost=0.1, interval=interval, patience=2, max_steps=steps)
    arm, ctrl = run(cfg), run(control(cfg))
    taken = of(arm, "grit_step")
    assert len(taken) == R * steps
    expected = [START + interval * j for j in range(1, steps + 1)]
    for r in range(R):
        assert taken.loc[taken["replicate"] == r, "step"].tolist() == expected
    back = of(arm, "grit_reciprocation")
    assert (back["value"] > 0).mean() > 0.95  # p_S(0.1) ~ 1: nearly every step is answered
    ended = of(arm, "grit_ended")
    assert len(ended) == R and (ended["step"] == expected[-1]).all()
    assert ended["reason"].str.startswith("programme complete").all()
    assert (arm.summary().query("step == @expected[-1] + 1")["grit_programmes"] == 0).all()
    assert (arm.summary().query("step == @START + 1")["grit_programmes"] == 1).all()
    for observer, target in (("RUS", "NATO"), ("NATO", "RUS")):
        assert (trust(arm, observer, target) > trust(ctrl, observer, target)).all(), (observer, target)


def test_unreciprocated_grit_stops_after_patience_and_costs_the_initiators_trust():
    """An expansionist Russia rarely answers costly steps (p_E(0.6) ~ 0.02): NATO stops after
    `patience` unreciprocated steps in a row and trusts Russia less than without the programme."""
    patience, interval = 3, 2
    cfg = config(0.0, step_cost=0.6, interval=interval, patience=patience, max_steps=20)
    arm, ctrl = run(cfg), run(control(cfg))
    ended = of(arm, "grit_ended")
    assert len(ended) == R and ended["replicate"].nunique() == R
    assert ended["reason"].str.contains(f"{patience} steps in a row unreciprocated").all()
    steps, back = of(arm, "grit_step"), of(arm, "grit_reciprocation")
    for row in ended.itertuples():
        mine = back[back["replicate"] == row.replicate]
        assert mine["step"].max() == row.step  # the stop follows the last step, in its month
        assert (mine["value"].to_numpy()[-patience:] == 0).all()  # the last `patience` unanswered
        assert steps.loc[steps["replicate"] == row.replicate, "step"].max() == row.step  # no step after
    assert (ended["step"] < START + interval * 20).all()
    assert (trust(arm, "NATO", "RUS") < trust(ctrl, "NATO", "RUS")).all()


def test_grit_draws_from_its_own_stream_only():
    """Adding the programme leaves every draw of the rest of the run unchanged (common random
    numbers): with a step nobody can see (interval beyond the horizon) the run equals the control."""
    cfg = config(1.0, interval=1200)
    cfg["moves"][MID]["cost"] = 0.0
    a, b = run(cfg, events=False), run(control(cfg), events=False)
    ids = a.spec.ids
    # the announcement (cost 0, cheap talk) is the only difference: read at log LR ~0
    diff = np.abs(a.engine.state.own - b.engine.state.own)
    assert diff.max() < 0.01
    assert diff[:, :, ids.index("NATO")].max() > 0  # it is read, just not worth anything


BAD = [
    ({"initiator": "XXX"}, "moves.grit.effects[0].initiator", "NATO"),
    ({"target": "XXX"}, "moves.grit.effects[0].target", "RUS"),
    ({"target": ["RUS", "BLR"]}, "moves.grit.effects[0].target", "RUS"),
    ({"target": "NATO"}, "moves.grit.effects[0].target", "RUS"),
    ({"target": "USA"}, "moves.grit.effects[0].target", "RUS"),  # a NATO member: not two sides
    ({"interval": 0}, "moves.grit.effects[0].interval", "an integer in [1, 1200]"),
    ({"patience": 1.5}, "moves.grit.effects[0].patience", "an integer in [1, 1200]"),
    ({"max_steps": "many"}, "moves.grit.effects[0].max_steps", "an integer in [1, 1200]"),
    ({"step_cost": -0.1}, "moves.grit.effects[0].step_cost", "a number in [0.0, 5.0]"),
    ({"steps": 3}, "moves.grit.effects[0].steps", "max_steps"),
]


@pytest.mark.parametrize("change, key, allowed", BAD, ids=[b[1].rsplit(".", 1)[1] + "-" + str(list(b[0].values())[0]) for b in BAD])
def test_bad_grit_config_names_the_key_and_what_is_allowed(change, key, allowed):
    cfg = config(1.0)
    cfg["moves"][MID]["effects"][0].update(change)
    with pytest.raises(ConfigError) as info:
        EurosecModel(rng=1, config=cfg)
    err = info.value
    assert err.key == key
    assert allowed in err.allowed
    assert "\n" not in str(err) and str(err).startswith(f"Invalid configuration at '{key}'")
