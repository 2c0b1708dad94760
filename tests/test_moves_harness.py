"""One shared harness for every policy move: each option (configs/option/) and irritant
(configs/irritant/) is loaded alone on the bare 2010 stage, forced through negotiation, and each
of its effects is checked generically by effect type. A new option file is picked up
automatically (ids come from ``sim.config.config_groups()``); a new effect type fails here until
the harness knows what that type should do.

Set-up of every arm: scenario baseline_2010 (no scheduled moves) without the formats it has in
force at the start, so each option is checked creating its structures (their upgrade of a format
in force is tests/test_structures_levels.py); a format a `level` decision names is kept. Crises
disabled unless a check forces one, the move tabled in month 2 (month 1 is a calm reference
month), horizon 24.

Each effect is compared with an *ablation* control: the same move, enacted in the same month with
the same seeds, without that one effect. That isolates the effect from the rest of the move (the
proposer's conciliatory cost signal, sibling effects) which a control without the whole move would
mix in (e.g. in ``documents`` the EU's enactment signal outweighs the small irritant it sends to
the parent states). Effects that consume monthly random draws (channels, commitments) are replaced
by an inert twin of the same type instead of being removed, so that every other draw of the move's
stream is unchanged (common random numbers). Comparisons at the horizon use the replicates where
the move is still in force in every arm compared (a commitment can be breached, which ends it).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.config import CONFIG_DIR, config_groups, load_config
from sim.mechanisms.effects import EFFECT_TYPES
from sim.model import EurosecModel
from sim.config.roster import compile_roster
from sim.core.state import MoveStatus

R = 6  # replicates per arm (vectorised)
SEED = 2010
START = 2  # month the move is tabled
HORIZON = 24
GROUPS = ("option", "irritant")


# ------------------------------------------------------------------ discovery
def _discover() -> list[tuple[str, str, int, str]]:
    """(group, move id, effect position, effect type) for every effect of every move file.
    The files are read as plain YAML for the test ids only; the tests compose them with Hydra."""
    out = []
    available = config_groups()
    for group in GROUPS:
        for mid in available.get(group, []):
            raw = yaml.safe_load((Path(CONFIG_DIR) / group / f"{mid}.yaml").read_text()) or {}
            effects = ((raw.get("moves") or {}).get(mid) or {}).get("effects") or []
            if not effects:
                out.append((group, mid, -1, "none"))
            for k, e in enumerate(effects):
                out.append((group, mid, k, str(e.get("type"))))
    return out


EFFECTS = _discover()
MOVES = sorted({(g, m) for g, m, _, _ in EFFECTS}, key=lambda x: (GROUPS.index(x[0]), x[1]))


def test_every_move_file_is_discovered():
    groups = config_groups()
    assert {m for _, m in MOVES} == set(groups["option"]) | set(groups["irritant"])
    assert len(groups["option"]) >= 11 and len(groups["irritant"]) >= 4


# ------------------------------------------------------------------ config helpers
@lru_cache(maxsize=None)
def _group_of() -> dict[str, str]:
    groups = config_groups()
    return {m: g for g in GROUPS for m in groups.get(g, [])}


def base_config(mid: str) -> dict:
    """The bare stage with ``mid`` (and any move it requires) composed through Hydra, tabled in
    month START, crises off, horizon HORIZON."""
    group = _group_of()[mid]
    cfg = load_config(["scenario=baseline_2010", f"{group}=[{mid}]"])
    assert mid in cfg["moves"], f"{group}/{mid}.yaml does not define moves.{mid}"
    for other in cfg["moves"][mid].get("requires") or []:
        extra = load_config(["scenario=baseline_2010", f"{_group_of()[other]}=[{other}]"])
        cfg["moves"][other] = extra["moves"][other]
    named = {e.get("structure") for m in cfg["moves"].values() if not m.get("in_force")
             for e in m.get("effects") or [] if e.get("type") == "level"}
    for other in [o for o, m in cfg["moves"].items() if m.get("in_force")]:
        if not any(e.get("name") in named for e in cfg["moves"][other].get("effects") or []):
            del cfg["moves"][other]
    for m in cfg["moves"].values():
        m["start"] = START
    cfg["crises"]["enabled"] = False
    cfg["scenario"]["horizon"] = HORIZON
    cfg["output"]["dyad_period"] = 0
    cfg["output"]["events"] = True
    # every actor a security seeker that values every step far above its cost: each act is taken
    # (probability 1 - 1e-29), so the harness sees what an effect does once taken; the reading of
    # acts still uses the default choice model (sim/mechanisms/types.py)
    cfg["dynamics"]["seeker_value"] = 5.0
    cfg["dynamics"]["type_noise"] = 0.0
    cfg["scenario"]["type_prior"] = {a: 1.0 for a in cfg["roster"]}
    return cfg


def deciders(cfg: dict) -> set[str]:
    """Every actor that votes or ratifies on any move of ``cfg`` (composites vote through members)."""
    roster = compile_roster(cfg["roster"])
    out = set()
    for m in cfg["moves"].values():
        for aid in list(m.get("consent") or []) + list(m.get("ratify") or []):
            out |= {roster.ids[i] for i in roster.leaves(aid)}
    return out


def force(cfg: dict, strategy: str) -> dict:
    for a in deciders(cfg):
        cfg["roster"][a]["strategy"] = strategy
    return cfg


def inert(effect: dict) -> dict | None:
    """A twin of ``effect`` that does nothing but consumes the same monthly draws, or None if the
    type draws nothing (then the effect is simply removed)."""
    kind = effect["type"]
    if kind == "clause":  # its draws are its own (assistance choices): removing it shifts no other stream
        return None
    if EFFECT_TYPES[kind].n_draws == 0:
        return None
    if kind == "channel":
        return {**effect, "contact_cost": 0.0, "crisis_dampening": 0.0}
    if kind == "commitment":
        return {**effect, "posture_ceiling": 1.0, "verification_cost": 0.0, "breach_rate": 0.0, "breach_cost": 0.0}
    if kind == "grit":  # the first step falls beyond any horizon: no step, no reciprocation, no end
        return {**effect, "interval": 1200}
    raise NotImplementedError(f"the harness has no inert twin for effect type {kind!r}")


def ablate(cfg: dict, mid: str, k: int) -> dict:
    cfg = copy.deepcopy(cfg)
    effects = cfg["moves"][mid]["effects"]
    twin = inert(effects[k])
    if twin is None:
        del effects[k]
    else:
        effects[k] = twin
    return cfg


def only_crisis(cfg: dict, crisis_type: str, sites: list) -> dict:
    for name, t in cfg["crises"]["types"].items():
        t["base_rate"] = 1.0 if name == crisis_type else 0.0
    cfg["crises"]["types"][crisis_type]["sites"] = sites
    cfg["crises"]["enabled"] = True
    return cfg


# ------------------------------------------------------------------ running
@dataclass
class Run:
    model: EurosecModel
    snaps: dict[str, list[np.ndarray]]  # per month 0..HORIZON
    status: list[dict[str, np.ndarray]]  # per month 0..HORIZON: move id -> (R,) MoveStatus codes
    strength: list[dict]  # per month 0..HORIZON: structure key -> (R,) strength
    events: object
    summary: object

    def at(self, name: str, month: int) -> np.ndarray:
        return self.snaps[name][month]

    def live(self, mid: str, month: int = HORIZON) -> np.ndarray:
        """(R,) whether the move is in force at the end of ``month`` (a commitment's breach ends it)."""
        return self.status[month][mid] == MoveStatus.IN_FORCE

    def of(self, kind: str, move: str | None = None):
        ev = self.events[self.events["kind"] == kind]
        if move is not None:
            ev = ev[ev["move"].astype(str) == move]
        return ev


SNAP = ("own", "trust", "threat", "posture", "irritant", "irritant_floor", "ceiling")


def simulate(cfg: dict, horizon: int = HORIZON) -> Run:
    cfg = copy.deepcopy(cfg)
    cfg["scenario"]["horizon"] = horizon
    model = EurosecModel(rng=SEED, replicates=R, config=cfg, record_events=True)
    eng = model.engine
    snaps = {k: [getattr(eng.state, k).copy()] for k in SNAP}
    snaps["human_security"] = [eng.human_security.value.copy()]
    move_ids = [m.id for m in model.spec.moves]
    status = [{mid: model.move_status(mid) for mid in move_ids}]
    strength = [{k: v.copy() for k, v in eng.structures.strength.items()}]
    for _ in range(horizon):
        model.step()
        for k in SNAP:
            snaps[k].append(getattr(eng.state, k).copy())
        snaps["human_security"].append(eng.human_security.value.copy())
        status.append({mid: model.move_status(mid) for mid in move_ids})
        strength.append({k: v.copy() for k, v in eng.structures.strength.items()})
    return Run(model, snaps, status, strength, model.events(), model.summary())


@lru_cache(maxsize=4)
def treated(mid: str) -> Run:
    """The move alone, every decider forced to accept."""
    return simulate(force(base_config(mid), "always_accept"))


def ablated(mid: str, k: int) -> Run:
    return simulate(ablate(force(base_config(mid), "always_accept"), mid, k))


def live_rows(mid: str, *runs: Run) -> np.ndarray:
    """Replicates where the move is still in force at the horizon in every run (only a breached
    commitment ends a move with crises off); comparisons at the horizon use these."""
    alive = np.logical_and.reduce([r.live(mid) for r in runs])
    assert alive.any(), f"{mid} ended in every replicate"
    return np.flatnonzero(alive)


def group_of(model, ids) -> set[int]:
    """The sender group (docs/model.md §7.1): the actors and, for composites, all their members,
    and the alliances and unions a sender's act is credited to (member_attribution)."""
    expanded = set(model.spec.roster.expand(list(ids), "test"))
    att = model.spec.attribution
    return expanded | {int(j) for s in ids for j in np.flatnonzero(att[model.spec.roster.index(s)] > 0)}


def name(model, i: int) -> str:
    return model.spec.ids[i]


# ------------------------------------------------------------------ enactment
@pytest.mark.parametrize("group, mid", MOVES, ids=[m for _, m in MOVES])
def test_move_is_enacted_in_its_month_when_every_decider_accepts(group, mid):
    run = treated(mid)
    model = run.model
    move = model.spec.move(mid)
    assert move.effects, f"{mid} has no effects"
    # nothing happens in the calm month before the move is tabled
    assert (run.summary.loc[run.summary["step"] == 1, "agreements_reached"] == 0).all()
    assert (model.enacted_month(mid) == START).all()
    props, enacted = run.of("proposal", mid), run.of("enacted", mid)
    assert (props["step"] == START).all() and props["replicate"].nunique() == R and len(props) == R
    assert (enacted["step"] == START).all() and enacted["replicate"].nunique() == R and len(enacted) == R
    votes = run.of("vote", mid)
    if move.unilateral:
        # a unilateral step (GRIT) is taken without asking anyone
        assert len(votes) == 0 and len(run.of("outcome", mid)) == 0
    else:
        assert len(votes) == R * len(move.deciders) and (votes["value"] == 1).all()
        assert len(run.of("ratification", mid)) == R * len(move.ratifiers)
        outcome = run.of("outcome", mid)
        assert len(outcome) == R and (outcome["step"] == START).all() and (outcome["value"] == 1).all()
    assert len(run.of("abandoned", mid)) == 0


@pytest.mark.parametrize("group, mid", MOVES, ids=[m for _, m in MOVES])
def test_move_is_never_enacted_when_every_decider_rejects(group, mid):
    cfg = force(base_config(mid), "always_reject")
    neg = cfg["negotiation"]
    attempts, gap = int(neg["max_attempts"]), int(neg["retry_after"])
    last = START + gap * (attempts - 1)
    run = simulate(cfg, horizon=max(HORIZON, last + 2))
    model = run.model
    move = model.spec.move(mid)
    if move.unilateral:
        # nobody is asked, so nobody can refuse: a unilateral step goes ahead regardless
        assert len(run.of("vote", mid)) == 0
        assert (model.enacted_month(mid) == START).all()
        return
    assert len(run.of("enacted", mid)) == 0
    assert (model.enacted_month(mid) == -1).all()
    assert (model.move_status(mid) == MoveStatus.FAILED).all()
    props, outcome = run.of("proposal", mid), run.of("outcome", mid)
    expected = [START + gap * a for a in range(attempts)]
    for r in range(R):
        assert props.loc[props["replicate"] == r, "step"].tolist() == expected
    assert len(outcome) == R * attempts and (outcome["value"] == 0).all()
    abandoned = run.of("abandoned", mid)
    assert len(abandoned) == R and (abandoned["step"] == last).all()
    negotiated = sum(not m.unilateral for m in model.spec.moves)
    assert (run.summary.loc[run.summary["step"] == run.summary["step"].max(), "agreements_failed"] == negotiated).all()


# ------------------------------------------------------------------ effects, by type
@pytest.mark.parametrize("group, mid, k, kind", EFFECTS, ids=[f"{m}-{k}-{t}" for _, m, k, t in EFFECTS])
def test_effect_does_what_its_type_says(group, mid, k, kind):
    assert k >= 0, f"{mid} has no effects"
    run = treated(mid)
    effect = run.model.spec.move(mid).effects[k]
    assert effect.type == kind, "the composed config differs from the file"
    check = CHECKS.get(effect.type)
    assert check is not None, f"the harness has no check for effect type {effect.type!r}: add one"
    check(mid, k, effect, run)


def check_signal(mid, k, e, run):
    """Observers' own log-odds that each sender is trustworthy rise at once (fall if hostile)."""
    ctrl = ablated(mid, k)
    model, d = run.model, run.model.spec.dynamics
    group = group_of(model, [name(model, s) for s in e.senders])
    observers = range(len(model.spec.ids)) if e.observers is None else e.observers
    pairs = [(o, s) for s in e.senders for o in observers if o not in group]
    assert pairs
    for o, s in pairs:
        before = run.at("own", START - 1)[:, o, s] - ctrl.at("own", START - 1)[:, o, s]
        assert np.abs(before).max() < 1e-12
        diff = run.at("own", START)[:, o, s] - ctrl.at("own", START)[:, o, s]
        label = (name(model, o), name(model, s))
        llr = float(model.engine.choice.taken(e.cost))
        if e.cost == 0:  # cheap talk: read at log LR ~0.005
            assert np.abs(diff).max() <= llr + 1e-12, label
        elif e.hostile:
            assert (diff < -0.5 * llr).all(), label
        else:
            # Kydd: dL = llr(c) * (1 - spiral_bias * P) >= llr(c) * (1 - spiral_bias)
            assert (diff > 0).all(), label
            assert (diff > 0.5 * llr * (1 - d.spiral_bias)).all(), label
    # observers outside the signal learn nothing from it
    if e.observers is not None:
        outside = [o for o in range(len(model.spec.ids)) if o not in e.observers and o not in group]
        for o in outside:
            for s in e.senders:
                diff = run.at("own", START)[:, o, s] - ctrl.at("own", START)[:, o, s]
                assert np.abs(diff).max() < 1e-12, (name(model, o), name(model, s))


def check_irritant(mid, k, e, run):
    """Observers perceive more threat from the senders (at once and still at the horizon) and,
    when the act is costly, trust them less."""
    ctrl = ablated(mid, k)
    model, d = run.model, run.model.spec.dynamics
    group = group_of(model, [name(model, s) for s in e.senders])
    pairs = [(o, s) for s in e.senders for o in e.observers if o not in group]
    assert pairs
    rows = live_rows(mid, run, ctrl)
    for o, s in pairs:
        label = (name(model, o), name(model, s))
        assert np.abs(run.at("threat", START - 1)[:, o, s] - ctrl.at("threat", START - 1)[:, o, s]).max() < 1e-12
        now = run.at("threat", START)[:, o, s] - ctrl.at("threat", START)[:, o, s]
        # jump r * c (then most of it kept) plus a tenth of the way towards the added load
        floor = 0.5 * ((1 - d.threat_adjustment) * d.reassurance * e.cost + d.threat_adjustment * e.load)
        assert (now > floor).all(), label
        assert (run.at("threat", HORIZON)[rows, o, s] > ctrl.at("threat", HORIZON)[rows, o, s]).all(), label
        # the lasting load, decaying at irritant_decay per month
        for month in (START, HORIZON):
            load = run.at("irritant", month)[rows, o, s] - ctrl.at("irritant", month)[rows, o, s]
            expected = e.load * (1 - d.irritant_decay) ** (month - START + 1)
            assert (load > 0.5 * expected).all() and (load <= e.load + 1e-12).all(), (label, month)
        if e.cost > 0:
            own = run.at("own", START)[:, o, s] - ctrl.at("own", START)[:, o, s]
            assert (own < -0.5 * float(model.engine.choice.taken(e.cost))).all(), label
            assert (run.at("trust", START)[:, o, s] < ctrl.at("trust", START)[:, o, s]).all(), label
            assert (run.at("trust", HORIZON)[rows, o, s] < ctrl.at("trust", HORIZON)[rows, o, s]).all(), label


def check_reassurance(mid, k, e, run):
    """The observers' standing irritant floor towards the senders (and their members) falls by
    the relief where it was positive, never below zero; their threat perception falls."""
    ctrl = ablated(mid, k)
    model = run.model
    n = len(model.spec.ids)
    targets = group_of(model, [name(model, s) for s in e.senders])
    f_run, f_ctrl = run.at("irritant_floor", HORIZON), ctrl.at("irritant_floor", HORIZON)
    assert (f_run >= 0).all()
    relieved = np.zeros((n, n), dtype=bool)
    for o in e.observers:
        for t in targets:
            before = f_ctrl[:, o, t]
            expected = np.maximum(before - e.relief, 0.0)
            assert np.allclose(f_run[:, o, t], expected, atol=1e-12), (name(model, o), name(model, t))
            if e.relief > 0 and (before > 0).all():
                relieved[o, t] = True
                assert (f_run[:, o, t] < before).all()
    # nothing else is relieved
    mask = np.ones((n, n), dtype=bool)
    mask[np.ix_(list(e.observers), list(targets))] = False
    assert np.abs(f_run[:, mask] - f_ctrl[:, mask]).max() < 1e-12
    pairs = [(o, s) for s in e.senders for o in e.observers if o not in targets]
    assert pairs
    rows = live_rows(mid, run, ctrl)
    for o, s in pairs:
        label = (name(model, o), name(model, s))
        # a composite's threat is its members' mean: relieved if any member's floor was
        members = list(group_of(model, [name(model, o)]))
        lighter = e.relief > 0 and relieved[members, s].any()
        if e.cost > 0:
            assert (run.at("threat", START)[:, o, s] < ctrl.at("threat", START)[:, o, s]).all(), label
        if e.cost > 0 or lighter:
            assert (run.at("threat", HORIZON)[rows, o, s] < ctrl.at("threat", HORIZON)[rows, o, s]).all(), label
        else:
            higher = run.at("threat", HORIZON)[rows, o, s] - ctrl.at("threat", HORIZON)[rows, o, s]
            assert (higher <= 1e-12).all(), label


def check_channel(mid, k, e, run):
    """Open from the month of enactment (counted in channels_open), phasing in; the members'
    monthly contacts raise their trust in each other relative to the control by the horizon."""
    ctrl = ablated(mid, k)
    model, d = run.model, run.model.spec.dynamics
    move = model.spec.move(mid)
    key = (move.index, k)
    rows = live_rows(mid, run, ctrl)
    s = np.array([snap[key] for snap in run.strength])[:, rows]  # (months + 1, live replicates)
    assert (s[:START] == 0).all() and (s[START:] > 0).all()
    assert (np.diff(s[START:], axis=0) >= -1e-12).all()
    if START + move.phase_in - 1 <= HORIZON:
        assert np.allclose(s[START + move.phase_in - 1], 1.0)
    n_channels = sum(x.type == "channel" for x in move.effects)
    opened = run.summary[run.summary["replicate"].isin(rows)].groupby("step")["channels_open"]
    assert (opened.max().loc[: START - 1] == 0).all()
    assert (opened.min().loc[START:] == n_channels).all() and (opened.max().loc[START:] == n_channels).all()
    # log-odds credited over the run, a lower bound: each month llr(c * strength) * (1 - spiral_bias),
    # then forgotten at trust_memory per month
    months = np.arange(START, HORIZON + 1)
    ramp = np.clip((months - START + 1) / move.phase_in, 0, 1)
    bound = (1 - d.spiral_bias) * np.sum(model.engine.choice.taken(e.contact_cost * ramp)
                                         * (1 - d.trust_memory) ** (HORIZON - months + 1))
    pairs = [(o, m) for m in e.members for o in e.covered if o not in group_of(model, [name(model, m)])]
    assert pairs
    for o, m in pairs:
        label = (name(model, o), name(model, m))
        own = run.at("own", HORIZON)[rows, o, m] - ctrl.at("own", HORIZON)[rows, o, m]
        assert (own > 0.5 * bound).all(), label
        assert (run.at("trust", HORIZON)[rows, o, m] > ctrl.at("trust", HORIZON)[rows, o, m]).all(), label


def _clause_sites(model, cfg, e) -> list[tuple[str, dict]]:
    """(crisis type, site config) pairs to force: for each covered type, its first site whose
    victims are all parties and leave someone to help, else a site with one party as victim."""
    roster = model.spec.roster
    out = []
    for kind in e.covers:
        chosen = None
        for site in cfg["crises"]["types"][kind].get("sites") or []:
            victims = site.get("victims") or []
            if not victims or "conflict" in site:
                continue
            v = set(roster.expand(victims, "v"))
            helpers = [p for p in e.parties if not v & set(roster.expand([roster.ids[p]], "p"))]
            if v <= set(e.covered) and helpers:
                chosen = {"victims": list(victims)}
                break
        if chosen is None:
            victim = next(p for p in e.parties if not roster.actors[p].is_composite)
            chosen = {"victims": [roster.ids[victim]]}
        out.append((kind, chosen))
    return out


def check_clause(mid, k, e, run):
    """A covered crisis striking a covered victim every month: the other parties assist (one
    'assistance' event per crisis once the clause is in force; none without it), and the victim
    trusts them more than without the clause."""
    model = run.model
    cfg = force(base_config(mid), "always_accept")
    roster = model.spec.roster
    for kind, site in _clause_sites(model, cfg, e):
        arm = simulate(only_crisis(copy.deepcopy(cfg), kind, [site]))
        ctrl = simulate(ablate(only_crisis(copy.deepcopy(cfg), kind, [site]), mid, k))
        crises = arm.of("crisis")
        assert len(crises) > R * (HORIZON - START) / 2, kind  # the forced crisis fires most months
        after = crises[crises["step"] >= START]
        helped = arm.of("assistance", mid)
        assert len(helped) == len(after) > 0, kind
        assert (helped["step"] >= START).all()
        assert set(zip(helped["replicate"], helped["step"])) == set(zip(after["replicate"], after["step"]))
        assert len(ctrl.of("assistance")) == 0, kind
        rows = live_rows(mid, arm, ctrl)
        victims = set(roster.expand(site["victims"], "v"))
        helpers = [p for p in e.parties if not victims & set(roster.expand([roster.ids[p]], "p"))]
        for v in roster.expand(site["victims"], "v"):
            for h in helpers:
                if h in victims:
                    continue
                label = (kind, roster.ids[v], roster.ids[h])
                assert (arm.at("own", HORIZON)[rows, v, h] > ctrl.at("own", HORIZON)[rows, v, h]).all(), label


def check_commitment(mid, k, e, run):
    """While in force, the posture ceiling across the two sides is below 1 and postures stay under
    it: below the control where the control plans above the ceiling, never above the control."""
    ctrl = ablated(mid, k)
    model = run.model
    move = model.spec.move(mid)
    obs, tgt = e.pairs()
    # a breach ends the move: every replicate where it ended has its breach event, in that month
    breaches = run.of("breach", mid)
    ended = np.flatnonzero(model.move_status(mid) == MoveStatus.ENDED)
    assert sorted(breaches["replicate"]) == sorted(ended)
    for row in breaches.itertuples():
        assert row.step >= START and not run.live(mid, row.step)[row.replicate]
        assert row.step == START or run.live(mid, row.step - 1)[row.replicate]
    # before the move nothing is capped; while it is in force the cap ramps down to the ceiling
    assert (run.at("ceiling", START - 1) == 1).all()
    excess = restrained = 0.0
    for month in range(START, HORIZON + 1):
        rows = np.flatnonzero(run.live(mid, month))
        ceiling = run.at("ceiling", month)[rows][:, obs, tgt]
        posture = run.at("posture", month)[rows][:, obs, tgt]
        control = ctrl.at("posture", month)[rows][:, obs, tgt]
        strength = min((month - START + 1) / move.phase_in, 1.0)
        assert np.allclose(ceiling, 1 - strength * (1 - e.posture_ceiling)), month
        assert (ceiling < 1).all() and (posture <= ceiling + 1e-12).all(), month
        assert (posture <= control + 1e-12).all(), month
        excess += np.maximum(control - ceiling, 0.0).sum()
        restrained += (control - posture).sum()
    assert excess > 0, "the ceiling binds nowhere: the commitment restrains nothing"
    assert restrained >= excess - 1e-9
    assert run.live(mid, HORIZON).any(), "breached in every replicate"


def _mission_site(model, cfg, e):
    """The crisis type and site config at one of the mission's sites with the largest trust
    damage (severity * blame)."""
    best, best_damage = None, -1.0
    per_type: dict[str, int] = {}
    for slot in model.spec.slots:
        pos = per_type.get(slot.type, 0)
        per_type[slot.type] = pos + 1
        if not e.covers(slot):
            continue
        damage = slot.severity * slot.blame
        if damage > best_damage:
            best, best_damage = (slot.type, cfg["crises"]["types"][slot.type]["sites"][pos], slot), damage
    return best


def check_mission(mid, k, e, run):
    """A crisis at the mission's site every month: the mission manages it ('managed' event for
    every crisis once in force; none without it) and the trust damage is smaller than without."""
    model = run.model
    cfg = force(base_config(mid), "always_accept")
    found = _mission_site(model, cfg, e)
    assert found is not None, f"no crisis site is covered by mission {e.name}"
    kind, site, slot = found
    arm = simulate(only_crisis(copy.deepcopy(cfg), kind, [site]))
    ctrl = simulate(ablate(only_crisis(copy.deepcopy(cfg), kind, [site]), mid, k))
    calm = simulate(ablate(copy.deepcopy(cfg), mid, k))
    crises = arm.of("crisis")
    after = crises[crises["step"] >= START]
    managed = arm.of("managed", mid)
    assert len(after) > R, "the forced crisis hardly fires"
    if e.cooperation_cost > 0:
        assert set(zip(managed["replicate"], managed["step"])) == set(zip(after["replicate"], after["step"]))
    assert len(ctrl.of("managed")) == 0
    # each crisis at the site absorbs at least management * strength of its damage (the event's value)
    key = (model.spec.move(mid).index, k)
    for row in after.itertuples():
        assert row.value >= e.management * arm.strength[row.step][key][row.replicate] - 1e-9
    assert after["value"].mean() > ctrl.of("crisis").query("step >= @START")["value"].mean() + 0.25 * e.management
    if e.hazard_reduction > 0:
        assert len(after) < len(ctrl.of("crisis").query("step >= @START"))
    # managed crises escalate less: fewer escalations at the site than without the mission, so
    # less bad news about the sides (sim/mechanisms/crises.py reads escalations by Bayes' rule)
    if slot.conflict and slot.escalation > 0:
        esc_arm = arm.summary.query("step >= @START")["escalations"].sum()
        esc_ctrl = ctrl.summary.query("step >= @START")["escalations"].sum()
        assert esc_arm < esc_ctrl, (esc_arm, esc_ctrl)


def check_human_security(mid, k, e, run):
    """The covered territories' human-security index ends above the control, by about the gain
    phased in; the others are untouched. The summary columns report it."""
    ctrl = ablated(mid, k)
    model, d = run.model, run.model.spec.dynamics
    move = model.spec.move(mid)
    hs = model.engine.human_security
    covered = {hs.position[t] for t in e.territories}
    # the index relaxes towards its target at human_security_adjustment per month: lower bound
    # on the gap built by the gain (no clipping at these levels)
    gap = 0.0
    for month in range(START, HORIZON + 1):
        strength = min((month - START + 1) / move.phase_in, 1.0)
        gap += d.human_security_adjustment * (e.gain * strength - gap)
    rows = live_rows(mid, run, ctrl)
    last = run.summary[run.summary["step"] == HORIZON].sort_values("replicate")
    last_ctrl = ctrl.summary[ctrl.summary["step"] == HORIZON].sort_values("replicate")
    for pos, terr in enumerate(hs.territories):
        col = f"human_security_{terr.id}"
        assert np.allclose(last[col].to_numpy(), run.at("human_security", HORIZON)[:, pos], atol=1e-6)
        diff = run.at("human_security", HORIZON)[rows, pos] - ctrl.at("human_security", HORIZON)[rows, pos]
        if pos in covered and e.gain > 0:
            assert (diff > 0.5 * gap).all(), terr.id
            assert (last[col].to_numpy()[rows] > last_ctrl[col].to_numpy()[rows]).all(), terr.id
        elif pos in covered and e.gain < 0:
            assert (diff < 0.5 * gap).all(), terr.id
        else:
            assert np.abs(diff).max() < 1e-12, terr.id


def check_conflict(mid, k, e, run):
    """The scheduled war breaks out in the month of enactment: a crisis that escalates at once."""
    ctrl = ablated(mid, k)
    esc = run.of("escalation")
    assert len(esc) == R and (esc["step"] == START).all()
    assert esc["actor"].astype(str).str.startswith(e.site).all()
    assert (esc["detail"].astype(str) == e.crisis_type).all()
    crises = run.of("crisis")
    assert len(crises) == R and (crises["step"] == START).all()
    counted = run.summary.groupby("step")["escalations"].sum()
    assert counted.loc[START] == R and counted.drop(START).sum() == 0
    assert len(ctrl.of("escalation")) == 0 and len(ctrl.of("crisis")) == 0
    # the war costs the belligerents' trust in each other
    slot = next(s for s in run.model.spec.slots if s.site == e.site and s.type == e.crisis_type)
    for a in slot.side_a:
        for b in slot.side_b:
            assert (run.at("own", START)[:, a, b] < ctrl.at("own", START)[:, a, b]).all()


def check_arming(mid, k, e, run):
    """From enactment the senders' posture floor towards the targets is at least ``level``; their
    postures climb towards it; the targets read each month's rise (the spiral) and trust the
    senders less than without the build-up."""
    ctrl = ablated(mid, k)
    model = run.model
    g = model.engine.state.grievance
    for s in e.senders:
        for t in e.targets:
            assert (g[:, s, t] >= e.level - 1e-12).all()
            label = (name(model, t), name(model, s))
            assert (run.at("posture", HORIZON)[:, s, t] > ctrl.at("posture", HORIZON)[:, s, t]).all(), label
            assert (run.at("own", HORIZON)[:, t, s] < ctrl.at("own", HORIZON)[:, t, s]).all(), label


def check_grit(mid, k, e, run):
    """Every actor a security seeker that values each act far above its cost: the initiator takes
    a step every ``interval`` months after the announcement (none before), the target answers
    each one, and the programme runs until its last announced step (then ends, 'grit_ended'), so
    each side trusts the other more than in the control with an inert twin."""
    ctrl = ablated(mid, k)
    model = run.model
    move = model.spec.move(mid)
    ids = model.spec.ids
    due = [START + e.interval * j for j in range(1, e.max_steps + 1) if START + e.interval * j <= HORIZON]
    assert due, "no step falls within the harness horizon"
    steps, back = run.of("grit_step", mid), run.of("grit_reciprocation", mid)
    for r in range(R):
        assert steps.loc[steps["replicate"] == r, "step"].tolist() == due
        assert back.loc[back["replicate"] == r, "step"].tolist() == due
    assert (steps["actor"].astype(str) == ids[e.initiator]).all() and (back["actor"].astype(str) == ids[e.target]).all()
    assert (steps["value"] > 0).all() and (back["value"] > 0).all()  # taken and answered
    for kind in ("grit_step", "grit_reciprocation", "grit_ended"):
        assert len(ctrl.of(kind)) == 0, kind
    ended = run.of("grit_ended", mid)
    last = START + e.interval * e.max_steps
    if last <= HORIZON:
        assert len(ended) == R and (ended["step"] == last).all()
        assert (model.move_status(mid) == MoveStatus.ENDED).all()
    else:
        assert len(ended) == 0 and run.live(mid).all()
    counted = run.summary.groupby("step")["grit_programmes"]
    assert (counted.max().loc[: START - 1] == 0).all()
    assert (counted.min().loc[START:min(last, HORIZON)] >= 1).all()
    # each side reads the other's acts: own log-odds above the control's once the first step is taken
    g_init = group_of(model, [ids[e.initiator]])
    g_tgt = group_of(model, [ids[e.target]])
    key = (move.index, k)
    assert (run.strength[START][key] > 0).all()
    for o, s in ((e.target, e.initiator), (e.initiator, e.target)):
        assert o not in (g_init if s == e.initiator else g_tgt)
        before = run.at("own", due[0] - 1)[:, o, s] - ctrl.at("own", due[0] - 1)[:, o, s]
        after = run.at("own", HORIZON)[:, o, s] - ctrl.at("own", HORIZON)[:, o, s]
        assert (after > before).all() and (after > 0).all(), (ids[o], ids[s])


def check_sanctions(mid, k, e, run):
    """The observers (the targets, expanded) read the sanctions as a hostile act of their cost at
    once (own log-odds below the control's, threat above), and while in force the effect holds
    exactly ``load`` * strength on their irritant load towards the senders."""
    ctrl = ablated(mid, k)
    model = run.model
    group = group_of(model, [name(model, s) for s in e.senders])
    strength = run.strength[HORIZON][(model.spec.move(mid).index, k)]
    for o in e.observers:
        if o in group:
            continue
        for s in e.senders:
            label = (name(model, o), name(model, s))
            assert (run.at("own", START)[:, o, s] < ctrl.at("own", START)[:, o, s]).all(), label
            assert (run.at("threat", START)[:, o, s] > ctrl.at("threat", START)[:, o, s]).all(), label
            held = run.at("irritant", HORIZON)[:, o, s] - ctrl.at("irritant", HORIZON)[:, o, s]
            np.testing.assert_allclose(held, e.load * strength, atol=1e-12, err_msg=str(label))


def check_annexation(mid, k, e, run):
    """Every non-client observer reads the annexation as a broken restraint (own log-odds of the
    annexer below the control's, threat above) and keeps the held load towards it; the victim's
    trust in the annexer collapses to the lower trust bound; the clients read nothing."""
    ctrl = ablated(mid, k)
    model = run.model
    a, v = e.annexer, e.victim
    group = group_of(model, [name(model, a)])
    strength = run.strength[HORIZON][(model.spec.move(mid).index, k)]
    for o in (*e.observers, v):
        if o in group or model.spec.roster.actors[o].kind not in ("state", "faction", "territory"):
            continue
        label = name(model, o)
        assert (run.at("own", START)[:, o, a] < ctrl.at("own", START)[:, o, a]).all(), label
        assert (run.at("threat", START)[:, o, a] > ctrl.at("threat", START)[:, o, a]).all(), label
        held = run.at("irritant", HORIZON)[:, o, a] - ctrl.at("irritant", HORIZON)[:, o, a]
        np.testing.assert_allclose(held, e.load * strength, atol=1e-12, err_msg=label)
    low = model.spec.dynamics.trust_low
    assert (run.at("trust", START + 1)[:, v, a] < low + 0.005).all()
    for c in e.clients:
        if c != a:
            np.testing.assert_array_equal(run.at("own", START)[:, c, a], ctrl.at("own", START)[:, c, a])
def check_level(mid, k, e, run):
    """The named structure's level is set in the month of enactment and its strength follows
    (ramp x level); where it falls, its other actors read a hostile act of the proposer (their
    log-odds of trust in it fall against the control without the decision), and a suspension
    closes the forum (one channel fewer open)."""
    ctrl = ablated(mid, k)
    model = run.model
    move = model.spec.move(mid)
    defs = [s for s in model.engine.structures.named(e.structure) if s.move.in_force]
    assert defs, f"{mid}: no format {e.structure!r} in force on the stage"
    levels = {s.key: float(s.effect.level) for s in defs}
    for s in defs:
        before = np.array([snap[s.key] for snap in run.strength])
        assert np.allclose(before[:START], levels[s.key]) and np.allclose(before[START:], e.level)
        assert np.allclose(np.array([snap[s.key] for snap in ctrl.strength]), levels[s.key])
    events = run.of("level", mid)
    assert len(events) == R and (events["step"] == START).all()
    fall = max(levels.values()) - e.level
    if fall > 0:
        assert e.hostile
        p = move.proposer
        own_group = set(model.spec.roster.expand([name(model, p)], "p"))
        others = [o for s in defs for o in s.effect.members_covered(model.spec) if o not in own_group]
        assert others
        for o in others:
            assert (run.at("own", START)[:, o, p] < ctrl.at("own", START)[:, o, p]).all(), name(model, o)
    if e.level == 0:
        opened = run.summary.groupby("step")["channels_open"].max()
        closed = ctrl.summary.groupby("step")["channels_open"].max()
        assert (opened.loc[START:] == closed.loc[START:] - sum(s.effect.type == "channel" for s in defs)).all()


CHECKS = {
    "level": check_level,
    "arming": check_arming,
    "signal": check_signal,
    "irritant": check_irritant,
    "reassurance": check_reassurance,
    "channel": check_channel,
    "clause": check_clause,
    "commitment": check_commitment,
    "mission": check_mission,
    "human_security": check_human_security,
    "conflict": check_conflict,
    "grit": check_grit,
    "sanctions": check_sanctions,
    "annexation": check_annexation,
}


def test_every_effect_type_has_a_check():
    assert set(CHECKS) == set(EFFECT_TYPES)
