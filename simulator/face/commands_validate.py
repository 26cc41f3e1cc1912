"""``trialsim validate``: check a scenario file without running it.

Apart from the verbs that run trials so that it loads only the scenario
layer: a whole ``trialsim validate`` costs little more than importing numpy.
"""

from __future__ import annotations

import argparse

from ..engine.paths import choose_path
from ..spec.variants import first_period_equivalent
from .flags import scenario_from

__all__ = ["cmd_validate"]


def cmd_validate(args: argparse.Namespace) -> int:
    """``trialsim validate``: load the scenario and say which data path it takes.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status (0).
    """
    scenario = scenario_from(args)
    path = choose_path(first_period_equivalent(scenario))
    swept = ""
    if scenario.sweep is not None:  # every point, as trialsim sweep checks them
        points = sum(1 for _ in scenario.sweep.scenarios(scenario))
        swept = f"; {points:,} sweep point{'s' if points != 1 else ''}, each valid"
    print(f"{args.scenario}: valid; {scenario.design.n_total} patients, "
          f"{scenario.pain.analysis} analysis, {path} path{swept}")
    return 0
