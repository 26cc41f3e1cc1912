"""The page of a report: one self-contained HTML file, its styles inline.

Nothing in the page is fetched: the styles are in a ``<style>`` element, the
figures inline SVG, there is no script, and a Content Security Policy
(``default-src 'none'``) forbids the browser to load anything else. A print
stylesheet starts every section on a new page. The helpers here escape
every text they are given.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from ..._format import fmt, pct

__all__ = ["esc", "table", "section", "page", "pct", "num", "CSP"]

#: The page's Content Security Policy: nothing may be loaded from anywhere.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS = """
:root { --ink: #1d2733; --muted: #5b6675; --rule: #d5dbe3; --band: #f3f6f9;
        --accent: #1f5f99; --warn: #8a4b00; --warnbg: #fff4e0; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.55 "Source Serif Pro", Georgia, "Times New Roman", serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.5rem 4rem; }
header.title { border-bottom: 3px solid var(--accent); margin-bottom: 1rem; }
h1 { font-size: 1.7rem; margin: 0.2rem 0 0.4rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 0.6rem; color: var(--accent);
     border-bottom: 1px solid var(--rule); padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
p.lead { color: var(--muted); margin-top: 0; }
nav.toc { background: var(--band); padding: 0.6rem 1rem; border-radius: 4px; }
nav.toc ol { margin: 0.2rem 0; padding-left: 1.4rem; columns: 2; }
table { border-collapse: collapse; width: 100%; margin: 0.6rem 0 1rem;
        font: 13px/1.4 "Source Sans Pro", "Helvetica Neue", Arial, sans-serif; }
th, td { text-align: left; vertical-align: top; padding: 0.3rem 0.5rem;
         border-bottom: 1px solid var(--rule); }
th { background: var(--band); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group td { background: var(--band); font-weight: 600; }
.protocol { border-left: 4px solid var(--accent); background: var(--band);
            padding: 0.8rem 1rem; margin: 0.8rem 0; }
.warning { border-left: 4px solid var(--warn); background: var(--warnbg);
           padding: 0.5rem 0.9rem; margin: 0.6rem 0; }
.note { color: var(--muted); font-size: 0.92em; }
figure { margin: 1rem 0 1.4rem; }
figure svg { display: block; width: 100%; height: auto; max-width: 46rem; }
figcaption { color: var(--muted); font-size: 0.9em; margin-top: 0.3rem; }
code, pre { font: 12.5px/1.45 "Source Code Pro", Menlo, Consolas, monospace; }
pre { background: var(--band); padding: 0.6rem 0.8rem; overflow-x: auto;
      white-space: pre-wrap; word-break: break-all; }
dl.repro { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.repro dt { font-weight: 600; }
dl.repro dd { margin: 0; word-break: break-all; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  section.report { break-before: page; page-break-before: always; }
  figure, table, .protocol { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def esc(value: Any) -> str:
    """``value`` as HTML text (quotes escaped too)."""
    return html.escape("" if value is None else str(value), quote=True)


def num(value: float | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (``"n/a"`` for None or not finite)."""
    return fmt(value, f".{digits}g")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
          numeric: Sequence[int] = (), caption: str | None = None,
          raw: Sequence[int] = ()) -> str:
    """An HTML table; cells are escaped unless their column is in ``raw``.

    Parameters
    ----------
    headers : sequence of str
    rows : iterable of sequence
        A row whose first cell is ``("group", text)`` is a heading row.
    numeric : sequence of int
        Columns right-aligned as numbers.
    caption : str, optional
    raw : sequence of int
        Columns whose cells are already HTML.
    """
    def cell(i: int, value: Any, tag: str) -> str:
        cls = ' class="num"' if i in numeric else ""
        return f"<{tag}{cls}>{value if i in raw else esc(value)}</{tag}>"

    head = "".join(cell(i, h, "th") for i, h in enumerate(headers))
    body = []
    for row in rows:
        if row and isinstance(row[0], tuple) and row[0][0] == "group":
            body.append(f'<tr class="group"><td colspan="{len(headers)}">{esc(row[0][1])}'
                        "</td></tr>")
        else:
            body.append("<tr>" + "".join(cell(i, v, "td") for i, v in enumerate(row))
                        + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def section(ident: str, title: str, body: str) -> str:
    """One section of the report: a page of its own when printed."""
    return (f'<section class="report" id="{esc(ident)}" aria-labelledby="{esc(ident)}-h">'
            f'<h2 id="{esc(ident)}-h">{esc(title)}</h2>{body}</section>')


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """The whole document.

    Parameters
    ----------
    title, subtitle : str
    sections : sequence of (id, title, body HTML)
    """
    toc = "".join(f'<li><a href="#{esc(i)}">{esc(t)}</a></li>' for i, t, _ in sections)
    body = "".join(section(i, t, b) for i, t, b in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{_CSS}</style></head><body><main>"
            f'<header class="title"><h1>{esc(title)}</h1><p class="lead">{esc(subtitle)}</p>'
            f'</header><nav class="toc" aria-label="Contents"><strong>Contents</strong><ol>'
            f"{toc}</ol></nav>{body}</main></body></html>\n")
