"""Who and what the results are about, each read from where it is declared: the options (paper
number, title, proposer, consent) from ``configs/option/*.yaml``, the actors (full name, kind,
members) from the roster of the run's config, or ``configs/roster/default.yaml``."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import yaml

from sim.config import group_dirs

ACTOR_COLUMNS = {"actor": "string", "name": "string", "kind": "category", "members": "string", "parent": "string",
                 "patron": "string"}
OPTION_COLUMNS = {"option": "string", "paper_number": "Int64", "title": "string", "proposer": "string",
                  "proposer_name": "string", "consent": "string", "start": "Int64", "label": "string"}


def _moves_of(path) -> dict:
    return (yaml.safe_load(path.read_text()) or {}).get("moves") or {}


@lru_cache(maxsize=1)
def _default_roster() -> dict:
    return yaml.safe_load((group_dirs()["roster"] / "default.yaml").read_text())["roster"]


def actor_table(roster: dict | None = None) -> pd.DataFrame:
    """One row per actor of ``roster`` (a config's ``roster`` section; None: the default)."""
    roster = roster or _default_roster()
    rows = [{"actor": k, "name": v.get("name", k), "kind": v.get("kind"), "members": ", ".join(v.get("members") or []),
             "parent": v.get("parent"), "patron": v.get("patron")} for k, v in roster.items()]
    return pd.DataFrame(rows, columns=list(ACTOR_COLUMNS)).astype(ACTOR_COLUMNS)


def option_table(roster: dict | None = None) -> pd.DataFrame:
    """One row per option file of ``configs/option/``: the paper's number (<NA> for moves that
    are not among the paper's ten), title, proposer (id and full name), consent, start month,
    and a short label for figures ("4 solidarity"), in the paper's order."""
    names = dict(zip(*actor_table(roster)[["actor", "name"]].T.to_numpy()))
    rows = []
    for path in sorted(group_dirs()["option"].glob("*.yaml")):
        for move_id, m in _moves_of(path).items():
            number = m.get("option")
            rows.append({"option": move_id, "paper_number": number, "title": m.get("title"),
                         "proposer": m.get("proposer"), "proposer_name": names.get(m.get("proposer"), m.get("proposer")),
                         "consent": ", ".join(m.get("consent") or []), "start": m.get("start"),
                         "label": f"{number} {move_id}" if number is not None else move_id})
    table = pd.DataFrame(rows, columns=list(OPTION_COLUMNS)).astype(OPTION_COLUMNS)
    return table.sort_values(["paper_number", "option"], na_position="last").reset_index(drop=True)
