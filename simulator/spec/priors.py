"""A normal distribution for a true effect (or a log risk ratio)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._lazy import special

__all__ = ["NormalPrior"]


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
