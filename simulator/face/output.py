"""Writing a verb's results: JSON and CSV to a file or stdout, figures to a file.

Every file goes through :func:`simulator._io.write_atomic` (complete or
absent; devices and FIFOs written in place) and every JSON text through
:func:`simulator._io.to_json`, the encoder the sweep store uses too. Given a
:class:`~simulator.face.provenance.RunProvenance`, a JSON object gains a
``provenance`` key, a CSV starts with it as ``#`` lines, and a figure carries
it in its metadata and a footer line.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._io import json_default, to_json, write_atomic
from ..errors import ScenarioError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..provenance import RunProvenance

__all__ = ["json_default", "emit_json", "emit_csv", "figure_file", "save_figure", "add_footer"]


def _write(target: str, text: str) -> None:
    if target == "-":
        sys.stdout.write(text)
    else:
        write_atomic(Path(target), text)


def emit_json(target: str, payload: Any, provenance: RunProvenance | None = None) -> None:
    """Write ``payload`` as indented JSON to ``target`` ('-' = stdout).

    Parameters
    ----------
    target : str
        A file name (written atomically) or ``"-"``.
    payload : Any
        JSON-encodable data; numpy scalars and arrays are allowed.
    provenance : RunProvenance, optional
        Added as the last key, ``provenance``, of a ``payload`` dictionary.

    Raises
    ------
    ValueError
        When ``payload`` has a ``provenance`` key of its own.
    """
    if provenance is not None and isinstance(payload, dict):
        if "provenance" in payload:
            raise ValueError("the payload has a 'provenance' key of its own: nest it")
        payload = {**payload, "provenance": provenance.to_dict()}
    _write(target, to_json(payload, indent=2) + "\n")


def emit_csv(target: str, rows: list[dict[str, Any]],
             provenance: RunProvenance | None = None) -> None:
    """Write ``rows`` as CSV (header from the first row, None as empty) to ``target``.

    Parameters
    ----------
    target : str
        A file name (written atomically) or ``"-"`` (stdout).
    rows : list of dict
        One or more rows with the same keys.
    provenance : RunProvenance, optional
        Written first, as ``#`` comment lines (readers skip them, e.g.
        ``pandas.read_csv(f, comment="#")``).
    """
    buffer = io.StringIO()
    if provenance is not None:
        buffer.write("".join(line + "\n" for line in provenance.comment_lines()))
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    _write(target, buffer.getvalue())


def figure_file(target: str, flag: str = "--plot") -> tuple[Path, str]:
    """The file a figure is saved to and its format, as ``Figure.savefig`` infers them.

    The format is the file's suffix (lower case); without one it is
    matplotlib's ``savefig.format`` (png) and that suffix is appended, as
    ``savefig`` does.

    Parameters
    ----------
    target : str
        The flag's value.
    flag : str
        The flag that named it, for the error.

    Returns
    -------
    path : Path
    format : str

    Raises
    ------
    ScenarioError
        When matplotlib cannot write that format (naming the formats it can).
    """
    import matplotlib
    from matplotlib.backend_bases import FigureCanvasBase

    fmt = os.path.splitext(target)[1][1:]
    if not fmt:
        fmt = matplotlib.rcParams["savefig.format"]
        target = f"{target.rstrip('.')}.{fmt}"
    known = FigureCanvasBase.get_supported_filetypes()
    if fmt.lower() not in known:
        raise ScenarioError(f"{flag} {target}: unknown figure format {fmt!r}: the suffix must "
                            f"be one of {', '.join('.' + k for k in sorted(known))}")
    return Path(target), fmt.lower()


def add_footer(figure: Any, text: str) -> None:
    """A one-line footer at the bottom left of ``figure``, room made for it.

    Parameters
    ----------
    figure : matplotlib Figure
        With a constrained layout (the plots' own), whose area is raised
        by the footer's height.
    text : str
    """
    height = 9 / 72 / figure.get_figheight()  # 6.5 pt text and a little room
    figure.text(0.005, 0.004, text, fontsize=6.5, color="0.35", ha="left", va="bottom")
    engine = figure.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, height, 1, 1 - height))


def save_figure(ax: Axes, target: str, provenance: RunProvenance | None = None) -> None:
    """Save the figure that holds ``ax`` as ``target`` (150 dpi) and close it.

    The figure is rendered in memory, then written with
    :func:`~simulator._io.write_atomic`: a figure file is complete or the
    previous one is still there.

    Parameters
    ----------
    ax : matplotlib Axes
        Any Axes of the figure.
    target : str
        The file name; its suffix picks the format (see :func:`figure_file`).
    provenance : RunProvenance, optional
        Written in the file's metadata (PNG text chunks, SVG and PDF
        description) and as a footer line.
    """
    import matplotlib.pyplot as plt

    path, fmt = figure_file(target)
    buffer = io.BytesIO()
    metadata = None
    if provenance is not None:
        add_footer(ax.figure, provenance.footer())
        metadata = provenance.figure_metadata(fmt) or None
    try:
        ax.figure.savefig(buffer, format=fmt, dpi=150, metadata=metadata)
    finally:
        plt.close(ax.figure)
    write_atomic(path, buffer.getvalue())
