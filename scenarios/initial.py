"""Initial beliefs from documented rules: each rule sets observers -> targets to a value, with
its reason. Group names (scenario.groups) and ``all`` expand to actors; later rules win."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.errors import ConfigError, check_range


def expand_names(names, groups: Mapping, roster, key: str) -> list[int]:
    """Actor indices of a list of actor ids, group names and ``all``."""
    out: list[int] = []
    for pos, name in enumerate(names or []):
        if name == "all":
            idx = list(range(roster.n))
        elif name in groups:
            idx = expand_names(groups[name], {g: v for g, v in groups.items() if g != name}, roster, f"{key}[{pos}]")
        elif name in roster.ids:
            idx = [roster.index(name)]
        else:
            raise ConfigError(f"{key}[{pos}]", f"unknown actor or group {name!r}",
                              list(roster.ids) + list(groups) + ["all"])
        out.extend(i for i in idx if i not in out)
    return out


def rule_matrix(section: Mapping, groups: Mapping, roster, key: str, default: float, low: float = 0.0,
                high: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Apply (trust only) ``section.matrix``, then ``section.rules``, then ``section.adjust`` over
    ``section.default``; return (values, set-by-a-rule mask). ``adjust`` lets a scenario built on
    another change a few values without repeating its rules (Hydra replaces lists, it does not
    append)."""
    base = check_range(f"{key}.default", section.get("default", default), low, high)
    values = np.full((roster.n, roster.n), base)
    touched = np.zeros((roster.n, roster.n), dtype=bool)
    listed = [("rules", r, rule) for r, rule in enumerate(section.get("rules") or [])]
    listed += [("adjust", r, rule) for r, rule in enumerate(section.get("adjust") or [])]
    allowed = ("default", "matrix", "rules", "adjust", "starts") if key == "scenario.trust" else ("default", "rules", "adjust")
    for name in section:
        if name not in allowed:
            raise ConfigError(f"{key}.{name}", "unknown key", list(allowed))
    if key == "scenario.trust" and section.get("matrix") is not None:
        _apply_matrix(section["matrix"], roster, f"{key}.matrix", values, touched, low, high)
    for part, r, rule in listed:
        rkey = f"{key}.{part}[{r}]"
        if not isinstance(rule, Mapping) or "value" not in rule:
            raise ConfigError(rkey, "a rule needs from, to and value", "{from: [...], to: [...], value: x, why: '...'}")
        rows = expand_names(rule.get("from"), groups, roster, f"{rkey}.from")
        cols = expand_names(rule.get("to"), groups, roster, f"{rkey}.to")
        if not rows or not cols:
            raise ConfigError(rkey, "from and to must name at least one actor", roster.ids)
        values[np.ix_(rows, cols)] = check_range(f"{rkey}.value", rule["value"], low, high)
        touched[np.ix_(rows, cols)] = True
    return values, touched


def _apply_matrix(matrix, roster, key: str, values: np.ndarray, touched: np.ndarray, low: float,
                  high: float) -> None:
    """A whole state in rows: ``{targets: [ids], rows: {observer: [one value per target]}}``
    (configs/initial_trust/replay_2009.yaml). A row per observer reads and composes far faster
    than a rule per pair (500 rules took a second of every config's composition)."""
    if not isinstance(matrix, Mapping) or set(matrix) != {"targets", "rows"}:
        raise ConfigError(key, "a matrix is {targets: [actor ids], rows: {actor id: [a value per target]}}",
                          "configs/initial_trust/replay_2009.yaml, or null")
    targets = matrix["targets"]
    if not isinstance(targets, list | tuple):
        raise ConfigError(f"{key}.targets", f"{targets!r} is not a list of actor ids", roster.ids)
    cols = [roster.index(t, f"{key}.targets[{k}]") for k, t in enumerate(targets)]
    rows = matrix["rows"]
    if not isinstance(rows, Mapping):
        raise ConfigError(f"{key}.rows", "must map each observer's id to its row", roster.ids)
    for observer, row in rows.items():
        i = roster.index(observer, f"{key}.rows")
        if not isinstance(row, list | tuple) or len(row) != len(cols):
            raise ConfigError(f"{key}.rows.{observer}", f"a row needs one value per target ({len(cols)})",
                              f"a list of {len(cols)} numbers in [{low}, {high}]")
        for k, (j, v) in enumerate(zip(cols, row, strict=True)):
            values[i, j] = check_range(f"{key}.rows.{observer}[{k}]", v, low, high)
            touched[i, j] = True


def initial_matrices(scenario: Mapping, roster) -> dict[str, np.ndarray]:
    """Trust, grievance posture, irritant load and (optional) threat overrides of a scenario."""
    groups = dict(scenario.get("groups") or {})
    for g in groups:
        if g in roster.ids or g == "all":
            raise ConfigError(f"scenario.groups.{g}", "a group name may not shadow an actor id", "new names")
    starts = (scenario.get("trust") or {}).get("starts")
    if starts is not None and starts != scenario.get("start_date", "2010-01"):
        # the replay's state (configs/initial_trust/replay_2009.yaml) is the state of one month
        raise ConfigError("initial_trust", f"these beliefs are a state for a stage starting {starts}; scenario "
                          f"{scenario.get('name')!r} starts {scenario.get('start_date', '2010-01')}",
                          f"a scenario starting {starts}, e.g. baseline_2010, incremental_web, treaty_track; for a stage "
                          "built on baseline_2010 that starts in another month, initial_trust=judgement_2010")
    trust, _ = rule_matrix(scenario.get("trust") or {}, groups, roster, "scenario.trust", 0.5, 0.01, 0.99)
    posture, _ = rule_matrix(scenario.get("posture") or {}, groups, roster, "scenario.posture", 0.0)
    irritant, _ = rule_matrix(scenario.get("irritants") or {}, groups, roster, "scenario.irritants", 0.0)
    if "default" in (scenario.get("threat") or {}):
        raise ConfigError("scenario.threat.default", "threat has no default: entries without a rule start at "
                          "the equilibrium of trust, posture and irritants", "scenario.threat.rules only")
    threat, threat_set = rule_matrix(scenario.get("threat") or {}, groups, roster, "scenario.threat", 0.0)
    for m in (trust, posture, irritant, threat):
        np.fill_diagonal(m, 0.0)
    np.fill_diagonal(trust, 0.99)
    return {"trust": trust, "posture": posture, "irritant": irritant, "threat": threat, "threat_set": threat_set}
