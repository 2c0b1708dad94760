"""Standing structures created by agreed moves (channels, clauses, commitments, missions,
human-security arrangements): their strength each month and what they do when crises strike.

Strength is the move's phase-in ramp (0 -> 1 over ``phase_in`` months) while it is in force,
and 0 for a channel while it is suspended. The crisis code asks this module how much of a
crisis is absorbed; effects act on the world only through the engine's signal API.
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms.effects import Channel, Clause, Commitment, HumanSecurity, Mission
from sim.core.state import MoveStatus

STRUCTURE_TYPES = {"channels_open": Channel, "clauses_in_force": Clause, "commitments_in_force": Commitment,
                   "missions_in_force": Mission}


class Structures:
    def __init__(self, spec, R: int):
        self.spec = spec
        self.entries: list[tuple[tuple[int, int], object, object]] = []  # (key, move, effect)
        for m in spec.moves:
            for e_idx, e in enumerate(m.effects):
                if isinstance(e, Channel | Clause | Commitment | Mission | HumanSecurity):
                    self.entries.append(((m.index, e_idx), m, e))
        self._by_type: dict[type, list] = {}
        self.strength = {key: np.zeros(R) for key, _, _ in self.entries}
        self.suspended_until = {key: np.zeros(R, dtype=np.int64) for key, _, e in self.entries if isinstance(e, Channel)}
        self.suspension_draws = {key: np.ones(R) for key in self.suspended_until}
        n = spec.roster.n
        self.pair_masks = {key: e.pair_mask(n) for key, _, e in self.entries if isinstance(e, Channel)}
        self.mission_slots = {key: np.array([e.covers(s) for s in spec.slots], dtype=bool)
                              for key, _, e in self.entries if isinstance(e, Mission)}
        # share of each slot's conflict sides that sit in each channel (0 for one-sided slots)
        self.channel_share = {key: np.array([len((set(s.side_a) | set(s.side_b)) & set(e.covered))
                                             / max(len(set(s.side_a) | set(s.side_b)), 1) for s in spec.slots])
                              for key, _, e in self.entries if isinstance(e, Channel)}

    def of_type(self, cls):
        """(key, move, effect, strength) for every structure of type ``cls`` (called on the hot
        path, per crisis and per slot: the type lists are built once)."""
        if cls not in self._by_type:
            self._by_type[cls] = [(key, m, e) for key, m, e in self.entries if isinstance(e, cls)]
        return [(key, m, e, self.strength[key]) for key, m, e in self._by_type[cls]]

    def month(self, eng, t: int) -> None:
        """Update every structure's strength for month ``t`` and run its monthly action."""
        if eng.ceiling_active:
            eng.state.ceiling[:] = 1.0
            eng.ceiling_active = False
        for move, stream in zip(self.spec.moves, eng.move_streams):
            strength = eng.book.strength(move, t)
            draws = stream.month(t)
            col = 0
            for e_idx, e in enumerate(move.effects):
                d = draws[:, col:col + e.n_draws]
                col += e.n_draws
                key = (move.index, e_idx)
                if key in self.suspended_until:
                    self.suspension_draws[key] = d[:, 0]
                    strength_e = np.where(self.suspended_until[key] >= t, 0.0, strength)
                else:
                    strength_e = strength
                if key in self.strength:
                    self.strength[key] = strength_e
                if strength_e.any():
                    e.monthly(eng, strength_e, d, move)

    def counts(self) -> dict[str, np.ndarray]:
        """(R,) number of structures of each kind in force (channels: open, not suspended)."""
        out = {}
        for name, cls in STRUCTURE_TYPES.items():
            total = np.zeros(len(next(iter(self.strength.values())))) if self.strength else 0.0
            for _, _, _, s in self.of_type(cls):
                total = total + (s > 0)
            out[name] = total
        return out

    # ------------------------------------------------------------ crisis support
    def channel_dampening(self, rows, n: int) -> np.ndarray:
        """(k, n, n) share of crisis damage that gets through each pair: 1 - max over open
        channels covering the pair of crisis_dampening * strength."""
        through = np.ones((len(rows), n, n))
        for key, _, ch, s in self.of_type(Channel):
            s = s[rows]
            if s.any():
                through = np.minimum(through, 1.0 - ch.crisis_dampening * s[:, None, None] * self.pair_masks[key])
        return through

    def channel_coverage(self, rows) -> np.ndarray:
        """(k, S) cut in each slot's escalation risk: max over open channels of dampening *
        strength * share of the conflict's sides that sit in the channel."""
        best = np.zeros((len(rows), len(self.spec.slots)))
        for key, _, ch, s in self.of_type(Channel):
            share = self.channel_share[key]
            if share.any():
                best = np.maximum(best, ch.crisis_dampening * s[rows, None] * share[None, :])
        return best

    def hazard_reduction(self) -> np.ndarray | float:
        """(R, S) cut in each slot's crisis hazard: max over the missions covering it."""
        best = 0.0
        for key, _, e, s in self.of_type(Mission):
            if e.hazard_reduction:
                best = np.maximum(best, e.hazard_reduction * s[:, None] * self.mission_slots[key][None, :])
        return best

    def mission_management(self, rows) -> np.ndarray:
        """(k, S) share of each slot's crisis damage and escalation risk absorbed by joint missions."""
        best = np.zeros((len(rows), len(self.spec.slots)))
        for key, _, e, s in self.of_type(Mission):
            best = np.maximum(best, e.management * s[rows, None] * self.mission_slots[key][None, :])
        return best

    def human_security_gain(self, n_territories: int, territory_pos: dict[int, int]) -> np.ndarray | float:
        """(R, n_territories) sum of human-security gains in force."""
        total = 0.0
        for _, _, e, s in self.of_type(HumanSecurity):
            if s.any():
                add = np.zeros(n_territories)
                add[[territory_pos[t] for t in e.territories]] = e.gain
                total = total + s[:, None] * add[None, :]
        return total


# ------------------------------------------------------------------ responses
def clause_assistance(eng, rows, slot, step: int) -> dict[str, np.ndarray]:
    """Parties of clauses in force that cover this crisis type assist its victims: a costly
    conciliatory signal (assistance_cost * strength) seen by everyone.

    Returns, for each clause that assisted in at least one of ``rows``, its name and a (len(rows),)
    bool mask of the rows in which it assisted (clauses of the same name are merged), in the
    order the clauses first assisted."""
    used: dict[str, np.ndarray] = {}
    victims = set(slot.victims)
    if not victims:
        return used
    for _, move, e, strength in eng.structures.of_type(Clause):
        if slot.type not in e.covers or not victims <= set(e.covered):
            continue
        s = strength[rows]
        helping = [p for p in e.parties if not victims & set(eng.spec.roster.expand([eng.ids[p]], "clause"))]
        on = s > 0
        if helping and on.any():
            eng.emit_signal(rows[on], helping, None, e.assistance_cost * s[on])
            eng.log.add("assistance", step, rows[on], move=move.id, actor=",".join(eng.ids[p] for p in helping),
                        counterpart=",".join(eng.ids[v] for v in slot.victims), value=e.assistance_cost * s[on],
                        reason=f"{e.name}: assistance against {slot.type}")
            used[e.name] = used[e.name] | on if e.name in used else on
    return used


def mission_cooperation(eng, rows, slot_index: int, step: int) -> None:
    """A crisis at a mission's site is managed jointly: each party's work is a conciliatory
    signal of cooperation_cost * strength seen by the other parties."""
    for key, move, e, strength in eng.structures.of_type(Mission):
        if not eng.structures.mission_slots[key][slot_index]:
            continue
        s = strength[rows]
        on = rows[s > 0]
        if on.size == 0:
            continue
        for p in e.parties if e.cooperation_cost > 0 else ():
            others = tuple(q for q in eng.spec.roster.expand([eng.ids[q] for q in e.parties], "mission")
                           if q not in eng.spec.roster.expand([eng.ids[p]], "mission"))
            eng.emit_signal(on, (p,), others, e.cooperation_cost * s[s > 0])
        eng.log.add("managed", step, on, move=move.id, actor=e.name, value=e.management * s[s > 0],
                    reason=f"{e.name} manages the crisis jointly ({', '.join(eng.ids[p] for p in e.parties)})")


def suspend_channels(eng, rows, involved, step: int) -> None:
    """An escalation may freeze each open channel that includes a belligerent, with probability
    suspension_base * (1 - mean trust among its members), for suspension_months."""
    st = eng.structures
    for key, move, ch, strength in st.of_type(Channel):
        if not set(involved) & set(ch.covered):
            continue
        open_ = strength[rows] > 0
        mem = list(ch.members)
        sub = eng.state.trust[rows][:, mem][:, :, mem]
        mean_trust = (sub.sum(axis=(1, 2)) - np.trace(sub, axis1=1, axis2=2)) / (len(mem) * (len(mem) - 1))
        p = eng.spec.suspension_base * (1.0 - mean_trust)
        u = st.suspension_draws[key][rows]
        hit_mask = open_ & (u < p)
        hit = rows[hit_mask]
        st.suspended_until[key][hit] = step + eng.spec.suspension_months
        strength[hit] = 0.0
        eng.log.add("suspension", step, hit, move=move.id, actor=ch.name, p=p[hit_mask], draw=u[hit_mask],
                    reason=f"channel {ch.name} suspended for {eng.spec.suspension_months} months after escalation")


def commitment_month(eng, c: Commitment, strength, u, move) -> None:
    """Cap the restrained postures, verify compliance (mutual small signals), draw a breach."""
    t = eng.step_count
    rows = np.flatnonzero(strength > 0)
    if rows.size == 0:
        return
    obs, tgt = c.pairs()
    cap = 1.0 - strength[rows, None] * (1.0 - c.posture_ceiling)
    block = (rows[:, None], obs[None, :], tgt[None, :])
    eng.ceiling_active = True
    eng.state.ceiling[block] = np.minimum(eng.state.ceiling[block], cap)
    if c.verification_cost > 0:
        eng.emit_signal(rows, c.side_a, c.side_b, c.verification_cost * strength[rows])
        eng.emit_signal(rows, c.side_b, c.side_a, c.verification_cost * strength[rows])
    pair_threat = eng.state.threat[block]
    p = c.breach_rate * pair_threat.max(axis=1)
    broke = u[rows] < p
    if broke.any():
        who = obs[pair_threat.argmax(axis=1)]
        for breacher in np.unique(who[broke]):
            mask = broke & (who == breacher)
            sel = rows[mask]
            eng.emit_signal(sel, (int(breacher),), None, c.breach_cost, hostile=True)
            eng.book.status[sel, move.index] = MoveStatus.ENDED
            eng.log.add("breach", t, sel, move=move.id, actor=eng.ids[breacher], p=p[mask], draw=u[sel],
                        reason=f"{eng.ids[breacher]} resumes contingency planning: {c.name} breached")
