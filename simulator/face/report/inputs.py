"""The report's inputs: every scenario field with its value, unit and source.

The source of a number is, in this order: the evidence entry it was taken
from (with its provenance tags), a ``--set`` on the command line, the
scenario file (with the comment written beside the key, where there is one:
the scenario files give each number's source there), or the default.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from ..._io import parse_toml, read_text
from ...errors import ScenarioError
from ...spec import Scenario
from ...spec.evidence import default_evidence
from ...spec.labels import field_label, field_unit
from ...spec.schema import file_keys, show
from .html import esc, table

__all__ = ["file_notes", "field_sources", "inputs_html", "FieldSource"]

_SECTIONS = ("design", "pain", "dropout", "analysis", "simulation", "meta_analysis",
             "recruitment", "interim", "decision")


def _comment(line: str) -> tuple[str, str]:
    """(code, comment) of a TOML line: the first ``#`` outside a string splits them."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


def file_notes(text: str) -> dict[str, str]:
    """The comment beside each key of a scenario file, by dotted key.

    A key's note is its inline comment with the indented comment lines that
    continue it, or, when it has none, the comment block just above it. A
    table's header comment is the note of the table (``adverse_events.x``).

    Parameters
    ----------
    text : str
        The TOML text.

    Returns
    -------
    dict of str to str

    Examples
    --------
    >>> file_notes("[pain]\\n# worth detecting\\neffect = -1.0\\nsd = 2.5  # PROPOSED\\n"
    ...            "   # from 2.4-2.8\\n")
    {'pain.effect': 'worth detecting', 'pain.sd': 'PROPOSED from 2.4-2.8'}
    """
    notes: dict[str, str] = {}
    table_name, block, last = "", [], None
    for raw in text.splitlines():
        code, comment = _comment(raw)
        stripped = code.strip()
        if not stripped:
            if comment and raw[:1].isspace() and last is not None:
                notes[last] = _join([notes.get(last, ""), comment])
            elif comment:
                block.append(comment)
            else:
                block, last = [], None
            continue
        if stripped.startswith("["):
            table_name = stripped.strip("[] ")
            key, block = table_name, []
        else:
            name = stripped.split("=", 1)[0].strip().strip('"')
            key = f"{table_name}.{name}" if table_name else name
        note = comment or _join(block)
        if note:
            notes[key] = note
        block, last = [], key
    return notes


def _join(parts: list[str]) -> str:
    """Comment lines as one text; a word broken by a hyphen at a line end is joined."""
    text = ""
    for part in (p for p in parts if p):
        text += part if text.endswith("-") or not text else " " + part
    return text


@dataclasses.dataclass(frozen=True, slots=True)
class FieldSource:
    """Where one field's value came from.

    Attributes
    ----------
    kind : {"evidence", "override", "file", "default"}
    note : str
        The comment beside the key in the file; the evidence entry's key
        and study.
    tags : tuple of str
        An evidence entry's provenance tags.
    """

    kind: str
    note: str = ""
    tags: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The source in words, for the inputs table."""
        head = {"evidence": "evidence", "override": "--set on the command line",
                "file": "set in the scenario", "default": "default"}[self.kind]
        sep = " " if self.kind == "evidence" else ": "
        return head + (sep + self.note if self.note else "")

    @property
    def short(self) -> str:
        """The source for a sentence: its kind and the first sentence of its note."""
        head = {"evidence": "evidence table", "override": "set on the command line",
                "file": "scenario file", "default": "trialsim's default"}[self.kind]
        note = re.split(r"(?<=[.;])\s+(?=[A-Z(])", self.note, maxsplit=1)[0]
        tags = f"; tags: {', '.join(self.tags)}" if self.tags else ""
        return head + (f": {note}" if note else "") + tags


def _raw_keys(data: Mapping[str, Any], prefix: str = "") -> set[str]:
    keys = set()
    for key, value in data.items():
        name = f"{prefix}{key}"
        keys.add(name)
        if isinstance(value, Mapping) and value.get("from") != "evidence":
            keys |= _raw_keys(value, f"{name}.")
    return keys


#: Fields an evidence reference fills beside the number it names (unless the file sets them).
_DERIVED = ("effect_sd", "tau2", "log_rr_sd")


def _evidence_keys(scenario: Scenario) -> dict[str, str]:
    """Dotted field -> the evidence key its value came from."""
    out = {}
    pain = scenario.pain
    if pain.effect_evidence:
        out["pain.effect"] = pain.effect_evidence
        for name in ("effect_sd", "tau2"):
            if getattr(pain, name) is not None:
                out[f"pain.{name}"] = pain.effect_evidence
    for ae in scenario.adverse_events:
        if ae.risk_ratio_evidence:
            out[f"adverse_events.{ae.name}.risk_ratio"] = ae.risk_ratio_evidence
            if ae.log_rr_sd is not None:
                out[f"adverse_events.{ae.name}.log_rr_sd"] = ae.risk_ratio_evidence
    if scenario.meta_analysis is not None and scenario.meta_analysis.evidence:
        out["meta_analysis.pooled"] = scenario.meta_analysis.evidence
    return out


def field_sources(scenario: Scenario, overrides: Mapping[str, Any]) -> dict[str, FieldSource]:
    """The source of every field the scenario file or the command line set.

    Parameters
    ----------
    scenario : Scenario
        Loaded from a file (``scenario.source``); for a scenario built in
        code (no file to read), only the evidence sources are known.
    overrides : mapping
        The ``--set`` values by dotted key.

    Returns
    -------
    dict of str to FieldSource
        By dotted key; a field absent here took its default.
    """
    try:
        text = read_text(scenario.source, "scenario file")
        raw = parse_toml(text, str(scenario.source))
    except ScenarioError:  # a scenario built in code
        text, raw = "", {}
    notes = file_notes(text)
    table = scenario.evidence or default_evidence()
    out: dict[str, FieldSource] = {}
    for key in _raw_keys(raw):
        note = notes.get(key)
        out[key] = FieldSource("file", note or "")
    for key in overrides:
        out[key] = FieldSource("override")
    for key, entry_key in _evidence_keys(scenario).items():
        if key in out and key.endswith(_DERIVED):
            continue  # an SE or tau^2 the file gives itself
        entry = table.get(entry_key)
        tags = tuple(entry.tags) if entry is not None else ()
        study = f" ({entry.study})" if entry is not None and entry.study else ""
        out[key] = FieldSource("evidence", f"{entry_key}{study}", tags)
    return out


#: Fields shown only where the design uses them (the others keep their defaults unused).
_RELEVANT = {
    **{f"design.{k}": (lambda s: s.design.kind == "crossover") for k in
       ("within_correlation", "period_effect", "carryover", "washout_dropout",
        "crossover_analysis")},
    "pain.unblinding_shift": lambda s: s.pain.unblinding_ae is not None,
    "analysis.imputations": lambda s: s.analysis.estimand == "treatment-policy-j2r",
    "analysis.multiplicity": lambda s: s.design.kind == "multiarm",
    "dropout.slope": lambda s: s.dropout.mechanism in ("mar", "mnar"),
    "adverse_events.risk_ratio_prior": lambda s: any(a.risk_ratio_prior != "fixed"
                                                     for a in s.adverse_events),
}


def _show(value: Any) -> str:
    """A value as the file writes it, floats to 6 significant digits."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple) and all(isinstance(v, float) for v in value):
        return "[" + ", ".join(f"{v:.6g}" for v in value) + "]"
    return show(value)


def _rows_of(value: Any, section: str, sources: Mapping[str, FieldSource],
             scenario: Scenario) -> list[list[str]]:
    rows = []
    for name in file_keys(type(value)):
        key = f"{section}.{name}"
        current = getattr(value, name)
        if current is None:
            continue
        if key == "decision.event_weights":  # pairs, as the file's table
            current = dict(current)
        rule = f"adverse_events.{name}" if section.startswith("adverse_events") else key
        if rule in _RELEVANT and not _RELEVANT[rule](scenario):
            continue
        source = sources.get(key, FieldSource("default"))
        shown = (", ".join(f"{k} {_show(v)}" for k, v in current.items())
                 if isinstance(current, Mapping) else _show(current))
        where = source.text + (f" [tags: {', '.join(source.tags)}]" if source.tags else "")
        rows.append([key, field_label(key), shown, field_unit(key) or "", where])
    return rows


def inputs_html(scenario: Scenario, sources: Mapping[str, FieldSource]) -> str:
    """The inputs table: every field with its value, unit and source, by section.

    Parameters
    ----------
    scenario : Scenario
    sources : mapping of str to FieldSource
        From :func:`field_sources`.
    """
    rows: list[list[Any]] = [[("group", "scenario")],
                             ["name", "scenario name", scenario.name, "", _where("name", sources)],
                             ["seed", "root seed", str(scenario.seed), "", _where("seed", sources)]]
    for name in _SECTIONS:
        value = getattr(scenario, name)
        if value is not None:
            rows.append([("group", f"[{name}]")])
            rows += _rows_of(value, name, sources, scenario)
        if name == "pain":
            for ae in scenario.adverse_events:
                rows.append([("group", f"[adverse_events.{ae.name}]")])
                rows += _rows_of(ae, f"adverse_events.{ae.name}", sources, scenario)
    return (f"<p>Every field of <code>{esc(scenario.source)}</code> as simulated, with its "
            "unit and where its value came from: an evidence entry (with the provenance tags "
            "of its numbers), a <code>--set</code> on the command line, the scenario file "
            "(with the comment written beside the key), or the default.</p>"
            + table(["key", "meaning", "value", "unit", "source"], rows))


def _where(key: str, sources: Mapping[str, FieldSource]) -> str:
    return sources.get(key, FieldSource("default")).text
