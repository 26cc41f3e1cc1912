"""Reading input files, and writing output files that are either complete or absent.

Every output of trialsim goes through this module: one JSON encoder
(:func:`to_json`), one writer (:func:`write_atomic`: a regular file is
replaced atomically, a character device, FIFO or the process's standard
output is written in place, nothing else is touched), one appender
(:func:`append_once`), and one check of an output path before any work
starts (:func:`check_output_path`).

A leaf: imports only the standard library and :mod:`simulator.errors`.
"""

from __future__ import annotations

import json
import math
import os
import stat
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from .errors import ScenarioError

__all__ = ["MAX_INPUT_BYTES", "MAX_DEPTH", "read_text", "read_toml", "parse_toml", "check_depth",
           "json_default", "to_json", "write_atomic", "append_once", "check_output_path",
           "same_file"]

#: Largest input file read (scenario, evidence or study table).
MAX_INPUT_BYTES = 16 * 1024 * 1024
#: Deepest nesting of tables and lists in a TOML input (a scenario needs 4).
MAX_DEPTH = 32


def read_text(path: str | Path, what: str) -> str:
    """The UTF-8 text of an input file (without a byte-order mark), or a
    :class:`ScenarioError` naming it.

    Parameters
    ----------
    path : path
    what : str
        What the file is, for the message ("scenario file", "evidence file").
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ScenarioError(f"{what} = {path!r}: must be a path (a str or a Path)")
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read {what}: {exc.strerror}") from None
    if len(raw) > MAX_INPUT_BYTES:
        raise ScenarioError(f"{path}: {what} is larger than {MAX_INPUT_BYTES // 2**20} MiB")
    try:
        return raw.decode("utf-8-sig")  # a byte-order mark (Excel's CSV) is not text
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
                            ) from None


def _depth(value: Any) -> int:
    """How deeply tables and lists nest in ``value`` (iteratively: no recursion)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, depth + 1)
        if depth + 1 > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in item)
    return deepest


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """TOML text as a dictionary, or a :class:`ScenarioError` starting with ``where``.

    Values nested more than :data:`MAX_DEPTH` deep are refused (Python's parser
    recurses once per level and would stop with a RecursionError).

    Raises
    ------
    ScenarioError
        Not TOML, or nested too deeply.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}: not valid TOML: {exc}") from None
    except RecursionError:
        data = None
    return check_depth(data, where)


def check_depth(data: Any, where: str) -> Any:
    """``data`` (parsed TOML), or a :class:`ScenarioError` when it nests too deeply.

    ``None`` stands for a value whose parsing ran out of recursion.
    """
    if data is None or _depth(data) > MAX_DEPTH:
        raise ScenarioError(f"{where}: values nested too deeply (more than {MAX_DEPTH} "
                            "levels of tables and lists)")
    return data


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """A TOML input file as a dictionary, or a :class:`ScenarioError` naming it."""
    return parse_toml(read_text(path, what), str(path))


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
        Strict JSON (RFC 8259), without a trailing newline.

    Raises
    ------
    ValueError
        For a NaN or an infinity, naming where it is: a quantity that cannot
        be computed is ``None`` (null) with a reason in the result's notes,
        set where it is computed; this is the last check.

    Examples
    --------
    >>> import numpy as np
    >>> to_json({"n": np.int64(3), "p": np.float64(0.5)})
    '{"n": 3, "p": 0.5}'
    >>> to_json({"rows": [{"p": float("nan")}]})
    Traceback (most recent call last):
    ...
    ValueError: not a finite number at $.rows[0].p: nan (JSON has no NaN or Infinity)
    """
    try:
        return json.dumps(payload, indent=indent, default=json_default, allow_nan=False)
    except ValueError:
        where, value = _non_finite(json.loads(json.dumps(payload, default=json_default)))
        raise ValueError(f"not a finite number at {where}: {value} (JSON has no NaN or "
                         "Infinity)") from None


def _non_finite(data: Any, where: str = "$") -> tuple[str, float]:
    """The path and value of the first NaN or infinity in decoded JSON data."""
    stack = [(data, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return path, item
        if isinstance(item, dict):
            stack.extend((v, f"{path}.{k}") for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((v, f"{path}[{i}]") for i, v in reversed(list(enumerate(item))))
    return where, float("nan")


def _stat(path: Path) -> os.stat_result | None:
    """``os.stat`` (following links), or None when nothing is there (or it cannot be seen)."""
    try:
        return os.stat(path)
    except OSError:
        return None


def _is_stdout(info: os.stat_result) -> bool:
    """Whether ``info`` is the file this process's standard output (fd 1) writes to."""
    try:
        out = os.fstat(1)
    except OSError:
        return False
    return (out.st_dev, out.st_ino) == (info.st_dev, info.st_ino)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISFIFO, "a FIFO")):
        if test(mode):
            return name
    return "not a regular file"


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]


def _write_in_place(path: Path, payload: bytes) -> bool:
    """Write to a character device or FIFO without creating, truncating or replacing it.

    Returns False (having written nothing) when the path turned out to be a
    regular file after all (replaced since it was looked at).
    """
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        _write_all(fd, payload)
    finally:
        os.close(fd)
    return True


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the file system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace(path: Path, payload: bytes) -> None:
    """A temporary file in the same folder, written, fsynced, then renamed over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            _write_all(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a whole output file, complete or not at all; replace only regular files.

    * Nothing there, or a regular file: the data go to a temporary file in
      the same folder, are flushed to disk (``fsync``), and the temporary file
      is renamed over ``path`` (``os.replace``). A symbolic link to a regular
      file stays a link; its target is replaced. Missing folders are made.
    * The file this process's standard output writes to (``/dev/stdout``,
      or the file the shell redirected it to): written to standard output.
    * A character device (``/dev/null``, a terminal) or a FIFO: written in
      place; it is never replaced, created or truncated.
    * Anything else (a directory, a block device, a socket): refused.

    Parameters
    ----------
    path : path
    data : str or bytes
        Text is written as UTF-8.

    Raises
    ------
    ScenarioError
        When ``path`` is not a regular file, character device or FIFO, or
        cannot be written (naming the path and the reason).
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    info = _stat(path)
    try:
        if info is not None and _is_stdout(info):
            sys.stdout.flush()
            _write_all(1, payload)
            return
        if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
            if _write_in_place(path, payload):
                return
        elif info is not None and not stat.S_ISREG(info.st_mode):
            raise ScenarioError(f"{path}: is {_kind(info.st_mode)}: trialsim writes only "
                                "regular files, character devices and FIFOs")
        _replace(Path(os.path.realpath(path)) if path.is_symlink() else path, payload)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot write: {exc.strerror or exc}") from None


def append_once(path: Path, text: str) -> None:
    """Append ``text`` with a single ``write`` on a file opened with O_APPEND."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def check_output_path(target: str | Path, flag: str) -> None:
    """Check, before any work, that an output path can be written.

    Parameters
    ----------
    target : str or path
        The path as given (``"-"`` is not a path: the caller handles it).
    flag : str
        The option that named it, for the message (``"--json"``).

    Raises
    ------
    ScenarioError
        For an empty path, a path that names a folder, an existing path that
        :func:`write_atomic` would refuse or could not open for writing, or a
        folder (the nearest existing one, for folders still to be made) that
        is not a folder or is not writable.
    """
    text = os.fspath(target)
    if not text:
        raise ScenarioError(f"{flag} '': an empty path: give a file name")
    path = Path(text)
    info = _stat(path)
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise ScenarioError(f"{flag} {text}: is a directory: give a file name")
    if text.endswith(os.sep):
        raise ScenarioError(f"{flag} {text}: names a folder: give a file name")
    if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        if not os.access(path, os.W_OK):
            raise ScenarioError(f"{flag} {text}: not writable (permission denied)")
        return
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise ScenarioError(f"{flag} {text}: is {_kind(info.st_mode)}: trialsim writes only "
                            "regular files, character devices (/dev/null) and FIFOs")
    folder = Path(os.path.realpath(path)).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ScenarioError(f"{flag} {text}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ScenarioError(f"{flag} {text}: cannot create files in {folder} "
                            "(permission denied or read-only)")


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same existing file (links and hard links included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
