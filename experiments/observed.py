"""Observed public opinion, 2007-2015, for calibrating and checking the model's trust.

Two tidy tables live in ``data/opinion/`` (sources and reading notes: ``data/README.md``):

* ``pew_favourability.csv``: the calibration set, Pew Global Attitudes "favorable" shares (very +
  somewhat favorable) of Russia, the USA, the EU and NATO, one row per respondent country, target
  and year;
* ``checks.csv``: other pollsters' series in the same shape plus ``fieldwork`` and ``measure``
  (Levada, VTsIOM, GMF Transatlantic Trends, Gallup), kept out of the fit.

``pew()`` and ``checks()`` read and validate them (percentages in [0, 100], years 2007-2015, a
source and a reading note on every row, ISO alpha-3 respondents, no duplicate keys) and raise a
``ConfigError`` naming file, line and column otherwise.

``observed_series(mapping)`` turns a mapping from model dyads (observer, target) to survey series
into one row per dyad and year. The mappings are declared once, each choice with its reason:
``MAPPING`` (Pew, for the fit), ``CHECK_MAPPING`` (other pollsters, for checks only) and
``PROPOSED`` (dyads whose mapping is stated but whose verified data are still too thin to use).
Favourability is not elite trust: compare signs of change and turning points, not levels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from sim.errors import ConfigError

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "opinion"
PEW_FILE = DATA_DIR / "pew_favourability.csv"
CHECKS_FILE = DATA_DIR / "checks.csv"

FIRST_YEAR, LAST_YEAR = 2007, 2015
TARGETS = ("RUS", "USA", "EU", "NATO")
PEW_COLUMNS = ("survey", "respondent_country", "target", "year", "favourable_pct", "unfavourable_pct",
               "source_url", "read_how")
CHECK_COLUMNS = PEW_COLUMNS + ("fieldwork", "measure")
CATEGORIES = ("survey", "respondent_country", "target")
SOURCE_SEPARATOR = " ; "
ROUNDING_SLACK = 1.0  # published shares are rounded: favourable + unfavourable may exceed 100 by 1

_SURVEY = re.compile(r"^[a-z][a-z0-9_]*$")
_ISO3 = re.compile(r"^[A-Z]{3}$")
_URL = re.compile(r"^https?://\S+$")


# --------------------------------------------------------------------------- loading

def pew(path: Path | str = PEW_FILE) -> pd.DataFrame:
    """The Pew calibration table, validated: year int64, percentages float64 (NaN where not
    published), survey, respondent_country and target categorical."""
    return _load(Path(path), PEW_COLUMNS)


def checks(path: Path | str = CHECKS_FILE) -> pd.DataFrame:
    """The check series (other pollsters), validated like ``pew()``, with ``fieldwork`` (str,
    starting with the year) and ``measure`` (categorical, what was asked)."""
    return _load(Path(path), CHECK_COLUMNS)


def _load(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise ConfigError(str(path), "the file does not exist", "data/opinion/pew_favourability.csv or checks.csv")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise ConfigError(path.name, f"missing column(s) {', '.join(missing)}", columns)
    extra = [c for c in raw.columns if c not in columns]
    if extra:
        raise ConfigError(path.name, f"unknown column(s) {', '.join(extra)}", columns)
    raw = raw[list(columns)].apply(lambda col: col.str.strip())
    for i, row in enumerate(raw.itertuples(index=False), start=2):  # line 1 is the header
        _check_row(path.name, i, row._asdict(), columns)

    frame = raw.copy()
    frame["year"] = frame["year"].astype(np.int64)
    for col in ("favourable_pct", "unfavourable_pct"):
        frame[col] = pd.to_numeric(frame[col].replace("", np.nan)).astype(np.float64)
    key = ["survey", "respondent_country", "target", "year"] + (["fieldwork", "measure"] if "measure" in columns else [])
    dup = frame.duplicated(key, keep=False)
    if dup.any():
        first = int(np.flatnonzero(dup.to_numpy())[0])
        raise ConfigError(f"{path.name} line {first + 2}", f"duplicate row for {', '.join(key)}",
                          "one row per key")
    for col in CATEGORIES + (("measure",) if "measure" in columns else ()):
        frame[col] = frame[col].astype("category")
    return frame.reset_index(drop=True)


def _check_row(name: str, line: int, row: dict[str, str], columns: tuple[str, ...]) -> None:
    def bad(col: str, problem: str, allowed: str) -> ConfigError:
        return ConfigError(f"{name} line {line}, column '{col}'", problem, allowed)

    if not _SURVEY.match(row["survey"]):
        raise bad("survey", f"{row['survey']!r} is not a survey id", "lower-case letters, digits and _")
    if not _ISO3.match(row["respondent_country"]):
        raise bad("respondent_country", f"{row['respondent_country']!r} is not an ISO 3166 alpha-3 code",
                  "three upper-case letters (EUU for a European-sample average)")
    if row["target"] not in TARGETS:
        raise bad("target", f"{row['target']!r} is not a target", TARGETS)
    if not re.fullmatch(r"\d{4}", row["year"]) or not FIRST_YEAR <= int(row["year"]) <= LAST_YEAR:
        raise bad("year", f"{row['year']!r} is not a year in {FIRST_YEAR}-{LAST_YEAR}",
                  f"an integer in [{FIRST_YEAR}, {LAST_YEAR}]")
    values = {}
    for col in ("favourable_pct", "unfavourable_pct"):
        text = row[col]
        if text == "":
            continue
        try:
            v = float(text)
        except ValueError:
            raise bad(col, f"{text!r} is not a number", "a percentage in [0, 100] or empty") from None
        if not 0.0 <= v <= 100.0:
            raise bad(col, f"{text} is not a percentage", "a number in [0, 100] or empty")
        values[col] = v
    if not values:
        raise bad("favourable_pct", "neither a favourable nor an unfavourable share", "at least one of the two")
    if len(values) == 2 and sum(values.values()) > 100.0 + ROUNDING_SLACK:
        raise bad("unfavourable_pct", f"favourable + unfavourable = {sum(values.values()):g} > 100",
                  "shares of one question that sum to at most 100")
    sources = [s.strip() for s in row["source_url"].split(SOURCE_SEPARATOR.strip())] if row["source_url"] else []
    if not sources or not all(_URL.match(s) for s in sources):
        raise bad("source_url", f"{row['source_url']!r} is not a source", "one or more http(s) URLs separated by ' ; '")
    if not row["read_how"]:
        raise bad("read_how", "no note on how the number was read", "the table, chart or sentence it was read from")
    if "measure" in columns:
        if not row["measure"]:
            raise bad("measure", "no description of what was asked", "the question and answer categories")
        if not row["fieldwork"].startswith(row["year"]):
            raise bad("fieldwork", f"{row['fieldwork']!r} does not start with the year {row['year']}",
                      "YYYY or YYYY-MM (optionally with days)")


# --------------------------------------------------------------------------- the mapping

Role = Literal["calibration", "check"]


@dataclass(frozen=True)
class Choice:
    """One model dyad read off one survey series: the unweighted mean, per year, of the shares of
    ``respondents`` (only in years where every one of them has a value, so that a changing mix of
    countries cannot fake a movement; several readings of one country in one year are averaged
    first). ``reason`` says why these respondents stand for the observer."""
    survey: str
    respondents: tuple[str, ...]
    target: str
    role: Role
    reason: str


# Calibration: Pew series with at least four verified years in 2008-2015.
MAPPING: dict[tuple[str, str], Choice] = {
    ("RUS", "USA"): Choice(
        "pew_global_attitudes", ("RUS",), "USA", "calibration",
        "Russia is a state actor with its own public; Pew asked Russians about the US every year 2007-2015."),
    ("USA", "RUS"): Choice(
        "pew_global_attitudes", ("USA",), "RUS", "calibration",
        "The US is a state actor with its own public; verified Pew years are 2011, 2013, 2014, 2015 (2007-2010 "
        "and 2012 not found). Gallup's February series is the check."),
    ("EFL", "RUS"): Choice(
        "pew_global_attitudes", ("POL",), "RUS", "calibration",
        "Poland is the largest eastern-flank state and the only one with verified Pew readings of Russia "
        "(2009, 2010, 2014, 2015); no Baltic or Romanian Pew series were found. Weak for the Baltics."),
    ("WEU", "USA"): Choice(
        "pew_global_attitudes", ("DEU", "FRA", "ESP", "GBR"), "USA", "calibration",
        "The western allies Pew surveyed in every year 2007-2015, unweighted (the faction speaks with one voice); "
        "Italy is left out because it is missing 2008-2011 and a changing mix would fake movements."),
    ("EFL", "USA"): Choice(
        "pew_global_attitudes", ("POL",), "USA", "calibration",
        "Poland, surveyed every year 2007-2015, stands for the eastern flank."),
}

# Checks: other pollsters, kept out of the fit, with at least four years in 2008-2015.
CHECK_MAPPING: dict[tuple[str, str], Choice] = {
    ("RUS", "USA"): Choice(
        "levada_omnibus", ("RUS",), "USA", "check",
        "Levada's 'attitude towards the USA' (good vs bad), several waves a year; independent of Pew."),
    ("RUS", "EU"): Choice(
        "levada_omnibus", ("RUS",), "EU", "check",
        "Levada's 'attitude towards the European Union'; the only multi-year series found for Russia's view of "
        "the EU (Pew's EU rating of Russians was verified for 2015 only), so RUS->EU has no calibration series."),
    ("USA", "RUS"): Choice(
        "gallup_world_affairs", ("USA",), "RUS", "check",
        "Gallup's February favourable/unfavourable rating of Russia by US adults."),
}

# Stated but not usable yet: the verified data are too thin (see data/README.md, "Not found").
PROPOSED: dict[tuple[str, str], Choice] = {
    ("WEU", "RUS"): Choice(
        "pew_global_attitudes", ("DEU", "FRA", "ITA", "ESP", "GBR"), "RUS", "calibration",
        "The intended mapping: the five large western allies, unweighted. Only Britain's favourable shares "
        "(2011, 2014, 2015) and unfavourable-only readings for the others were verified, so no year has all five."),
    ("RUS", "EU"): Choice(
        "pew_global_attitudes", ("RUS",), "EU", "calibration",
        "Pew's EU favourability among Russians: verified for 2015 only."),
    ("RUS", "NATO"): Choice(
        "pew_global_attitudes", ("RUS",), "NATO", "calibration",
        "Pew's NATO favourability among Russians: verified for 2015 only."),
    ("UKR", "RUS"): Choice(
        "pew_global_attitudes", ("UKR",), "RUS", "calibration",
        "Ukrainians' view of Russia: only unfavourable shares (2011, 2014, 2015) were verified."),
    ("EU", "RUS"): Choice(
        "gmf_transatlantic_trends", ("EUU",), "RUS", "check",
        "GMF's European-sample average: favourable shares verified for 2011 and 2012 only."),
}

SERIES_COLUMNS = ("observer", "target", "year", "favourable_pct", "unfavourable_pct", "readings", "survey", "role",
                  "respondents")


def observed_series(mapping: dict[tuple[str, str], Choice] = MAPPING, *, pew_frame: pd.DataFrame | None = None,
                    checks_frame: pd.DataFrame | None = None, first: int = 2008, last: int = LAST_YEAR) -> pd.DataFrame:
    """One row per mapped dyad and year in [first, last] with a favourable or an unfavourable
    value: the mean over the choice's respondents (only years where all of them have that value),
    ``readings`` the number of table rows averaged. Years without data are absent, not filled."""
    tables: dict[str, pd.DataFrame] = {}
    out = []
    for (observer, target), choice in mapping.items():
        source = "pew" if choice.survey == "pew_global_attitudes" else "checks"
        if source not in tables:
            tables[source] = (pew_frame if pew_frame is not None else pew()) if source == "pew" else \
                (checks_frame if checks_frame is not None else checks())
        table = tables[source]
        rows = table[(table["survey"] == choice.survey) & (table["target"] == choice.target)
                     & table["respondent_country"].isin(choice.respondents)
                     & table["year"].between(first, last)]
        per_country = rows.groupby(["respondent_country", "year"], observed=True).agg(
            favourable_pct=("favourable_pct", "mean"), unfavourable_pct=("unfavourable_pct", "mean"),
            readings=("year", "size")).reset_index()
        for year, group in per_country.groupby("year"):
            values = {}
            for col in ("favourable_pct", "unfavourable_pct"):
                present = group.dropna(subset=[col])
                values[col] = (float(present[col].mean())
                               if set(present["respondent_country"]) == set(choice.respondents) else np.nan)
            if np.isnan(values["favourable_pct"]) and np.isnan(values["unfavourable_pct"]):
                continue
            out.append({"observer": observer, "target": target, "year": int(year), **values,
                        "readings": int(group["readings"].sum()), "survey": choice.survey, "role": choice.role,
                        "respondents": "+".join(choice.respondents)})
    frame = pd.DataFrame(out, columns=list(SERIES_COLUMNS))
    frame["year"] = frame["year"].astype(np.int64)
    frame["readings"] = frame["readings"].astype(np.int64)
    for col in ("favourable_pct", "unfavourable_pct"):
        frame[col] = frame[col].astype(np.float64)
    for col in ("observer", "target", "survey", "role"):
        frame[col] = frame[col].astype("category")
    return frame.sort_values(["observer", "target", "year"]).reset_index(drop=True)


def years_covered(series: pd.DataFrame, observer: str, target: str, column: str = "favourable_pct") -> list[int]:
    """The years of ``series`` (from ``observed_series``) with a value in ``column`` for the dyad."""
    rows = series[(series["observer"] == observer) & (series["target"] == target)].dropna(subset=[column])
    return sorted(int(y) for y in rows["year"])
