"""Writing a verb's results: JSON and CSV to a file or stdout, figures to a file.

Every JSON text goes through :func:`simulator._io.to_json`, the encoder the
sweep store uses too.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._io import json_default, to_json, write_atomic

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["json_default", "emit_json", "emit_csv", "save_figure"]


def _write(target: str, text: str) -> None:
    if target == "-":
        sys.stdout.write(text)
    else:
        write_atomic(Path(target), text)


def emit_json(target: str, payload: Any) -> None:
    """Write ``payload`` as indented JSON to ``target`` ('-' = stdout).

    Parameters
    ----------
    target : str
        A file name (written atomically) or ``"-"``.
    payload : Any
        JSON-encodable data; numpy scalars and arrays are allowed.
    """
    _write(target, to_json(payload, indent=2) + "\n")


def emit_csv(target: str, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` as CSV (header from the first row, None as empty) to ``target``.

    Parameters
    ----------
    target : str
        A file name (written atomically) or ``"-"`` (stdout).
    rows : list of dict
        One or more rows with the same keys.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    _write(target, buffer.getvalue())


def save_figure(ax: Axes, target: str) -> None:
    """Save the figure that holds ``ax`` as ``target`` (150 dpi) and close it.

    Parameters
    ----------
    ax : matplotlib Axes
        Any Axes of the figure.
    target : str
        The file name; its suffix picks the format.
    """
    ax.figure.savefig(target, dpi=150)
    import matplotlib.pyplot as plt

    plt.close(ax.figure)
