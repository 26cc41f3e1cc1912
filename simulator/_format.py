"""Numbers as text: never ``-0``, and ``n/a`` for what is missing.

A leaf (the standard library only): the results' ``summary`` text, the
command line's tables and the report all print numbers through it.
"""

from __future__ import annotations

import math

__all__ = ["fmt", "pct", "money", "sided_text"]


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
    >>> pct(0.125), pct(-1e-18), pct(None), pct(float("nan"))
    ('12.5 %', '0.0 %', 'n/a', 'n/a')
    """
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{fmt(100 * x, f'.{digits}f')} %"


def money(x: float | None, none: str = "n/a") -> str:
    """An amount of money in whole units with thousands separators (``none`` if missing).

    Examples
    --------
    >>> money(1234567.4), money(-0.3), money(None, none="-")
    ('1,234,567', '0', '-')
    """
    return fmt(x, ",.0f", none=none)


def sided_text(sided: int) -> str:
    """``"two-sided"`` or ``"one-sided"``."""
    return "two-sided" if sided == 2 else "one-sided"
