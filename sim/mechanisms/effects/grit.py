"""Osgood's GRIT: unilateral conciliatory steps continued while the other side reciprocates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from sim.core.params import check, param
from sim.errors import ConfigError
from sim.mechanisms.effects.base import Effect, check_fields, default_name


@dataclass(frozen=True)
class Grit(Effect):
    """Osgood's (1962) GRIT, Graduated Reciprocation in Tension-reduction: the ``initiator``
    announces a programme of ``max_steps`` small unilateral conciliatory steps towards the
    ``target`` (the move's tabling is the announcement) and takes one every ``interval`` months,
    continuing while the target reciprocates. Each step is the initiator's choice by its type, an
    act of ``step_cost`` (times strength) seen by everyone; where it is taken, the target chooses
    by its type whether to reciprocate with an act of the same cost, seen by everyone. Both
    choices, taken or refused, are read as evidence (sim/mechanisms/types.py), so a reciprocated
    programme builds trust both ways and an unreciprocated one tells the initiator about the
    target. After ``patience`` consecutive unreciprocated steps the initiator stops; after the
    last announced step the programme is complete. Either way the move ends ('grit_ended')."""

    type: ClassVar[str] = "grit"
    fields: ClassVar[tuple[str, ...]] = ("name", "initiator", "target", "step_cost", "interval", "patience", "max_steps")
    standing: ClassVar[bool] = True
    count_as: ClassVar[str | None] = "grit_programmes"
    n_draws: ClassVar[int] = 2  # the initiator's step, the target's reciprocation
    name: str = ""
    initiator: int = -1
    target: int = -1
    step_cost: float = param(0.2, low=0.0, high=5.0, doc="cost of each unilateral step and of each reciprocation (times strength)",
                             source="Osgood (1962): steps small enough not to endanger the initiator if unreciprocated, "
                             "yet costly enough to be read as genuine (Kydd 2005); judgement; each option sets its own "
                             "value with its reason (configs/option/grit.yaml)")
    interval: int = param(2, low=1, high=1200, doc="months between steps (the first one interval after the announcement)",
                          source="Osgood (1962): steps announced in advance and carried out on schedule; judgement "
                          "(configs/option/grit.yaml)")
    patience: int = param(3, low=1, high=1200, doc="consecutive unreciprocated steps after which the initiator stops",
                          source="Osgood (1962): steps continued over a period even without reciprocation; judgement "
                          "(configs/option/grit.yaml)")
    max_steps: int = param(12, low=1, high=1200, doc="steps announced: the programme is complete after the last one",
                           source="judgement (configs/option/grit.yaml)")

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Grit:
        check_fields(cfg, key, cls.fields)
        ends = {}
        for end in ("initiator", "target"):
            value = cfg.get(end)
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{key}.{end}", f"{value!r} is not one actor id", roster.ids)
            ends[end] = roster.index(value, f"{key}.{end}")
        a, b = cfg["initiator"], cfg["target"]
        side = set(roster.expand([a], f"{key}.initiator"))
        if side & set(roster.expand([b], f"{key}.target")):
            others = [x for x in roster.ids if not side & set(roster.expand([x], f"{key}.target"))]
            raise ConfigError(f"{key}.target", f"{b} is the initiator {a} or overlaps it (a member or a bloc of it): "
                              "GRIT is between two sides", others)
        return cls(name=str(cfg.get("name") or default_name(key)), **ends, **check(cls, cfg, f"{key}."))

    def new_state(self, R: int) -> dict[str, np.ndarray]:
        """Steps taken or skipped so far, and the unreciprocated steps since the last reciprocation."""
        return {"steps": np.zeros(R, dtype=np.int64), "unreciprocated": np.zeros(R, dtype=np.int64)}

    def monthly(self, world, strength, draws, move) -> None:
        """Every ``interval`` months in force: the initiator's step by type; where taken, the
        target's reciprocation by type; the programme stops after ``patience`` unreciprocated
        steps in a row or after ``max_steps`` steps."""
        t = world.step_count
        since = t - world.book.enacted_at[:, move.index]
        rows = np.flatnonzero((strength > 0) & (since > 0) & (since % self.interval == 0))
        if rows.size == 0:
            return
        # this run's record of the programme (the effect itself is frozen config, shared by runs)
        standing = next(s for s in world.structures.standing if s.effect is self)
        steps, unrec = standing.state["steps"], standing.state["unreciprocated"]
        ids = world.spec.ids
        a, b = ids[self.initiator], ids[self.target]
        cost = self.step_cost * strength[rows]
        steps[rows] += 1
        stepped = world.act(rows, (self.initiator,), None, cost, draws[rows, 0:1])
        world.log.add("grit_step", t, rows, move=move.id, actor=a, counterpart=b, value=cost * stepped,
                      reason=np.where(stepped, f"{a} takes a unilateral conciliatory step towards {b} ({self.name})",
                                      f"{a} skips an announced step towards {b} ({self.name})"))
        sel = rows[stepped]
        if sel.size:
            back = world.act(sel, (self.target,), None, cost[stepped], draws[sel, 1:2])
            world.log.add("grit_reciprocation", t, sel, move=move.id, actor=b, counterpart=a, value=cost[stepped] * back,
                          reason=np.where(back, f"{b} reciprocates {a}'s step ({self.name})",
                                          f"{b} does not reciprocate {a}'s step ({self.name})"))
            unrec[sel[back]] = 0
            unrec[sel[~back]] += 1
        stopped = rows[unrec[rows] >= self.patience]
        done = rows[(steps[rows] >= self.max_steps) & (unrec[rows] < self.patience)]
        for ending, reason in ((stopped, f"{a} stops: {self.patience} steps in a row unreciprocated by {b}"),
                               (done, f"programme complete: all {self.max_steps} announced steps are due")):
            if ending.size:
                world.end_move(ending, move)
                world.log.add("grit_ended", t, ending, move=move.id, actor=a, counterpart=b, value=steps[ending],
                              reason=reason)
