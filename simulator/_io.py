"""Reading input files, and writing files that are either complete or absent.

A leaf: imports only the standard library and :mod:`simulator.errors`.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from .errors import ScenarioError

__all__ = ["MAX_INPUT_BYTES", "read_text", "read_toml", "json_default", "to_json",
           "write_atomic", "append_once"]

#: Largest input file read (scenario, evidence or study table).
MAX_INPUT_BYTES = 16 * 1024 * 1024


def read_text(path: str | Path, what: str) -> str:
    """The UTF-8 text of an input file, or a :class:`ScenarioError` naming it.

    Parameters
    ----------
    path : path
    what : str
        What the file is, for the message ("scenario file", "evidence file").
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read {what}: {exc.strerror}") from None
    if len(raw) > MAX_INPUT_BYTES:
        raise ScenarioError(f"{path}: {what} is larger than {MAX_INPUT_BYTES // 2**20} MiB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
                            ) from None


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """A TOML input file as a dictionary, or a :class:`ScenarioError` naming it."""
    text = read_text(path, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: not valid TOML: values nested too deeply") from None


def json_default(value: Any) -> Any:
    """numpy scalars (and arrays) as Python numbers (and lists).

    The ``default`` hook of :func:`json.dumps` in :func:`to_json`.

    Parameters
    ----------
    value : Any
        An object :mod:`json` cannot encode by itself.

    Returns
    -------
    Any
        ``value.tolist()``.

    Raises
    ------
    TypeError
        When ``value`` has no ``tolist``.
    """
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def to_json(payload: Any, *, indent: int | None = None) -> str:
    """The one JSON encoder of trialsim's outputs (every ``--json`` and the sweep store).

    Parameters
    ----------
    payload : Any
        JSON-encodable data; numpy scalars and arrays are allowed.
    indent : int, optional
        As in :func:`json.dumps` (None: one line).

    Returns
    -------
    str
        The JSON text, without a trailing newline. Non-finite floats are
        written as ``NaN``/``Infinity`` (Python's default).

    Examples
    --------
    >>> import numpy as np
    >>> to_json({"n": np.int64(3), "p": np.float64(0.5)})
    '{"n": 3, "p": 0.5}'
    """
    return json.dumps(payload, indent=indent, default=json_default)


def write_atomic(path: Path, text: str) -> None:
    """Write a whole file through a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append_once(path: Path, text: str) -> None:
    """Append ``text`` with a single ``write`` on a file opened with O_APPEND."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
