"""One evidence entry (a pooled estimate with the provenance of every number) and the table."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import ScenarioError

__all__ = ["TAGS", "WEAK_TAGS", "Provenance", "EvidenceEntry", "EvidenceTable"]

#: Provenance tags, from the strongest to the weakest.
TAGS: tuple[str, ...] = ("verified", "derived", "secondary", "tertiary", "proposed", "missing")
#: Tags that make a run print a warning.
WEAK_TAGS: frozenset[str] = frozenset({"secondary", "tertiary", "proposed", "missing"})


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
    ci_method : {"z", "hksj", "t"} or None
        How the review computed the CI (None: not reported; ``se`` is always
        derived as if it were a z interval).
    tau2_method : str or None
        The review's tau^2 estimator (``"dl"``, ``"reml"``, ...), where reported.
    window_weeks : tuple of float or None
        The time window in weeks after the start of treatment, ``(first,
        last)``, where the source defines it (``window`` is its name).
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
    ci_method: str | None = None
    tau2_method: str | None = None
    window_weeks: tuple[float, float] | None = None

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
            "grade": self.grade, "ci_method": self.ci_method, "tau2_method": self.tau2_method,
            "window_weeks": None if self.window_weeks is None else list(self.window_weeks),
            "tag": self.tag, "tags": list(self.tags), "source": self.source,
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
