"""The review's pooled estimates as data, with provenance, and priors from them.

The evidence table is a TOML file shipped in the package
(``simulator/data/evidence.toml``), one entry per drug / route / outcome /
time window, every number with its source and a tag (see :data:`TAGS`). A
user file (``--evidence my_table.toml``) adds entries or replaces them by key.

On load, mean differences on the 0-100 scale are divided by 10 (the planner
works on the 0-10 NRS; negative = benefit) and their tau^2 by 100, and standard
errors are derived
from the 95 % confidence intervals: ``(upper - lower) / (2 z_0.975)`` for a
mean difference, the same on the log scale for a risk ratio.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .._io import read_toml
from ..errors import ScenarioError
from ..mc import Z95
from .evidence_entry import TAGS, EvidenceEntry, EvidenceTable, Provenance

__all__ = ["load_evidence", "default_evidence", "CI_METHODS", "TAU2_METHODS"]

_NUMBERS = ("studies", "participants", "tau2", "i2", "grade")
_ENTRY_KEYS = (
    "drug", "route", "outcome", "measure", "window", "comparator", "study", "scale",
    "estimate", "ci", "studies", "participants", "tau2", "i2", "grade", "tag", "source",
    "note", "stands_in", "provenance", "ci_method", "tau2_method", "window_weeks",
)
#: How a review's CI was computed, and its tau^2 estimators (``ci_method``, ``tau2_method``).
CI_METHODS = ("z", "hksj", "t")
TAU2_METHODS = ("dl", "reml", "pm", "ml", "sj", "hs", "eb")
_REQUIRED = ("drug", "route", "outcome", "measure", "window", "comparator", "study", "scale",
             "tag", "source")
_SCALES = {"MD": ("0-100", "0-10"), "RR": ("ratio",), "SMD": ("smd",)}
_GRADES = ("high", "moderate", "low", "very low")


def _data_file() -> Path:
    return Path(str(resources.files("simulator") / "data" / "evidence.toml"))


@lru_cache(maxsize=1)
def default_evidence() -> EvidenceTable:
    """The built-in evidence table."""
    return load_evidence(())


def load_evidence(extra: Iterable[str | Path] = (), *, builtin: bool = True) -> EvidenceTable:
    """Load the built-in table and user files, later files replacing entries by key.

    Parameters
    ----------
    extra : path or iterable of path
        User evidence files, in the same format as the built-in one (one path
        may be given alone).
    builtin : bool
        Start from the built-in table.

    Raises
    ------
    ScenarioError
        Naming the file, the entry and the field, for any malformed entry.
    """
    if isinstance(extra, (str, Path)):  # one file, not the characters of its name
        extra = (extra,)
    paths = ([_data_file()] if builtin else []) + [Path(p) for p in extra]
    entries: dict[str, EvidenceEntry] = {}
    for path in paths:
        entries.update(_read_file(path))
    table = EvidenceTable(entries=entries, files=tuple(str(p) for p in paths))
    for entry in entries.values():
        if entry.stands_in is not None and entry.stands_in not in entries:
            raise ScenarioError(f"{entry.origin}: [entries.\"{entry.key}\"] stands_in = "
                                f"{entry.stands_in!r}: no such entry")
    return table


def _read_file(path: Path) -> dict[str, EvidenceEntry]:
    data = read_toml(path, "evidence file")
    unknown = set(data) - {"review", "entries"}
    if unknown:
        raise ScenarioError(f"{path}: {sorted(unknown)[0]}: unknown top-level key; "
                            "allowed: review, entries")
    raw = data.get("entries", {})
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{path}: entries: must be a table of entries")
    return {key: _parse_entry(path, key, spec) for key, spec in raw.items()}


class _EntryReader:
    """Reads one entry of an evidence file, naming the file, the entry and the field."""

    def __init__(self, path: Path, key: str, spec: Any) -> None:
        self.where = f'{path}: [entries."{key}"]'
        if not isinstance(spec, Mapping):
            raise ScenarioError(f"{self.where}: must be a table")
        self.spec = spec

    def fail(self, name: str, value: Any, allowed: str) -> ScenarioError:
        return ScenarioError(f"{self.where} {name} = {value!r}: {allowed}")

    def fields(self) -> tuple[str, str, str]:
        """Check the keys and the text fields; return (measure, scale, tag)."""
        spec = self.spec
        for name in spec:
            if name not in _ENTRY_KEYS:
                hint = difflib.get_close_matches(name, _ENTRY_KEYS, n=1)
                also = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ScenarioError(f"{self.where} {name}: unknown field{also}; allowed: "
                                    + ", ".join(_ENTRY_KEYS))
        for name in _REQUIRED:
            if name not in spec:
                raise ScenarioError(f"{self.where} {name}: required field is missing")
            if not isinstance(spec[name], str):
                raise self.fail(name, spec[name], "must be a string")
        measure, scale, tag = spec["measure"], spec["scale"], spec["tag"]
        if measure not in _SCALES:
            raise self.fail("measure", measure, "must be one of 'MD', 'RR', 'SMD'")
        if scale not in _SCALES[measure]:
            raise self.fail("scale", scale, "must be one of "
                            f"{', '.join(map(repr, _SCALES[measure]))} for measure {measure!r}")
        if tag not in TAGS:
            raise self.fail("tag", tag, f"must be one of {', '.join(map(repr, TAGS))}")
        grade = spec.get("grade")
        if grade is not None and grade not in _GRADES:
            raise self.fail("grade", grade, f"must be one of {', '.join(map(repr, _GRADES))}")
        for name, allowed in (("ci_method", CI_METHODS), ("tau2_method", TAU2_METHODS)):
            if name in spec and spec[name] not in allowed:
                raise self.fail(name, spec[name], f"must be one of {', '.join(map(repr, allowed))}")
        return measure, scale, tag

    def number(self, name: str, *, integer: bool = False, check=lambda v: True,
               allowed: str = "") -> float | int | None:
        if name not in self.spec:
            return None
        value = self.spec[name]
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value) \
                or not check(value):
            raise self.fail(name, value, allowed or ("must be an integer" if integer
                                                     else "must be a finite number"))
        return int(value) if integer else float(value)

    def estimate(self, measure: str, tag: str) -> tuple[float | None, tuple | None]:
        """The published estimate and CI, checked against each other and the tag."""
        ratio = measure == "RR"
        published = self.number("estimate", check=(lambda v: v > 0) if ratio else (lambda v: True),
                                allowed="must be a positive ratio" if ratio else "")
        ci = self.spec.get("ci")
        if ci is not None:
            if (not isinstance(ci, list) or len(ci) != 2
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                               and math.isfinite(v) for v in ci)
                    or not ci[0] < ci[1] or (ratio and ci[0] <= 0)
                    or not math.isfinite(ci[1] - ci[0])):
                raise self.fail("ci", ci, "must be [lower, upper], finite numbers with lower "
                                "< upper" + (" and lower > 0" if ratio else ""))
            if published is not None and not ci[0] <= published <= ci[1]:
                raise self.fail("ci", ci, f"must contain the estimate {published}")
            ci = (float(ci[0]), float(ci[1]))
        if tag == "missing":
            if published is not None or ci is not None:
                raise self.fail("tag", tag, "an entry tagged 'missing' has no estimate or ci")
        elif published is None:
            raise ScenarioError(f"{self.where} estimate: required unless tag = 'missing'")
        return published, ci

    def provenance(self) -> dict[str, Provenance]:
        raw = self.spec.get("provenance", {})
        if not isinstance(raw, Mapping):
            raise self.fail("provenance", raw, "must be a table {field = {tag = ..., source = ...}}")
        out = {}
        for name, item in raw.items():
            label = f"provenance.{name}"
            if name not in _NUMBERS:
                raise ScenarioError(f"{self.where} {label}: unknown field; allowed: "
                                    f"{', '.join(_NUMBERS)}")
            if not isinstance(item, Mapping) or item.get("tag") not in TAGS \
                    or set(item) - {"tag", "source", "note"}:
                raise self.fail(label, item, "must be {tag = one of " + ", ".join(TAGS)
                                + "[, source = '...'][, note = '...']}")
            out[name] = Provenance(tag=item["tag"], source=item.get("source"),
                                   note=item.get("note"))
        return out

    def window_weeks(self) -> tuple[float, float] | None:
        """``window_weeks = [first, last]``: the weeks after the start of treatment it covers."""
        value = self.spec.get("window_weeks")
        if value is None:
            return None
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                           and math.isfinite(v) for v in value)
                or not 0 <= value[0] <= value[1]):
            raise self.fail("window_weeks", value, "must be [first, last] weeks after the start "
                            "of treatment, 0 <= first <= last")
        return float(value[0]), float(value[1])


def _converted(measure: str, scale: str, published, ci):
    """Estimate, CI and SE on the planning scale (0-10 NRS; SE of a RR on the log scale)."""
    factor = 0.1 if scale == "0-100" else 1.0
    estimate = None if published is None else published * factor
    conv_ci = None if ci is None else (ci[0] * factor, ci[1] * factor)
    se = None
    if conv_ci is not None:
        lo, hi = (math.log(conv_ci[0]), math.log(conv_ci[1])) if measure == "RR" else conv_ci
        se = (hi - lo) / (2 * Z95)
    return factor, estimate, conv_ci, se


def _parse_entry(path: Path, key: str, spec: Any) -> EvidenceEntry:
    read = _EntryReader(path, key, spec)
    measure, scale, tag = read.fields()
    published, ci = read.estimate(measure, tag)
    factor, estimate, conv_ci, se = _converted(measure, scale, published, ci)
    provenance = read.provenance()
    stands_in = spec.get("stands_in")
    if stands_in is not None and (tag != "missing" or not isinstance(stands_in, str)):
        raise read.fail("stands_in", stands_in,
                        "only for an entry tagged 'missing': another entry's key")
    tau2 = read.number("tau2", check=lambda v: v >= 0, allowed="must be a number >= 0")
    return EvidenceEntry(
        key=key, drug=spec["drug"], route=spec["route"], outcome=spec["outcome"],
        measure=measure, window=spec["window"], comparator=spec["comparator"],
        study=spec["study"], scale=scale, estimate=estimate, ci=conv_ci, se=se,
        published_estimate=published, published_ci=ci,
        studies=read.number("studies", integer=True, check=lambda v: v >= 0),
        participants=read.number("participants", integer=True, check=lambda v: v >= 0),
        tau2=None if tau2 is None else tau2 * factor * factor,
        i2=read.number("i2", check=lambda v: 0 <= v <= 1,
                       allowed="must be a proportion in [0, 1]"),
        grade=spec.get("grade"), tag=tag, source=spec["source"], note=spec.get("note"),
        stands_in=stands_in, provenance=provenance, origin=str(path),
        ci_method=spec.get("ci_method"), tau2_method=spec.get("tau2_method"),
        window_weeks=read.window_weeks(),
    )
