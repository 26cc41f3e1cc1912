"""Input files of the command line other than scenarios: the study table of
``trialsim meta`` (CSV with columns estimate,se, or TOML ``studies = [[estimate,
se], ...]``)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from .._io import read_text, read_toml
from ..errors import ScenarioError

__all__ = ["read_studies"]


def _csv_rows(path: Path) -> list[list[float]]:
    text = read_text(path, "study table")
    lines = text.splitlines(keepends=True)
    skipped = 0  # leading '#' lines: the provenance that trialsim's own CSVs start with
    while skipped < len(lines) and lines[skipped].startswith("#"):
        skipped += 1
    reader = csv.DictReader(io.StringIO("".join(lines[skipped:])))
    if reader.fieldnames is None or not {"estimate", "se"} <= set(reader.fieldnames):
        raise ScenarioError(f"{path}: the CSV needs columns estimate,se "
                            f"(got {reader.fieldnames})")
    rows = []
    for i, row in enumerate(reader, start=2 + skipped):
        try:
            rows.append([float(row["estimate"]), float(row["se"])])
        except (TypeError, ValueError):
            raise ScenarioError(f"{path}: line {i}: estimate = {row['estimate']!r}, "
                                f"se = {row['se']!r}: must be numbers") from None
    return rows


def _is_pair(row: Any) -> bool:
    return isinstance(row, list) and len(row) == 2 and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
        for x in row) and row[1] > 0


def read_studies(path: Path) -> tuple[list[float], list[float]]:
    """Study estimates and SEs from a CSV (estimate,se) or TOML (studies = [...]) file.

    Parameters
    ----------
    path : Path
        A ``.toml`` file with ``studies = [[estimate, se], ...]``, or any
        other suffix: a CSV with a header naming columns ``estimate`` and
        ``se`` (after any ``#`` lines at the top, which are skipped).

    Returns
    -------
    estimates, ses : list of float

    Raises
    ------
    ScenarioError
        When the file cannot be read, lacks the columns, has a key other than
        ``studies`` (TOML), or a row is not a pair of finite numbers with se > 0.
    """
    if path.suffix.lower() == ".toml":
        data = read_toml(path, "study table")
        unknown = sorted(set(data) - {"studies"})
        if unknown:
            raise ScenarioError(f"{path}: {unknown[0]}: unknown key; allowed: studies")
        rows = data.get("studies")
        where = "studies"
    else:
        rows = _csv_rows(path)
        where = "rows"
    if not isinstance(rows, list) or not rows or not all(_is_pair(r) for r in rows):
        raise ScenarioError(f"{path}: {where}: must be one or more [estimate, se] pairs with "
                            "finite numbers and se > 0")
    return [float(r[0]) for r in rows], [float(r[1]) for r in rows]
