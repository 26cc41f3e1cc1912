"""What a sampler returns: one block of simulated trials on a size grid, before any test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis.arms import TwoSampleMoments
from ..moments import ArmMoments, PatientArm

__all__ = ["Draw"]


@dataclass(frozen=True, slots=True)
class Draw:
    """Simulated trials of one block, on a size grid, as the analysis needs them.

    Arrays have trials on axis 0 and grid sizes on axis 1 (a one-size
    aggregate draw has trials only). Exactly one of ``arms``, ``two_sample``
    and ``patients`` carries the pain data.

    Attributes
    ----------
    analysis : str
        The analysis the data are for (a crossover's half period differences
        are compared as ``followup``).
    completers : tuple of ndarray
        Patients with a primary outcome, per arm.
    ae_counts : dict of str to tuple of ndarray
        Patients with each adverse event, per arm.
    arms : tuple of ArmMoments or None
        Per-arm moments of the analysed patients.
    two_sample : TwoSampleMoments or None
        Pooled statistics of two arms, drawn directly.
    patients : tuple of PatientArm or None
        Every patient's data, for estimands that decide which data to analyse.
    ae_exposed : tuple of ndarray or None
        Exposures behind ``ae_counts`` per treatment when they are not the
        arm sizes (a crossover's treatment periods).
    """

    analysis: str
    completers: tuple[np.ndarray, ...]
    ae_counts: dict[str, tuple[np.ndarray, ...]]
    arms: tuple[ArmMoments, ...] | None = None
    two_sample: TwoSampleMoments | None = None
    patients: tuple[PatientArm, ...] | None = None
    ae_exposed: tuple[np.ndarray, ...] | None = None
