"""Counts and fractions over calendar time, summarised across replications."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TimeBands", "count_at_most"]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class TimeBands:
    """A count or fraction over calendar time, across replications.

    Attributes
    ----------
    months : ndarray, shape (G,)
        The time grid (months from the start).
    mean, q05, q50, q95 : ndarray, shape (G,)
        Mean and quantiles across replications at each grid time (NaN where
        undefined, e.g. utilisation before any site opens).
    """

    months: np.ndarray
    mean: np.ndarray
    q05: np.ndarray
    q50: np.ndarray
    q95: np.ndarray

    @classmethod
    def from_matrix(cls, months: np.ndarray, values: np.ndarray) -> TimeBands:
        """Bands of ``values`` (replications x grid), ignoring NaN."""
        values = np.asarray(values, dtype=float)
        defined = np.isfinite(values).any(axis=0)
        out = np.full((4, values.shape[1]), np.nan)
        if defined.any():
            v = values[:, defined]
            out[0, defined] = _nanmean(v)
            out[1:, defined] = np.nanquantile(v, [0.05, 0.5, 0.95], axis=0)
        return cls(months=np.asarray(months, dtype=float), mean=out[0], q05=out[1],
                   q50=out[2], q95=out[3])


def _nanmean(v: np.ndarray) -> np.ndarray:
    ok = np.isfinite(v)
    return np.where(ok, v, 0.0).sum(axis=0) / ok.sum(axis=0)


def count_at_most(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Per row, how many finite ``times`` are at most each grid time.

    Parameters
    ----------
    times : ndarray, shape (R, n)
        Event times per replication (NaN: no event).
    grid : ndarray, shape (G,)
        Increasing grid times.

    Returns
    -------
    ndarray of int, shape (R, G)
    """
    n_rows, n = times.shape
    top = max(float(grid[-1]), float(np.nanmax(times, initial=0.0))) + 2.0
    t = np.sort(np.where(np.isfinite(times), times, top - 1.0), axis=1)
    offset = np.arange(n_rows)[:, None] * top
    flat = (t + offset).ravel()
    idx = np.searchsorted(flat, (grid[None, :] + offset).ravel(), side="right")
    return idx.reshape(n_rows, grid.size) - np.arange(n_rows)[:, None] * n
