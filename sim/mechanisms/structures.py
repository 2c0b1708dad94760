"""The registry of standing structures that agreed moves leave (channels, clauses, commitments,
missions, human-security arrangements): their strength each month and the combination of what
they do when crises strike.

The registry knows no effect type: every effect whose class is ``standing`` gets a
:class:`~sim.mechanisms.effects.Standing` record, and each question the crisis mechanism asks
(how much hazard is cut, how much damage gets through, ...) is the effects' own hook combined
in one stated way (the strongest structure counts; gains add up). Strength is the move's
phase-in ramp while it is in force times the structure's level, as the effect adjusts it (a
suspended channel is at 0).

Levelled structures (channels, missions) are one structure per name: where several moves define
the same name (a format in force at the start, an option that upgrades it), the definition in
force that entered into force last acts, with its members, topics and numbers, at the largest
ramp x level of the definitions in force; the others are at 0 there (so an upgrade never adds a
second forum, and is counted once). A ``level`` decision sets the level of the definitions in
force (docs/model.md §7.4).
"""

from __future__ import annotations

import numpy as np

from sim.core.state import MoveStatus
from sim.mechanisms.effects import EFFECT_TYPES, Effect, Standing
from sim.numerics.streams import MOVE_MONTHLY, UniformStream


def _overrides(effect: Effect, hook: str) -> bool:
    return getattr(type(effect), hook) is not getattr(Effect, hook)


class DamageShares:
    """The share of each crisis hit's damage that gets through each pair, as the structures give
    it: per sparse structure its pairs and one share per hit (1 elsewhere), and an optional dense
    (h, n, n) part; the share through a pair is the smallest of them (min is exact, in any order)."""

    def __init__(self, h: int, n: int, dense: np.ndarray | None, pairs: list[np.ndarray], values: list[np.ndarray]):
        self.h, self.n = h, n
        self.has_dense = dense is not None
        self.dense_flat = dense.reshape(h, n * n) if dense is not None else np.ones((1, n * n))
        self.starts = np.cumsum([0] + [p.size for p in pairs]).astype(np.int64)
        self.pairs = np.concatenate(pairs) if pairs else np.zeros(0, dtype=np.int64)
        self.values = np.ascontiguousarray(np.stack(values, axis=1)) if values else np.ones((h, 0))

    def dense(self) -> np.ndarray:
        """(h, n, n): every hit's share through every pair."""
        out = self.dense_flat.copy() if self.has_dense else np.ones((self.h, self.n * self.n))
        for k in range(self.values.shape[1]):
            pairs, value = self.pairs[self.starts[k]:self.starts[k + 1]], self.values[:, k]
            at = np.flatnonzero(value < 1.0)  # the hits it damps (a share >= 1 leaves min(x, share) = x: x <= 1)
            if at.size:
                block = np.ix_(at, pairs)
                out[block] = np.minimum(out[block], value[at, None])
        return out.reshape(self.h, self.n, self.n)

    def smallest(self) -> np.ndarray:
        """(h,) each hit's smallest share over all pairs (the crisis event's figure)."""
        return self.dense().min(axis=(1, 2)) if self.h else np.ones(0)


class Structures:
    def __init__(self, spec, seeds: np.ndarray):
        self.spec = spec
        R = len(seeds)
        self.R = R
        # one uniform stream per move, whether its effects draw or not (docs/model.md, "Random streams")
        self.streams = [UniformStream(seeds, MOVE_MONTHLY, m.id, m.n_monthly_draws, threads=spec.threads) for m in spec.moves]
        self.standing: list[Standing] = [
            Standing(key=(m.index, k), move=m, effect=e, data=e.prepare(spec), state=e.new_state(R), strength=np.zeros(R),
                     level=np.full(R, float(e.level) if e.levelled else 1.0))
            for m in spec.moves for k, e in enumerate(m.effects) if e.standing]
        self._by_key = {s.key: s for s in self.standing}
        self._named: dict[str, list[Standing]] = {}  # levelled structures by name, in move order
        for s in self.standing:
            if s.effect.levelled and getattr(s.effect, "name", ""):
                self._named.setdefault(s.effect.name, []).append(s)
        self._shared = {name: defs for name, defs in self._named.items() if len(defs) > 1}
        # the structures whose type implements each hook, built once (they are asked per crisis)
        hooks = ("hazard_cut", "damage_through", "escalation_cover", "absorbed", "respond", "after_escalation",
                 "human_security_gain")
        self._with = {h: [s for s in self.standing if _overrides(s.effect, h)] for h in hooks}
        self._with["respond"].sort(key=lambda s: s.effect.response_order)  # stable: then in move order
        self._concerned: dict[tuple, list[Standing]] = {}  # after_escalation's structures by involved actors
        # effects with a monthly action (the others, such as missions and one-off signals, neither act
        # nor read beliefs each month, so the acts queued before them need not be read first)
        self._acts_monthly = {(m.index, k): _overrides(e, "monthly") for m in spec.moves for k, e in enumerate(m.effects)}
        self.count_names = tuple(dict.fromkeys(t.count_as for t in EFFECT_TYPES.values() if t.count_as))

    @property
    def strength(self) -> dict[tuple[int, int], np.ndarray]:
        """(R,) strength of each structure by (move index, effect index)."""
        return {s.key: s.strength for s in self.standing}

    def named(self, name: str) -> list[Standing]:
        """The definitions of the levelled structure ``name``, in move order (empty if none)."""
        return self._named.get(name, [])

    def active(self, name: str, rows: np.ndarray, book=None) -> np.ndarray:
        """(len(rows),) which definition of ``name`` acts in each row: of those in force, the one
        that entered into force last (then the later move); -1 where none is in force."""
        defs = self.named(name)
        if not defs:
            return np.full(len(rows), -1)
        book = book if book is not None else self._book
        M = len(self.spec.moves) + 1
        keys = np.stack([np.where(book.status[rows, s.move.index] == MoveStatus.IN_FORCE,
                                  book.enacted_at[rows, s.move.index] * M + s.move.index, -1) for s in defs])
        return np.where(keys.max(axis=0) >= 0, keys.argmax(axis=0), -1)

    def _base(self, book, t: int, ramps: dict[int, np.ndarray] | None = None) -> dict[tuple[int, int], np.ndarray]:
        """Each structure's ramp x level in month ``t``, one structure per shared name (``ramps``:
        each move's ramp this month by move index, when the caller has them)."""
        ramp = ramps.__getitem__ if ramps is not None else (lambda i: book.strength(self.spec.moves[i], t))
        base = {s.key: ramp(s.move.index) * s.level for s in self.standing}
        rows = np.arange(self.R)
        for name, defs in self._shared.items():
            active = self.active(name, rows, book)
            best = np.max([base[s.key] for s in defs], axis=0)
            for j, s in enumerate(defs):
                base[s.key] = np.where(active == j, best, 0.0)
        return base

    def start(self, world) -> None:
        """Month 0: the structures in force at the start, at their levels (no ramp)."""
        self._book = world.book
        for s, value in zip(self.standing, self._base(world.book, 0).values()):
            s.strength = value

    def month(self, world, t: int) -> None:
        """Update every structure's strength for month ``t`` and run every effect's monthly action."""
        world.release_posture_caps()
        self._book = world.book
        ramps = {move.index: world.book.strength(move, t) for move in self.spec.moves}  # once per move
        base = self._base(world.book, t, ramps)
        for move, stream in zip(self.spec.moves, self.streams):
            strength = ramps[move.index]
            draws = stream.month(t)
            col = 0
            for k, e in enumerate(move.effects):
                d = draws[:, col:col + e.n_draws]
                col += e.n_draws
                standing = self._by_key.get((move.index, k))
                strength_e = strength
                if standing is not None:
                    strength_e = standing.strength = e.current_strength(standing, base[standing.key], d, t)
                if self._acts_monthly[(move.index, k)] and strength_e.any():
                    if not e.queues_acts:
                        world.flush_acts()  # this effect may read the beliefs the queued acts change
                    e.monthly(world, strength_e, d, move)
        world.flush_acts()

    def counts(self) -> dict[str, np.ndarray]:
        """(R,) number of structures in force of each counted kind (channels: open, not suspended)."""
        out = {}
        for name in self.count_names:
            total = np.zeros(self.R) if self.standing else 0.0
            for s in self.standing:
                if s.effect.count_as == name:
                    total = total + (s.strength > 0)
            out[name] = total
        return out

    # ------------------------------------------------------------ crisis support
    def hazard_cut(self) -> np.ndarray | float:
        """(R, S) cut in each slot's crisis hazard: the strongest structure's."""
        best = 0.0
        for s in self._with["hazard_cut"]:
            cut = s.effect.hazard_cut(s)
            if cut is not None:
                best = np.maximum(best, cut)
        return best

    def damage_through(self, rows: np.ndarray, slots: np.ndarray, n: int) -> np.ndarray:
        """(h, n, n) share of the damage of each hit (replicate ``rows[h]``, slot ``slots[h]``)
        that gets through each pair: the smallest share any structure lets through (so a second
        forum over the same pair and topic adds nothing unless it is stronger: diminishing returns)."""
        return self.damage_shares(rows, slots, n).dense()

    def damage_shares(self, rows: np.ndarray, slots: np.ndarray, n: int) -> DamageShares:
        """:meth:`damage_through` in the compact form the crisis kernel reads: the structures'
        sparse shares (pairs, one value per hit) side by side, and a dense (h, n, n) part only
        if a structure gives one."""
        h = len(rows)
        dense, pairs, values = None, [], []
        for s in self._with["damage_through"]:
            share = s.effect.damage_through(s, rows, slots)
            if share is None:
                continue
            if isinstance(share, tuple):  # sparse form: the share through the listed pairs, 1 elsewhere
                pairs.append(np.asarray(share[0], dtype=np.int64))
                values.append(np.broadcast_to(np.asarray(share[1], dtype=np.float64), (h,)))
            else:
                dense = np.ones((h, n, n)) if dense is None else dense
                np.minimum(dense, share, out=dense)
        return DamageShares(h, n, dense, pairs, values)

    def escalation_cover(self, rows: np.ndarray) -> np.ndarray:
        """(k, S) cut in each slot's escalation risk: the largest cut of any structure."""
        best = np.zeros((len(rows), len(self.spec.slots)))
        for s in self._with["escalation_cover"]:
            cut = s.effect.escalation_cover(s, rows)
            if cut is not None:
                best = np.maximum(best, cut)
        return best

    def absorbed(self, rows: np.ndarray) -> np.ndarray:
        """(k, S) share of each slot's damage and escalation risk absorbed: the largest."""
        best = np.zeros((len(rows), len(self.spec.slots)))
        for s in self._with["absorbed"]:
            share = s.effect.absorbed(s, rows)
            if share is not None:
                best = np.maximum(best, share)
        return best

    def respond(self, world, rows: np.ndarray, slot, slot_index: int, step: int) -> dict[str, np.ndarray]:
        """Every structure's response to crisis ``slot`` in replicates ``rows``. Returns, for each
        structure that came to the victims' help in at least one row, its name and a (len(rows),)
        mask of those rows (structures of the same name merged), in the order they helped."""
        helped: dict[str, np.ndarray] = {}
        for s in self._with["respond"]:
            on = s.effect.respond(world, s, rows, slot, slot_index, step)
            if on is not None:
                name = getattr(s.effect, "name", "") or s.effect.type
                helped[name] = helped[name] | on if name in helped else on
        return helped

    def after_escalation(self, world, rows: np.ndarray, involved, step: int) -> None:
        """Each structure concerned by an escalation among ``involved`` reacts, in move order."""
        listeners = self._concerned.get(involved)
        if listeners is None:  # the same sides escalate again and again: asked once per run
            listeners = self._concerned[involved] = [s for s in self._with["after_escalation"]
                                                     if s.effect.concerned_by(involved)]
        for s in listeners:
            s.effect.after_escalation(world, s, rows, involved, step)

    def human_security_gain(self, territory_position: dict[int, int], n_territories: int) -> np.ndarray | float:
        """(R, territories) sum of the human-security gains in force."""
        total = 0.0
        for s in self._with["human_security_gain"]:
            gain = s.effect.human_security_gain(s, territory_position, n_territories)
            if gain is not None:
                total = total + gain
        return total
