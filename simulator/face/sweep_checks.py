"""The sweep plot's options (``--x``, ``--by``, ``--metric``), checked before a sweep runs."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import ScenarioError
from ..ops.sweep import SweepPoint, metric_columns
from ..spec import SweepSpec

__all__ = ["check_sweep_plot"]


def _numeric(values: Any) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def check_sweep_plot(args: argparse.Namespace, spec: SweepSpec,
                     points: list[SweepPoint]) -> tuple[str, str | None]:
    """Check a sweep's ``--x``, ``--by`` and ``--metric`` before it runs.

    Parameters
    ----------
    args : argparse.Namespace
        The ``sweep`` command line (``--x``, ``--by``, ``--metric``).
    spec : SweepSpec
        The sweep's keys.
    points : list of SweepPoint
        The sweep's points (for the columns their rows will have).

    Returns
    -------
    x, by : str, str or None
        The key on the x axis (default: the first) and the key with one
        line per value (default: the next, if any).

    Raises
    ------
    ScenarioError
        When ``--x`` or ``--by`` is not a sweep key, the x key's values are
        not numbers, or ``--metric`` is not a numeric column of every row (with
        ``--target``, the plot shows the solved n per arm and ``--metric`` is
        checked by the sweep before it runs).
    """
    values = dict(spec.grid) | dict(spec.zip)
    keys = list(spec.keys)
    for flag, key in (("--x", args.x), ("--by", args.by)):
        if key is not None and key not in values:
            raise ScenarioError(f"{flag} {key}: not a sweep key: use one of {', '.join(keys)}")
    x = args.x or keys[0]
    by = args.by or next((k for k in keys if k != x), None)
    if not _numeric(values[x]):
        numeric = [k for k in keys if _numeric(values[k])] or ["(none)"]
        raise ScenarioError(f"--x {x}: its values {list(values[x])} are not numbers: the x "
                            f"axis needs a numeric sweep key: {', '.join(numeric)}")
    if getattr(args, "target", None) is not None:  # --metric is solved for; n is plotted
        return x, by
    metrics = metric_columns(points)
    if args.metric not in metrics:
        raise ScenarioError(f"--metric {args.metric}: not a column of this sweep's rows: use "
                            f"one of {', '.join(metrics)}")
    return x, by
