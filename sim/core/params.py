"""One home per parameter: a dataclass field declares its default, accepted range, meaning and
source once, and validation and documentation are derived from that declaration.

    @dataclass
    class DynamicsConfig:
        spiral_bias: float = param(0.5, low=0.0, high=1.0, doc="...", source="Jervis (1976) ...")

    check(DynamicsConfig, {"spiral_bias": 0.3}, "dynamics.")  # {"spiral_bias": 0.3, ...}
    markdown_table(DynamicsConfig, "dynamics.")                # a table for docs/parameters.md

Only fields declared with :func:`param` are parameters; other fields (lists of actors, nested
sections, scenario data) are left to the code that compiles them. Works on frozen dataclasses
too. Standard library and :mod:`sim.errors` only.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.errors import ConfigError, check_int, check_range

KINDS = ("float", "int", "bool", "str", "list", "any")
BOOL_ALLOWED = "true or false"


@dataclass(frozen=True)
class Param:
    """The declaration of one parameter; ``name`` and ``kind`` are filled in by :func:`declared`."""

    default: Any
    low: float | None = None
    high: float | None = None
    doc: str = ""
    source: str = ""
    choices: tuple[Any, ...] | None = None
    name: str = ""
    kind: str = ""  # float, int, bool, str or list (from the annotation, else the default)


def param(default: Any, *, low: float | None = None, high: float | None = None, doc: str, source: str,
          choices=None, kind: str | None = None) -> Any:
    """A dataclass field whose metadata declares the parameter: its ``default`` (a list default
    becomes a ``default_factory`` copy), the accepted range ``[low, high]`` for numbers (either end
    may be None: unbounded), or the accepted ``choices``; ``doc`` says what it means and ``source``
    where its value comes from (the rationale)."""
    p = Param(default=default, low=low, high=high, doc=doc, source=source,
              choices=tuple(choices) if choices is not None else None, kind=kind or "")
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata={"param": p})
    return dataclasses.field(default=default, metadata={"param": p})


def _kind(annotation: Any, default: Any) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    text = text.replace(" ", "")
    if text in ("float", "int", "bool", "str"):
        return text
    if text.startswith(("list", "tuple")):
        return "list"
    for kind, types in (("bool", bool), ("int", int), ("float", float), ("str", str), ("list", (list, tuple))):
        if isinstance(default, types):
            return kind
    raise TypeError(f"cannot infer the kind of a parameter of type {annotation!r} with default {default!r}")


def declared(cls) -> dict[str, Param]:
    """The parameters declared with :func:`param` in dataclass ``cls`` (or an instance), in field
    order, by name, with ``name`` and ``kind`` filled in."""
    out: dict[str, Param] = {}
    for f in dataclasses.fields(cls):
        p = f.metadata.get("param")
        if p is not None:
            out[f.name] = dataclasses.replace(p, name=f.name, kind=p.kind or _kind(f.type, p.default))
    return out


def check_value(p: Param, key: str, value: Any) -> Any:
    """``value`` checked against declaration ``p`` (numbers as :func:`sim.errors.check_range` and
    :func:`~sim.errors.check_int` return them); a ConfigError naming ``key`` otherwise."""
    if p.kind == "any":  # a value whose own checker runs where it is compiled (its doc says which)
        return value
    if p.kind == "float":
        return check_range(key, value, -math.inf if p.low is None else p.low, math.inf if p.high is None else p.high)
    if p.kind == "int":
        if p.low is None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(key, f"{value!r} is not an integer", "an integer")
            if p.high is not None and value > p.high:
                raise ConfigError(key, f"{value} is out of range", f"an integer <= {p.high}")
            return value
        return check_int(key, value, int(p.low), None if p.high is None else int(p.high))
    if p.kind == "bool":
        # numpy's bool (bool_) is not a bool subclass; accept it by name (no numpy import here)
        if isinstance(value, bool) or (type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_")):
            return bool(value)
        raise ConfigError(key, f"{value!r} is not true or false", BOOL_ALLOWED)
    if p.choices is not None and value not in p.choices:
        raise ConfigError(key, f"unknown value {value!r}", p.choices)
    if p.kind == "str" and not isinstance(value, str):
        raise ConfigError(key, f"{value!r} is not a string", "a string")
    if p.kind == "list" and not isinstance(value, list | tuple):
        raise ConfigError(key, f"{value!r} is not a list", "a list")
    return value


def check(cls, values: Mapping, prefix: str) -> dict[str, Any]:
    """Every parameter declared in ``cls``: its value from ``values`` (the default where absent),
    type- and range-checked in field order; keys are named ``prefix + name`` in errors.
    Keys of ``values`` that are not declared parameters are ignored (unknown keys are rejected
    by :func:`sim.config.spec._check_keys`)."""
    return {name: check_value(p, f"{prefix}{name}", values.get(name, p.default)) for name, p in declared(cls).items()}


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return str(value)


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def accepted(p: Param) -> str:
    """The accepted values of ``p`` in words, e.g. ``[0, 1]``, ``int [1, 1200]``, ``true/false``."""
    if p.choices is not None:
        return ", ".join(str(c) for c in p.choices)
    if p.kind in ("float", "int"):
        prefix = "int " if p.kind == "int" else ""
        if p.low is not None and p.high is not None:
            return f"{prefix}[{_number(p.low)}, {_number(p.high)}]"
        if p.low is not None:
            return f"{prefix}>= {_number(p.low)}"
        if p.high is not None:
            return f"{prefix}<= {_number(p.high)}"
        return p.kind
    return {"bool": "true/false", "str": "a string", "list": "a list", "any": "see its meaning"}[p.kind]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def markdown_table(cls, prefix: str) -> str:
    """A Markdown table of the parameters declared in ``cls``: key, default, accepted, meaning,
    source."""
    rows = ["| Key | Default | Accepted | Meaning | Source |", "|---|---|---|---|---|"]
    for name, p in declared(cls).items():
        rows.append(f"| `{prefix}{name}` | {_cell(_literal(p.default))} | {_cell(accepted(p))} | {_cell(p.doc)} | "
                    f"{_cell(p.source)} |")
    return "\n".join(rows) + "\n"
