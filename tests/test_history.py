"""The dated replay 2008-2015 (scenarios/history_2008_2015.yaml, configs/history/): it is
discovered and composes; every event is a move of the scenario's history, dated inside
2008-2015, with a public source, and listed with its date in docs/history.md; the wars in Donbas
strike at their site; a run follows the record; the forums are suspended, resumed and upgraded
by decision (configs/history/forums.yaml)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from scenarios.library import SCENARIO_DIR, names
from sim.config import CONFIG_DIR, config_groups, load_config
from sim.config.spec import compile_spec
from sim.errors import ConfigError
from sim.model import EurosecModel

SCENARIO = "history_2008_2015"
DOC = Path(__file__).resolve().parent.parent / "docs" / "history.md"
URL = re.compile(r"^https?://\S+$")

# The events the issue asks for, with the month of the record each falls in.
REQUIRED = {
    "kosovo_recognition": "2008-02", "enlargement": "2008-04", "missile_defence": "2008-07", "august_war": "2008-08",
    "recognition_abkhazia_south_ossetia": "2008-08", "eumm_georgia": "2008-10", "gas_crisis_2009": "2009-01",
    "reset": "2009-03", "epaa_shift": "2009-09", "new_start_signed": "2010-04", "lisbon_summit": "2010-11",
    "astana_summit": "2010-12", "new_start_in_force": "2011-02", "libya_intervention": "2011-03",
    "duma_elections_criticism": "2011-12", "magnitsky_act": "2012-12", "dima_yakovlev_law": "2012-12",
    "snowden_asylum": "2013-08", "vilnius_summit": "2013-11", "crimea_annexation": "2014-03",
    "nato_suspends_cooperation": "2014-04", "donbas_war": "2014-04", "mh17": "2014-07", "sectoral_sanctions": "2014-07",
    "russian_food_embargo": "2014-08", "minsk_protocol": "2014-09", "minsk_ii": "2015-02",
}


@lru_cache(maxsize=1)
def config() -> dict:
    return load_config([f"scenario={SCENARIO}"])


@lru_cache(maxsize=1)
def spec():
    return compile_spec(config())


def small(replicates: int = 4) -> dict:
    cfg = load_config([f"scenario={SCENARIO}"])
    cfg["replicates"] = replicates
    cfg["output"]["dyad_period"] = 0
    return cfg


# ------------------------------------------------------------------ the scenario and its calendar
def test_the_scenario_is_discovered():
    assert SCENARIO in names() and SCENARIO in config_groups()["scenario"]
    assert (SCENARIO_DIR / f"{SCENARIO}.yaml").is_file()


def test_the_replay_runs_from_january_2008_to_december_2015():
    s = spec()
    assert s.start == (2008, 1) and s.horizon == 96
    assert s.date(1) == "2008-01" and s.date(s.horizon) == "2015-12"


def events(s):
    """The replay's events: its moves but the formats in force at the start (the stage's)."""
    return [m for m in s.moves if not m.in_force]


def test_the_formats_in_force_at_the_start_cite_a_public_source():
    s, cfg = spec(), config()
    standing = [m for m in s.moves if m.in_force]
    assert {"nrc_2002", "contact_group_balkans_1994"} <= {m.id for m in standing}
    for m in standing:
        text = str(cfg["moves"][m.id].get("source", "")) + " " + str(cfg["moves"][m.id].get("reference", ""))
        assert "http" in text or "S/2007" in text, f"{m.id} cites no public source"


def test_every_event_move_is_history_dated_inside_2008_2015_and_sourced():
    s, cfg = spec(), config()
    assert len(events(s)) >= len(REQUIRED)
    for m in events(s):
        assert m.history, f"{m.id} is not marked history: true"
        assert m.unilateral, f"{m.id} asks for consent: on the record it happened, so it must not be voted down"
        assert "2008-01" <= s.date(m.start) <= "2015-12", m.id
        assert URL.match(str(cfg["moves"][m.id].get("source", ""))), f"{m.id} has no public source (source: URL)"


def test_the_events_of_the_issue_are_in_the_replay_at_their_dates():
    s = spec()
    dates = {m.id: s.date(m.start) for m in s.moves}
    missing = set(REQUIRED) - set(dates)
    assert not missing, missing
    assert {k: dates[k] for k in REQUIRED} == REQUIRED


def test_docs_history_lists_every_move_with_its_date_and_source():
    """docs/history.md's event table holds one row per move: its date, its id and its source."""
    s, cfg = spec(), config()
    rows = [line for line in DOC.read_text().splitlines() if line.startswith("| 20")]
    for m in events(s):
        mine = [r for r in rows if f"`{m.id}`" in r]
        assert mine, f"docs/history.md has no row for {m.id}"
        cells = [c.strip() for c in mine[0].strip("|").split("|")]
        assert cells[0] == s.date(m.start), (m.id, cells[0])
        assert cfg["moves"][m.id]["source"] in mine[0], f"the row of {m.id} does not give its source"


# ------------------------------------------------------------------ the Donbas site
def test_the_donbas_site_exists_and_the_wars_there_are_scheduled():
    s = spec()
    ids = s.ids
    don = [sl for sl in s.slots if sl.site == "DON"]
    assert len(don) == 1 and don[0].type == "armed_intervention"
    assert [ids[i] for i in don[0].side_a] == ["UKR"] and [ids[i] for i in don[0].side_b] == ["RUS"]
    assert don[0].base_rate == 0.0, "a war in Donbas is never random"
    wars = sorted(s.date(m.start) for m in s.moves for e in m.effects if e.type == "conflict" and e.site == "DON")
    assert wars == ["2014-04", "2014-08", "2015-01"]
    annexed = [m for m in s.moves for e in m.effects if e.type == "annexation"]
    assert [s.date(m.start) for m in annexed] == ["2014-03"]


# ------------------------------------------------------------------ a run follows the record
@lru_cache(maxsize=1)
def replay() -> EurosecModel:
    return EurosecModel(rng=2008, config=small(4), record_events=True).run()


def test_the_replay_follows_the_record():
    model = replay()
    s = model.spec
    for m in s.moves:
        expected = 0 if m.in_force else m.start  # a format in force at the start stands from month 0
        assert (model.enacted_month(m.id) == expected).all(), f"{m.id} did not happen in {s.date(expected)} everywhere"
    events = model.events()
    wars = events[(events["kind"] == "escalation") & events["actor"].astype(str).str.startswith("DON")]
    assert sorted(wars.groupby("replicate")["step"].apply(tuple).unique()) == [(76, 80, 85)]
    annexed = events[events["kind"] == "annexation"]
    assert len(annexed) == 4 and (annexed["step"] == 75).all() and (annexed["detail"] == "Crimea and Sevastopol").all()
    summary = model.summary()
    assert summary["step"].max() == 96 and summary["date"].iloc[-1] == "2015-12"
    assert {"trust_EFL_RUS", "trust_WEU_RUS", "trust_RUS_EU"} <= set(summary.columns)


def test_after_crimea_the_west_trusts_russia_less_and_fears_it_more():
    summary = replay().summary()
    before, after = summary[summary["step"] == 74], summary[summary["step"] == 76]
    for observer in ("NATO", "USA", "EU", "EFL", "WEU"):
        assert (after[f"trust_{observer}_RUS"].to_numpy() < before[f"trust_{observer}_RUS"].to_numpy()).all(), observer
    assert (after["threat_NATO_RUS"].to_numpy() > before["threat_NATO_RUS"].to_numpy()).all()
    ukr = summary.pivot(index="step", columns="replicate", values="trust_UKR_RUS")
    assert (ukr.loc[75] < 0.02).all(), "Ukraine's trust in Russia collapses with the annexation"


def test_the_command_line_runs_the_replay(cli, tmp_path):
    out = tmp_path / "run"
    proc = cli(f"hydra.run.dir={out}", f"scenario={SCENARIO}", "replicates=20", "output.dyad_period=0")
    assert proc.returncode == 0, proc.stderr
    summary = pd.read_parquet(out / "summary.parquet")
    assert summary["replicate"].nunique() == 20 and summary["step"].max() == 96
    assert np.isfinite(summary["trust_RUS_NATO"]).all()


def test_the_narrative_tells_the_record():
    """narrative.txt tells every dated event of the replay, once: the scheduled acts (the reset,
    New START, sanctions, Minsk) and the annexation of Crimea, not only negotiations and crises."""
    from sim.output.narrative import narrative

    model = replay()
    lines = narrative(model.spec, model.events(), replicate=0)
    for move_id, month in REQUIRED.items():
        title = model.spec.move(move_id).title
        told = [line for line in lines if line.startswith(month) and f"'{title}'" in line]
        if move_id == "crimea_annexation":
            told = [line for line in lines if line.startswith(month) and "annexes Crimea" in line]
        assert len(told) == 1, (move_id, told)


# ------------------------------------------------------------------ forums by decision
def test_the_forums_are_suspended_resumed_and_upgraded_by_decision():
    """configs/history/forums.yaml: the NRC (in force from the start of prewar_2008) suspended in
    August 2008, resumed in 2009, upgraded at Lisbon and suspended in April 2014; the BPC suspended
    in March 2014. The replay selects it, and the NRC's level follows the decisions."""
    raw = yaml.safe_load((CONFIG_DIR / "history" / "forums.yaml").read_text())["moves"]
    months = {mid: m["start"] for mid, m in raw.items()}
    assert months == {"nrc_suspension_2008": 8, "nrc_resumption_2009": 15, "nrc_corfu_2009": 18,
                      "nrc_lisbon_upgrade": 35, "bpc_suspension_2014": 75, "nrc_suspension_2014": 76}
    for mid, m in raw.items():
        assert m["history"] is True and URL.match(m["source"]), mid
        for e in m["effects"]:
            assert e["type"] in ("level", "channel"), mid
            if e["type"] == "level":
                assert e["structure"] in ("nrc", "us_russia_bpc") and 0.0 <= e["level"] <= 1.0
    defaults = yaml.safe_load((SCENARIO_DIR / f"{SCENARIO}.yaml").read_text())["defaults"]
    assert "/history/forums" in defaults
    model = EurosecModel(scenario=SCENARIO, replicates=4, seed=3)
    nrc = [s for s in model.engine.structures.named("nrc")]
    assert nrc
    strength = {}
    while model.running:
        model.step()
        strength[model.steps] = max(float(np.max(s.strength)) for s in model.engine.structures.named("nrc"))
    assert strength[7] > 0 and strength[9] == 0.0       # suspended in August 2008
    assert strength[20] > 0 and strength[80] == 0.0     # resumed in 2009, suspended in April 2014


# ------------------------------------------------------------------ bad configs name their key
@pytest.mark.parametrize("override, key", [
    ("moves.donbas_war.effects=[{type:conflict,site:DONBASS,crisis_type:armed_intervention}]", "moves.donbas_war.effects[0].site"),
    ("moves.sectoral_sanctions.effects=[{type:sanctions,senders:[EU],targets:[RUS],cost:-0.35}]",
     "moves.sectoral_sanctions.effects[0].cost"),
    ("moves.crimea_annexation.effects=[{type:annexation,annexer:RUS,victim:CRIMEA,territory:Crimea}]",
     "moves.crimea_annexation.effects[0].victim"),
    ("moves.debaltseve.start=120", "moves.debaltseve.start"),
])
def test_a_bad_replay_config_is_a_config_error_naming_the_key(override, key):
    with pytest.raises(ConfigError) as err:
        compile_spec(load_config([f"scenario={SCENARIO}", override]))
    assert err.value.key == key, str(err.value)


def _gesture_run(history: bool):
    """baseline_2010 without options, plus one costly conciliatory signal by Russia to NATO in
    month 1, on the record (``history: true``) or Russia's choice by type."""
    cfg = load_config(["scenario=baseline_2010", "option=[]"])
    cfg["replicates"] = 64
    cfg["output"]["dyad_period"] = 0
    cfg["moves"]["gesture"] = {"title": "A Russian gesture", "proposer": "RUS", "consent": [], "start": 1, "cost": 0.0,
                               "history": history,
                               "effects": [{"type": "signal", "senders": ["RUS"], "observers": ["NATO"], "cost": 0.6}]}
    model = EurosecModel(rng=3, config=cfg, record_events=False)
    model.step()
    s = model.spec
    return model.engine.state.trust[:, s.roster.index("NATO"), s.roster.index("RUS")].copy()


def test_a_conciliatory_act_on_the_record_is_read_as_taken_in_every_replicate():
    """History is data: a conciliatory act of a history move is seen taken whatever the sender's
    type (as the record's hostile acts are), so NATO's trust in Russia rises against the same
    seeds without the act on the record; chosen by type, expansionist Russias withhold it and
    NATO's trust falls in those replicates."""
    cfg = load_config(["scenario=baseline_2010", "option=[]"])
    cfg["replicates"] = 64
    cfg["output"]["dyad_period"] = 0
    model = EurosecModel(rng=3, config=cfg, record_events=False)
    model.step()
    s = model.spec
    without = model.engine.state.trust[:, s.roster.index("NATO"), s.roster.index("RUS")]
    on_record, by_type = _gesture_run(True) - without, _gesture_run(False) - without
    assert (on_record > 0).all()
    assert (by_type < 0).any() and (by_type > 0).any()
