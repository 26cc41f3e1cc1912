"""The flags several verbs share: how they are declared on a verb's parser and
what they mean (a scenario with its ``--set`` overrides and ``--evidence``
tables; the simulation options ``--n-sims``, ``--seed``, ``--jobs``,
``--path`` and ``--quiet``)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..spec import EvidenceTable, Scenario, load_evidence, load_scenario
from ..spec.bounds import LONG_SECONDS, MAX_ARM_SIZE, N_SIMS, SEED, is_n_sims, is_seed
from ..spec.parse import parse_override
from .progress import progress_line

__all__ = ["add_evidence_flag", "add_scenario_flags", "add_simulation_flags",
           "evidence_table", "scenario_from", "simulation_options", "check_n_sims",
           "check_jobs", "max_jobs", "announce"]


def add_evidence_flag(p: argparse.ArgumentParser) -> None:
    """Declare ``--evidence FILE`` (repeatable) on a verb's parser.

    Parameters
    ----------
    p : argparse.ArgumentParser
    """
    p.add_argument("--evidence", action="append", default=[], type=Path, metavar="FILE",
                   help="an evidence table (TOML) that adds or replaces entries of the "
                        "built-in one (repeatable)")


def add_scenario_flags(p: argparse.ArgumentParser) -> None:
    """Declare the scenario file, ``--set KEY=VALUE`` and ``--evidence FILE``.

    Parameters
    ----------
    p : argparse.ArgumentParser
    """
    p.add_argument("scenario", type=Path, help="scenario file (TOML)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY=VALUE",
                   help="override a scenario field, e.g. --set pain.effect=-1.0 "
                        "(repeatable)")
    add_evidence_flag(p)


def add_simulation_flags(p: argparse.ArgumentParser, *, path: bool = True) -> None:
    """Declare ``--n-sims``, ``--seed``, ``--jobs``, ``--path`` and ``--quiet``
    for the verbs that simulate per n.

    Parameters
    ----------
    p : argparse.ArgumentParser
    path : bool
        Offer ``--path``; without it every run takes the automatic path.
    """
    p.add_argument("--n-sims", type=int, help="number of simulated trials (per n)")
    p.add_argument("--seed", type=int, help="root seed (default: the scenario's)")
    p.add_argument("--jobs", type=int, default=1, help="parallel workers (-1 = all cores)")
    if path:
        p.add_argument("--path", choices=("auto", "aggregate", "patient"), default="auto",
                       help="data path (default: aggregate when it is exact)")
    else:
        p.set_defaults(path="auto")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")


def evidence_table(args: argparse.Namespace) -> EvidenceTable | None:
    """The ``--evidence`` tables over the built-in one, or None without the flag.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    EvidenceTable or None
    """
    return load_evidence(args.evidence) if args.evidence else None


def scenario_from(args: argparse.Namespace) -> Scenario:
    """The scenario file with its ``--set`` overrides and ``--evidence`` tables.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        When a flag or the file is invalid.
    """
    overrides = dict(parse_override(item) for item in args.overrides)
    return load_scenario(args.scenario, overrides, evidence=evidence_table(args))


def simulation_options(args: argparse.Namespace, unit: str = "trials") -> dict[str, Any]:
    """The keyword arguments ``n_sims``, ``seed``, ``n_jobs``, ``path`` and
    ``progress`` of the planning and ops calls, from the simulation flags.

    Parameters
    ----------
    args : argparse.Namespace
    unit : str
        What the progress line counts.

    Returns
    -------
    dict
        ``progress`` is None with ``--quiet`` or when stderr is not a terminal.

    Raises
    ------
    ScenarioError
        When ``--n-sims`` or ``--jobs`` is out of range (see :func:`check_n_sims`
        and :func:`check_jobs`).
    """
    check_n_sims(args.n_sims)
    check_jobs(args.jobs)
    progress = progress_line(args.quiet, unit)
    return dict(n_sims=args.n_sims, seed=args.seed, n_jobs=args.jobs, path=args.path,
                progress=progress)


def check_n_sims(value: int | None, flag: str = "--n-sims") -> None:
    """``--n-sims``: None (the scenario's) or an integer in [2, 1e9], as ``simulation.n_sims``
    (ScenarioError otherwise)."""
    _as_in_a_scenario(value, flag, is_n_sims, N_SIMS)


def check_seed(value: int | None, flag: str = "--seed") -> None:
    """``--seed``: None (the scenario's) or an integer >= 0, as ``seed`` in a scenario
    (ScenarioError otherwise)."""
    _as_in_a_scenario(value, flag, is_seed, SEED)


def _as_in_a_scenario(value, flag: str, rule, allowed: str) -> None:
    """A flag that stands for a scenario's field: None, or what the field's rule allows."""
    if value is not None and not rule(value):
        raise ScenarioError(f"{flag} {value}: {allowed}")


def check_n_max(value: int | None) -> None:
    """``--n-max``: None (the solver's default) or an integer in [2, the largest arm allowed].

    Raises
    ------
    ScenarioError
    """
    if value is not None and not 2 <= value <= MAX_ARM_SIZE:
        raise ScenarioError(f"--n-max {value}: must be an integer in [2, {MAX_ARM_SIZE}] "
                            "(patients per arm)")


def max_jobs() -> int:
    """The most workers a command may start: twice the CPU cores."""
    return 2 * (os.cpu_count() or 1)


def check_jobs(value: int | None, flag: str = "--jobs") -> None:
    """``--jobs``: 1 to twice the CPU cores, or -1 (all cores) down to minus the cores
    (all but some, as joblib counts).

    Raises
    ------
    ScenarioError
    """
    cores = os.cpu_count() or 1
    if value is not None and not (1 <= value <= max_jobs() or -cores <= value <= -1):
        raise ScenarioError(f"{flag} {value}: must be an integer in [1, {max_jobs()}] (twice the "
                            f"{cores} CPU cores), or -1 for all cores (-2 all but one, down to "
                            f"-{cores})")


def _duration(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def announce(seconds: float, args: argparse.Namespace, *, besides: str = "") -> None:
    """Print the estimated time of a long run on stderr before it starts (not with
    ``--quiet``).

    Parameters
    ----------
    seconds : float
        The estimate (:func:`simulator.planning.cost.estimated_seconds`).
    args : argparse.Namespace
        The command line (``--quiet``).
    besides : str, optional
        Work the estimate leaves out, named after it (a solve's cost is not known
        before it runs).
    """
    if seconds > LONG_SECONDS and not getattr(args, "quiet", False):
        more = f", besides {besides}" if besides else ""
        print(f"trialsim: this run will take about {_duration(seconds)} (a rough estimate"
              f"{more}); Ctrl-C stops it", file=sys.stderr, flush=True)
