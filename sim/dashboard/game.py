"""The classroom game: a student plays one actor; the model plays everyone else.

Before each month in which the student's actor has a decision, the game asks:

- **accept or reject** a move put to it (as a party, or for an alliance or union, for its
  members voting as that party), shown with the numbers its own agent sees (the ProposalView:
  gain, exposure, domestic cost, trust in and threat from the counterparts, the concession) and
  the probability its agent would accept. The answer replaces the agent's strategy through
  :meth:`EurosecModel.delegate`; the model's rules still apply (the actor's hidden type must be
  willing to bear its share of the cost, and the others read the vote as any other).
- **propose now or wait** for a move it tables, with the cost and how likely each type is to
  table it. Proposing leaves the move to be tabled that month under the model's rules; waiting
  moves it ``negotiation.retry_after`` months later (as choosing a later month in the settings
  would), without counting an attempt.

At the end, :meth:`Game.report` compares each choice with what the model's agents chose for the
same actor and move across an ensemble of runs of the same settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.dashboard.session import Run, Settings, build_model
from sim.errors import ConfigError
from sim.mechanisms import negotiation
from sim.model import MoveStatus

GAME_ACTORS = ("RUS", "NATO", "EU", "GEO", "UKR", "MDA")  # Russia, NATO, the EU or a small state


@dataclass
class Decision:
    """One decision put to the player before month ``month``."""

    month: int
    move: str
    title: str
    role: str  # "vote" or "propose"
    numbers: list[dict]  # one row per deciding agent (members of an alliance or union)
    choices: tuple[str, ...]

    def markdown(self) -> str:
        if self.role == "propose":
            r = self.numbers[0]
            return (f"**Month {self.month}: will you table '{self.title}'?**\n\n"
                    f"Its cost to you is {r['cost']:.2f} (attempt {r['attempt']}). Under the model's rules a "
                    f"security seeker tables it with probability {r['p_seeker']:.2f}, an expansionist with "
                    f"{r['p_expansionist']:.2f}: a costly step is evidence of your type. 'Propose' tables it this "
                    f"month (your country's hidden type still decides whether it pays the cost); 'Wait' puts "
                    f"it off by {r['wait']} months.")
        head = (f"**Month {self.month}: {self.numbers[0]['proposer']} proposes '{self.title}'. Accept or reject?**\n\n"
                "| decider | gain | exposure | domestic cost | trust in counterparts | threat from them | concession | "
                "your agent would accept with |\n|---|---|---|---|---|---|---|---|\n")
        rows = "".join(f"| {r['decider']} | {r['gain']:.2f} | {r['exposure']:.2f} | {r['domestic']:.2f} | "
                       f"{r['trust']:.2f} | {r['threat']:.2f} | {r['concession']:.2f} | {r['p_agent']:.2f} |\n"
                       for r in self.numbers)
        return head + rows + ("\nCounterparts: " + ", ".join(self.numbers[0]["counterparts"]) + ". Utility of accepting "
                              "= gain - exposure x (1 - trust) - domestic cost + concession.")


class Game:
    """A run in which ``actor`` is played by a person."""

    def __init__(self, settings: Settings, actor: str, ensemble: int = 200):
        self.run = Run(settings)
        model = self.run.model
        model.actor(actor)  # a ConfigError naming the actors if unknown
        self.actor = actor
        self.actor_name = self.run.names[actor]
        self.ensemble = ensemble
        self.answers: dict[str, str] = {}
        self.choices: list[dict] = []  # every answer given, with what the agent would have done
        self._report: list[dict] | None = None
        model.delegate(actor, self._answer)

    # ------------------------------------------------------------ decisions
    @property
    def finished(self) -> bool:
        return self.run.finished

    def _due(self) -> list:
        model = self.run.model
        book, nxt = model.engine.book, model.month + 1
        return [m for m in model.spec.moves
                if book.status[0, m.index] == MoveStatus.IDLE and book.next_attempt[0, m.index] == nxt]

    def pending(self) -> list[Decision]:
        """The decisions of the coming month not yet answered."""
        if self.finished:
            return []
        model, spec, a = self.run.model, self.run.spec, self.run.spec.roster.index(self.actor)
        out = []
        for move in self._due():
            if move.id in self.answers:
                continue
            if move.proposer == a and negotiation.is_conciliatory(move):
                out.append(self._proposal(move))
                continue
            if move.proposer == a:  # its consent is the tabling: it does not vote on its own text
                continue
            parties = [p for p in move.parties if p.index == a] or [p for p in move.parties if a in p.deciders]
            if parties:
                out.append(self._vote(move, parties[0]))
        return out

    def _vote(self, move, party) -> Decision:
        model, spec = self.run.model, self.run.spec
        engine = model.engine
        attempt = engine.book.attempts[[0], move.index]
        concession = attempt * spec.negotiation.concession_step
        trust, threat = engine.state.trust[[0]], engine.state.threat[[0]]
        rows = []
        for d in party.deciders:
            if d == move.proposer:
                continue
            view = negotiation._view(engine, move, party, d, trust, threat, attempt, concession, move.domestic_cost)  # noqa: SLF001 - the view the agent gets
            agent = model.actor(spec.ids[d])
            rows.append({"decider": spec.ids[d], "proposer": spec.ids[move.proposer], "gain": view.gain,
                         "exposure": view.exposure, "domestic": view.domestic_cost * view.hawkishness,
                         "trust": float(view.trust[0]), "threat": float(view.threat[0]),
                         "concession": float(view.concession[0]), "counterparts": view.counterparts,
                         "p_agent": float(np.asarray(agent.respond(view)).reshape(-1)[0])})
        return Decision(model.month + 1, move.id, move.title, "vote", rows, ("accept", "reject"))

    def _proposal(self, move) -> Decision:
        model, spec = self.run.model, self.run.spec
        engine = model.engine
        attempt = int(engine.book.attempts[0, move.index])
        cost = move.cost + attempt * spec.negotiation.concession_step
        p = engine.choice.probability(np.array([cost, cost]), np.array([True, False]))
        row = {"cost": float(cost), "attempt": attempt + 1, "p_seeker": float(p[0]), "p_expansionist": float(p[1]),
               "wait": spec.negotiation.retry_after}
        return Decision(model.month + 1, move.id, move.title, "propose", [row], ("propose", "wait"))

    def answer(self, decision: Decision, choice: str) -> None:
        if choice not in decision.choices:
            raise ConfigError("choice", f"{choice!r} is not a choice here", decision.choices)
        self.answers[decision.move] = choice
        record = {"month": decision.month, "date": self.run.spec.date(decision.month), "move": decision.move,
                  "title": decision.title, "role": decision.role, "choice": choice}
        if decision.role == "propose":
            record["agent"] = None
            if choice == "wait":
                book = self.run.model.engine.book
                book.next_attempt[0, self.run.spec.move(decision.move).index] += self.run.spec.negotiation.retry_after
                self.run.model.engine.log.add(
                    "intervention", self.run.month, np.array([0]), move=decision.move, actor=self.actor,
                    reason=f"the player ({self.actor}) puts off tabling '{decision.title}' by "
                           f"{self.run.spec.negotiation.retry_after} months")
        else:
            record["agent"] = float(np.mean([r["p_agent"] for r in decision.numbers]))
        self.choices.append(record)

    def _answer(self, view, q):
        """The delegate: the player's answer for this move (the agent's own if none was asked)."""
        choice = self.answers.get(view.move)
        if choice is None:
            return q
        return np.full(np.shape(q), 1.0 if choice in ("accept", "propose") else 0.0)

    def advance(self) -> None:
        """Run month by month until the player has a decision to make, or the run ends."""
        while not self.finished:
            self.run.step()
            self.answers.clear()
            if self.pending():
                return

    # --------------------------------------------------------------- the end
    def report(self) -> list[dict]:
        """Each choice beside the share of runs in which the model's agent for the same actor
        and move made the same choice, across ``ensemble`` seeds of the same settings (the
        agents play everyone there, the player's actor included)."""
        if self._report is not None:
            return self._report
        model = build_model(self.run.settings, replicates=self.ensemble, record_events=True)
        model.run()
        ev = model.events()
        spec = self.run.spec
        members = set(spec.roster.leaves(self.actor)) if spec.roster[self.actor].is_composite else {self.actor}
        out = []
        for c in self.choices:
            here = ev[ev["move"] == c["move"]]
            if c["role"] == "propose":
                tabled = (here["kind"] == "proposal").sum()
                declined = (here["kind"] == "declined").sum()
                share = tabled / (tabled + declined) if tabled + declined else float("nan")
                same = share if c["choice"] == "propose" else 1.0 - share
            else:
                votes = here[(here["kind"] == "vote") & here["actor"].isin(members)]
                share = float(votes["value"].mean()) if len(votes) else float("nan")
                same = share if c["choice"] == "accept" else 1.0 - share
            out.append({**c, "agents_yes": share, "agents_same": same})
        self._report = out
        return out

    def report_markdown(self) -> str:
        rows = self.report()
        r = self.run
        end = ", ".join(f"{r.label(n)} {r.series[n][-1]:.2f}" for n in r.series_names)
        text = [f"**The end ({r.date}).** {end}.", "",
                f"Your choices against the model's agents for {self.actor} across {self.ensemble} runs of the same "
                "settings:", "", "| month | move | you | agents chose the same in |", "|---|---|---|---|"]
        for c in rows:
            same = "n/a" if c["agents_same"] != c["agents_same"] else f"{100 * c['agents_same']:.0f}% of their decisions"
            text.append(f"| {c['date']} | {c['title'][:50]} | {c['choice']} | {same} |")
        if not rows:
            text.append("| - | no decision came to you | - | - |")
        return "\n".join(text)
