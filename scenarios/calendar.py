"""Model months <-> calendar dates. Step t (1-based) is the t-th month from the start date."""

from __future__ import annotations

import re

from sim.errors import ConfigError

_DATE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_start(key: str, text: str) -> tuple[int, int]:
    """Parse 'YYYY-MM' into (year, month) or raise a ConfigError naming ``key``."""
    m = _DATE.match(str(text))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ConfigError(key, f"{text!r} is not a month", "a date written YYYY-MM, e.g. 2010-01")
    return int(m.group(1)), int(m.group(2))


def month_label(start: tuple[int, int], step: int) -> str:
    """Calendar label of model step ``step`` (step 1 is the start month)."""
    year, month = start
    index = year * 12 + (month - 1) + (step - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
