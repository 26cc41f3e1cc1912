"""Provenance: what made an output file, recorded in the file itself (a leaf).

Every ``--json`` output carries a ``provenance`` object, every CSV starts
with the same as ``#`` comment lines, and every figure carries it in its
metadata and in a one-line footer. A :class:`RunProvenance` holds the
trialsim version, the command line, when it ran, the scenario file and its
SHA-256, the seed and the number of simulated trials, and the Python, numpy
and scipy versions: rerunning the recorded command on a file with the
recorded hash, with the same versions, gives the same numbers.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__

__all__ = ["RunProvenance", "file_sha256", "COMMENT"]

#: The first characters of a provenance line in a CSV file.
COMMENT = "# "


def file_sha256(path: str | Path) -> str | None:
    """The SHA-256 of a file's bytes (hex), or None when it cannot be read.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str or None
        What ``sha256sum FILE`` prints.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class RunProvenance:
    """What made an output: enough to make it again.

    Attributes
    ----------
    trialsim_version : str
    command : str
        The command line as typed (shell-quoted), ``trialsim VERB ...``.
    created : str
        When the run started, ISO 8601 in UTC, to the second.
    scenario : str or None
        The scenario file (or the study table of ``meta``) as given.
    scenario_sha256 : str or None
        The SHA-256 of that file's bytes.
    seed : int or None
        The root seed used (the scenario's when ``--seed`` is not given).
    n_sims : int or None
        Simulated trials per run (per n for a curve; the first round of a
        solve); None for a verb that simulates nothing.
    python, numpy, scipy : str
        The versions that ran it.

    Examples
    --------
    >>> p = RunProvenance.collect(command="trialsim run s.toml", seed=7, n_sims=100,
    ...                           created="2025-01-01T00:00:00Z")
    >>> p.to_dict()["seed"], p.comment_lines()[0]
    (7, '# trialsim provenance')
    """

    trialsim_version: str
    command: str
    created: str
    scenario: str | None
    scenario_sha256: str | None
    seed: int | None
    n_sims: int | None
    python: str
    numpy: str
    scipy: str

    @classmethod
    def collect(cls, *, command: str, scenario: str | Path | None = None,
                seed: int | None = None, n_sims: int | None = None,
                created: str | None = None) -> RunProvenance:
        """The provenance of a run now, on this interpreter.

        Parameters
        ----------
        command : str
        scenario : str or Path, optional
            The input file whose hash is recorded.
        seed, n_sims : int, optional
        created : str, optional
            Default: now (UTC).
        """
        import scipy

        stamp = created or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return cls(trialsim_version=__version__, command=command, created=stamp,
                   scenario=None if scenario is None else str(scenario),
                   scenario_sha256=None if scenario is None else file_sha256(scenario),
                   seed=None if seed is None else int(seed),
                   n_sims=None if n_sims is None else int(n_sims),
                   python=platform.python_version(), numpy=np.__version__,
                   scipy=scipy.__version__)

    def to_dict(self) -> dict[str, Any]:
        """The ``provenance`` object of a JSON output."""
        return {"trialsim_version": self.trialsim_version, "command": self.command,
                "created": self.created, "scenario": self.scenario,
                "scenario_sha256": self.scenario_sha256, "seed": self.seed,
                "n_sims": self.n_sims, "python": self.python, "numpy": self.numpy,
                "scipy": self.scipy}

    def comment_lines(self) -> list[str]:
        """The lines a CSV starts with: a heading, then ``# key: value`` per field."""
        return [COMMENT + "trialsim provenance"] + [
            f"{COMMENT}{key}: {'' if value is None else value}"
            for key, value in self.to_dict().items()]

    def footer(self) -> str:
        """One line for the foot of a figure."""
        parts = [f"trialsim {self.trialsim_version}"]
        if self.scenario is not None:
            sha = (self.scenario_sha256 or "unreadable")[:12]
            parts.append(f"{Path(self.scenario).name} (sha256 {sha})")
        if self.seed is not None:
            parts.append(f"seed {self.seed}")
        if self.n_sims is not None:
            parts.append(f"n_sims {self.n_sims:,}")
        parts.append(self.created)
        return " | ".join(parts)

    def figure_metadata(self, fmt: str) -> dict[str, str]:
        """The metadata ``Figure.savefig`` writes for a format (empty where it has none).

        PNG files get one text chunk per field (and ``Software``); SVG files
        a ``Description`` and ``Creator``; PDF files ``Subject`` and
        ``Creator``; other formats nothing (the footer still shows it).
        """
        text = "; ".join(f"{k}={v}" for k, v in self.to_dict().items() if v is not None)
        creator = f"trialsim {self.trialsim_version}"
        if fmt == "png":
            return {"Software": creator, "Description": text,
                    **{f"trialsim.{k}": str(v) for k, v in self.to_dict().items()
                       if v is not None}}
        if fmt == "svg":
            return {"Creator": creator, "Description": text, "Date": self.created}
        if fmt == "pdf":
            return {"Creator": creator, "Subject": text}
        return {}
