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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy import special, stats

from .._io import read_toml
from ..errors import ScenarioError

__all__ = [
    "TAGS",
    "WEAK_TAGS",
    "Provenance",
    "EvidenceEntry",
    "EvidenceTable",
    "NormalPrior",
    "load_evidence",
    "default_evidence",
]

#: Provenance tags, from the strongest to the weakest.
TAGS: tuple[str, ...] = ("verified", "derived", "secondary", "tertiary", "proposed", "missing")
#: Tags that make a run print a warning.
WEAK_TAGS: frozenset[str] = frozenset({"secondary", "tertiary", "proposed", "missing"})

_Z975 = float(stats.norm.ppf(0.975))
_NUMBERS = ("studies", "participants", "tau2", "i2", "grade")
_ENTRY_KEYS = (
    "drug", "route", "outcome", "measure", "window", "comparator", "study", "scale",
    "estimate", "ci", "studies", "participants", "tau2", "i2", "grade", "tag", "source",
    "note", "stands_in", "provenance",
)
_REQUIRED = ("drug", "route", "outcome", "measure", "window", "comparator", "study", "scale",
             "tag", "source")
_SCALES = {"MD": ("0-100", "0-10"), "RR": ("ratio",), "SMD": ("smd",)}
_GRADES = ("high", "moderate", "low", "very low")


@dataclass(frozen=True, slots=True, kw_only=True)
class Provenance:
    """Where one number comes from.

    Attributes
    ----------
    tag : str
        One of :data:`TAGS`.
    source : str or None
        Citation, address and a short quote.
    note : str or None
    """

    tag: str
    source: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceEntry:
    """One pooled (or proposed) estimate, converted to the planning scale.

    Attributes
    ----------
    key : str
        ``drug-route/outcome/window``, e.g. ``"ketamine-iv/pain/immediate"``.
    measure : {"MD", "RR", "SMD"}
    estimate : float or None
        Mean difference in 0-10 NRS points (negative = benefit), risk ratio,
        or SMD. None when the number is missing.
    ci : tuple of float or None
        95 % confidence interval on the same scale.
    se : float or None
        Standard error: NRS points for MD, log scale for RR, SMD units.
    published_estimate, published_ci, scale
        The numbers as published and their scale (``0-100``, ``0-10``,
        ``ratio`` or ``smd``).
    studies, participants, tau2, i2, grade
        Meta-analysis details, None where missing.
    tag, source
        Provenance of ``estimate`` and ``ci``.
    provenance : mapping of str to Provenance
        Provenance of each other number.
    stands_in : str or None
        For a missing estimate, the entry a planner may use instead.
    origin : str
        The file the entry was read from.
    """

    key: str
    drug: str
    route: str
    outcome: str
    measure: Literal["MD", "RR", "SMD"]
    window: str
    comparator: str
    study: str
    scale: str
    estimate: float | None
    ci: tuple[float, float] | None
    se: float | None
    published_estimate: float | None
    published_ci: tuple[float, float] | None
    studies: int | None
    participants: int | None
    tau2: float | None
    i2: float | None
    grade: str | None
    tag: str
    source: str
    note: str | None
    stands_in: str | None
    provenance: Mapping[str, Provenance] = field(default_factory=dict)
    origin: str = ""

    @property
    def tags(self) -> tuple[str, ...]:
        """Distinct tags of the estimate and of every other number, present or missing."""
        found = {self.tag} | {prov.tag for prov in self.provenance.values()}
        return tuple(t for t in TAGS if t in found)

    @property
    def weak(self) -> bool:
        """Whether the estimate rests on secondary, tertiary, proposed or missing numbers."""
        return self.tag in WEAK_TAGS

    @property
    def log_estimate(self) -> float | None:
        """Log risk ratio (RR entries only)."""
        return None if self.estimate is None or self.measure != "RR" else math.log(self.estimate)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (``trialsim evidence --json``)."""
        return {
            "key": self.key, "drug": self.drug, "route": self.route, "outcome": self.outcome,
            "measure": self.measure, "window": self.window, "comparator": self.comparator,
            "study": self.study, "estimate": self.estimate,
            "ci": None if self.ci is None else list(self.ci), "se": self.se,
            "se_scale": {"MD": "0-10", "RR": "log", "SMD": "smd"}[self.measure],
            "published_estimate": self.published_estimate,
            "published_ci": None if self.published_ci is None else list(self.published_ci),
            "published_scale": self.scale, "studies": self.studies,
            "participants": self.participants, "tau2": self.tau2, "i2": self.i2,
            "grade": self.grade, "tag": self.tag, "tags": list(self.tags), "source": self.source,
            "note": self.note, "stands_in": self.stands_in,
            "provenance": {k: {"tag": p.tag, "source": p.source, "note": p.note}
                           for k, p in self.provenance.items()},
            "origin": self.origin,
        }


@dataclass(frozen=True, slots=True)
class EvidenceTable(Mapping[str, EvidenceEntry]):
    """Evidence entries by key (a read-only mapping).

    Attributes
    ----------
    entries : dict of str to EvidenceEntry
    files : tuple of str
        The files read, built-in first.
    """

    entries: Mapping[str, EvidenceEntry]
    files: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> EvidenceEntry:
        return self.entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __hash__(self) -> int:
        return hash(self.files)

    def lookup(self, key: str, *, where: str) -> EvidenceEntry:
        """The entry ``key``; a :class:`ScenarioError` naming ``where`` if absent."""
        if key in self.entries:
            return self.entries[key]
        hint = difflib.get_close_matches(key, list(self.entries), n=3)
        also = f"; did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
        raise ScenarioError(f"{where}: unknown evidence key {key!r}{also} "
                            "(`trialsim evidence` lists the keys)")


@dataclass(frozen=True, slots=True, kw_only=True)
class NormalPrior:
    """A normal distribution for a true effect (or a log risk ratio).

    Attributes
    ----------
    mean, sd : float
    """

    mean: float
    sd: float

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values."""
        return self.mean + self.sd * rng.standard_normal(size)

    def probability_below(self, x: float = 0.0) -> float:
        """P(value < x)."""
        if self.sd == 0:
            return float(self.mean < x)
        return float(special.ndtr((x - self.mean) / self.sd))


# ---------------------------------------------------------------------------
# loading


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
    extra : iterable of path
        User evidence files, in the same format as the built-in one.
    builtin : bool
        Start from the built-in table.

    Raises
    ------
    ScenarioError
        Naming the file, the entry and the field, for any malformed entry.
    """
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


def _parse_entry(path: Path, key: str, spec: Any) -> EvidenceEntry:
    where = f'{path}: [entries."{key}"]'

    def fail(name: str, value: Any, allowed: str) -> ScenarioError:
        return ScenarioError(f"{where} {name} = {value!r}: {allowed}")

    if not isinstance(spec, Mapping):
        raise ScenarioError(f"{where}: must be a table")
    for name in spec:
        if name not in _ENTRY_KEYS:
            hint = difflib.get_close_matches(name, _ENTRY_KEYS, n=1)
            also = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ScenarioError(f"{where} {name}: unknown field{also}; allowed: "
                                + ", ".join(_ENTRY_KEYS))
    for name in _REQUIRED:
        if name not in spec:
            raise ScenarioError(f"{where} {name}: required field is missing")
        if not isinstance(spec[name], str):
            raise fail(name, spec[name], "must be a string")
    measure = spec["measure"]
    if measure not in _SCALES:
        raise fail("measure", measure, "must be one of 'MD', 'RR', 'SMD'")
    scale = spec["scale"]
    if scale not in _SCALES[measure]:
        raise fail("scale", scale, f"must be one of {', '.join(map(repr, _SCALES[measure]))} "
                                   f"for measure {measure!r}")
    tag = spec["tag"]
    if tag not in TAGS:
        raise fail("tag", tag, f"must be one of {', '.join(map(repr, TAGS))}")

    def number(name: str, *, integer: bool = False, check=lambda v: True, allowed: str = ""):
        if name not in spec:
            return None
        value = spec[name]
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value) \
                or not check(value):
            raise fail(name, value, allowed or ("must be an integer" if integer
                                                else "must be a finite number"))
        return int(value) if integer else float(value)

    published = number("estimate", check=(lambda v: v > 0) if measure == "RR" else (lambda v: True),
                       allowed="must be a positive ratio" if measure == "RR" else "")
    ci = spec.get("ci")
    if ci is not None:
        if (not isinstance(ci, list) or len(ci) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in ci)
                or not ci[0] < ci[1] or (measure == "RR" and ci[0] <= 0)):
            raise fail("ci", ci, "must be [lower, upper] with lower < upper"
                       + (" and lower > 0" if measure == "RR" else ""))
        if published is not None and not ci[0] <= published <= ci[1]:
            raise fail("ci", ci, f"must contain the estimate {published}")
        ci = (float(ci[0]), float(ci[1]))
    if tag == "missing":
        if published is not None or ci is not None:
            raise fail("tag", tag, "an entry tagged 'missing' has no estimate or ci")
    elif published is None:
        raise ScenarioError(f"{where} estimate: required unless tag = 'missing'")

    factor = 0.1 if scale == "0-100" else 1.0
    estimate = None if published is None else published * factor
    conv_ci = None if ci is None else (ci[0] * factor, ci[1] * factor)
    se = None
    if conv_ci is not None:
        lo, hi = (math.log(conv_ci[0]), math.log(conv_ci[1])) if measure == "RR" else conv_ci
        se = (hi - lo) / (2 * _Z975)

    grade = spec.get("grade")
    if grade is not None and grade not in _GRADES:
        raise fail("grade", grade, f"must be one of {', '.join(map(repr, _GRADES))}")
    prov_raw = spec.get("provenance", {})
    if not isinstance(prov_raw, Mapping):
        raise fail("provenance", prov_raw, "must be a table {field = {tag = ..., source = ...}}")
    provenance = {}
    for name, item in prov_raw.items():
        label = f"provenance.{name}"
        if name not in _NUMBERS:
            raise ScenarioError(f"{where} {label}: unknown field; allowed: {', '.join(_NUMBERS)}")
        if not isinstance(item, Mapping) or item.get("tag") not in TAGS \
                or set(item) - {"tag", "source", "note"}:
            raise fail(label, item, "must be {tag = one of " + ", ".join(TAGS)
                       + "[, source = '...'][, note = '...']}")
        provenance[name] = Provenance(tag=item["tag"], source=item.get("source"),
                                      note=item.get("note"))
    stands_in = spec.get("stands_in")
    if stands_in is not None and (tag != "missing" or not isinstance(stands_in, str)):
        raise fail("stands_in", stands_in, "only for an entry tagged 'missing': another entry's key")
    return EvidenceEntry(
        key=key, drug=spec["drug"], route=spec["route"], outcome=spec["outcome"],
        measure=measure, window=spec["window"], comparator=spec["comparator"],
        study=spec["study"], scale=scale, estimate=estimate, ci=conv_ci, se=se,
        published_estimate=published, published_ci=ci,
        studies=number("studies", integer=True, check=lambda v: v >= 0),
        participants=number("participants", integer=True, check=lambda v: v >= 0),
        tau2=None if (t2 := number("tau2", check=lambda v: v >= 0,
                                   allowed="must be a number >= 0")) is None
        else t2 * factor * factor,
        i2=number("i2", check=lambda v: 0 <= v <= 1, allowed="must be a proportion in [0, 1]"),
        grade=grade, tag=tag, source=spec["source"], note=spec.get("note"),
        stands_in=stands_in, provenance=provenance, origin=str(path),
    )
