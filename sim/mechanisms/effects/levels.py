"""Decisions on the level of a standing structure: suspension, downgrade and resumption."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from sim.core.params import check, param
from sim.core.state import MoveStatus
from sim.errors import ConfigError
from sim.mechanisms.effects.base import Effect, check_fields


@dataclass(frozen=True)
class Level(Effect):
    """Sets the level of the named channel or mission, once, in the replicates where the move
    enters into force: NATO suspending the NATO-Russia Council (August 2008: level 0) or its
    practical cooperation (April 2014), and a resumption (2009). It acts on every definition of
    that name in force there (one structure, however often upgraded); where none is in force it
    does nothing.

    Read as evidence (docs/model.md §7.4): where it *lowers* the level in force, from l to v, the
    structure's other actors (its covered actors outside the proposer's group) read a hostile act
    of the proposer of severity ``cost`` * (l - v), applied as given like an irritant's (a
    suspension is a punishment, not a type's choice). A move whose only effects lower a forum
    below the level at which it is declared is history: tabled as scheduled, its votes without
    type factor (``hostile``, negotiation.is_conciliatory). A resumption (at or above the declared
    level) is a conciliatory move like any other: the proposer tables it by its type and the
    others' votes are read; the decision itself adds no signal (the resumed forum's contacts
    will carry the evidence)."""

    type: ClassVar[str] = "level"
    fields: ClassVar[tuple[str, ...]] = ("structure", "level", "cost")
    structure: str = ""
    level: float = param(0.0, low=0.0, high=1.0, doc="the structure's new level (0: suspended; 1: full level)",
                         source="per decision: 0 for NATO's suspension of the NRC (19 August 2008); the level of a "
                         "resumption with its source (scenarios, configs/option)")
    cost: float = param(0.2, low=0.0, high=5.0, doc="severity of the hostile act a suspension from full level to 0 "
                        "is for the structure's other actors; a fall from l to v is read at cost * (l - v)",
                        source="judgement: as an irritant of the paper's (Kosovo's recognition 0.2, configs/irritant); "
                        "the NRC's suspension was NATO's public 'no business as usual' (19 August 2008)")
    declared: float | None = None  # the highest level at which the structure is declared in the run (resolve)

    @property
    def hostile(self) -> bool:
        """A decision below the structure's declared level is a suspension or a downgrade."""
        return self.level < (1.0 if self.declared is None else self.declared)

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Level:
        check_fields(cfg, key, cls.fields)
        name = cfg.get("structure")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{key}.structure", f"{name!r} is not a structure name",
                              "the name of a channel or mission of a move in the run, e.g. nrc")
        return cls(structure=name, **check(cls, cfg, f"{key}."))

    def resolve(self, structures, key: str) -> Level:
        if self.structure not in structures:
            raise ConfigError(f"{key}.structure", f"no channel or mission named {self.structure!r} in this run",
                              sorted(structures) or "none: select a move that defines one")
        return replace(self, declared=max(e.level for e in structures[self.structure]))

    def on_enact(self, world, rows, move, draws) -> None:
        book, structures = world.book, world.structures
        defs = structures.named(self.structure)
        active = structures.active(self.structure, rows, book)  # (k,) index into defs, -1 where none in force
        before = np.zeros(rows.size)
        for j, s in enumerate(defs):
            on = book.status[rows, s.move.index] == MoveStatus.IN_FORCE
            before = np.where(on, np.maximum(before, s.level[rows]), before)
            s.level[rows[on]] = self.level
        present = active >= 0
        drop = np.where(present, before - self.level, 0.0)
        ids, spec = world.spec.ids, world.spec
        proposer = move.proposer
        own = set(spec.roster.expand([ids[proposer]], f"{move.id}.proposer"))
        for j, s in enumerate(defs):
            sel = (active == j) & (drop > 0)
            observers = tuple(i for i in s.effect.members_covered(spec) if i not in own)
            if sel.any() and observers and self.cost > 0:
                world.emit_signal(rows[sel], (proposer,), observers, self.cost * drop[sel], hostile=True)
        here = rows[present]
        if here.size:
            b = before[present]
            verb = np.where(self.level < b, np.where(self.level == 0, "suspends", "lowers"),
                            np.where(self.level > b, "raises", "keeps"))
            world.log.add("level", world.step_count, here, move=move.id, actor=ids[proposer], counterpart=self.structure,
                          value=self.level, reason=np.array([f"{ids[proposer]} {v} {self.structure} (level {x:.2g} -> "
                                                             f"{self.level:.2g})" for v, x in zip(verb, b)], dtype=object))
