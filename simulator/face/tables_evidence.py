"""The text of the evidence verbs: ``trialsim evidence`` (the table, or one
entry with its sources) and ``trialsim meta`` (a fitted meta-analysis)."""

from __future__ import annotations

from ..analysis.metaanalysis import MetaAnalysis
from ..spec import EvidenceEntry, EvidenceTable
from .._format import fmt, pct

__all__ = ["format_entry", "format_evidence_list", "format_meta"]


def _estimate_lines(entry: EvidenceEntry) -> list[str]:
    """The estimate with its CI, unit and SE (and the published 0-100 numbers)."""
    if entry.estimate is None:
        return ["  estimate: missing"
                + (f"; stands in: {entry.stands_in}" if entry.stands_in else "")]
    unit = {"MD": "NRS points (0-10)", "RR": "risk ratio", "SMD": "SMD"}[entry.measure]
    ci = "" if entry.ci is None else f" (95 % CI {entry.ci[0]:.4g} to {entry.ci[1]:.4g})"
    se = "" if entry.se is None else (
        f", SE {entry.se:.4g}" + (" on the log scale" if entry.measure == "RR" else ""))
    lines = [f"  estimate: {entry.estimate:.4g}{ci} {unit}{se}"]
    if entry.scale == "0-100":
        lines.append(f"  published: {entry.published_estimate} {list(entry.published_ci or [])}"
                     " on 0-100")
    return lines


def format_entry(entry: EvidenceEntry) -> str:
    """The ``trialsim evidence show`` text.

    Parameters
    ----------
    entry : EvidenceEntry

    Returns
    -------
    str
        The entry, its numbers with their provenance, and the file it came from.
    """
    lines = [f"{entry.key}", f"  {entry.drug} ({entry.route}) vs {entry.comparator}: "
             f"{entry.outcome}, {entry.window}; {entry.study}"]
    if entry.window_weeks is not None:
        first, last = entry.window_weeks
        lines.append(f"  window: weeks {first:g} to {last:g} after the start of treatment "
                     "(checked against a scenario's pain.followup_weeks)")
    lines += _estimate_lines(entry)
    lines.append(f"  tag: {entry.tag}   source: {entry.source}")
    for name, prov in entry.provenance.items():
        value = getattr(entry, name)
        shown = "missing" if value is None else value
        extra = "".join(f"; {x}" for x in (prov.source, prov.note) if x)
        lines.append(f"  {name}: {shown} [{prov.tag}]{extra}")
    for name in ("studies", "participants", "tau2", "i2", "grade"):  # without provenance
        value = getattr(entry, name)
        if name not in entry.provenance and value is not None:
            lines.append(f"  {name}: {value:.4g}" if isinstance(value, float)
                         else f"  {name}: {value}")
    if entry.note:
        lines.append(f"  note: {entry.note}")
    lines.append(f"  file: {entry.origin}")
    return "\n".join(lines)


def format_evidence_list(table: EvidenceTable) -> str:
    """The ``trialsim evidence`` (``list``) table: one line per entry, then a footer.

    Parameters
    ----------
    table : EvidenceTable

    Returns
    -------
    str
    """
    lines = [f"{'key':<50}{'measure':>8}{'estimate':>10}{'SE':>8}  tags"]
    for e in table.values():
        est = "missing" if e.estimate is None else f"{e.estimate:.3g}"
        se = "" if e.se is None else f"{e.se:.3g}"
        lines.append(f"{e.key:<50}{e.measure:>8}{est:>10}{se:>8}  {', '.join(e.tags)}")
    lines.append(f"\n{len(table)} entries from {', '.join(table.files)}. MD on the 0-10 NRS "
                 "(negative = benefit); SE of RR on the log scale.")
    return "\n".join(lines)


def _num(x: float | None, digits: int = 4) -> str:
    """Fixed point with ``digits`` decimals, or 4 significant digits far from 1."""
    if x is not None and x != 0 and not 1e-3 <= abs(x) < 1e7:
        return fmt(x, ".4g")
    return fmt(x, f".{digits}f")


def format_meta(fit: MetaAnalysis, method: str, hksj: bool, alpha: float) -> str:
    """The text of ``trialsim meta``: the pooled estimate and the heterogeneity.

    Parameters
    ----------
    fit : MetaAnalysis
    method : str
        The ``--method`` asked for.
    hksj : bool
        Whether the Hartung-Knapp-Sidik-Jonkman CI was asked for.
    alpha : float
        The CI is ``1 - alpha``.

    Returns
    -------
    str
    """
    d = fit.to_dict()
    hk = (" + modified HKSJ" if fit.hksj_truncated else " + HKSJ") if hksj else ""
    lines = [f"{d['k']} studies, {method}{hk}: "
             f"estimate {_num(d['estimate'])} (SE {_num(d['se'])}), "
             f"{100 * (1 - alpha):g} % CI {_num(d['ci'][0])} to {_num(d['ci'][1])}, "
             f"p = {fmt(d['pvalue'], '.4g')}",
             f"tau^2 {_num(d['tau2'])}, I^2 {pct(d['i2'])}, Q {_num(d['q'], 3)}"]
    return "\n".join(lines + [f"NOTE: {note}" for note in d.get("notes", ())])
