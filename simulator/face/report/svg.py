"""Figures as inline SVG for the report: drawn by :mod:`simulator.face.plots`,
rendered in memory, their ids made unique to the figure, and nothing left that
points outside the page (no DOCTYPE, namespace declarations or RDF metadata;
``xlink:href`` becomes ``href``). The provenance goes into the SVG's
``<desc>`` and its footer line. matplotlib is imported lazily."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from ..output import add_footer
from .html import esc

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ...provenance import RunProvenance

__all__ = ["inline_svg", "figure_html"]

_ID = re.compile(r'\bid="([^"]+)"')


def inline_svg(ax: Axes, key: str, provenance: RunProvenance | None, title: str) -> str:
    """The figure that holds ``ax`` as an ``<svg>`` element to put in a page; closes it.

    Parameters
    ----------
    ax : matplotlib Axes
    key : str
        Prefix of every id in the figure (unique in the page).
    provenance : RunProvenance or None
        In the footer and the ``<desc>``.
    title : str
        The figure's accessible name (``<title>``).

    Returns
    -------
    str
    """
    import matplotlib.pyplot as plt

    fig = ax.figure
    if provenance is not None:
        add_footer(fig, provenance.footer())
    buffer = io.StringIO()
    try:
        with plt.rc_context({"svg.hashsalt": key, "svg.fonttype": "path"}):
            fig.savefig(buffer, format="svg")
    finally:
        plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    text = re.sub(r'\s(width|height)="[\d.]+pt"', "", text, count=2)
    text = text.replace("xlink:href=", "href=")
    text = _ID.sub(lambda m: f'id="{key}-{m.group(1)}"', text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{key}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{key}-{m.group(1)})", text)
    desc = "" if provenance is None else f"<desc>{esc(provenance.footer())}</desc>"
    return text.replace("<svg", f'<svg role="img" aria-label="{esc(title)}"', 1).replace(
        ">", f"><title>{esc(title)}</title>{desc}", 1)


def figure_html(ax: Axes, key: str, provenance: RunProvenance | None, title: str,
                caption: str) -> str:
    """A ``<figure>`` with the inline SVG and a caption in words.

    Parameters
    ----------
    ax : matplotlib Axes
    key : str
        The figure's id in the page (``fig-<key>``) and its ids' prefix.
    provenance : RunProvenance or None
    title : str
    caption : str
    """
    svg = inline_svg(ax, key, provenance, title)
    return (f'<figure id="fig-{esc(key)}">{svg}<figcaption><strong>{esc(title)}.</strong> '
            f"{esc(caption)}</figcaption></figure>")
