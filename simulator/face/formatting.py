"""Numbers as the tables print them: never ``-0``, and ``n/a`` for what is missing."""

from __future__ import annotations

import math

__all__ = ["fmt", "pct"]


def fmt(x: float | None, spec: str = "", none: str = "n/a") -> str:
    """``format(x, spec)`` without the sign of a value that rounds to zero.

    Parameters
    ----------
    x : float or None
        None or a value that is not finite (a quantity that could not be
        computed) prints as ``none``.
    spec : str
        A format specification (``"+.3f"``, ``">12.1f"``).
    none : str

    Examples
    --------
    >>> fmt(-0.0004, ".2f"), fmt(-0.0004, "+.2f"), fmt(None, ".2f"), fmt(-1.5, ".1f")
    ('0.00', '+0.00', 'n/a', '-1.5')
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        width = "".join(c for c in spec.split(".")[0] if c.isdigit() or c in "<>^")
        return format(none, width if width[:1] in ("<", ">", "^") else ">" + width)
    text = format(x, spec)
    try:
        zero = float(text.replace(",", "").strip()) == 0
    except ValueError:  # not a plain number (a percentage, a width of text)
        zero = False
    return format(0.0, spec) if zero else text


def pct(x: float | None, digits: int = 1) -> str:
    """A probability as a percentage (``"12.5 %"``), ``n/a`` for None, never ``-0.0 %``.

    Examples
    --------
    >>> pct(0.125), pct(-1e-18), pct(None)
    ('12.5 %', '0.0 %', 'n/a')
    """
    return "n/a" if x is None else f"{fmt(100 * x, f'.{digits}f')} %"
