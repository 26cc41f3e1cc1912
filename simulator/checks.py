"""Argument checks shared by every layer. A leaf: imports numpy and the errors."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ScenarioError

__all__ = ["check_flags", "check_options"]


def check_flags(**flags: Any) -> None:
    """Each keyword True, False or None (a string such as "no" is truthy: it is refused,
    not read as True); ScenarioError naming the first that is not.

    Examples
    --------
    >>> check_flags(welch=False, hksj=None)
    >>> check_flags(welch="no")
    Traceback (most recent call last):
    ...
    simulator.errors.ScenarioError: welch = 'no': must be True or False
    """
    for name, value in flags.items():
        if value is not None and not isinstance(value, (bool, np.bool_)):
            raise ScenarioError(f"{name} = {value!r}: must be True or False")


def check_options(function: str, options: dict[str, Any], allowed: frozenset[str],
                  besides: str = "") -> None:
    """The ``**options`` a function passes on are among ``allowed``; ScenarioError naming
    the first that is not (before any work, not as a TypeError deep in a later call).

    Examples
    --------
    >>> check_options("f", {"foo": 1}, frozenset({"n_sims"}))
    Traceback (most recent call last):
    ...
    simulator.errors.ScenarioError: foo: not an option of f; allowed: n_sims
    """
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ScenarioError(f"{unknown[0]}: not an option of {function}; allowed: "
                            f"{', '.join(sorted(allowed))}{besides}")
