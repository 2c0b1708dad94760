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


def negotiate(eng, move, step: int) -> None:
    """Table ``move`` in the replicates whose next attempt falls in ``step``."""
    m = move.index
    rows = np.flatnonzero(eng.book.next_attempt[:, m] == step)
    if rows.size == 0:
        return
    ids = eng.spec.ids
    neg = eng.spec.negotiation
    if move.unilateral:
        eng.log.add("proposal", step, rows, move=move.id, actor=ids[move.proposer], reason="unilateral step (GRIT): no consent needed")
        eng.enact(move, rows, np.zeros(rows.size), step)
        return
    attempt = eng.book.attempts[rows, m]
    concession = attempt * neg.concession_step
    draws = eng.attempt_draws[m][rows, attempt, :]
    eng.log.add("proposal", step, rows, move=move.id, actor=ids[move.proposer], value=attempt + 1, concession=concession,
                reason=f"{ids[move.proposer]} tables '{move.title}'")
    trust, threat = eng.state.trust[rows], eng.state.threat[rows]
    vote_of: dict[int, np.ndarray] = {}
    for col, d in enumerate(move.deciders):
        party = next(p for p in move.parties if d in p.deciders)
        view = _view(eng, move, party, d, trust, threat, attempt, concession, move.domestic_cost)
        vote_of[d] = _vote(eng, move, d, view, draws[:, col], rows, step, "vote",
                           ",".join(ids[q.index] for q in move.parties if d in q.deciders and q.index != d))
    agreed = np.ones(rows.size, dtype=bool)
    refusers: list[tuple[int, np.ndarray]] = []
    for party in move.parties:
        votes = np.stack([vote_of[d] for d in party.deciders], axis=1)
        ok = party_accepts(votes, party)
        if len(party.deciders) > 1:
            eng.log.add("decision", step, rows, move=move.id, actor=ids[party.index], value=ok.astype(float),
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
        view = _view(eng, move, party, d, trust[sub], threat[sub], attempt[sub], concession[sub],
                     move.domestic_cost + move.ratification_cost)
        ratified = _vote(eng, move, d, view, draws[sub, len(move.deciders) + k], rows[sub], step, "ratification",
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
    eng.log.add("outcome", step, rows, move=move.id, actor=ids[move.proposer], value=agreed.astype(float),
                concession=concession, reason=reasons)
    if agreed.any():
        eng.enact(move, rows[agreed], concession[agreed], step)
    _rejection_signals(eng, move, rows, refusers)
    failed = rows[~agreed]
    eng.book.attempts[rows, m] += 1
    retry = move.retry & (eng.book.attempts[failed, m] < neg.max_attempts)
    eng.book.next_attempt[failed, m] = np.where(retry, step + neg.retry_after, -1)
    gave_up = failed[~retry]
    eng.book.status[gave_up, m] = MoveStatus.FAILED
    eng.log.add("abandoned", step, gave_up, move=move.id, actor=ids[move.proposer],
                reason=f"gave up after {neg.max_attempts} attempts" if move.retry else "no retry allowed")


def _view(eng, move, party, d: int, trust, threat, attempt, concession, domestic_cost: float) -> ProposalView:
    ids = eng.spec.ids
    cps = move.counterparts(party, d, eng.spec.roster)
    return ProposalView(
        move=move.id, title=move.title, proposer=ids[move.proposer], party=ids[party.index], decider=ids[d],
        counterparts=tuple(ids[c] for c in cps), attempt=_readonly(attempt), concession=_readonly(concession),
        gain=float(move.gain[d]), exposure=move.exposure, domestic_cost=domestic_cost,
        hawkishness=float(eng.spec.roster.hawkishness[d]),
        trust=_readonly(trust[:, d, cps].mean(axis=1) if cps else np.ones(len(attempt))),
        threat=_readonly(threat[:, d, cps].mean(axis=1) if cps else np.zeros(len(attempt))),
        rationality=eng.spec.negotiation.rationality,
    )


def _vote(eng, move, d: int, view: ProposalView, u: np.ndarray, rows, step: int, kind: str, counterpart: str) -> np.ndarray:
    """Ask decider ``d`` (through its agent), draw its vote, log it; returns (k,) bool."""
    p, utility = eng.decide(d, view)
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    yes = u < p
    eng.log.add(kind, step, rows, move=move.id, actor=eng.spec.ids[d], counterpart=counterpart, p=p, draw=u,
                utility=utility, trust=view.trust, gain=view.gain, exposure=view.exposure,
                domestic=view.domestic_cost * view.hawkishness, concession=view.concession, value=yes.astype(float),
                reason=np.where(yes, "accept", "reject"))
    return yes


def _rejection_signals(eng, move, rows, refusers) -> None:
    """Each replicate's refusing parties (other than the proposer's own side) send one joint
    hostile signal of ``rejection_cost`` to the proposer and its members; an actor that refused
    both alone and inside a bloc (Russia in the CSTO) is credited once."""
    ids = eng.spec.ids
    roster = eng.spec.roster
    others = [(idx, no) for idx, no in refusers if move.proposer not in roster.expand([ids[idx]], "consent")]
    if not others:
        return
    pattern = np.stack([no for _, no in others], axis=1)
    observers = tuple(roster.expand([ids[move.proposer]], "proposer"))
    for combo in np.unique(pattern[pattern.any(axis=1)], axis=0):
        sel = rows[(pattern == combo).all(axis=1)]
        senders = tuple(idx for (idx, _), on in zip(others, combo) if on)
        eng.emit_signal(sel, senders, observers, eng.spec.negotiation.rejection_cost, hostile=True)


def _internal_reason(party, votes: np.ndarray, ok: np.ndarray, ids) -> np.ndarray:
    out = []
    for r in range(votes.shape[0]):
        objectors = [ids[d] for k, d in enumerate(party.deciders) if not votes[r, k]]
        if ok[r]:
            out.append(f"{ids[party.index]} consents ({party.rule})" + (f" over objections of {', '.join(objectors)}" if objectors else ""))
        else:
            out.append(f"no {party.rule} in {ids[party.index]}: {', '.join(objectors)} object")
    return np.array(out, dtype=object)
