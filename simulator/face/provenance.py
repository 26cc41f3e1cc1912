"""The provenance of a verb's run, from its command line (see :mod:`simulator.provenance`)."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from ..provenance import RunProvenance

__all__ = ["provenance_of"]


def provenance_of(args: argparse.Namespace, *, scenario: Any = None,
                  n_sims: int | None = None, seed: int | None = None,
                  input_file: str | Path | None = None) -> RunProvenance:
    """The provenance of a verb's run from its parsed command line.

    Parameters
    ----------
    args : argparse.Namespace
        With ``command`` (set by :func:`simulator.face.cli.main`); the
        ``--seed`` and ``--n-sims`` flags are read where the verb has them.
    scenario : Scenario, optional
        Its ``seed`` and ``simulation.n_sims`` are the defaults of the flags.
    n_sims, seed : int, optional
        Values the verb used that the flags and the scenario do not give.
    input_file : str or Path, optional
        The file to hash (default ``args.scenario``).

    Returns
    -------
    RunProvenance
    """
    if seed is None:
        seed = getattr(args, "seed", None)
    if seed is None and scenario is not None:
        seed = scenario.seed
    if n_sims is None:
        n_sims = getattr(args, "n_sims", None)
    if n_sims is None and scenario is not None:
        n_sims = scenario.simulation.n_sims
    command = getattr(args, "command", None) or shlex.join(["trialsim", str(args.verb)])
    return RunProvenance.collect(command=command, seed=seed, n_sims=n_sims,
                                 scenario=input_file or getattr(args, "scenario", None))
