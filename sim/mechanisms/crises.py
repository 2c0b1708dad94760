"""Random crises: where they can strike, how often, and what they do to beliefs and structures.

Each *site* of each crisis type is a slot that may fire once a month with hazard
``base_rate * (1 + threat_sensitivity * tension)``. A crisis is read through blame: parties to a
conflict blame the other side fully; everyone else (or, for a non-conflict crisis, the victims)
blames each involved actor in proportion to its own mistrust of it. Open channels covering a
pair dampen the damage; a mutual-assistance clause covering the crisis type turns it into
assistance; unmanaged conflicts may escalate and suspend channels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.errors import ConfigError
from sim.numerics import kernels
from sim.numerics.streams import CRISIS, UniformStream
from sim.numerics.threads import over_replicates


@dataclass(frozen=True)
class CrisisSlot:
    type: str
    site: str
    label: str
    victim_label: str
    victims: tuple[int, ...]
    side_a: tuple[int, ...]
    side_b: tuple[int, ...]
    base_rate: float
    threat_sensitivity: float
    severity: float
    blame: float
    escalation: float
    escalation_severity: float
    threat_shock: float
    tension_ab: np.ndarray  # flat (i * n + j) indices of side_a -> side_b pairs (or victims' rows)
    tension_ba: np.ndarray  # flat indices of side_b -> side_a pairs
    fixed_blame: np.ndarray  # (n, n) 1 where i and j are on opposite sides
    attributive: np.ndarray  # (n, n) 1 where i blames j in proportion to (1 - T[i, j])

    @property
    def conflict(self) -> bool:
        return bool(self.side_a and self.side_b)

    @property
    def involved(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(self.side_a + self.side_b + self.victims))


def compile_crises(cfg: Mapping, roster, member_attribution: float = 0.0) -> tuple[tuple[CrisisSlot, ...], tuple[str, ...]]:
    """Validate the ``crises`` section; return the slots and the crisis type names.

    A conflict side's part is also credited to the alliances and unions its members belong to
    (``member_attribution``, as a member's signal is: sim/config/roster.py, attribution_matrix),
    unless the bloc holds members of the other side too: the other side blames such a bloc at
    that weight, onlookers at that weight times their own mistrust of it."""
    types = dict(cfg.get("types") or {})
    slots: list[CrisisSlot] = []
    n = roster.n
    for name, t in types.items():
        key = f"crises.types.{name}"
        from sim.core.params import check  # the declarations: sim/mechanisms/crisis_params.py
        from sim.mechanisms.crisis_params import CrisisTypeConfig

        params = check(CrisisTypeConfig, t, f"{key}.")
        for s, site in enumerate(t.get("sites") or []):
            skey = f"{key}.sites[{s}]"
            site = dict(site)
            if "conflict" in site:
                terr = roster[roster.actors[roster.index(site["conflict"], f"{skey}.conflict")].id]
                if terr.kind != "territory":
                    raise ConfigError(f"{skey}.conflict", f"{terr.id} is not a territory", [a.id for a in roster.actors if a.kind == "territory"])
                sides = [[terr.parent], [terr.id, terr.patron]]
                victims = [terr.parent]
                site_id = terr.id
                label = f"{terr.id} ({terr.parent} vs {terr.id}, {terr.patron})"
            else:
                sides = site.get("sides") or [[], []]
                victims = site.get("victims") or []
                if not victims and not any(sides):
                    raise ConfigError(skey, "a site needs victims, sides or a conflict", roster.ids)
                label = ", ".join(victims) if victims else " vs ".join(",".join(s) for s in sides)
                site_id = str(site.get("name") or label)
                if site.get("name"):
                    label = f"{site_id} ({' vs '.join(','.join(s) for s in sides) if any(sides) else label})"
            if len(sides) != 2:
                raise ConfigError(f"{skey}.sides", "must be two lists of actors", "[[A, ...], [B, ...]]")
            a = tuple(roster.expand(sides[0], f"{skey}.sides[0]"))
            b = tuple(roster.expand(sides[1], f"{skey}.sides[1]"))
            v = tuple(roster.expand(victims, f"{skey}.victims"))
            fixed = np.zeros((n, n))
            attributive = np.zeros((n, n))
            if a and b:
                fixed[np.ix_(a, b)] = 1.0
                fixed[np.ix_(b, a)] = 1.0
                third = [i for i in range(n) if i not in a and i not in b]
                attributive[np.ix_(third, a + b)] = 1.0
                if member_attribution > 0:
                    for side, other in ((a, b), (b, a)):
                        expanded = {c: set(roster.expand([roster.ids[c]], skey)) for c in roster.blocs_of(side)}
                        credited = [c for c, members in expanded.items() if not members & set(other)]
                        fixed[np.ix_(other, credited)] = member_attribution
                        attributive[np.ix_([i for i in third if i not in credited], credited)] = member_attribution
            else:
                others = [j for j in range(n) if j not in v]
                attributive[np.ix_(v, others)] = 1.0
            np.fill_diagonal(fixed, 0.0)
            np.fill_diagonal(attributive, 0.0)
            if a and b:
                ab = np.array([i * n + j for i in a for j in b], dtype=np.int64)
                ba = np.array([j * n + i for i in a for j in b], dtype=np.int64)
            else:
                ab = np.array([i * n + j for i in v for j in range(n)], dtype=np.int64)
                ba = ab
            slots.append(CrisisSlot(type=name, site=site_id, tension_ab=ab, tension_ba=ba, label=label, victim_label=",".join(victims) or "-", victims=v, side_a=a, side_b=b,
                                    fixed_blame=fixed, attributive=attributive, **params))
    return tuple(slots), tuple(types)


def blame_weights(slot: CrisisSlot, trust: np.ndarray, attribution_bias: float) -> np.ndarray:
    """(k, n, n) weights w[i, j] of how much observer i blames j for the crisis:
    1 across a conflict's sides, (1 - T[i, j]) ** attribution_bias for onlookers (and victims of
    non-conflict crises): friends are given the benefit of the doubt, the distrusted are blamed."""
    return slot.fixed_blame + slot.attributive * (1.0 - trust) ** attribution_bias


class CrisisTable:
    """The slots as arrays, so that a month's crises are resolved in a few vector passes over
    the replicates they hit instead of one pass per slot (the ensemble's former hot spot)."""

    def __init__(self, slots: tuple[CrisisSlot, ...], n: int, territory_position: Mapping[int, int],
                 attribution_bias: float, type_prior: np.ndarray | None = None, escalation_type_ratio: float = 1.0,
                 type_noise: float = 0.0):
        self.slots = slots
        self.noise = float(type_noise)
        self.n = n
        self.type_prior = np.full(n, 0.5) if type_prior is None else np.asarray(type_prior, dtype=np.float64)
        self.ratio = float(escalation_type_ratio)
        # per slot: its sides (a then b), and for each target j where its evidence comes from:
        # k >= 0 the k-th side, -1 / -2 the mean of side a / b (a bloc credited for its members), -3 none
        self.sides = [tuple(sl.side_a) + tuple(sl.side_b) for sl in slots]
        self.target_code = np.full((len(slots), n), -3, dtype=np.int64)
        for k, sl in enumerate(slots):
            if not sl.conflict:
                continue
            for pos, j in enumerate(self.sides[k]):
                self.target_code[k, j] = pos
            weighted = (sl.fixed_blame + sl.attributive).any(axis=0)
            for j in np.flatnonzero(weighted & (self.target_code[k] == -3)):
                credited_by_a = sl.fixed_blame[list(sl.side_b), j].any() if sl.side_b else False
                self.target_code[k, j] = -1 if credited_by_a else -2
        # for escalation_probability and side_evidence: the sides (and their priors) padded to the
        # most sides of any slot, each side's other sides, where each slot's targets' evidence comes from
        width = max([len(sd) for sd in self.sides] + [2])
        self.side_real = np.array([[c < len(sd) for c in range(width)] for sd in self.sides], dtype=bool).reshape(-1, width)
        self.side_actor = np.zeros(self.side_real.shape, dtype=np.int64)  # padding reads actor 0, unused
        for k, sd in enumerate(self.sides):
            self.side_actor[k, :len(sd)] = sd
        self.side_prior = np.where(self.side_real, self.type_prior[self.side_actor], 0.0)
        self.other_sides = np.array([[c for c in range(width) if c != pos] for pos in range(width)], dtype=np.int64)
        self.credit = [self._credit(k) for k in range(len(slots))]
        # expected escalation propensity of a slot's sides under the type prior, per unit p_side
        self.norm = np.array([sum(self.type_prior[j] + (1.0 - self.type_prior[j]) * self.ratio for j in sd) or 1.0
                              for sd in self.sides])
        self.size = S = len(slots)
        param = lambda name: np.array([getattr(s, name) for s in slots], dtype=np.float64)  # noqa: E731
        self.base_rate, self.threat_sensitivity = param("base_rate"), param("threat_sensitivity")
        self.severity, self.blame, self.threat_shock = param("severity"), param("blame"), param("threat_shock")
        self.escalation, self.escalation_severity = param("escalation"), param("escalation_severity")
        self.conflict = np.array([s.conflict for s in slots], dtype=bool)
        self.can_escalate = self.conflict & (self.escalation > 0)
        self.fixed = np.array([s.fixed_blame for s in slots]).reshape(S, n * n)
        self.attributive = np.array([s.attributive for s in slots]).reshape(S, n * n)
        self.attribution_bias = attribution_bias
        # tension: per slot one or two segments, each a mean over threat pairs (a conflict's side
        # blocks, gathered by flat index) or over whole rows (victims' rows, from row sums)
        self._segments = _Segments()
        for k, slot in enumerate(slots):
            if slot.conflict:
                for idx in (slot.tension_ab, slot.tension_ba):
                    self._segments.add(k, idx.tolist(), 0.5 / idx.size)
            elif slot.victims:
                self._segments.add(k, [v * n + j for v in slot.victims for j in range(n)], 1.0 / (n * len(slot.victims)))
        self.territories = np.zeros((S, len(territory_position)))
        for s, slot in enumerate(slots):
            for a in slot.involved:
                if a in territory_position:
                    self.territories[s, territory_position[a]] = 1.0

    def _credit(self, k: int) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
        """Slot k's targets by the source of their evidence (target_code): those of a side and
        their columns, the number of side a's columns, and the blocs reading side a's or b's mean."""
        code = self.target_code[k]
        direct = np.flatnonzero(code >= 0)
        return (direct, code[direct], len(self.slots[k].side_a), np.flatnonzero(code == -1), np.flatnonzero(code == -2))

    def tension(self, threat: np.ndarray, threads: int = 1) -> np.ndarray:
        """(R, S): per conflict slot the mean threat between its sides, (mean P_ab + mean P_ba) / 2;
        per one-sided slot the victims' mean threat perception over all columns; 0 otherwise
        (``threads``: chunks of replicates at once, sim/numerics/threads.py)."""
        R = threat.shape[0]
        out = np.zeros((R, self.size))
        if self._segments:
            values = threat.reshape(R, -1)
            over_replicates(lambda lo, hi: self._segments.write(values[lo:hi], out[lo:hi]), R, threads)
        return out


class _Segments:
    """Scaled sums over segments of gathered columns, each added into its slot's output column
    in the order added (a conflict slot's two side blocks, a one-sided slot's victims' rows), all
    in one compiled pass over the state (kernels.segment_means)."""

    def __init__(self):
        self._index, self._slots, self._scale = [], [], []
        self._starts = [0]

    def add(self, slot: int, columns: list[int], scale: float) -> None:
        self._index.extend(columns)
        self._starts.append(len(self._index))
        self._slots.append(slot)
        self._scale.append(scale)
        self.index, self.bounds = np.array(self._index, dtype=np.int64), np.array(self._starts, dtype=np.int64)
        self.segment_slots, self.scale = np.array(self._slots, dtype=np.int64), np.array(self._scale)

    def __bool__(self) -> bool:
        return bool(self._slots)

    def write(self, values: np.ndarray, out: np.ndarray) -> None:
        """out[:, slot] += scale * sum of values[:, columns], segment by segment."""
        kernels.segment_means(values, self.index, self.bounds, self.segment_slots, self.scale, out)


class Crises:
    """The crisis slots of a run as arrays, and the stream that decides each month which strike."""

    def __init__(self, spec, seeds: np.ndarray, territory_position: Mapping[int, int]):
        self.enabled = bool(spec.crises_enabled and spec.slots)
        self.table = CrisisTable(spec.slots, spec.roster.n, territory_position, spec.attribution_bias,
                                 spec.type_prior, spec.escalation_type_ratio, spec.dynamics.type_noise)
        # two uniforms per slot and month, drawn whether crises are enabled or not (common random numbers)
        self.stream = UniformStream(seeds, CRISIS, "", 2 * len(spec.slots), threads=spec.threads)


def month(world, step: int) -> None:
    """Fire, and resolve together, this month's crises. The draws are (R, 2 * n_slots): column s
    decides whether slot s fires, column n_slots + s whether it escalates. Every slot's hazard is
    read from the start-of-month tensions and structures."""
    draws = world.crises.stream.month(step)
    if not world.crises.enabled:
        return
    table = world.crises.table
    S = table.size
    tens = table.tension(world.state.threat, world.spec.threads)
    rate = table.base_rate * (1.0 + table.threat_sensitivity * tens) * (1.0 - world.structures.hazard_cut())
    hazard = 1.0 - np.exp(-rate)
    hit = draws[:, :S] < hazard
    rows = np.flatnonzero(hit.any(axis=1))
    if rows.size:
        resolve(world, rows, hit[rows], step, tens[rows], u_escalation=draws[rows, S:], p=hazard[rows], u=draws[rows, :S])


def strike(world, rows, site: str, crisis_type: str, reasons: tuple[str, str]) -> None:
    """A scheduled war: the crisis of ``crisis_type`` at ``site`` strikes replicates ``rows`` and
    escalates into open conflict at once. ``reasons`` are the events' reasons; ``{label}`` in
    them is replaced by the slot's label."""
    table = world.crises.table
    s, slot = next((k, sl) for k, sl in enumerate(table.slots) if sl.site == site and sl.type == crisis_type)
    rows = np.asarray(rows)
    hit = np.zeros((rows.size, table.size), dtype=bool)
    hit[:, s] = True
    tens = table.tension(world.state.threat[rows])
    resolve(world, rows, hit, world.step_count, tens, u_escalation=None,
            reasons=tuple(r.replace("{label}", slot.label) for r in reasons))


def resolve(world, rows: np.ndarray, hit: np.ndarray, step: int, tens: np.ndarray, u_escalation: np.ndarray | None = None,
            p=np.nan, u=np.nan, reasons: tuple[str, str] | None = None) -> None:
    """The crises ``hit`` (k, S) in replicates ``rows``: escalation checks, then the damage of
    every crisis and escalation at once, then each slot's responses and the structures'
    reactions to escalations.

    Damage is hostile evidence and threat shocks only, which commute (each moves a bounded
    quantity one way), so summing them equals striking slot by slot in any order. With
    ``u_escalation`` None (a scheduled war) every hit slot escalates without a check."""
    table, st, d = world.crises.table, world.structures, world.spec.dynamics
    managed = st.absorbed(rows)  # (k, S) share of damage and escalation risk absorbed
    # one entry per hit (replicate, slot), sorted by replicate then slot; every row has a hit
    hr, hs = np.nonzero(hit)
    # share of each hit's damage that gets through each pair (channels damp only their topics)
    damp = st.damage_shares(rows[hr], hs, world.n)
    if u_escalation is None:
        cover = None
        base = np.clip(table.escalation * (1.0 + tens), 0.0, 1.0)
        p_esc, escalated = None, hit.copy()
    else:
        cover = np.maximum(st.escalation_cover(rows), managed)
        base = np.clip(table.escalation * (1.0 + tens) * (1.0 - cover), 0.0, 1.0)
        p_esc = escalation_probability(table, base, world.state.seeker[rows])
        escalated = hit & table.can_escalate & (u_escalation < p_esc)
    evidence = side_evidence(table, base, escalated, hr, hs)  # (h, n) log LR about each target
    struck = hit * (1.0 - managed)
    esc = escalated.astype(np.float64)
    severe = table.escalation_severity
    crisis, escal = struck[hr, hs], esc[hr, hs]
    state, R = world.state, world.R
    # each hit is its own entry of the kernel (its own dampening); damage only lowers trust and
    # raises threat, so applying a replicate's hits one after another equals applying their sum
    kernels.crisis_damage(
        state.own.reshape(R, -1), state.threat.reshape(R, -1), state.trust.reshape(R, -1),
        rows[hr].astype(np.int64), np.arange(hr.size, dtype=np.int64), hs.astype(np.int64), table.fixed, table.attributive,
        float(table.attribution_bias), damp.has_dense, damp.dense_flat, damp.pairs, damp.starts, damp.values, evidence,
        crisis * (d.reassurance * table.severity * table.blame + table.threat_shock)[hs],  # threat added
        escal * (d.reassurance * severe + table.threat_shock * severe / np.maximum(table.severity, 1e-9))[hs],
        d.hostile_sensitivity, *world.logit_bounds)
    world.human_security.lose(rows, table.territories, struck * table.severity + esc * severe)
    world.count("crises", rows, hit.sum(axis=1))
    world.count("escalations", rows, escalated.sum(axis=1))
    smallest = damp.smallest() if world.log.enabled else None
    for k in np.flatnonzero(hit.any(axis=0)):
        slot, on = table.slots[k], hit[:, k]
        where = rows[on]
        assisted = st.respond(world, where, slot, k, step)
        if world.log.enabled:
            through = np.ones(len(rows))
            through[hr[hs == k]] = smallest[hs == k]
            _log_slot(world, slot, where, on, k, step, through, managed, p, u, p_esc, cover, u_escalation, escalated, reasons,
                      assisted)
    for k in np.flatnonzero(escalated.any(axis=0)):
        st.after_escalation(world, rows[escalated[:, k]], table.slots[k].involved, step)


def escalation_probability(table: CrisisTable, base: np.ndarray, seeker: np.ndarray) -> np.ndarray:
    """(k, S) probability that a hit conflict escalates: each side j escalates with e_S(p_side)
    (a security seeker) or e_E(p_side) (an expansionist, ``ratio`` times as often; see
    :func:`propensities`), p_side = base / norm so that the expected sum over the sides under the
    type prior is ``base``; the conflict escalates if any side does: 1 - prod_j (1 - e_j).
    All slots at once, side by side in order (a padded side's factor is 1: exact)."""
    out = np.zeros_like(base)
    slots = np.flatnonzero(table.can_escalate)
    if slots.size == 0:
        return out
    e_s, e_e = propensities(table, base[:, slots] / table.norm[slots])  # (k, slots)
    keep = np.ones(e_s.shape)
    for c in range(table.side_real.shape[1]):
        e = np.where(seeker[:, table.side_actor[slots, c]], e_s, e_e)
        keep *= np.where(table.side_real[slots, c], 1.0 - e, 1.0)
    out[:, slots] = 1.0 - keep
    return out


def propensities(table: CrisisTable, p_side: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A side's escalation probability as a security seeker and as an expansionist, with the
    choice model's trembling hand (dynamics.type_noise): eps/2 + (1 - eps) min(m p_side, 1),
    m = 1 or ``ratio``; so neither a containment nor an escalation proves a type."""
    eps = table.noise
    return (0.5 * eps + (1.0 - eps) * np.minimum(p_side, 1.0),
            0.5 * eps + (1.0 - eps) * np.minimum(table.ratio * p_side, 1.0))


def side_evidence(table: CrisisTable, base: np.ndarray, escalated: np.ndarray, hr: np.ndarray, hs: np.ndarray) -> np.ndarray:
    """(h, n) log likelihood ratio (seeker : expansionist) each hit carries about each target,
    as every observer knows the escalation model: a contained conflict
    log(1 - e_S) - log(1 - e_E) > 0 for each side; an escalated one
    log(1 - (1 - e_S) Q_j) - log(1 - (1 - e_E) Q_j) < 0, Q_j the chance that no other side
    escalates under the type prior. Blocs credited for a side read that side's mean evidence."""
    out = np.zeros((hr.size, table.n))
    at = np.flatnonzero(table.can_escalate[hs])
    if at.size == 0:
        return out
    rows, slots = hr[at], hs[at]
    with np.errstate(divide="ignore"):
        ev = _side_llrs(table, slots, base[rows, slots], escalated[rows, slots])
    for k in np.unique(slots):
        mine = slots == k
        _credit_targets(out, at[mine], ev[mine][:, :len(table.sides[k])], table.credit[k])
    return out


def _side_llrs(table: CrisisTable, slots: np.ndarray, base: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(h, max sides) log LR about each side of the hits' ``slots`` with escalation risk ``base``,
    escalated where ``up`` (side_evidence), all hits at once. Slots with fewer sides are padded
    with sides that never escalate (Q's factor 1: the product is unchanged, exactly)."""
    e_s, e_e = propensities(table, base / table.norm[slots])
    prior = table.side_prior[slots]
    free = 1.0 - (prior * e_s[:, None] + (1.0 - prior) * e_e[:, None])  # (h, sides): P(that side holds back)
    free[~table.side_real[slots]] = 1.0
    contained = np.log1p(-np.minimum(e_s, 1 - 1e-12)) - np.log1p(-np.minimum(e_e, 1 - 1e-12))
    others = table.other_sides  # (sides, sides - 1): each side's other sides in order
    q = free[:, others[:, 0]]
    for c in range(1, others.shape[1]):
        q = q * free[:, others[:, c]]
    esc = (np.log(np.maximum(1.0 - (1.0 - e_s)[:, None] * q, 1e-300))
           - np.log(np.maximum(1.0 - (1.0 - e_e)[:, None] * q, 1e-300)))
    return np.where(up[:, None], esc, contained[:, None])


def _credit_targets(out: np.ndarray, at: np.ndarray, ev: np.ndarray, credit) -> None:
    """out[at, j] = the evidence about target j: its side's column of ``ev``, or the mean of side
    a's or side b's columns for a bloc credited for its members (CrisisTable.credit)."""
    direct, columns, n_a, mean_a, mean_b = credit
    if direct.size:
        out[at[:, None], direct[None, :]] = ev[:, columns]
    if mean_a.size:
        out[at[:, None], mean_a[None, :]] = ev[:, :n_a].mean(axis=1)[:, None]
    if mean_b.size:
        out[at[:, None], mean_b[None, :]] = ev[:, n_a:].mean(axis=1)[:, None]


def _log_slot(world, slot, where, on, k, step, damp, managed, p, u, p_esc, cover, u_escalation, escalated, reasons, assisted):
    pick = lambda a: a[on, k] if np.ndim(a) == 2 else a  # noqa: E731
    world.log.add("crisis", step, where, actor=slot.victim_label, counterpart=slot.label, detail=slot.type, p=pick(p),
                draw=pick(u), value=1.0 - damp[on] * (1.0 - managed[on, k]),
                reason=reasons[0] if reasons else _crisis_reason(slot, assisted))
    if p_esc is not None and slot.conflict and slot.escalation > 0:
        world.log.add("escalation_check", step, where, actor=slot.label, detail=slot.type, p=p_esc[on, k],
                    draw=u_escalation[on, k], value=cover[on, k],
                    reason=np.where(escalated[on, k], "escalated", "contained"))
    up = escalated[on, k]
    if up.any():
        world.log.add("escalation", step, where[up], actor=slot.label,
                    detail=slot.type, value=slot.escalation_severity,
                    reason=reasons[1] if reasons else f"unmanaged {slot.type} escalated into open conflict: {slot.label}")


def _crisis_reason(slot: CrisisSlot, assisted: Mapping[str, np.ndarray]) -> str | np.ndarray:
    """The crisis event's reason in each row: the crisis, and the clauses under which its victims
    were assisted in that row (``assisted``: clause name -> mask over the rows, from
    the structures' responses, Structures.respond). One string when every row reads the same."""
    text = f"{slot.type} at {slot.label}"
    if not assisted:
        return text
    masks = list(assisted.values())
    if all(m.all() for m in masks):
        return f"{text}; assistance under {', '.join(assisted)}"
    out = np.full(len(masks[0]), text, dtype=object)
    helped = np.logical_or.reduce(masks)
    for r in np.flatnonzero(helped):
        out[r] = f"{text}; assistance under {', '.join(n for n, m in assisted.items() if m[r])}"
    return out
