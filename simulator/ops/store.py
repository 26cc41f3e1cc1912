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

The CSV starts with the provenance of the run that last wrote it, as ``#``
comment lines (:meth:`simulator.provenance.RunProvenance.comment_lines`);
the rows themselves are read back from the JSON Lines file.

Beside the rows, two small files: ``<stem>.meta.json``, the run settings the
rows were made with (written atomically before the first row, compared on
resume by :mod:`simulator.ops.sweep`, with the provenance beside them), and ``<stem>.lock``, an advisory lock
(``fcntl.flock``) that one sweep holds while it writes and that names its
PID; a second writer is refused at once. The lock file is left in place
(removing it would let two writers lock two different files).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import stat
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .._io import append_once, to_json, write_atomic
from ..errors import ScenarioError
from ..provenance import RunProvenance

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock
    fcntl = None  # type: ignore[assignment]

__all__ = ["ResultStore", "SETTING_NAMES"]

log = logging.getLogger(__name__)

#: The run settings a store records, as named in messages.
SETTING_NAMES = {"n_sims": "n_sims (--n-sims)", "seed": "seed (--seed)",
                 "path": "path (--path)", "block_size": "block size",
                 "grid": "grid (--grid)", "zip": "zip (--zip)",
                 "scenario": "scenario (its file, --set and --evidence)",
                 "solve": "solve (--metric, --target, --n-max)",
                 "version": "trialsim version"}


class ResultStore:
    """Append-only JSON Lines store with a CSV twin, safe against interruption.

    Parameters
    ----------
    out : path
        The CSV file; the JSON Lines file has the same stem and ``.jsonl``,
        the Parquet copy ``.parquet``, the settings ``.meta.json`` and the
        lock ``.lock``.
    provenance : RunProvenance, optional
        Written at the top of the CSV (``#`` lines) and beside the settings.

    Raises
    ------
    ScenarioError
        When ``out`` is empty or two of these files would be one file (an
        ``out`` ending in ``.jsonl``, ``.parquet`` or ``.lock``).
    """

    def __init__(self, out: str | Path, provenance: RunProvenance | None = None) -> None:
        if not os.fspath(out):
            raise ScenarioError("--out '': an empty path: give the result CSV, e.g. sweep.csv")
        self.csv = Path(out)
        self.jsonl = self.csv.with_suffix(".jsonl")
        self.parquet = self.csv.with_suffix(".parquet")
        self.meta = self.csv.with_suffix(".meta.json")
        self.lock_file = self.csv.with_suffix(".lock")
        self.rows: list[dict[str, Any]] = []
        self._columns_seen: dict[str, None] = {}
        self.provenance = provenance
        names = {"JSON Lines twin": self.jsonl, "Parquet copy": self.parquet,
                 "settings file": self.meta, "lock file": self.lock_file}
        for what, twin in names.items():
            if twin == self.csv:
                raise ScenarioError(f"--out {out}: its {what} would be the same file: give "
                                    f"the CSV a .csv suffix (e.g. {self.csv.stem}.csv)")

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file of the store: CSV, JSON Lines, Parquet, settings, lock."""
        return (self.csv, self.jsonl, self.parquet, self.meta, self.lock_file)

    @property
    def exists(self) -> bool:
        """Whether the JSON Lines file, the CSV or the settings file is already there."""
        return self.jsonl.exists() or self.csv.exists() or self.meta.exists()

    def check_resumable(self) -> None:
        """Refuse to resume files this store did not write (before anything is rewritten).

        A store's JSON Lines file is written first and always beside its CSV;
        its complete lines are rows with a ``scenario_hash``. A CSV without
        it, or a non-empty JSON Lines file without one such row and without
        the settings file (written before the first row: a sweep killed while
        writing it leaves only a torn line), is someone else's file, which
        resuming would overwrite.

        Raises
        ------
        ScenarioError
        """
        if self.csv.exists() and not self.jsonl.exists():
            raise ScenarioError(f"--resume {self.csv}: there is no {self.jsonl.name} beside it, "
                                "so it is not a sweep's store (resuming would overwrite it): "
                                "choose another --out")
        if (self.jsonl.exists() and self.jsonl.stat().st_size > 0 and not self.meta.exists()
                and not self._has_a_row()):
            raise ScenarioError(f"--resume {self.csv}: {self.jsonl} holds no sweep row (a line "
                                "with a scenario_hash), so it is not a sweep's store (resuming "
                                "would overwrite it): choose another --out")

    def _has_a_row(self) -> bool:
        with open(self.jsonl, encoding="utf-8", errors="replace") as f:
            return any(_row_of(line) is not None for line in f)

    def load(self) -> list[dict[str, Any]]:
        """Read the complete rows and rewrite both files from them (drops a torn line)."""
        rows = []
        if self.jsonl.exists():
            text = self.jsonl.read_text(encoding="utf-8")
            for line in text.splitlines(keepends=True):
                if not line.endswith("\n"):
                    log.warning("%s: dropping an incomplete last line", self.jsonl)
                    continue
                row = _row_of(line)
                if row is None:
                    log.warning("%s: dropping a corrupt line", self.jsonl)
                    continue
                rows.append(row)
        seen, unique = set(), []
        for row in rows:
            if row["scenario_hash"] not in seen:
                seen.add(row["scenario_hash"])
                unique.append(row)
        self.rows = unique
        self._columns_seen = {}
        for row in unique:
            self._columns_seen.update(dict.fromkeys(row))
        self._rewrite()
        return list(unique)

    def done(self) -> set[str]:
        """The ``scenario_hash`` of every row held."""
        return {row["scenario_hash"] for row in self.rows}

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's advisory lock (non-blocking) while the block runs.

        The lock file holds the PID of the process that holds the lock.

        Raises
        ------
        ScenarioError
            At once, when another process holds the lock (naming its PID).
        """
        if fcntl is None:  # pragma: no cover
            log.warning("%s: no file locking on this platform", self.csv)
            yield
            return
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK, 0o644)
        try:
            if not _a_lock_file(fd):
                raise ScenarioError(f"--out {self.csv}: {self.lock_file} exists and is not a "
                                    "sweep's lock file (empty, or a PID): choose another --out")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ScenarioError(
                    f"--out {self.csv}: the store is in use by another sweep (PID "
                    f"{_holder(fd)}, which holds {self.lock_file}): wait for it to finish, "
                    "or choose another --out") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # releases the lock

    def read_settings(self) -> dict[str, Any] | None:
        """The run settings stored beside the rows, or None when there are none.

        Raises
        ------
        ScenarioError
            When the settings file is there but is not a JSON object.
        """
        try:
            text = self.meta.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ScenarioError(f"{self.meta}: cannot read the sweep settings: "
                                f"{exc.strerror}") from None
        try:
            settings = json.loads(text)
        except json.JSONDecodeError:
            settings = None
        if not isinstance(settings, dict):
            raise ScenarioError(f"{self.meta}: not a sweep settings file (a JSON object); "
                                "remove it only if the rows beside it are yours to vouch for")
        return settings

    def check_settings(self, settings: dict[str, Any]) -> None:
        """Refuse to continue a store written with other run settings.

        Compares with the settings file; for a store without one (written by
        an older trialsim), with the ``n_sims`` and ``version`` of the rows
        loaded so far.

        Parameters
        ----------
        settings : dict
            This run's settings (keys as in :data:`SETTING_NAMES`).

        Raises
        ------
        ScenarioError
            Naming the first setting that differs, its stored value and this
            run's.
        """
        stored = self.read_settings()
        if stored is not None:
            pairs = [(key, stored.get(key, "absent"), value) for key, value in settings.items()]
        else:
            pairs = [(key, row[key], settings[key]) for row in self.rows
                     for key in ("n_sims", "version") if key in row and key in settings]
        for key, there, here in pairs:
            if there != here:
                raise ScenarioError(
                    f"--resume {self.csv}: written with other settings: "
                    f"{_difference(SETTING_NAMES.get(key, key), there, here)}: resume with the "
                    "same settings, or choose another --out")

    def write_settings(self, settings: dict[str, Any]) -> None:
        """Store the run settings beside the rows (atomically), with the provenance.

        The ``provenance`` key is not a setting: :meth:`check_settings`
        compares only the keys of the settings it is given.
        """
        extra = {} if self.provenance is None else {"provenance": self.provenance.to_dict()}
        write_atomic(self.meta, to_json({**settings, **extra}, indent=2) + "\n")

    def append(self, row: dict[str, Any]) -> None:
        """Add one row: one ``write`` to each file, JSON Lines first.

        The cost does not grow with the rows held (the columns are kept, not
        recomputed); only a row with a new column re-renders the CSV. The
        Parquet copy is written by :meth:`finish`.
        """
        self.csv.parent.mkdir(parents=True, exist_ok=True)
        line = to_json(row) + "\n"
        append_once(self.jsonl, line)
        self.rows.append(row)
        new = any(k not in self._columns_seen for k in row)
        self._columns_seen.update(dict.fromkeys(row))
        if new or not self.csv.exists():
            self._rewrite(parquet=False)  # a new column: re-render the CSV (atomically)
        else:
            append_once(self.csv, _csv_lines([row], self._columns(), header=False))

    def finish(self) -> None:
        """Write the Parquet copy of the rows (when pyarrow is installed)."""
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
        write_atomic(self.parquet, buffer.getvalue().to_pybytes())

    def _columns(self) -> list[str]:
        columns = self._columns_seen
        tail = ("seed_entropy", "scenario_hash", "version")
        return [c for c in columns if c not in tail] + [c for c in tail if c in columns]

    def _rewrite(self, parquet: bool = True) -> None:
        if not self.rows and not self.jsonl.exists():
            return
        write_atomic(self.jsonl, "".join(to_json(r) + "\n" for r in self.rows))
        comments = "" if self.provenance is None else "".join(
            line + "\n" for line in self.provenance.comment_lines())
        write_atomic(self.csv, comments + _csv_lines(self.rows, self._columns(), header=True))
        if parquet:
            self._write_parquet()


def _difference(name: str, stored: Any, current: Any) -> str:
    """``stored`` against ``current`` for a message, down to the key that differs."""
    if isinstance(stored, dict) and isinstance(current, dict):
        for key in list(stored) + [k for k in current if k not in stored]:
            if stored.get(key, "absent") != current.get(key, "absent"):
                return (f"{name} key {key}: {stored.get(key, 'absent')} in the store, "
                        f"{current.get(key, 'absent')} in this run")
    return f"{name}: {stored} in the store, {current} in this run"


def _row_of(line: str) -> dict[str, Any] | None:
    """A JSON Lines line as a store's row (an object with a ``scenario_hash``), or None."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        return None
    return row if isinstance(row, dict) and "scenario_hash" in row else None


def _a_lock_file(fd: int) -> bool:
    """Whether an open lock file is a regular file, empty or holding a PID (what
    :meth:`ResultStore.locked` writes), so that truncating it destroys nothing of anyone's."""
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        return False
    head = os.pread(fd, 64, 0)
    return not head.strip() or (len(head) < 64 and head.strip().isdigit())


def _holder(fd: int) -> str:
    """The PID written in a lock file held by another process ("unknown" if none yet)."""
    for _ in range(50):  # the holder writes its PID just after locking
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text:
            return text
        time.sleep(0.01)
    return "unknown"


def _csv_lines(rows: Sequence[dict[str, Any]], columns: list[str], *, header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return buffer.getvalue()
