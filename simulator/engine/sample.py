"""What the engine hands to collectors: one block's analysed trials at one size."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis.estimates import TrialEstimates

__all__ = ["TrialSample", "split_sizes"]


@dataclass(frozen=True, slots=True)
class TrialSample:
    """What a data path hands to the engine for one block of trials.

    Attributes
    ----------
    primary : TrialEstimates
        The primary pain analysis.
    completers : tuple of ndarray
        Patients with a primary outcome, per arm.
    ae_counts : dict of str to tuple of ndarray
        Patients with each adverse event, per arm (all randomised patients).
    ae_exposed : tuple of ndarray or None
        Exposures behind ``ae_counts`` per treatment (placebo, active) when
        they are not the arm sizes (a crossover's treatment periods).
    comparisons : list of TrialEstimates or None
        Multi-arm: every active arm against the reference (``primary`` is
        the last).
    """

    primary: TrialEstimates
    completers: tuple[np.ndarray, ...]
    ae_counts: dict[str, tuple[np.ndarray, ...]]
    ae_exposed: tuple[np.ndarray, ...] | None = None
    comparisons: list[TrialEstimates] | None = None


def split_sizes(primary: TrialEstimates, comparisons: list[TrialEstimates] | None,
                completers, ae_counts: dict, n_sizes: int,
                ae_exposed=None) -> list[TrialSample]:
    """One TrialSample per size from (trials, sizes) arrays.

    Each array is transposed into one contiguous (sizes, trials) copy, so
    every size gets contiguous rows (views) at the cost of a single copy.
    """
    shape = primary.estimate.shape

    def rows(a):
        a = np.asarray(a)
        return a if a.ndim < 2 else np.ascontiguousarray(np.broadcast_to(a, shape).T)

    def pick(a, g):
        return a if a.ndim < 2 else a[g]

    def estimates(e: TrialEstimates):
        return tuple(rows(x) for x in (e.estimate, e.se, e.statistic, e.df))

    def at(parts, g) -> TrialEstimates:
        return TrialEstimates(*(pick(x, g) for x in parts))

    main = estimates(primary)
    comps = None if comparisons is None else [estimates(c) for c in comparisons]
    done = [rows(c) for c in completers]
    events = {k: [rows(c) for c in v] for k, v in ae_counts.items()}
    exposed = None if ae_exposed is None else [rows(e) for e in ae_exposed]
    return [TrialSample(
        primary=at(main, g),
        completers=tuple(pick(c, g) for c in done),
        ae_counts={k: tuple(pick(c, g) for c in v) for k, v in events.items()},
        ae_exposed=None if exposed is None else tuple(pick(e, g) for e in exposed),
        comparisons=None if comps is None else [at(c, g) for c in comps])
        for g in range(n_sizes)]
