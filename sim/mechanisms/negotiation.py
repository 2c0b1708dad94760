"""The negotiation mechanism: proposals, votes inside composites, outcomes, retries.

Deciders never see the mechanism or the state arrays: each gets a frozen, read-only
:class:`ProposalView` of the terms and of its own beliefs about its counterparts, and returns
acceptance probabilities. The mechanism draws the votes, applies each party's decision rule
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
        self.draws = [attempt_draws(seeds, m.id, spec.negotiation.max_attempts, m.n_deciders) for m in spec.moves]


def month(world, step: int) -> None:
    """Table every move whose next attempt falls in ``step``, in the order of the config."""
    for move in world.spec.moves:
        negotiate(world, move, step)


def enact(world, move, rows, concession, step: int) -> None:
    """The move enters into force: the proposer's costly signal, then each effect."""
    book = world.book
    book.status[rows, move.index] = MoveStatus.IN_FORCE
    book.enacted_at[rows, move.index] = step
    book.next_attempt[rows, move.index] = -1
    cost = move.cost + concession
    if np.any(cost > 0):
        world.emit_signal(rows, (move.proposer,), None, cost)
    for e in move.effects:
        e.on_enact(world, rows, move)
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
    if move.unilateral:
        world.log.add("proposal", step, rows, move=move.id, actor=ids[move.proposer], reason="unilateral act: no consent needed")
        enact(world, move, rows, np.zeros(rows.size), step)
        return
    attempt = world.book.attempts[rows, m]
    concession = attempt * neg.concession_step
    draws = world.negotiations.draws[m][rows, attempt, :]
    world.log.add("proposal", step, rows, move=move.id, actor=ids[move.proposer], value=attempt + 1, concession=concession,
                reason=f"{ids[move.proposer]} tables '{move.title}'")
    trust, threat = world.state.trust[rows], world.state.threat[rows]
    vote_of: dict[int, np.ndarray] = {}
    for col, d in enumerate(move.deciders):
        party = next(p for p in move.parties if d in p.deciders)
        view = _view(world, move, party, d, trust, threat, attempt, concession, move.domestic_cost)
        vote_of[d] = _vote(world, move, d, view, draws[:, col], rows, step, "vote",
                           ",".join(ids[q.index] for q in move.parties if d in q.deciders and q.index != d))
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
        enact(world, move, rows[agreed], concession[agreed], step)
    _rejection_signals(world, move, rows, refusers)
    failed = rows[~agreed]
    world.book.attempts[rows, m] += 1
    retry = move.retry & (world.book.attempts[failed, m] < neg.max_attempts)
    world.book.next_attempt[failed, m] = np.where(retry, step + neg.retry_after, -1)
    gave_up = failed[~retry]
    world.book.status[gave_up, m] = MoveStatus.FAILED
    world.log.add("abandoned", step, gave_up, move=move.id, actor=ids[move.proposer],
                reason=f"gave up after {neg.max_attempts} attempts" if move.retry else "no retry allowed")


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


def _vote(world, move, d: int, view: ProposalView, u: np.ndarray, rows, step: int, kind: str, counterpart: str) -> np.ndarray:
    """Ask decider ``d`` (through its agent), draw its vote, log it; returns (k,) bool."""
    p, utility = world.decide(d, view)
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    yes = u < p
    world.log.add(kind, step, rows, move=move.id, actor=world.spec.ids[d], counterpart=counterpart, p=p, draw=u,
                utility=utility, trust=view.trust, gain=view.gain, exposure=view.exposure,
                domestic=view.domestic_cost * view.hawkishness, concession=view.concession, value=yes.astype(float),
                reason=np.where(yes, "accept", "reject"))
    return yes


def _rejection_signals(world, move, rows, refusers) -> None:
    """Each replicate's refusing parties (other than the proposer's own side) send one joint
    hostile signal of ``rejection_cost`` to the proposer and its members; an actor that refused
    both alone and inside a bloc (Russia in the CSTO) is credited once."""
    ids = world.spec.ids
    roster = world.spec.roster
    others = [(idx, no) for idx, no in refusers if move.proposer not in roster.expand([ids[idx]], "consent")]
    if not others:
        return
    pattern = np.stack([no for _, no in others], axis=1)
    observers = tuple(roster.expand([ids[move.proposer]], "proposer"))
    for combo in np.unique(pattern[pattern.any(axis=1)], axis=0):
        sel = rows[(pattern == combo).all(axis=1)]
        senders = tuple(idx for (idx, _), on in zip(others, combo) if on)
        world.emit_signal(sel, senders, observers, world.spec.negotiation.rejection_cost, hostile=True)


def _internal_reason(party, votes: np.ndarray, ok: np.ndarray, ids) -> np.ndarray:
    out = []
    for r in range(votes.shape[0]):
        objectors = [ids[d] for k, d in enumerate(party.deciders) if not votes[r, k]]
        if ok[r]:
            out.append(f"{ids[party.index]} consents ({party.rule})" + (f" over objections of {', '.join(objectors)}" if objectors else ""))
        else:
            out.append(f"no {party.rule} in {ids[party.index]}: {', '.join(objectors)} object")
    return np.array(out, dtype=object)
