"""Values given on the command line or in a sweep: ``KEY=VALUE``, ranges and lists."""

from __future__ import annotations

import math
import tomllib
from typing import Any

from .._io import check_depth
from ..errors import ScenarioError
from .bounds import MAX_CURVE_POINTS

__all__ = ["parse_override", "parse_sweep_values", "parse_n_grid", "MAX_VALUES"]

#: Most values one range or list may give (a sweep key, the sizes of a curve).
MAX_VALUES = 100_000


def parse_override(text: str) -> tuple[str, Any]:
    """Parse one ``KEY=VALUE`` command-line override.

    The value is read as a TOML value (``-1.0``, ``true``, ``[1, 2]``,
    ``"text"``); a bare word that is not TOML is taken as a string.

    Examples
    --------
    >>> parse_override("pain.effect=-1.0")
    ('pain.effect', -1.0)
    >>> parse_override("pain.analysis=change")
    ('pain.analysis', 'change')
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(f"--set {text!r}: expected KEY=VALUE, e.g. pain.effect=-1.0")
    raw = raw.strip()
    try:
        parsed = tomllib.loads(f"v = {raw}")
    except tomllib.TOMLDecodeError:
        return key, raw
    except RecursionError:
        parsed = None
    return key, check_depth(parsed, f"--set {key}")["v"]


def parse_sweep_values(key: str, raw: Any, where: str) -> tuple[Any, ...]:
    """Values of one sweep key: a list, ``"START:STOP:STEP"`` (stop included) or
    ``"V1,V2,..."`` (each read as a TOML value).

    Examples
    --------
    >>> parse_sweep_values("design.n_per_arm", "20:60:20", "--grid")
    (20, 40, 60)
    >>> parse_sweep_values("pain.effect", "-1.5,-1", "--grid")
    (-1.5, -1)
    """
    label = f"{where} {key}".strip()
    if isinstance(raw, list):
        values = tuple(raw)
    elif isinstance(raw, str) and raw.count(":") == 2 and "," not in raw:
        try:
            start, stop, step = (tomllib.loads(f"v = {p.strip()}")["v"] for p in raw.split(":"))
            ok = all(isinstance(x, (int, float)) and not isinstance(x, bool)
                     for x in (start, stop, step)) and step > 0 and stop >= start
        except (tomllib.TOMLDecodeError, RecursionError):
            ok = False
        if not ok:
            raise ScenarioError(f"{label} = {raw!r}: expected START:STOP:STEP with "
                                "numbers, STEP > 0 and STOP >= START")
        steps = (stop - start) / step
        if not math.isfinite(steps) or steps + 1 > MAX_VALUES:
            raise ScenarioError(f"{label} = {raw!r}: gives more than {MAX_VALUES:,} "
                                "values; use a larger STEP")
        count = int(math.floor(steps + 1e-9)) + 1
        values = tuple(start + i * step for i in range(count))
        if all(isinstance(x, int) for x in (start, stop, step)):
            values = tuple(int(v) for v in values)
        else:
            values = tuple(round(float(v), 12) for v in values)
    elif isinstance(raw, str):
        values = tuple(parse_override(f"{key}={part}")[1]
                       for part in raw.split(",") if part.strip())
    else:
        values = (raw,)
    if not values:
        raise ScenarioError(f"{label} = {raw!r}: no values")
    return values


def parse_n_grid(text: str) -> list[int]:
    """Sizes per arm: ``"20:400:20"`` (stop included) or ``"50,100,150"``.

    The same reader as a sweep key's values (:func:`parse_sweep_values`),
    then every value must be an integer >= 2, and there may be at most
    :data:`~simulator.spec.bounds.MAX_CURVE_POINTS` of them.

    Examples
    --------
    >>> parse_n_grid("20:100:40")
    [20, 60, 100]
    >>> parse_n_grid("50, 80")
    [50, 80]
    """
    values = parse_sweep_values("--n", text, "")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ScenarioError(f"--n {text!r}: expected START:STOP:STEP (e.g. 20:400:20) or a "
                            "comma-separated list of integers")
    if min(values) < 2:
        raise ScenarioError(f"--n {text!r}: every n per arm must be an integer >= 2")
    if len(set(values)) > MAX_CURVE_POINTS:
        raise ScenarioError(f"--n {text!r}: gives {len(set(values)):,} sizes; a curve has at "
                            f"most {MAX_CURVE_POINTS:,}: use a larger STEP")
    return list(values)
