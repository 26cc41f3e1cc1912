"""What the engine hands to collectors: one block's analysed trials at one size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..analysis.estimates import TrialEstimates

__all__ = ["TrialSample", "SampleGrid", "split_sizes"]


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


class SampleGrid(Sequence[TrialSample]):
    """One block's analysed trials at every grid size: a sequence of :class:`TrialSample`.

    Built from (sizes, trials) arrays (:func:`split_sizes`), it makes each
    size's sample (row views) when it is asked for, and :meth:`stack` gives
    several sizes at once without splitting and stacking again (two arms: a
    multi-arm grid's comparisons are counted size by size); built from a list
    of ready samples (:meth:`of`), it hands them out as they are.
    """

    def __init__(self, n_sizes: int, make, stacked=None) -> None:
        self._n = n_sizes
        self._make = make  # g -> TrialSample
        self._stacked = stacked  # positions -> TrialSample, or None
        self._cache: dict[int, TrialSample] = {}

    @classmethod
    def of(cls, samples: list[TrialSample]) -> SampleGrid:
        """A grid of ready samples."""
        return cls(len(samples), samples.__getitem__)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, g):  # type: ignore[override]
        if isinstance(g, slice):
            return [self[i] for i in range(self._n)[g]]
        g = range(self._n)[g]
        if g not in self._cache:
            self._cache[g] = self._make(g)
        return self._cache[g]

    def stack(self, positions: Sequence[int]) -> TrialSample:
        """The samples at ``positions`` as one, arrays with a leading size axis.

        Raises
        ------
        ValueError
            For a grid that cannot be stacked: multi-arm comparisons (their
            collectors count size by size), or one built from ready samples.
        """
        if self._stacked is None:
            raise ValueError("these samples cannot be stacked (multi-arm comparisons, or "
                             "ready samples): count them size by size")
        return self._stacked(list(positions))


def split_sizes(primary: TrialEstimates, comparisons: list[TrialEstimates] | None,
                completers, ae_counts: dict, n_sizes: int,
                ae_exposed=None) -> SampleGrid:
    """Every size's TrialSample from (trials, sizes) arrays.

    Each array is transposed into one contiguous (sizes, trials) copy, so
    every size gets contiguous rows (views) at the cost of a single copy; an
    array already laid out (sizes, trials), or one value per size broadcast
    over the trials, is used as it is.
    """
    shape = primary.estimate.shape

    def rows(a):
        a = np.asarray(a)
        if a.ndim < 2:
            return a
        t = (a if a.shape == shape else np.broadcast_to(a, shape)).T
        # rows already contiguous, or one value repeated (stride 0): no copy
        return t if t.strides[-1] in (0, t.itemsize) else np.ascontiguousarray(t)

    def pick(a, g):
        return a if a.ndim < 2 else a[g]

    def estimates(e: TrialEstimates):
        return tuple(rows(x) for x in (e.estimate, e.se, e.statistic, e.df, e.margin))

    def at(parts, g) -> TrialEstimates:
        return TrialEstimates(*(pick(x, g) for x in parts))

    main = estimates(primary)
    comps = None if comparisons is None else [estimates(c) for c in comparisons]
    done = [rows(c) for c in completers]
    events = {k: [rows(c) for c in v] for k, v in ae_counts.items()}
    exposed = None if ae_exposed is None else [rows(e) for e in ae_exposed]

    def make(g: int) -> TrialSample:
        return TrialSample(
            primary=at(main, g),
            completers=tuple(pick(c, g) for c in done),
            ae_counts={k: tuple(pick(c, g) for c in v) for k, v in events.items()},
            ae_exposed=None if exposed is None else tuple(pick(e, g) for e in exposed),
            comparisons=None if comps is None else [at(c, g) for c in comps])

    def stacked(positions: list[int]) -> TrialSample:
        every = positions == list(range(n_sizes))
        trials = main[0].shape[-1]

        def sub(a):
            if a.ndim < 2:
                return np.broadcast_to(a, (len(positions), trials))
            return a if every else a[positions]
        return TrialSample(
            primary=TrialEstimates(*(sub(x) for x in main)),
            completers=tuple(sub(c) for c in done),
            ae_counts={k: tuple(sub(c) for c in v) for k, v in events.items()},
            ae_exposed=None if exposed is None else tuple(sub(e) for e in exposed))

    return SampleGrid(n_sizes, make, None if comps is not None else stacked)
