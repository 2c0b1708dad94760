"""The stylised facts the model must reproduce, measured over many seeds (a Hydra app).

    python -m experiments.facts
    python -m experiments.facts replicates=200 facts=[cheap_talk,spiral] horizon=60

Each fact is one declaration (``Fact``): its name, the claim, the arms it runs (each an
``Arm``: options, scenario, Hydra overrides and direct edits of the composed config), the
statistic computed from those arms, a threshold and a direction. The facts are registered in
``FACTS``; adding one is one more entry. Every arm of every fact runs on the same replicate
seeds (common random numbers), so a statistic is computed from per-replicate differences
(``experiments.stats.paired_effect``); arms declared identically by several facts run once.

Prints, per fact (and per option for ``attribution``), the effect with its confidence interval,
the threshold and PASS, FAIL or REPORT; writes ``facts.parquet`` and ``facts.csv`` (one row
per fact and case, the columns of ``COLUMNS``), ``config.yaml`` and ``metadata.json`` into the
Hydra output folder (refused if it already holds results).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import hydra
import numpy as np
import pandas as pd
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf

from experiments.ensemble import ArmResult, EnsembleConfig, ensemble_schema, check_ensemble_settings, resolve_workers, run_arms
from experiments.stats import paired_effect
from sim import __version__
from sim.app.entry import App, checked_entry
from sim.app.jobs import run_job
from sim.app.manifest import AtomicResults
from sim.config import config_groups, load_config
from sim.config.spec import ModelSpec, compile_spec
from sim.errors import ConfigError, check_int
from sim.output.files import run_metadata, write_parquet, write_yaml
from sim.results.labels import number

log = logging.getLogger("eurosec.facts")

Direction = Literal["abs_below", "below", "above", "nonzero", "report"]
# A change of Russia's trust smaller than this (0-1 scale), on average over replicates, is no change:
# a tenth of a percentage point, below the 3 decimals any table of the model prints.
ATTRIBUTION_FLOOR = 0.001
WEST_ACTORS = frozenset({"NATO", "EU", "USA", "WEU", "EFL", "NEU"})  # NATO, the EU and their members


# --------------------------------------------------------------------------- declarations

@dataclass(frozen=True)
class Arm:
    """One experimental arm: ``options`` tabled (at month ``start``; None: each option file's own
    start) in ``scenario`` (None: the app's ``stage``), then Hydra ``overrides``, then ``edits``
    of the composed config: (dotted path, value) pairs, where a path part is a key, a list index,
    ``*`` (every list item that has the rest of the path's first key) or, last, ``+`` (append)."""
    options: tuple[str, ...] = ()
    scenario: str | None = None
    overrides: tuple[str, ...] = ()
    edits: tuple[tuple[str, Any], ...] = ()
    start: int | None = 1

    def hydra_overrides(self, stage: str, horizon: int | None) -> list[str]:
        out = [f"scenario={self.scenario or stage}"]
        if self.options:
            out.append(f"option=[{','.join(self.options)}]")
        elif self.scenario is None:
            out.append("option=[]")
        out += list(self.overrides)
        if horizon is not None:
            out.append(f"scenario.horizon={horizon}")
        return out

    def config(self, stage: str, horizon: int | None) -> dict:
        """The composed model config of this arm, edits applied."""
        cfg = load_config(self.hydra_overrides(stage, horizon))
        if self.start is not None:
            for o in self.options:
                cfg["moves"][o]["start"] = self.start
        for path, value in self.edits:
            set_path(cfg, path.split("."), value, path)
        return cfg


def config_key(cfg: dict) -> str:
    """Arms whose configs are equal (whichever fact declares them, however) share this key and run once."""
    return json.dumps(cfg, sort_keys=True, default=str)


def set_path(node: Any, parts: list[str], value: Any, full: str) -> None:
    """Set ``value`` at ``parts`` under ``node`` (see ``Arm``)."""
    head, rest = parts[0], parts[1:]
    if head == "*":
        if not isinstance(node, list) or not rest:
            raise ConfigError(full, "'*' must name the items of a list, followed by a key", "a.list.*.key")
        for item in node:
            if isinstance(item, dict) and rest[0] in item:
                set_path(item, rest, value, full)
        return
    if head == "+" and not rest:
        if not isinstance(node, list):
            raise ConfigError(full, "'+' appends to a list", "a.list.+")
        node.append(value)
        return
    key: Any = int(head) if isinstance(node, list) and head.lstrip("-").isdigit() else head
    if not rest:
        node[key] = value
        return
    try:
        child = node[key]
    except (KeyError, IndexError, TypeError):
        raise ConfigError(full, f"{head!r} is not in the config", "a path into the composed config") from None
    set_path(child, rest, value, full)


@dataclass(frozen=True)
class Measure:
    """What a fact's statistic found for one case (``case`` "" when the fact has one)."""
    effect: float
    ci_low: float
    ci_high: float
    n: int
    outcome: str
    compares: str  # what a_value and b_value are, e.g. "two channels - one | one - none"
    a_value: float = math.nan
    b_value: float = math.nan
    share_a: float = math.nan  # share of replicates a move was agreed in, where relevant
    share_b: float = math.nan
    nonzero_share: float = math.nan  # share of replicates whose paired difference is not exactly 0
    also: bool | None = None  # a further condition the verdict requires (None: none)
    detail: str = ""
    case: str = ""
    report_only: bool = False  # a row shown beside a judged fact's rows but not judged (verdict REPORT)


Runs = Mapping[str, ArmResult]  # a fact's arm name -> its result
Statistic = Callable[[Runs, float], list[Measure]]


@dataclass(frozen=True)
class Fact:
    name: str
    claim: str
    arms: Mapping[str, Arm] | Callable[[], Mapping[str, Arm]]  # a callable: built when the facts are validated
    statistic: Statistic
    direction: Direction
    threshold: float = math.nan  # NaN for "report"

    def arm_map(self) -> dict[str, Arm]:
        return dict(self.arms() if callable(self.arms) else self.arms)

    def rule(self) -> str:
        t = self.threshold
        return {"abs_below": f"|effect| < {t:g}, CI inside", "below": f"effect < {t:g}, CI below",
                "above": f"effect > {t:g}, CI above", "nonzero": f"mean |change| > {t:g}, CI above; not exactly 0 in every replicate",
                "report": "report only"}[self.direction]


def verdict(direction: Direction, threshold: float, m: Measure) -> str:
    """PASS, FAIL or REPORT for one measure: the interval, not only the point, must meet the rule."""
    if direction == "report" or m.report_only:
        return "REPORT"
    if any(math.isnan(x) for x in (m.effect, m.ci_low, m.ci_high)):
        ok = False
    elif direction == "abs_below":
        ok = -threshold < m.ci_low and m.ci_high < threshold
    elif direction == "below":
        ok = m.ci_high < threshold
    elif direction in ("above", "nonzero"):
        ok = m.ci_low > threshold
    else:
        raise ValueError(f"unknown direction {direction!r}")
    return "PASS" if ok and m.also is not False else "FAIL"


# --------------------------------------------------------------------------- statistics

def final(r: ArmResult, column: str) -> np.ndarray:
    return r.finals.sort_values("replicate")[column].to_numpy(np.float64)


def agreed(r: ArmResult, move: str) -> np.ndarray:
    return r.finals.sort_values("replicate")[f"agreed_{move}"].to_numpy(bool)


def paired(a: np.ndarray, b: np.ndarray, level: float, outcome: str, compares: str, **kw) -> Measure:
    e = paired_effect(a, b, level)
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    kw.setdefault("a_value", float(np.mean(a)) if len(a) else math.nan)
    kw.setdefault("b_value", float(np.mean(b)) if len(b) else math.nan)
    kw.setdefault("nonzero_share", float(np.mean(d != 0)) if d.size else math.nan)
    return Measure(e["effect"], e["ci_low"], e["ci_high"], int(e["n"]), outcome, compares, **kw)


def difference(arm: str, base: str, outcome: str) -> Statistic:
    """Final ``outcome`` in ``arm`` minus in ``base``, paired by replicate."""
    def stat(runs: Runs, level: float) -> list[Measure]:
        return [paired(final(runs[arm], outcome), final(runs[base], outcome), level, outcome, f"{arm} | {base}")]
    return stat


def cost_statistic(runs: Runs, level: float) -> list[Measure]:
    """Trust of the costly minus the cheap version in the replicates where both were agreed, and
    whether the costly one is agreed less often (paired difference of the agreement indicators)."""
    y = "trust_RUS_NATO"
    cheap, costly, base = runs["cheap"], runs["costly"], runs["baseline"]
    a_cheap, a_costly = agreed(cheap, "nrc"), agreed(costly, "nrc")
    both = a_cheap & a_costly
    share = paired_effect(a_costly.astype(float), a_cheap.astype(float), level)
    per_agreement = {k: float((final(r, y) - final(base, y))[agreed(r, "nrc")].mean()) if agreed(r, "nrc").any()
                     else math.nan for k, r in (("cheap", cheap), ("costly", costly))}
    m = paired(final(costly, y)[both], final(cheap, y)[both], level, y,
               "costly | cheap (trust, replicates where both were agreed)",
               share_a=float(a_costly.mean()), share_b=float(a_cheap.mean()),
               also=bool(share["ci_high"] < 0),
               detail=(f"agreed {a_costly.mean():.3f} (cost 0.4) vs {a_cheap.mean():.3f} (cost 0.1), difference "
                       f"{share['effect']:+.3f} [{share['ci_low']:+.3f}, {share['ci_high']:+.3f}]; trust effect vs "
                       f"baseline where agreed {per_agreement['costly']:+.4f} (0.4) vs {per_agreement['cheap']:+.4f} (0.1)"))
    return [m]


def second_forum_statistic(runs: Runs, level: float) -> list[Measure]:
    """(two channels - one) - (one - none): negative when the second forum adds less."""
    y = "trust_RUS_NATO"
    none, one, two = (final(runs[k], y) for k in ("baseline", "one", "two"))
    m = paired(two - one, one - none, level, y, "second channel's effect | first channel's effect")
    return [m]


def drift_statistic(runs: Runs, level: float) -> list[Measure]:
    """Per replicate: drift (last month - month 0) of Russia's mean trust in output.west minus the
    drift of output.west's mean trust in Russia."""
    r = runs["baseline"]
    west = [r.spec.ids[w] for w in r.spec.west]
    s = r.summary
    missing = [c for w in west for c in (f"trust_RUS_{w}", f"trust_{w}_RUS") if c not in s.columns]
    if missing:
        raise ConfigError("output.key_dyads", f"drift_symmetry needs the columns {missing}",
                          "key dyads RUS <-> each actor of output.west")
    first = s[s["step"] == s["step"].min()].sort_values("replicate")
    last = s[s["step"] == s["step"].max()].sort_values("replicate")

    def drift(cols: list[str]) -> np.ndarray:
        return last[cols].to_numpy(np.float64).mean(axis=1) - first[cols].to_numpy(np.float64).mean(axis=1)

    rus, wst = drift([f"trust_RUS_{w}" for w in west]), drift([f"trust_{w}_RUS" for w in west])
    m = paired(rus, wst, level, f"trust RUS<->{'/'.join(west)}", "Russia's drift in the West | the West's drift in Russia",
               detail=f"mean trust RUS->West {first[[f'trust_RUS_{w}' for w in west]].to_numpy().mean():.3f} -> "
                      f"{last[[f'trust_RUS_{w}' for w in west]].to_numpy().mean():.3f}; West->RUS "
                      f"{first[[f'trust_{w}_RUS' for w in west]].to_numpy().mean():.3f} -> "
                      f"{last[[f'trust_{w}_RUS' for w in west]].to_numpy().mean():.3f}")
    return [m]


def _log_odds(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 1e-9, 1 - 1e-9)
    return np.log(x) - np.log1p(-x)


# The spiral's dependence on threat is judged over the build-up's first year: after it, the build-up
# has made Russia feel threatened in the calm arm too (threat saturates at 1), so the two arms no
# longer differ in the threat the fact is about; the decade's difference is reported beside it.
SPIRAL_WINDOW = 12


def at_step(r: ArmResult, column: str, step: int) -> np.ndarray:
    """``column`` per replicate at ``step`` (the last step if the run is shorter)."""
    s = r.summary
    step = min(step, int(s["step"].max()))
    return s[s["step"] == step].sort_values("replicate")[column].to_numpy(np.float64)


def spiral_statistic(runs: Runs, level: float) -> list[Measure]:
    """The build-up's effect on Russia's log-odds of trust in NATO (the scale on which evidence
    adds up), in a calm start and in one where Russia already feels threatened; and the
    difference between the two (more negative when threatened: Jervis), judged at the end of the
    build-up's first year (``SPIRAL_WINDOW``) and reported at the horizon."""
    y = "trust_RUS_NATO"

    def effect(arm: str, base: str, step: int | None = None) -> np.ndarray:
        value = (lambda r: final(r, y)) if step is None else (lambda r: at_step(r, y, step))
        return _log_odds(value(runs[arm])) - _log_odds(value(runs[base]))

    def threat_gap(step: int | None) -> str:
        col = "threat_RUS_NATO"  # in PER_STEP
        get = (lambda r: final(r, col)) if step is None else (lambda r: at_step(r, col, step))
        return (f"Russia's threat from NATO: calm build-up {get(runs['buildup']).mean():.3f}, "
                f"threatened build-up {get(runs['threatened_buildup']).mean():.3f}")

    calm, feared = effect("buildup", "baseline"), effect("threatened_buildup", "threatened")
    early = (effect("threatened_buildup", "threatened", SPIRAL_WINDOW)
             - effect("buildup", "baseline", SPIRAL_WINDOW))
    zero = np.zeros_like(calm)
    return [paired(calm, zero, level, f"logit {y}", "build-up | none (calm start)", case="calm"),
            paired(feared, zero, level, f"logit {y}", "build-up | none (threatened start)", case="threatened"),
            paired(early, zero, level, f"logit {y} at month {SPIRAL_WINDOW}",
                   "effect when threatened - effect when calm (first year)", case="threatened_minus_calm",
                   detail=threat_gap(SPIRAL_WINDOW)),
            paired(feared - calm, zero, level, f"logit {y}", "effect when threatened - effect when calm (horizon)",
                   case="threatened_minus_calm_horizon", report_only=True,
                   detail=threat_gap(None) + "; not judged: the build-up has made both arms threatened")]


def reassurance_statistic(runs: Runs, level: float) -> list[Measure]:
    """A verified end of contingency planning (option 5, in the replicates where it was agreed and
    still in force at the horizon): trust in both directions against the same seeds without it."""
    arm, base = runs["no_contingency"], runs["baseline"]
    live = agreed(arm, "no_contingency")
    out = []
    for y, case in (("trust_RUS_NATO", "RUS_in_NATO"), ("trust_NATO_RUS", "NATO_in_RUS")):
        out.append(paired(final(arm, y)[live], final(base, y)[live], level, y, "no_contingency | none (where agreed)",
                          case=case, share_a=float(live.mean())))
    return out


def attribution_arms() -> dict[str, Arm]:
    arms = {"baseline": Arm()}
    for option in involving_west():
        arms[option] = Arm((option,))
    return arms


def involving_west() -> list[str]:
    """The options (configs/option/) whose proposer, parties or effects name NATO, the EU or a member."""
    found = []
    for option in config_groups()["option"]:
        moves = load_config([f"option=[{option}]"]).get("moves") or {}
        names: set[str] = set()

        def walk(x: Any, key: str = "") -> None:
            if isinstance(x, dict):
                for k, v in x.items():
                    if k not in ("title", "paper", "reference", "name", "type"):
                        walk(v, k)
            elif isinstance(x, list):
                for v in x:
                    walk(v, key)
            elif isinstance(x, str):
                names.add(x)
            if key == "gain_by" and isinstance(x, dict):
                names.update(x)

        walk(moves)
        if names & WEST_ACTORS:
            found.append(option)
    return found


def attribution_statistic(runs: Runs, level: float) -> list[Measure]:
    """Per option: how much it changes Russia's trust in NATO or in the EU (whichever it changes
    more), measured as the mean absolute paired change per replicate with its interval; the signed
    mean effect goes beside it in ``detail``.

    The claim is that the option *moves* Russia's belief (no exact zeros from missing
    attribution), not that it moves it one way: under Bayes' rule an observer's expected posterior
    equals its prior (a martingale), so an act read as evidence can raise trust in one replicate
    and lower it in another with a mean change near 0 (docs/model.md §7.0). It passes if the
    mean absolute change exceeds the threshold, interval included, so float noise cannot pass it."""
    out = []
    for option in runs:
        if option == "baseline":
            continue
        share = float(agreed(runs[option], option).mean())
        signed = {y: paired(final(runs[option], y), final(runs["baseline"], y), level, y, f"{option} | baseline",
                            share_a=share, case=option)
                  for y in ("trust_RUS_NATO", "trust_RUS_EU")}
        moved = {y: paired(np.abs(final(runs[option], y) - final(runs["baseline"], y)), np.zeros(len(final(runs[option], y))),
                           level, f"abs_change_{y}", f"|{option} - baseline|", share_a=share, case=option,
                           nonzero_share=m.nonzero_share)
                 for y, m in signed.items()}
        y = max(moved, key=lambda k: (moved[k].effect, k == "trust_RUS_NATO"))
        other = next(k for k in moved if k != y)
        s, o = signed[y], signed[other]
        out.append(Measure(**{**moved[y].__dict__, "also": bool(moved[y].nonzero_share > 0), "detail": (
            f"signed mean effect on {y} {s.effect:+.4f} [{s.ci_low:+.4f}, {s.ci_high:+.4f}] "
            f"({'excludes' if s.ci_low > 0 or s.ci_high < 0 else 'includes'} 0); {other} moved "
            f"{moved[other].effect:.4f}, signed {o.effect:+.4f}; non-zero in {moved[y].nonzero_share:.0%} of "
            f"replicates; agreed in {share:.0%}")}))
    return out


def treaty_statistic(runs: Runs, level: float) -> list[Measure]:
    web = paired(final(runs["web"], "mean_trust"), final(runs["treaty"], "mean_trust"), level, "mean_trust",
                 "incremental_web | treaty_track", share_b=float(agreed(runs["treaty"], "medvedev_treaty").mean()),
                 case="web_vs_treaty",
                 detail=f"treaty agreed in {agreed(runs['treaty'], 'medvedev_treaty').mean():.1%} of treaty_track runs")
    a10, a3 = agreed(runs["attempts10"], "medvedev_treaty"), agreed(runs["attempts3"], "medvedev_treaty")
    attempts = paired(a10.astype(float), a3.astype(float), level, "agreed_medvedev_treaty",
                      "max_attempts 10 | max_attempts 3 (share agreed)", share_a=float(a10.mean()),
                      share_b=float(a3.mean()), case="max_attempts_3_to_10",
                      detail=f"mean_trust {final(runs['attempts10'], 'mean_trust').mean():.4f} (10) vs "
                             f"{final(runs['attempts3'], 'mean_trust').mean():.4f} (3)")
    return [web, attempts]


# The treaty at equal content (issue 10, part 6): the Medvedev treaty (treaty_track) against the
# same effects enacted as separate moves (scenarios/treaty_content_as_moves.yaml), and the
# sensitivity of the treaty's agreement and of the web-minus-treaty gap to the negotiation
# parameters. Outcome: mean East-West trust at the horizon, the mean of the six key dyads
# between Russia and NATO, the EU and the USA, both directions.
EAST_WEST = ("trust_RUS_NATO", "trust_NATO_RUS", "trust_RUS_EU", "trust_EU_RUS", "trust_RUS_USA", "trust_USA_RUS")
TREATY = "medvedev_treaty"
TREATY_PARTS = ("treaty_freeze", "treaty_pledge", "treaty_conference")
# (name, low label, high label, Hydra overrides at low and at high (every arm), edits of the treaty
# arm at low and at high); the default value is one of the two or in between: max_attempts 3
# (default) vs 10, concession_step 0 vs 0.2 (default 0.1), the treaty's ratification_cost 0 vs 0.6
# (its own 0.3). Ratification is reached only where the parties agree, which at max_attempts 3
# never happens (the cost would then change nothing by construction): its rows run at
# max_attempts 10, in every arm.
ATTEMPTS_10 = ("negotiation.max_attempts=10",)
SENSITIVITY = (
    ("max_attempts", "3", "10", (), ATTEMPTS_10, (), ()),
    ("concession_step", "0", "0.2", ("negotiation.concession_step=0.0",), ("negotiation.concession_step=0.2",), (), ()),
    ("ratification_cost", "0", "0.6", ATTEMPTS_10, ATTEMPTS_10, ((f"moves.{TREATY}.ratification_cost", 0.0),),
     ((f"moves.{TREATY}.ratification_cost", 0.6),)),
)


def east_west(r: ArmResult) -> np.ndarray:
    """Per replicate: mean trust at the horizon over the six Russia <-> NATO, EU, USA dyads."""
    return np.mean([final(r, c) for c in EAST_WEST], axis=0)


def all_agreed(r: ArmResult, moves: tuple[str, ...]) -> np.ndarray:
    return np.logical_and.reduce([agreed(r, m) for m in moves])


def _ci(d: dict) -> str:
    return f"{d['effect']:+.4f} [{d['ci_low']:+.4f}, {d['ci_high']:+.4f}]"


def equal_content_statistic(runs: Runs, level: float) -> list[Measure]:
    """The treaty and its content as separate moves, each against the bare baseline and against
    each other, on mean East-West trust at the horizon; and the share of runs in which all the
    content was agreed (one treaty vs all three moves), paired by replicate."""
    base, treaty, moves = runs["baseline"], runs["treaty"], runs["moves"]
    y = "east_west_trust"
    t_ok, m_ok = agreed(treaty, TREATY), all_agreed(moves, TREATY_PARTS)
    parts = ", ".join(f"{p} {agreed(moves, p).mean():.3f}" for p in TREATY_PARTS)
    share = paired_effect(m_ok.astype(float), t_ok.astype(float), level)
    return [
        paired(east_west(treaty), east_west(base), level, y, "treaty_track | baseline_2010", share_a=float(t_ok.mean()),
               case="treaty_effect", detail=f"treaty agreed in {t_ok.mean():.3f} of runs"),
        paired(east_west(moves), east_west(base), level, y, "treaty_content_as_moves | baseline_2010",
               share_a=float(m_ok.mean()), case="moves_effect",
               detail=f"all three agreed in {m_ok.mean():.3f}; each: {parts}"),
        paired(east_west(moves), east_west(treaty), level, y, "treaty_content_as_moves | treaty_track",
               share_a=float(m_ok.mean()), share_b=float(t_ok.mean()), case="moves_minus_treaty",
               detail=f"all content agreed: moves {m_ok.mean():.3f} vs treaty {t_ok.mean():.3f}, difference {_ci(share)}"),
        paired(m_ok.astype(float), t_ok.astype(float), level, "all content agreed",
               "treaty_content_as_moves (all three) | treaty_track", share_a=float(m_ok.mean()),
               share_b=float(t_ok.mean()), case="share_agreed", detail=f"each move: {parts}"),
    ]


def sensitivity_arms() -> dict[str, Arm]:
    arms = {}
    for name, _, _, lo_over, hi_over, lo_edits, hi_edits in SENSITIVITY:
        for level, over, edits in (("lo", lo_over, lo_edits), ("hi", hi_over, hi_edits)):
            arms[f"{name}_{level}_treaty"] = Arm(scenario="treaty_track", start=None, overrides=over, edits=edits)
            # the edits are the treaty's own (ratification): the web and the separate moves have none
            arms[f"{name}_{level}_web"] = Arm(scenario="incremental_web", start=None, overrides=over)
            arms[f"{name}_{level}_moves"] = Arm(scenario="treaty_content_as_moves", start=None, overrides=over)
    return arms


def sensitivity_statistic(runs: Runs, level: float) -> list[Measure]:
    """Per negotiation parameter, high minus low setting, paired by replicate: the treaty's share
    agreed, the gap incremental_web - treaty_track and the gap treaty_content_as_moves -
    treaty_track in mean East-West trust at the horizon."""
    out = []
    for name, lo, hi, *_ in SENSITIVITY:
        r = {k: runs[f"{name}_{k}"] for k in ("lo_treaty", "hi_treaty", "lo_web", "hi_web", "lo_moves", "hi_moves")}
        a_lo, a_hi = agreed(r["lo_treaty"], TREATY), agreed(r["hi_treaty"], TREATY)
        out.append(paired(a_hi.astype(float), a_lo.astype(float), level, f"agreed_{TREATY}",
                          f"{name} {hi} | {lo} (treaty's share agreed)", share_a=float(a_hi.mean()),
                          share_b=float(a_lo.mean()), case=f"{name}:treaty_share",
                          detail=f"treaty agreed {a_lo.mean():.3f} ({name} {lo}) -> {a_hi.mean():.3f} ({hi})"))
        for other, label in (("web", "incremental_web"), ("moves", "treaty_content_as_moves")):
            g_lo = east_west(r[f"lo_{other}"]) - east_west(r["lo_treaty"])
            g_hi = east_west(r[f"hi_{other}"]) - east_west(r["hi_treaty"])
            e_lo, e_hi = paired_effect(g_lo, np.zeros_like(g_lo), level), paired_effect(g_hi, np.zeros_like(g_hi), level)
            out.append(paired(g_hi, g_lo, level, "east_west_trust", f"{name} {hi} | {lo} ({label} - treaty_track)",
                              a_value=float(g_hi.mean()), b_value=float(g_lo.mean()), share_a=float(a_hi.mean()),
                              share_b=float(a_lo.mean()), case=f"{name}:{other}_minus_treaty",
                              detail=f"{label} - treaty_track: {_ci(e_lo)} ({name} {lo}) -> {_ci(e_hi)} ({hi})"))
    return out


# talk only: every act free and no structure acting on crises (a forum's crisis dampening is an
# institution, not talk: second_forum measures it)
# On the 2010 stage the NRC and Partnership for Peace already stand (at levels 0.3 and 0.5): the
# option would upgrade them, so its free version would also silence their standing contacts. The
# free forums get names of their own, so the arm adds talk and leaves the standing forums as they are.
NRC_ZERO_COST = (("moves.nrc.cost", 0.0), ("moves.nrc.effects.*.cost", 0.0), ("moves.nrc.effects.*.contact_cost", 0.0),
                 ("moves.nrc.effects.*.crisis_dampening", 0.0), ("moves.nrc.effects.0.name", "nrc_talk"),
                 ("moves.nrc.effects.1.name", "pfp_talk"))
BUILDUP = {"title": "NATO build-up against Russia", "proposer": "NATO", "consent": [], "start": 1, "cost": 0.0,
           "effects": [{"type": "arming", "senders": ["NATO"], "targets": ["RUS"], "level": 0.9}]}
THREATENED = {"from": ["RUS"], "to": ["NATO"], "value": 0.3, "why": "facts: Russia already feels threatened by NATO"}
NRC_CHANNEL = {"type": "channel", "name": "nrc", "members": ["NATO", "RUS"], "contact_cost": 0.004,
               "crisis_dampening": 0.5}

FACTS: list[Fact] = [
    Fact("cheap_talk", "a zero-cost version of a move (the NRC with cost 0, every effect's cost and contact "
         "cost 0, and no crisis dampening: talk alone, in forums of its own beside the standing ones) changes Russia's "
         "trust in NATO by less than 0.005",
         {"baseline": Arm(), "free": Arm(("nrc",), edits=NRC_ZERO_COST)},
         difference("free", "baseline", "trust_RUS_NATO"), "abs_below", 0.005),
    Fact("cost", "a costlier version of the same conciliatory move (the NRC at cost 0.4 vs 0.1) is agreed less "
         "often and raises Russia's trust in NATO more when it is agreed",
         {"baseline": Arm(), "cheap": Arm(("nrc",), edits=(("moves.nrc.cost", 0.1),)),
          "costly": Arm(("nrc",), edits=(("moves.nrc.cost", 0.4),))},
         cost_statistic, "above", 0.0),
    Fact("spiral", "a posture build-up (NATO arming against Russia from month 1: its posture floor from 0.3 to 0.9) "
         "lowers Russia's trust in NATO, more when Russia already feels threatened (log-odds; the difference judged at "
         "the end of the build-up's first year, while the arms still differ in threat, and reported at the horizon)",
         {"baseline": Arm(), "buildup": Arm(edits=(("moves.buildup", BUILDUP),)),
          "threatened": Arm(edits=(("scenario.irritants.rules.+", THREATENED),)),
          "threatened_buildup": Arm(edits=(("scenario.irritants.rules.+", THREATENED), ("moves.buildup", BUILDUP)))},
         spiral_statistic, "below", 0.0),
    Fact("reassurance", "a verified end of hostile contingency planning (option 5) raises trust in both directions",
         {"baseline": Arm(), "no_contingency": Arm(("no_contingency",))},
         reassurance_statistic, "above", 0.0),
    Fact("attribution", "every option that involves NATO or EU members changes Russia's trust in NATO or the EU "
         "(no exact zeros from missing attribution)",
         attribution_arms, attribution_statistic, "nonzero", ATTRIBUTION_FLOOR),
    Fact("second_forum", "a second channel between the same pair (NATO-RUS) adds less trust than the first",
         {"baseline": Arm(), "one": Arm(("nrc",), edits=(("moves.nrc.effects", [NRC_CHANNEL]),)),
          "two": Arm(("nrc",), edits=(("moves.nrc.effects", [NRC_CHANNEL, {**NRC_CHANNEL, "name": "nrc_second"}]),))},
         second_forum_statistic, "below", 0.0),
    Fact("drift_symmetry", "in baseline_2010 with crises and no moves, the decade's drift in Russia's mean trust in "
         "the West and the West's mean trust in Russia differ by less than 0.05",
         {"baseline": Arm(scenario="baseline_2010")}, drift_statistic, "abs_below", 0.05),
    Fact("treaty", "the Medvedev treaty vs the incremental web on mean trust, and the treaty's share agreed with "
         "negotiation.max_attempts 3 vs 10 (reported, no pass or fail)",
         {"web": Arm(scenario="incremental_web", start=None), "treaty": Arm(scenario="treaty_track", start=None),
          "attempts3": Arm(("medvedev_treaty",), overrides=("negotiation.max_attempts=3",)),
          "attempts10": Arm(("medvedev_treaty",), overrides=("negotiation.max_attempts=10",))},
         treaty_statistic, "report"),
    Fact("treaty_equal_content", "the Medvedev treaty (one text: 14 veto players, ratification by the USA and the EU "
         "members) vs the same content as three separate moves (scenarios/treaty_content_as_moves.yaml), on mean "
         "East-West trust at the horizon and the share of runs in which all the content is agreed (reported, no "
         "pass or fail)",
         {"baseline": Arm(scenario="baseline_2010"), "treaty": Arm(scenario="treaty_track", start=None),
          "moves": Arm(scenario="treaty_content_as_moves", start=None)},
         equal_content_statistic, "report"),
    Fact("treaty_sensitivity", "the treaty's share agreed and the incremental_web - treaty_track and "
         "treaty_content_as_moves - treaty_track gaps in mean East-West trust, high minus low setting of "
         "negotiation.max_attempts (3 vs 10), negotiation.concession_step (0 vs 0.2) and the treaty's "
         "ratification_cost (0 vs 0.6, at max_attempts 10 so that ratification is reached) (reported, no pass or fail)",
         sensitivity_arms, sensitivity_statistic, "report"),
]


def registry() -> dict[str, Fact]:
    return {f.name: f for f in FACTS}


# --------------------------------------------------------------------------- the table

COLUMNS: dict[str, str] = {
    "fact": "category", "case": "string", "claim": "string", "outcome": "string", "compares": "string",
    "effect": "float64", "ci_low": "float64", "ci_high": "float64", "n": "int64",
    "threshold": "float64", "direction": "category", "rule": "string", "verdict": "category",
    "a_value": "float64", "b_value": "float64", "share_a": "float64", "share_b": "float64",
    "nonzero_share": "float64", "detail": "string",
    "replicates": "int64", "master_seed": "int64", "horizon": "Int64", "version": "string",
}
VERDICTS = ["PASS", "FAIL", "REPORT"]


def table(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame = frame.astype(COLUMNS)
    frame["verdict"] = frame["verdict"].cat.set_categories(VERDICTS)
    return frame


# --------------------------------------------------------------------------- the app

@ensemble_schema
class FactsConfig(EnsembleConfig):
    """This app's settings besides the shared ones (EnsembleConfig)."""
    facts: list[str] = field(default_factory=list)
    horizon: int | None = None


ConfigStore.instance().store(name="facts_schema", node=FactsConfig)


def validate(cfg: dict) -> dict:
    """Check the settings and compile every arm of the chosen facts before running anything.
    Returns {"facts": {fact: {arm: key}}, "specs": {key: spec}}."""
    check_ensemble_settings(cfg)
    known = registry()
    if not cfg["facts"]:
        raise ConfigError("facts", "no facts chosen", sorted(known))
    if len(set(cfg["facts"])) != len(cfg["facts"]):
        raise ConfigError("facts", "a fact is listed twice", sorted(known))
    for k, name in enumerate(cfg["facts"]):
        if name not in known:
            raise ConfigError(f"facts[{k}]", f"unknown fact {name!r}", sorted(known))
    if cfg.get("horizon") is not None:
        check_int("horizon", cfg["horizon"], 1, 12_000)
    plan: dict[str, dict[str, str]] = {}
    specs: dict[str, ModelSpec] = {}
    ids: dict[str, str] = {}  # config key -> a short arm id (the arm's name in tables and estimates)
    for name in cfg["facts"]:
        plan[name] = {}
        for arm_name, arm in known[name].arm_map().items():
            model_cfg = arm.config(cfg["stage"], cfg.get("horizon"))
            key = config_key(model_cfg)
            if key not in ids:
                ids[key] = f"arm{len(ids):02d}"
                specs[ids[key]] = compile_spec(model_cfg)
            plan[name][arm_name] = ids[key]
    return {"facts": plan, "specs": specs}


def estimate(cfg: dict, built: dict):
    from sim.resources import estimate_ensemble

    return estimate_ensemble(built["specs"], cfg["replicates"], cfg["chunk"],
                             resolve_workers(cfg["workers"], len(built["specs"])), 0, 0, PER_STEP)


PER_STEP = ["mean_trust", "trust_RUS_NATO", "threat_RUS_NATO", "trust_NATO_RUS", "trust_RUS_EU", "trust_EU_RUS", "trust_RUS_USA",
            "trust_USA_RUS"]
RESULTS = ("facts.parquet", "facts.csv", "config.yaml", "metadata.json")


def measure(cfg: dict, built: dict | None = None) -> pd.DataFrame:
    """Run every arm once and compute every chosen fact: the tidy table (``COLUMNS``)."""
    built = built or validate(cfg)
    specs = built["specs"]
    started = time.perf_counter()
    results = {r.arm: r for r in run_arms(specs, cfg["seed"], cfg["replicates"], cfg["chunk"], cfg["progress"],
                                          resolve_workers(cfg["workers"], len(specs)), per_step=PER_STEP)}
    log.info("simulated %d arms x %d replicates in %.1f s", len(specs), cfg["replicates"], time.perf_counter() - started)
    known = registry()
    rows = []
    for name, arms in built["facts"].items():
        fact = known[name]
        runs = {arm: results[arm_id] for arm, arm_id in arms.items()}
        for m in fact.statistic(runs, cfg["level"]):
            row = {k: v for k, v in m.__dict__.items() if k in COLUMNS}
            rows.append({**row, "fact": name, "claim": fact.claim, "threshold": fact.threshold,
                         "direction": "report" if m.report_only else fact.direction,
                         "rule": "report only" if m.report_only else fact.rule(), "verdict": verdict(fact.direction, fact.threshold, m),
                         "replicates": cfg["replicates"], "master_seed": cfg["seed"], "horizon": cfg.get("horizon"),
                         "version": __version__})
    return table(rows)


def run(cfg: dict, out_dir: Path) -> pd.DataFrame:
    built = validate(cfg)
    facts = measure(cfg, built)
    seeds = __import__("sim.numerics.streams", fromlist=["replicate_seeds"]).replicate_seeds(cfg["seed"], cfg["replicates"])
    meta = run_metadata({"seed": cfg["seed"], "scenario": {"name": cfg["stage"]}, "moves": {}}, seeds)
    with AtomicResults(out_dir, "facts", cfg) as res:
        write_parquet(facts, res.path("facts.parquet"), meta, cfg)
        facts.to_csv(res.path("facts.csv"), index=False)
        write_yaml(cfg, res.path("config.yaml"))
        res.path("metadata.json").write_text(json.dumps(meta, indent=2))
        res.commit()
    return facts


def format_facts(facts: pd.DataFrame) -> str:
    lines = [f"Stylised facts ({int(facts['replicates'].iloc[0])} replicates per arm, paired by seed):"
             if len(facts) else "(no facts)"]
    for _, r in facts.iterrows():
        label = f"{r['fact']}" + (f" [{r['case']}]" if r["case"] else "")
        lines.append(f"  {r['verdict']:<6s} {label:<38s} {number(r['effect'])} [{number(r['ci_low'])}, "
                     f"{number(r['ci_high'])}]  {r['outcome']}; rule: {r['rule']}")
        if r["detail"]:
            lines.append(f"         {r['detail']}")
    judged = facts[facts["verdict"] != "REPORT"]
    failed = judged[judged["verdict"] == "FAIL"]
    lines.append(f"\n{len(judged) - len(failed)} of {len(judged)} judged rows pass"
                 + (f"; FAIL: {', '.join(sorted(set(failed['fact'].astype(str))))}" if len(failed) else "") + ".")
    return "\n".join(lines)


@hydra.main(config_path="../configs", config_name="facts", version_base="1.3")
def main(cfg) -> None:
    container = OmegaConf.to_container(cfg, resolve=True)
    facts = run_job("facts", container, lambda out_dir: run(container, out_dir),
                    on_skip=lambda out_dir: pd.read_parquet(out_dir / "facts.parquet"))
    if facts is not None:
        print(format_facts(facts))
        print(f"\nResults in {HydraConfig.get().runtime.output_dir}")


def app() -> App:
    return App(kind="facts", config_name="facts", validate=validate, estimate=estimate, results=RESULTS,
               aliases={"stage": "scenario"})


if __name__ == "__main__":
    checked_entry(main, app())
