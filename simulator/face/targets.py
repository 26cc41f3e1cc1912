"""The output flags, checked before any work starts.

Every ``--json``, ``--csv``, ``--plot``, ``--time-plot`` and ``--out`` path is checked when
the command line is read, so that a bad one is one line and exit status 2
before a simulation, not a traceback after it: the path must be writable
(:func:`simulator._io.check_output_path`), a figure's suffix must be a format
matplotlib writes, no output may be an input file of the run (the scenario,
an ``--evidence`` file, the study table of ``meta``, the built-in evidence
table), no two outputs may be the same file, and a sweep's result store must
be a set of distinct files. A sweep's ``--x``, ``--by`` and ``--metric`` are
checked against its keys and the columns its rows will have by
:mod:`.sweep_checks`, when the sweep verb runs.
"""

from __future__ import annotations

import argparse
import os
import stat
from importlib import resources
from pathlib import Path
from typing import Any

from .._io import check_output_path, same_file
from ..errors import ScenarioError
from ..ops.store import ResultStore
from .output import figure_file

__all__ = ["check_outputs"]

#: Outputs that may name standard output with "-": (flag, attribute).
_STDOUT_FLAGS = (("--json", "json"), ("--csv", "csv"), ("--out", "report_out"))


def _inputs(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """The files the run reads: (what, path)."""
    found: list[tuple[str, Path]] = []
    if getattr(args, "scenario", None) is not None:
        found.append(("the scenario file", Path(args.scenario)))
    for path in getattr(args, "evidence", None) or ():
        found.append(("an --evidence file", Path(path)))
    if getattr(args, "file", None) is not None:
        found.append(("the study table", Path(args.file)))
    builtin = Path(str(resources.files("simulator") / "data" / "evidence.toml"))
    found.append(("the built-in evidence table", builtin))
    return found


#: Each output flag: (flag, attribute of the parsed arguments, what it writes).
_OUTPUT_FLAGS = (("--json", "json", "file"), ("--csv", "csv", "file"),
                 ("--plot", "plot", "figure"), ("--time-plot", "time_plot", "figure"),
                 ("--out", "out", "store"), ("--out", "report_out", "file"))


def _outputs(args: argparse.Namespace) -> list[tuple[str, str, Path]]:
    """The files the run writes: (flag, value as given, path), after checking each value."""
    found: list[tuple[str, str, Path]] = []
    to_stdout = [f"{flag} -" for flag, attribute in _STDOUT_FLAGS
                 if getattr(args, attribute, None) == "-"]
    if len(to_stdout) > 1:
        raise ScenarioError(f"{' and '.join(to_stdout)}: only one output can go to standard "
                            "output: give the others a file")
    for flag, attribute, kind in _OUTPUT_FLAGS:
        value = getattr(args, attribute, None)
        if value is None or (value == "-" and (flag, attribute) in _STDOUT_FLAGS):
            continue
        if value == "" or value.endswith(os.sep) or os.path.isdir(value):
            check_output_path(value, flag)  # raises: empty, or names a folder
        if kind == "figure":
            found.append((flag, value, figure_file(value, flag)[0]))
        elif kind == "store":
            if value == "-":
                raise ScenarioError("--out -: the result store must be a file, e.g. sweep.csv")
            found += [(flag, value, path) for path in ResultStore(value).files]
        else:
            found.append((flag, value, Path(value)))
    return found


def _identity(path: Path) -> Any:
    """What makes two outputs the same file; None for a device or FIFO (written in place)."""
    try:
        info = os.stat(path)
    except OSError:
        return os.path.realpath(path)
    if stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode):
        return None
    return (info.st_dev, info.st_ino)


def _named(flag: str, value: str, path: Path) -> str:
    """The flag and its value, and the file when it is not the value (a twin, a suffix)."""
    same = os.path.normpath(value) == os.path.normpath(path)
    return f"{flag} {value}" if same else f"{flag} {value} (file {path})"


def check_outputs(args: argparse.Namespace) -> None:
    """Check every output flag of a verb before it runs.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line of any verb (flags it lacks are skipped).

    Raises
    ------
    ScenarioError
        Naming the flag and the path: an empty path, a folder, a path that
        cannot be written, an unknown figure format, an output that is an
        input of the run, two outputs that are one file, or a result store
        whose files would collide.
    """
    inputs = _inputs(args)
    seen: dict[Any, str] = {}
    for flag, value, path in _outputs(args):
        same = os.path.normpath(value) == os.path.normpath(path)
        check_output_path(path, flag if same else f"{flag} {value}: file")
        identity = _identity(path)
        if identity is None:
            continue
        for what, source in inputs:
            if same_file(path, source):
                raise ScenarioError(f"{_named(flag, value, path)}: is {what} of this run; "
                                    "it would be overwritten: choose another file")
        if identity in seen:
            raise ScenarioError(f"{_named(flag, value, path)}: is also {seen[identity]}: "
                                "give each output its own file")
        seen[identity] = _named(flag, value, path)
