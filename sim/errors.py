"""One error type for bad input, so every entry point can report it in one paragraph."""

from __future__ import annotations

from collections.abc import Iterable


class ConfigError(ValueError):
    """Bad input: names the offending key, what was wrong and what is allowed."""

    def __init__(self, key: str, problem: str, allowed: Iterable[object] | str | None = None):
        self.key = key
        self.problem = problem
        if allowed is None:
            self.allowed = None
        elif isinstance(allowed, str):
            self.allowed = allowed
        else:
            self.allowed = ", ".join(str(a) for a in allowed)
        message = f"Invalid configuration at '{key}': {problem}."
        if self.allowed:
            message += f" Allowed: {self.allowed}."
        super().__init__(message)


def check_range(key: str, value: float, low: float, high: float) -> float:
    """Return ``value`` if ``low <= value <= high``; otherwise raise a ConfigError naming ``key``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(key, f"{value!r} is not a number", f"a number in [{low}, {high}]") from None
    if not (low <= v <= high) or v != v:
        raise ConfigError(key, f"{value!r} is out of range", f"a number in [{low}, {high}]")
    return v


def check_int(key: str, value: int, low: int, high: int | None = None) -> int:
    """Return ``value`` as int if within ``[low, high]``; otherwise raise a ConfigError."""
    allowed = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(key, f"{value!r} is not an integer", allowed)
    if value < low or (high is not None and value > high):
        raise ConfigError(key, f"{value} is out of range", allowed)
    return value


class ResourceError(ConfigError):
    """A run that would not fit in the memory or disk available: names the key to change, the
    estimate and what is available, and how to reduce it."""
