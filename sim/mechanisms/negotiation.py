"""The negotiation mechanism: tabling, votes inside composites, outcomes, retries.

The proposer of a conciliatory move decides by its private type whether to table it at each
opportunity (its cost, and any concession it offers, are its own cost: sim/mechanisms/types.py);
it never votes against its own text. Deciders never see the mechanism or the state arrays: each
gets a frozen, read-only :class:`ProposalView` of the terms and of its own beliefs about its
counterparts, and returns acceptance probabilities, to which its type adds the willingness to
bear the move's cost. Observers read every such choice, tabled or not, accepted or refused, by
its likelihood ratio. The mechanism draws the votes, applies each party's decision rule
(consensus, unanimity or a weighted majority), and enacts or records the rejection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sim.core.state import MoveStatus
from sim.numerics.streams import attempt_draws


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class ProposalView:
    """What a decider knows when asked to accept a move (one entry per negotiating replicate)."""

    move: str
    title: str
    proposer: str
    party: str
    decider: str
    counterparts: tuple[str, ...]
    attempt: np.ndarray  # (k,) 0 for the first tabling
    concession: np.ndarray  # (k,) added to the decider's utility
    gain: float  # security the decider expects if all keep their word
    exposure: float  # what it loses if a counterpart is not trustworthy
    domestic_cost: float  # political cost of conceding, scaled by hawkishness
    hawkishness: float
    trust: np.ndarray  # (k,) mean trust of the decider in its counterparts
    threat: np.ndarray  # (k,) mean threat it perceives from them
    rationality: float  # logit precision


def party_accepts(votes: np.ndarray, party) -> np.ndarray:
    """(k, deciders) bool votes -> (k,) whether the party consents under its decision rule."""
    if party.rule in ("consensus", "unanimity") or len(party.deciders) == 1:
        return votes.all(axis=1)
    w = np.asarray(party.weights)
    return (votes * w).sum(axis=1) >= party.quota * w.sum() - 1e-12


class Negotiations:
    """The vote draws of every move: (R, attempts, votes) uniforms per move, fixed by the seed."""

    def __init__(self, spec, seeds: np.ndarray):
        self.draws = [attempt_draws(seeds, m.id, spec.negotiation.max_attempts, m.n_attempt_draws) for m in spec.moves]


def month(world, step: int) -> None:
    """Table every move whose next attempt falls in ``step``, in the order of the config."""
    for move in world.spec.moves:
        negotiate(world, move, step)


def is_conciliatory(move) -> bool:
    """A move is taken by choice (and read through the type model) unless the scenario marks it as
    history (``history: true``: the irritants; ``in_force: true``: a structure in force at the
    start) or every act it carries is hostile (irritants, wars, build-ups, hostile signals and
    suspensions of a forum are history, not a type's choice). A conciliatory move with a hostile
    side effect (the documents framework irritates the parent states) is a choice."""
    if move.history or move.in_force:
        return False
    return not move.effects or not all(getattr(e, "hostile", False) for e in move.effects)


def in_force_at_start(world) -> None:
    """Month 0: the log records each move in force at the start (``in_force: true``), with the
    levels of its structures; the book already has it in force (MoveBook.start)."""
    rows = np.arange(world.R)
    for move in world.spec.moves:
        if not move.in_force:
            continue
        levels = ", ".join(f"{e.name} at level {e.level:g}" for e in move.effects if e.levelled)
        world.log.add("in_force", 0, rows, move=move.id, actor=world.spec.ids[move.proposer],
                      reason=f"'{move.title}' was in force at the start" + (f" ({levels})" if levels else ""))


def enact(world, move, rows, concession, step: int, draws=None) -> None:
    """The move enters into force; each effect acts, with its share of the attempt's uniforms
    for the acts it carries out by choice (``draws``: (len(rows), n_attempt_draws))."""
    book = world.book
    book.status[rows, move.index] = MoveStatus.IN_FORCE
    book.enacted_at[rows, move.index] = step
    book.next_attempt[rows, move.index] = -1
    cost = move.cost + concession
    col = move.n_deciders + 1
    for e in move.effects:
        k = e.n_enact_draws
        e.on_enact(world, rows, move, None if draws is None else draws[:, col:col + k])
        col += k
    world.log.add("enacted", step, rows, move=move.id, actor=world.spec.ids[move.proposer], value=cost,
                  reason=f"'{move.title}' enters into force (phase-in {move.phase_in} months)")


def negotiate(world, move, step: int) -> None:
    """Table ``move`` in the replicates whose next attempt falls in ``step``."""
    m = move.index
    rows = np.flatnonzero(world.book.next_attempt[:, m] == step)
    if rows.size == 0:
        return
    ids = world.spec.ids
    neg = world.spec.negotiation
    attempt = world.book.attempts[rows, m]
    draws = world.negotiations.draws[m][rows, np.minimum(attempt, neg.max_attempts - 1), :]
    concession = attempt * neg.concession_step
    conciliatory = is_conciliatory(move)
    if conciliatory:
        rows, attempt, draws, concession = _table(world, move, rows, attempt, draws, concession, step)
        if rows.size == 0:
            return
    if move.unilateral:
        world.log.add("proposal", step, rows, move=move.id, actor=ids[move.proposer], reason="unilateral act: no consent needed")
        enact(world, move, rows, concession, step, draws)
        return
    world.log.add("proposal", step, rows, move=move.id, actor=ids[move.proposer], value=attempt + 1, concession=concession,
                reason=f"{ids[move.proposer]} tables '{move.title}'")
    trust, threat = world.state.trust[rows], world.state.threat[rows]
    vote_of: dict[int, np.ndarray] = {}
    for col, d in enumerate(move.deciders):
        party = next(p for p in move.parties if d in p.deciders)
        counterpart = ",".join(ids[q.index] for q in move.parties if d in q.deciders and q.index != d)
        if d == move.proposer:  # its consent is the tabling: it does not vote against its own text
            vote_of[d] = np.ones(rows.size, dtype=bool)
            world.log.add("vote", step, rows, move=move.id, actor=ids[d], counterpart=counterpart, p=1.0,
                          value=1.0, reason="accept (the proposer's own text)")
            continue
        view = _view(world, move, party, d, trust, threat, attempt, concession, move.domestic_cost)
        share = move.cost_share(d, world.spec.roster.capability)
        vote_of[d] = _vote(world, move, d, view, draws[:, col], rows, step, "vote", counterpart,
                           cost=move.cost * share if conciliatory else None)
    agreed = np.ones(rows.size, dtype=bool)
    refusers: list[tuple[int, np.ndarray]] = []
    for party in move.parties:
        votes = np.stack([vote_of[d] for d in party.deciders], axis=1)
        ok = party_accepts(votes, party)
        if len(party.deciders) > 1:
            world.log.add("decision", step, rows, move=move.id, actor=ids[party.index], value=ok.astype(float),
                        reason=_internal_reason(party, votes, ok, ids))
        agreed &= ok
        refusers.append((party.index, ~ok))
    for k, d in enumerate(move.ratifiers):
        # Ratification (a treaty before the US Senate): a second vote on the agreed text with the
        # domestic cost raised by ratification_cost; a refusal sinks the agreement.
        sub = np.flatnonzero(agreed)
        if sub.size == 0:
            break
        party = next((p for p in move.parties if d in p.deciders), move.parties[0])
        view = _view(world, move, party, d, trust[sub], threat[sub], attempt[sub], concession[sub],
                     move.domestic_cost + move.ratification_cost)
        ratified = _vote(world, move, d, view, draws[sub, len(move.deciders) + k], rows[sub], step, "ratification",
                         "ratification")
        refused = np.zeros(rows.size, dtype=bool)
        refused[sub[~ratified]] = True
        refusers.append((d, refused))
        agreed[sub[~ratified]] = False
    reasons = np.array(["agreed by all parties"] * rows.size, dtype=object)
    for idx, no in refusers:
        reasons[no & (reasons == "agreed by all parties")] = f"rejected by {ids[idx]}"
        for r in np.flatnonzero(no):
            if not reasons[r].endswith(ids[idx]):
                reasons[r] += f", {ids[idx]}"
    world.log.add("outcome", step, rows, move=move.id, actor=ids[move.proposer], value=agreed.astype(float),
                concession=concession, reason=reasons)
    if agreed.any():
        enact(world, move, rows[agreed], concession[agreed], step, draws[agreed])
    world.book.attempts[rows, m] += 1
    _retry_or_abandon(world, move, rows[~agreed], step)


def _retry_or_abandon(world, move, failed, step: int) -> None:
    """Failed attempts (not tabled, or rejected) are tried again after retry_after months, up to
    max_attempts in all; then the move is abandoned."""
    m, neg = move.index, world.spec.negotiation
    retry = move.retry & (world.book.attempts[failed, m] < neg.max_attempts)
    world.book.next_attempt[failed, m] = np.where(retry, step + neg.retry_after, -1)
    gave_up = failed[~retry]
    world.book.status[gave_up, m] = MoveStatus.FAILED
    world.log.add("abandoned", step, gave_up, move=move.id, actor=world.spec.ids[move.proposer],
                  reason=f"gave up after {neg.max_attempts} attempts" if move.retry else "no retry allowed")


def _table(world, move, rows, attempt, draws, concession, step: int):
    """The proposer's choice by type to table a conciliatory move at cost + concession (the
    conceder pays); observers read it either way. Returns the tabled rows' arrays; the others
    count as a failed attempt."""
    cost = move.cost + concession
    p = world.choice.probability(cost, world.state.seeker[rows, move.proposer])
    u = draws[:, move.n_deciders]
    tabled = u < p
    world.read_choice(rows, move.proposer, None, cost, tabled)
    if (~tabled).any():
        out = rows[~tabled]
        world.log.add("declined", step, out, move=move.id, actor=world.spec.ids[move.proposer], p=p[~tabled],
                      draw=u[~tabled], value=cost[~tabled],
                      reason=f"{world.spec.ids[move.proposer]} does not table '{move.title}' (cost and concession "
                             "above what its type will pay)")
        world.book.attempts[out, move.index] += 1
        _retry_or_abandon(world, move, out, step)
    return rows[tabled], attempt[tabled], draws[tabled], concession[tabled]


def _view(world, move, party, d: int, trust, threat, attempt, concession, domestic_cost: float) -> ProposalView:
    ids = world.spec.ids
    cps = move.counterparts(party, d, world.spec.roster)
    return ProposalView(
        move=move.id, title=move.title, proposer=ids[move.proposer], party=ids[party.index], decider=ids[d],
        counterparts=tuple(ids[c] for c in cps), attempt=_readonly(attempt), concession=_readonly(concession),
        gain=float(move.gain[d]), exposure=move.exposure, domestic_cost=domestic_cost,
        hawkishness=float(world.spec.roster.hawkishness[d]),
        trust=_readonly(trust[:, d, cps].mean(axis=1) if cps else np.ones(len(attempt))),
        threat=_readonly(threat[:, d, cps].mean(axis=1) if cps else np.zeros(len(attempt))),
        rationality=world.spec.negotiation.rationality,
    )


def _vote(world, move, d: int, view: ProposalView, u: np.ndarray, rows, step: int, kind: str, counterpart: str,
          cost=None) -> np.ndarray:
    """Ask decider ``d`` (through its agent), draw its vote, log it; returns (k,) bool.

    With a ``cost`` (a conciliatory move), the decider's type must also be willing to bear it:
    P(yes) = q * p_type(cost), q the strategy's probability; observers read the vote by its
    likelihood ratio (q is the same for both types, so it cancels from a yes)."""
    q, utility = world.decide(d, view)
    q = np.broadcast_to(np.clip(np.asarray(q, dtype=np.float64), 0.0, 1.0), u.shape)
    p = q
    if cost is not None:
        p = q * world.choice.probability(cost, world.state.seeker[rows, d])
    yes = u < p
    if cost is not None:
        world.read_choice(rows, d, None, cost, yes, q)
    world.log.add(kind, step, rows, move=move.id, actor=world.spec.ids[d], counterpart=counterpart, p=p, draw=u,
                utility=utility, trust=view.trust, gain=view.gain, exposure=view.exposure,
                domestic=view.domestic_cost * view.hawkishness, concession=view.concession, value=yes.astype(float),
                reason=np.where(yes, "accept", "reject"))
    return yes


def _internal_reason(party, votes: np.ndarray, ok: np.ndarray, ids) -> np.ndarray:
    out = []
    for r in range(votes.shape[0]):
        objectors = [ids[d] for k, d in enumerate(party.deciders) if not votes[r, k]]
        if ok[r]:
            out.append(f"{ids[party.index]} consents ({party.rule})" + (f" over objections of {', '.join(objectors)}" if objectors else ""))
        else:
            out.append(f"no {party.rule} in {ids[party.index]}: {', '.join(objectors)} object")
    return np.array(out, dtype=object)
