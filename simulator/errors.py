"""The exceptions trialsim raises.

A small hierarchy, so that a caller can catch everything from trialsim with
``SimulatorError`` or keep catching the builtin it already catches.
"""

from __future__ import annotations

__all__ = ["SimulatorError", "ScenarioError", "ConvergenceError"]


class SimulatorError(Exception):
    """Base class of every error trialsim raises on purpose."""


class ScenarioError(SimulatorError, ValueError):
    """A scenario (file, dictionary or override) is invalid.

    The message names the source, the field, the value and what is allowed,
    e.g. ``scenarios/x.toml: [dropout] rate = 1.2: must be in [0, 1)``.
    """


class ConvergenceError(SimulatorError, RuntimeError):
    """A search or an iterative fit did not reach its target."""
