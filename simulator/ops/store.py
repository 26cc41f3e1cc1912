"""The resumable result store of a sweep: JSON Lines, a CSV twin, a Parquet copy.

The store is a JSON Lines file, one line per finished point, each written
with a single ``write`` on a file opened for appending, next to a CSV with
the same rows (and a Parquet copy, rewritten atomically, when pyarrow is
installed). On resume, lines that are incomplete (a process killed while
writing) are dropped, both files are rewritten atomically from the valid
lines, and points whose hash is already there are skipped: no point is lost,
duplicated or half-written.

Rows are flat dictionaries with a ``scenario_hash`` key (the point's
identity); ``seed_entropy``, ``scenario_hash`` and ``version`` are the last
columns of the CSV.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._io import append_once, to_json, write_atomic

__all__ = ["ResultStore"]

log = logging.getLogger(__name__)


class ResultStore:
    """Append-only JSON Lines store with a CSV twin, safe against interruption.

    Parameters
    ----------
    out : path
        The CSV file; the JSON Lines file has the same stem and ``.jsonl``.
    """

    def __init__(self, out: str | Path) -> None:
        self.csv = Path(out)
        self.jsonl = self.csv.with_suffix(".jsonl")
        self.rows: list[dict[str, Any]] = []

    @property
    def exists(self) -> bool:
        """Whether the JSON Lines file or the CSV is already there."""
        return self.jsonl.exists() or self.csv.exists()

    def load(self) -> list[dict[str, Any]]:
        """Read the complete rows and rewrite both files from them (drops a torn line)."""
        rows = []
        if self.jsonl.exists():
            text = self.jsonl.read_text(encoding="utf-8")
            for line in text.splitlines(keepends=True):
                if not line.endswith("\n"):
                    log.warning("%s: dropping an incomplete last line", self.jsonl)
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    log.warning("%s: dropping a corrupt line", self.jsonl)
                    continue
                if isinstance(row, dict) and "scenario_hash" in row:
                    rows.append(row)
        seen, unique = set(), []
        for row in rows:
            if row["scenario_hash"] not in seen:
                seen.add(row["scenario_hash"])
                unique.append(row)
        self.rows = unique
        self._rewrite()
        return list(unique)

    def done(self) -> set[str]:
        """The ``scenario_hash`` of every row held."""
        return {row["scenario_hash"] for row in self.rows}

    def append(self, row: dict[str, Any]) -> None:
        """Add one row: one ``write`` to each file, JSON Lines first."""
        self.csv.parent.mkdir(parents=True, exist_ok=True)
        line = to_json(row) + "\n"
        append_once(self.jsonl, line)
        columns = self._columns()
        self.rows.append(row)
        if columns != self._columns() or not self.csv.exists():
            self._rewrite()  # a new column: re-render the CSV (atomically)
        else:
            append_once(self.csv, _csv_lines([row], self._columns(), header=False))
            self._write_parquet()

    def _write_parquet(self) -> None:
        """A Parquet copy of the rows when pyarrow is installed (rewritten atomically)."""
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            return
        columns = self._columns()
        table = pa.table({c: [r.get(c) for r in self.rows] for c in columns})
        buffer = pa.BufferOutputStream()
        pq.write_table(table, buffer)
        write_atomic(self.csv.with_suffix(".parquet"), buffer.getvalue().to_pybytes())

    def _columns(self) -> list[str]:
        columns: dict[str, None] = {}
        for row in self.rows:
            columns.update(dict.fromkeys(row))
        tail = ("seed_entropy", "scenario_hash", "version")
        return [c for c in columns if c not in tail] + [c for c in tail if c in columns]

    def _rewrite(self) -> None:
        if not self.rows and not self.jsonl.exists():
            return
        write_atomic(self.jsonl, "".join(to_json(r) + "\n" for r in self.rows))
        write_atomic(self.csv, _csv_lines(self.rows, self._columns(), header=True))
        self._write_parquet()


def _csv_lines(rows: Sequence[dict[str, Any]], columns: list[str], *, header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return buffer.getvalue()
