"""The observed opinion series (data/opinion/, experiments.observed): typed loaders, validation
that refuses a bad row, enough years behind every mapped dyad, and spot values checked against
their sources (data/README.md), so that an edit corrupting the data fails here."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import observed
from sim.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_the_data_files_sit_where_the_loader_looks():
    assert observed.DATA_DIR == ROOT / "data" / "opinion"
    assert observed.PEW_FILE.is_file() and observed.CHECKS_FILE.is_file()
    assert (ROOT / "data" / "README.md").is_file()


@pytest.mark.parametrize("loader, extra", [(observed.pew, ()), (observed.checks, ("fieldwork", "measure"))])
def test_loaders_return_typed_frames(loader, extra):
    frame = loader()
    assert list(frame.columns) == list(observed.PEW_COLUMNS + extra)
    assert frame["year"].dtype == np.int64
    assert frame["favourable_pct"].dtype == np.float64 and frame["unfavourable_pct"].dtype == np.float64
    for col in observed.CATEGORIES:
        assert isinstance(frame[col].dtype, pd.CategoricalDtype)
    assert frame["year"].between(observed.FIRST_YEAR, observed.LAST_YEAR).all()
    assert (frame["favourable_pct"].notna() | frame["unfavourable_pct"].notna()).all()
    assert (frame["source_url"].str.len() > 0).all() and (frame["read_how"].str.len() > 0).all()
    assert set(frame["target"].unique()) <= set(observed.TARGETS)


def _write(path: Path, columns, rows) -> Path:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(columns), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


GOOD = {"survey": "pew_global_attitudes", "respondent_country": "POL", "target": "RUS", "year": "2010",
        "favourable_pct": "45", "unfavourable_pct": "", "source_url": "https://example.org/report",
        "read_how": "chapter 1 text"}


def test_a_good_temporary_table_loads(tmp_path):
    frame = observed.pew(_write(tmp_path / "p.csv", observed.PEW_COLUMNS, [GOOD]))
    assert frame.loc[0, "favourable_pct"] == 45.0 and np.isnan(frame.loc[0, "unfavourable_pct"])


@pytest.mark.parametrize("column, value, words", [
    ("favourable_pct", "120", "percentage"),
    ("unfavourable_pct", "-3", "percentage"),
    ("favourable_pct", "many", "not a number"),
    ("year", "2019", "2007-2015"),
    ("year", "2010.5", "2007-2015"),
    ("source_url", "", "source"),
    ("source_url", "a book I read", "source"),
    ("read_how", "", "read"),
    ("respondent_country", "Poland", "alpha-3"),
    ("target", "CHN", "target"),
])
def test_validation_names_the_bad_row(tmp_path, column, value, words):
    rows = [GOOD, {**GOOD, "year": "2009", column: value}]
    path = _write(tmp_path / "bad.csv", observed.PEW_COLUMNS, rows)
    with pytest.raises(ConfigError) as err:
        observed.pew(path)
    message = str(err.value)
    assert "bad.csv line 3" in message and column in message and words in message


def test_validation_refuses_rows_without_any_share_duplicates_and_impossible_sums(tmp_path):
    empty = _write(tmp_path / "e.csv", observed.PEW_COLUMNS, [{**GOOD, "favourable_pct": ""}])
    with pytest.raises(ConfigError, match="neither"):
        observed.pew(empty)
    twice = _write(tmp_path / "d.csv", observed.PEW_COLUMNS, [GOOD, GOOD])
    with pytest.raises(ConfigError, match="duplicate"):
        observed.pew(twice)
    over = _write(tmp_path / "o.csv", observed.PEW_COLUMNS, [{**GOOD, "unfavourable_pct": "70"}])
    with pytest.raises(ConfigError, match="> 100"):
        observed.pew(over)
    short = _write(tmp_path / "s.csv", observed.PEW_COLUMNS[:-1], [{k: v for k, v in GOOD.items() if k != "read_how"}])
    with pytest.raises(ConfigError, match="missing column"):
        observed.pew(short)


def test_check_rows_need_a_measure_and_fieldwork_in_their_year(tmp_path):
    row = {**GOOD, "survey": "levada_omnibus", "respondent_country": "RUS", "target": "USA", "fieldwork": "2010-01",
           "measure": "attitude towards the USA"}
    assert len(observed.checks(_write(tmp_path / "c.csv", observed.CHECK_COLUMNS, [row]))) == 1
    for change, words in (({"measure": ""}, "measure"), ({"fieldwork": "2011-01"}, "fieldwork")):
        path = _write(tmp_path / "c2.csv", observed.CHECK_COLUMNS, [{**row, **change}])
        with pytest.raises(ConfigError, match=words):
            observed.checks(path)


@pytest.mark.parametrize("mapping", [observed.MAPPING, observed.CHECK_MAPPING], ids=["calibration", "checks"])
def test_every_mapped_dyad_has_four_years_of_2008_2015(mapping):
    series = observed.observed_series(mapping)
    assert set(mapping) <= set(zip(series["observer"], series["target"]))
    for observer, target in mapping:
        years = observed.years_covered(series, observer, target)
        assert len(years) >= 4 and all(2008 <= y <= 2015 for y in years), (observer, target, years)


def test_mappings_are_declared_with_reasons_and_known_surveys():
    surveys = set(observed.pew()["survey"].unique()) | set(observed.checks()["survey"].unique())
    for mapping in (observed.MAPPING, observed.CHECK_MAPPING, observed.PROPOSED):
        for (observer, target), choice in mapping.items():
            assert choice.reason and choice.respondents and choice.survey in surveys
            assert choice.target == target and choice.target in observed.TARGETS
    assert all(c.role == "calibration" and c.survey == "pew_global_attitudes" for c in observed.MAPPING.values())
    assert all(c.role == "check" for c in observed.CHECK_MAPPING.values())
    # what is proposed but too thin must not have crept into the usable mappings
    assert ("WEU", "RUS") not in observed.MAPPING and ("WEU", "RUS") in observed.PROPOSED


def _value(frame, column, **where):
    rows = frame
    for k, v in where.items():
        rows = rows[rows[k] == v]
    assert len(rows) == 1, where
    return float(rows.iloc[0][column])


@pytest.mark.parametrize("where, column, expected", [
    # FiveThirtyEight's transcription of Pew: Russians' favourable view of the US
    (dict(respondent_country="RUS", target="USA", year=2013), "favourable_pct", 51.0),
    (dict(respondent_country="RUS", target="USA", year=2014), "favourable_pct", 23.0),
    (dict(respondent_country="RUS", target="USA", year=2015), "unfavourable_pct", 81.0),
    (dict(respondent_country="DEU", target="USA", year=2008), "favourable_pct", 31.0),
    # Pew's own text (2015 NATO report, chapter 1; 2014 Sochi short read)
    (dict(respondent_country="POL", target="RUS", year=2010), "favourable_pct", 45.0),
    (dict(respondent_country="GBR", target="RUS", year=2011), "favourable_pct", 50.0),
    (dict(respondent_country="USA", target="RUS", year=2013), "unfavourable_pct", 43.0),
])
def test_pew_spot_values(where, column, expected):
    assert _value(observed.pew(), column, **where) == expected


@pytest.mark.parametrize("where, column, expected", [
    # Levada's own table (22 Jun 2015): January 2015, very + mostly good / mostly + very bad
    (dict(survey="levada_omnibus", target="USA", fieldwork="2015-01"), "favourable_pct", 13.0),
    (dict(survey="levada_omnibus", target="USA", fieldwork="2015-01"), "unfavourable_pct", 81.0),
    (dict(survey="levada_omnibus", target="EU", fieldwork="2014-01"), "favourable_pct", 51.0),
    (dict(survey="gallup_world_affairs", target="RUS", year=2009), "unfavourable_pct", 53.0),
])
def test_check_spot_values(where, column, expected):
    assert _value(observed.checks(), column, **where) == expected


def test_a_faction_is_the_mean_of_its_respondents_in_years_all_of_them_have():
    series = observed.observed_series({("WEU", "USA"): observed.MAPPING[("WEU", "USA")]})
    assert _value(series, "favourable_pct", year=2014) == pytest.approx((51 + 75 + 60 + 66) / 4)
    # Britain alone has favourable readings of Russia, so the five-country WEU mapping yields nothing
    assert observed.observed_series({("WEU", "RUS"): observed.PROPOSED[("WEU", "RUS")]}).empty


def test_observed_series_is_typed_and_stays_in_its_years():
    series = observed.observed_series(observed.MAPPING)
    assert list(series.columns) == list(observed.SERIES_COLUMNS)
    assert series["year"].dtype == np.int64 and series["readings"].dtype == np.int64
    assert series["year"].between(2008, 2015).all()
    assert isinstance(series["observer"].dtype, pd.CategoricalDtype)
