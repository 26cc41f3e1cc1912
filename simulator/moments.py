"""Per-arm moments of simulated patients, and prefix sums over a size grid.

A leaf: imports numpy only. Arrays have simulated trials on axis 0 and
patients on axis 1; a size grid is analysed as prefixes of the same
patients (common random numbers), so every sum here is taken over the first
``n_g`` patients of each row for each grid size ``n_g``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["ArmMoments", "PatientArm", "Prefix", "prefix_of", "row_sums", "row_dots", "running_sum", "column",
           "centred_moments", "centre", "observed_moments"]


@dataclass(frozen=True, slots=True)
class ArmMoments:
    """Per-arm summary statistics of the analysed patients, arrays over trials.

    ``mean_x``, ``cxx`` and ``cxy`` (baseline) are None when the analysis
    does not need the baseline; ``responders`` is None unless it is a
    responder analysis.
    """

    n: np.ndarray
    mean_y: np.ndarray
    cyy: np.ndarray
    mean_x: np.ndarray | None = None
    cxx: np.ndarray | None = None
    cxy: np.ndarray | None = None
    responders: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class PatientArm:
    """Every patient of one arm, for the analyses that need more than moments.

    Attributes
    ----------
    prefix : Prefix
        The arm's size grid (patients are in randomisation order).
    x, y : ndarray, shape (trials, patients)
        Observed baseline and follow-up (the follow-up a withdrawn patient
        would have had included).
    keep : ndarray of bool, shape (trials, patients)
        Patients with a primary outcome.
    """

    prefix: Prefix
    x: np.ndarray
    y: np.ndarray
    keep: np.ndarray


class Prefix:
    """Sums over the first ``n_g`` patients of each row, for each grid size ``n_g``.

    Examples
    --------
    >>> import numpy as np
    >>> Prefix([1, 3]).sums(np.array([[1.0, 2.0, 4.0]])).tolist()
    [[1.0, 7.0]]
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        sizes = np.asarray(sizes, dtype=np.intp)
        self.size = int(sizes[-1])
        self.ends, self.inverse = np.unique(sizes, return_inverse=True)
        self.starts = np.r_[0, self.ends[:-1]]
        widths = np.diff(np.r_[0, self.ends])
        self.width = int(widths[0]) if np.all(widths == widths[0]) else 0
        self._counts: dict[int, np.ndarray] = {}

    def counts(self, k: int) -> np.ndarray:
        """(trials, grid) patient counts when everyone is analysed (a read-only view)."""
        counts = self._counts.get(k)
        if counts is None:  # a run asks for the same block sizes again and again
            counts = self._counts[k] = np.broadcast_to(
                self.ends[self.inverse].astype(float), (k, len(self.inverse)))
        return counts

    def sums(self, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        """(trials, grid) prefix sums of ``a`` (times ``b``), patients on axis 1."""
        if len(self.ends) == 1:
            out = (row_sums(a) if b is None else row_dots(a, b))[:, None]
        elif self.width:  # equal segments (a regular grid from 0): sum a reshaped view
            k, g, w = a.shape[0], len(self.ends), self.width
            av = a.reshape(k, g, w)
            if b is not None:
                seg = np.einsum("igw,igw->ig", av, b.reshape(k, g, w), dtype=float)
            elif a.dtype == bool:
                seg = np.count_nonzero(av, axis=2).astype(float)
            else:  # einsum sums short rows 5x faster than .sum(axis=2) (see row_sums)
                seg = np.einsum("igw->ig", av)
            out = np.cumsum(seg, axis=1)
        else:
            prod = a if b is None else a * b
            out = np.cumsum(np.add.reduceat(prod, self.starts, axis=1, dtype=float), axis=1)
        return out[:, self.inverse]


@lru_cache(maxsize=256)
def prefix_of(sizes: tuple[int, ...]) -> Prefix:
    """The (shared, read-only) :class:`Prefix` of a grid, made once per grid."""
    return Prefix(sizes)


def row_sums(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Sums of the rows of a 2-d array (into ``out``, a 1-d array, if given).

    ``einsum`` sums each row in one loop of its own: 1.7x faster than
    ``a.sum(axis=1)`` for rows of a hundred values, and a row's sum does not
    depend on the other rows. A matrix-vector product with ones through BLAS
    was faster still, but multithreaded BLAS sums a row in an order that
    depends on how many rows the call has and how many threads it runs, so
    tiles, blocks and ``--jobs`` could change the last bits.
    """
    if a.dtype == np.float64:
        return np.einsum("ij->i", a, out=out)
    return np.sum(a, axis=1, out=out)


def row_dots(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Dot products of matching rows of two 2-d arrays.

    ``vecdot`` (1.3x faster than ``einsum``) takes each row to BLAS's ``ddot``,
    which OpenBLAS splits between threads above 10,000 values, in an order
    that depends on the thread count; rows that long go through ``einsum``,
    so that ``--jobs`` never changes a number.
    """
    short = a.shape[-1] <= _DDOT_ONE_THREAD
    if _vecdot is not None and a.dtype == b.dtype == np.float64 and short:
        return _vecdot(a, b, out=out)
    return np.einsum("ij,ij->i", a, b, out=out)


_DDOT_ONE_THREAD = 8192  # OpenBLAS runs ddot on one thread up to 10,000 values


_vecdot = getattr(np, "vecdot", None)  # numpy >= 2.0


def running_sum(a: np.ndarray) -> np.ndarray:
    """Cumulative sums down axis 0 of a (rows, trials) array, in place, a whole row at a time.

    The same sums as ``np.cumsum(a, axis=0)``, added in the same order, but
    ``np.cumsum(axis=0)`` runs a loop of length ``rows`` for every trial:
    adding whole rows is 3-10x faster for (20-200, 8192) arrays.
    """
    for j in range(1, a.shape[0]):
        a[j] += a[j - 1]
    return a


def column(value):
    """A per-trial vector as a column, to broadcast over patients."""
    value = np.asarray(value, dtype=float)
    return value[:, None] if value.ndim == 1 else value


def centred_moments(u, v, mask, n, prefix: Prefix):
    """Means and centred (co)variation sums of ``v`` (and ``u``) over the mask.

    Returns ``(mean_u, mean_v, cuu, cvv, cuv)``, each of shape (trials,
    grid); the ``u`` terms are None when ``u`` is None. ``mask`` (None =
    every patient) selects the analysed patients and ``n`` counts them.
    """
    vm = v if mask is None else v * mask
    sv, svv = prefix.sums(vm), prefix.sums(vm, v)
    if u is None:
        return centre(n, sv, svv)
    um = u if mask is None else u * mask
    return centre(n, sv, svv, prefix.sums(um), prefix.sums(um, u), prefix.sums(um, v))


def centre(n, sv, svv, su=None, suu=None, suv=None):
    """Means and centred sums from raw sums over ``n`` patients (see :func:`centred_moments`).

    ``sv`` and ``svv`` are the sums of ``v`` and of its squares; ``su``,
    ``suu`` and ``suv`` those of ``u``, its squares and ``u v`` (None
    without ``u``).

    Examples
    --------
    >>> import numpy as np
    >>> [float(a[0]) for a in centre(np.array([2.0]), np.array([4.0]), np.array([10.0]))[1:4:2]]
    [2.0, 2.0]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_v = sv / n
        cvv = svv - sv * mean_v
        if su is None:
            return None, mean_v, None, cvv, None
        mean_u = su / n
        cuu = suu - su * mean_u
        cuv = suv - su * mean_v
    return mean_u, mean_v, cuu, cvv, cuv


def observed_moments(prefix: Prefix, x, y, mask, k: int) -> ArmMoments:
    """Means and centred sums of baseline ``x`` and follow-up ``y`` over the mask.

    ``mask`` (None = every patient) selects the analysed patients of ``k``
    trials. The values are centred on the first patient's baseline before
    summing, for precision.
    """
    shift = float(np.mean(x[:1])) if x.size else 0.0
    n = prefix.counts(k) if mask is None else prefix.sums(mask)
    mx, my, cxx, cyy, cxy = centred_moments(x - shift, y - shift, mask, n, prefix)
    return ArmMoments(n=n, mean_x=mx + shift, mean_y=my + shift, cxx=cxx, cyy=cyy, cxy=cxy)
