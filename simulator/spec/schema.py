"""The schema of scenario values, written once: each field's type, default and rule.

A spec value is a frozen dataclass whose fields are declared with
:func:`number`, :func:`integer`, :func:`choice`, :func:`flag`, :func:`text`,
:func:`numbers` or :func:`names`. The declaration carries the default and the
rule (what is allowed, in words and as a check); :func:`check_fields`, called
from ``__post_init__``, applies every rule and coerces the value (an int
where a float is declared, a list where a tuple is). So a value validates
itself however it is built: from a file, by ``Design(...)``, or by
:func:`evolve`. The file converter reads the same declarations for its
allowed keys and required fields.
"""

from __future__ import annotations

import dataclasses
import math
import numbers as _numbers
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass
from functools import lru_cache
from typing import Any

from ..errors import ScenarioError

__all__ = ["Rule", "number", "integer", "choice", "flag", "text", "numbers", "names",
           "check_fields", "fail", "show", "evolve", "file_keys", "required_keys", "MISSING"]


@dataclass(frozen=True, slots=True)
class Rule:
    """What a field allows.

    Attributes
    ----------
    kind : str
        ``number``, ``integer``, ``choice``, ``flag``, ``text``, ``numbers``
        or ``names``.
    allowed : str
        The rule in words, as error messages show it ("must be in [0, 1)").
    check : callable or None
        A predicate on the (coerced) value.
    options : tuple
        The allowed values of a ``choice``.
    optional : bool
        None is allowed (the field may be absent).
    in_file : bool
        The scenario file may set it (internal fields, such as the evidence
        key a number came from, are set by the converter).
    """

    kind: str
    allowed: str
    check: Callable[[Any], bool] | None = None
    options: tuple[Any, ...] = ()
    optional: bool = False
    in_file: bool = True


def _field(rule: Rule, default: Any) -> Any:
    return dataclasses.field(default=default, metadata={"rule": rule})


def number(default: Any = MISSING, *, check: Callable[[float], bool] | None = None,
           allowed: str = "must be a finite number", optional: bool = False,
           in_file: bool = True) -> Any:
    """A finite real number (an int is taken as a float)."""
    return _field(Rule("number", allowed, check, optional=optional, in_file=in_file), default)


def integer(default: Any = MISSING, *, check: Callable[[int], bool] | None = None,
            allowed: str = "must be an integer", optional: bool = False) -> Any:
    """An integer (not a bool, not a float)."""
    return _field(Rule("integer", allowed, check, optional=optional), default)


def choice(options: tuple[Any, ...], default: Any = MISSING) -> Any:
    """One of ``options`` (of the same type: ``2.0`` is not ``2``)."""
    shown = ", ".join(repr(o) for o in options)
    return _field(Rule("choice", f"must be one of {shown}", options=options), default)


def flag(default: bool = False) -> Any:
    """``True`` or ``False``."""
    return _field(Rule("flag", "must be true or false"), default)


def text(default: Any = MISSING, *, allowed: str = "must be a non-empty string",
         optional: bool = False, in_file: bool = True) -> Any:
    """A non-empty string."""
    return _field(Rule("text", allowed, optional=optional, in_file=in_file), default)


def numbers(default: Any = MISSING, *, check: Callable[[tuple], bool] | None = None,
            allowed: str = "must be a list of finite numbers", optional: bool = False) -> Any:
    """A tuple of finite real numbers (a list is taken as a tuple)."""
    return _field(Rule("numbers", allowed, check, optional=optional), default)


def names(default: Any = MISSING, *, check: Callable[[tuple], bool] | None = None,
          allowed: str = "must be a list of names", optional: bool = False) -> Any:
    """A tuple of non-empty strings."""
    return _field(Rule("names", allowed, check, optional=optional), default)


#: Longest value a message shows (a longer one is cut, with "...").
SHOWN_CHARS = 200


def show(value: Any) -> str:
    """A value as the scenario file writes it (``true``, ``'text'``, ``1.5``), at most
    :data:`SHOWN_CHARS` characters."""
    if value is MISSING:
        return "(missing)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, tuple):
        text = str(list(value))
    else:
        text = str(value)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + "..."


def fail(where: str, value: Any, allowed: str) -> ScenarioError:
    """``ScenarioError("[section] key = value: allowed")``."""
    return ScenarioError(f"{where} = {show(value)}: {allowed}")


def _is_real(value: Any) -> bool:
    if type(value) in (float, int):  # the usual case, without the ABC check (about 30 us
        return True                  # when numpy's registrations have reset its cache)
    return isinstance(value, _numbers.Real) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    if type(value) is int:
        return True
    return isinstance(value, _numbers.Integral) and not isinstance(value, bool)


def _coerce(rule: Rule, given: Any, where: str) -> Any:
    """The value in its declared type, or a ScenarioError naming it as given."""
    kind, value = rule.kind, given
    if kind == "number" or kind == "integer":
        ok_type = _is_integer(value) if kind == "integer" else _is_real(value)
        if not ok_type:
            raise fail(where, given, f"{rule.allowed} (got {type(given).__name__})")
        value = int(value) if kind == "integer" else float(value)
        if not math.isfinite(value):
            raise fail(where, given, rule.allowed)
    elif kind == "choice":
        if isinstance(value, bool) or not any(type(value) is type(o) and value == o
                                              for o in rule.options):
            raise fail(where, value, rule.allowed)
    elif kind == "flag":
        if not isinstance(value, bool):
            raise fail(where, value, rule.allowed)
    elif kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise fail(where, value, rule.allowed)
    elif kind == "numbers":
        if not isinstance(value, (list, tuple)) or not all(
                _is_real(v) and math.isfinite(v) for v in value):
            raise fail(where, value, rule.allowed)
        value = tuple(float(v) for v in value)
    elif kind == "names":
        if not isinstance(value, (list, tuple)) or not all(
                isinstance(v, str) and v.strip() for v in value):
            raise fail(where, value, rule.allowed)
        value = tuple(value)
    if rule.check is not None and not rule.check(value):
        raise fail(where, given, rule.allowed)
    return value


def check_fields(value: Any, section: str) -> None:
    """Apply every field's rule to a frozen value, coercing in place.

    Parameters
    ----------
    value : dataclass instance
    section : str
        The table the value is written in (``design``, ``adverse_events.x``);
        empty for the top level.
    """
    for name, rule in _rules(type(value)):
        current = getattr(value, name)
        if current is None and rule.optional:
            continue
        where = f"[{section}] {name}" if section else name
        if current is None:
            raise fail(where, current, rule.allowed)
        coerced = _coerce(rule, current, where)
        if coerced is not current:
            object.__setattr__(value, name, coerced)


@lru_cache(maxsize=None)
def _rules(cls: type) -> tuple[tuple[str, Rule], ...]:
    """A value class's fields that have a rule, with it (read once per class)."""
    return tuple((f.name, f.metadata["rule"]) for f in dataclasses.fields(cls)
                 if f.metadata.get("rule") is not None)


def file_keys(cls: type) -> tuple[str, ...]:
    """The keys a scenario file may give for a value class, in declaration order."""
    return tuple(f.name for f in dataclasses.fields(cls)
                 if f.metadata.get("rule") is None or f.metadata["rule"].in_file)


def required_keys(cls: type) -> dict[str, str]:
    """Fields without a default, and what they allow."""
    return {f.name: f.metadata["rule"].allowed for f in dataclasses.fields(cls)
            if f.default is MISSING and f.default_factory is MISSING and "rule" in f.metadata}


def evolve(value: Any, changes: Mapping[str, Any] | None = None, /, **more: Any) -> Any:
    """A copy of a frozen value with fields replaced, validated again.

    Keys may be dotted paths into nested values (``"design.n_per_arm"``);
    ``adverse_events.<name>.<field>`` reaches one adverse event by name.

    Examples
    --------
    >>> from simulator import Scenario
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 100}, "pain": {"effect": -1.0}})
    >>> evolve(s, {"design.n_per_arm": 120}).design.group_sizes
    (120, 120)
    >>> evolve(s, {"design.n_per_arm": 1})
    Traceback (most recent call last):
    ...
    simulator.errors.ScenarioError: [design] n_per_arm = 1: must be an integer in [2, 100000]
    """
    updates = {**(changes or {}), **more}
    direct: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    names = {f.name for f in dataclasses.fields(value)}
    for key, new in updates.items():
        head, _, rest = key.partition(".") if isinstance(key, str) else (key, "", "")
        if head not in names or (not rest and isinstance(key, str) and key.endswith(".")):
            raise ScenarioError(f"{key!r}: unknown key of {type(value).__name__}; allowed: "
                                f"{', '.join(sorted(names))}")
        if rest:
            nested.setdefault(head, {})[rest] = new
        else:
            direct[head] = new
    for head, inner in nested.items():
        current = direct.get(head, getattr(value, head))
        if isinstance(current, tuple):  # adverse events, by name
            direct[head] = _evolve_named(current, inner, head)
        else:
            direct[head] = evolve(current, inner)
    return dataclasses.replace(value, **direct)


def _evolve_named(items: tuple, changes: dict[str, Any], head: str) -> tuple:
    by_name: dict[str, dict[str, Any]] = {}
    for key, new in changes.items():
        name, _, field = key.partition(".")
        if not field:
            raise ScenarioError(f"{head}.{key}: name a field of {head}.{name}")
        by_name.setdefault(name, {})[field] = new
    known = {item.name for item in items}
    for name in by_name:
        if name not in known:
            raise ScenarioError(f"{head}.{name}: no such entry; defined: "
                                f"{', '.join(sorted(known)) or 'none'}")
    return tuple(evolve(item, by_name[item.name]) if item.name in by_name else item
                 for item in items)
