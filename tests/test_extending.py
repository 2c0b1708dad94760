"""Extending the model as docs/contributing.md says: a new effect type is one class registered in
one place; Mesa's shared generators cannot silently break common random numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import mesa
import numpy as np
import pytest

from sim.config import load_config
from sim.core.engine import MONTH
from sim.core.params import check, param
from sim.errors import ConfigError
from sim.mechanisms import effects
from sim.mechanisms.effects import Effect
from sim.model import EurosecModel


@dataclass(frozen=True)
class Observers(Effect):
    """An unarmed observer mission (the example of docs/contributing.md): while in force, crises
    at its sites strike less often, by ``cut`` times the move's strength."""

    type: ClassVar[str] = "observers"
    fields: ClassVar[tuple[str, ...]] = ("sites", "cut")
    standing: ClassVar[bool] = True
    count_as: ClassVar[str | None] = "observer_missions"  # its summary column
    sites: tuple[int, ...] = ()
    cut: float = param(0.5, low=0.0, high=1.0, doc="share of the hazard at its sites removed at full strength",
                       source="illustration")

    @classmethod
    def from_config(cls, cfg, key, roster, crisis_types) -> Observers:
        sites = cfg.get("sites") or []
        if not sites:
            raise ConfigError(f"{key}.sites", "missing or empty", roster.ids)
        return cls(sites=tuple(roster.expand(sites, f"{key}.sites")), **check(cls, cfg, f"{key}."))

    def prepare(self, spec) -> np.ndarray:
        return np.array([bool(set(s.involved) & set(self.sites)) for s in spec.slots])

    def hazard_cut(self, standing) -> np.ndarray:
        return self.cut * standing.strength[:, None] * standing.data[None, :]


def _with_observers(cut: float, sites: list[str]) -> dict:
    cfg = load_config(["scenario=baseline_2010"])
    cfg["output"]["dyad_period"] = 0
    cfg["scenario"]["type_prior"] = {"OSCE": 1.0}  # a security seeker, no trembling hand: it tables the free mission at once
    cfg["dynamics"]["type_noise"] = 0.0
    cfg["moves"] = {"observers": {"title": "Observer missions", "proposer": "OSCE", "consent": [], "start": 1,
                                  "cost": 0.0, "phase_in": 1, "effects": [{"type": "observers", "sites": sites, "cut": cut}]}}
    return cfg


def test_a_new_effect_type_is_one_class_registered_in_one_place(monkeypatch):
    monkeypatch.setitem(effects.EFFECT_TYPES, "observers", Observers)
    everywhere = load_config(["scenario=baseline_2010"])["roster"]
    calm = EurosecModel(rng=2, replicates=50, config=_with_observers(1.0, list(everywhere)), record_events=False).run()
    none = EurosecModel(rng=2, replicates=50, config=_with_observers(0.0, list(everywhere)), record_events=False).run()
    # months 2..: the mission is in force from month 1 on (phase-in 1), so no crisis strikes at all
    assert calm.summary().query("step >= 2")["crises"].sum() == 0
    assert none.summary()["crises"].sum() > 0
    # the structure registry tracks it without knowing its type, and the summary counts it
    assert calm.engine.structures.standing[0].effect.type == "observers"
    summary = calm.summary()
    assert (summary.query("step >= 1")["observer_missions"] == 1).all()
    assert (summary.query("step == 0")["observer_missions"] == 0).all()


def test_a_new_effect_types_parameters_are_checked_from_its_declaration(monkeypatch):
    monkeypatch.setitem(effects.EFFECT_TYPES, "observers", Observers)
    with pytest.raises(ConfigError, match=r"moves\.observers\.effects\[0\]\.cut"):
        EurosecModel(rng=1, config=_with_observers(1.5, ["SOS"]))


def test_an_unregistered_effect_type_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown effect type 'observers'"):
        EurosecModel(rng=1, config=_with_observers(1.0, ["SOS"]))


def test_the_month_reads_as_a_list_of_phases():
    assert [name for name, _ in MONTH] == ["negotiation", "structures", "crises", "beliefs", "human_security"]


def test_mesa_shared_generators_fail_loudly_and_batch_run_still_works():
    model = EurosecModel(rng=1, options="nrc")
    for use in (lambda: model.random.random(), lambda: model.rng.integers(3), lambda: model.agents.shuffle()):
        with pytest.raises(RuntimeError, match="common random numbers"):
            use()
    rows = mesa.batch_run(EurosecModel, parameters={"options": "nrc"}, rng=[1, 2], max_steps=3,
                          number_processes=1, display_progress=False)
    alone = EurosecModel(rng=2, options="nrc").run(3)
    assert rows[-1]["mean_trust"] == pytest.approx(float(alone.summary()["mean_trust"].iloc[-1]), abs=0)
