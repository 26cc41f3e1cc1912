"""The per-patient data path: arrays of shape (trials, patients), block by block.

It handles everything the aggregate path cannot: clipped and rounded NRS
scores, a truncated baseline, responder cut-offs and withdrawal driven by
adverse events. Each arm is drawn as a block of standard normals; when the
scores are not transformed non-linearly (no clipping, no responders) the
summary statistics are taken on the standard normals and mapped linearly,
which is exact and saves a pass over the patients.

Sample-size grids use common random numbers: every trial is drawn once at
the largest size, and a smaller size analyses a prefix of the same patients
(sums over segments between grid points, accumulated), so a whole power
curve costs about one evaluation at its largest n.

Random numbers are drawn in a fixed order: for each arm in turn, baseline,
follow-up, then adverse events and withdrawals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..analysis.estimands import is_responder
from ..moments import ArmMoments, centre, centred_moments, column, prefix_of, row_dots, row_sums
from ..spec.scenario import Scenario
from .draw import Draw
from .outcomes import draw_baseline_z, followup_mean, observe
from .parameters import TrialParameters
from .scratch import buffer

__all__ = ["simulate_patient_grid", "patient_bytes_per_trial", "tiles"]

_LIVE_ARRAYS = 8  # (trials x patients) float arrays alive at once, for the memory budget
_TILED_LIVE_ARRAYS = 1  # the same, drawing in tiles: the baseline normals, kept whole
#: Values in one tile of follow-up normals drawn and summed while in cache (512 KB:
#: half the level-2 cache of a core of the 2-core machines we measure on).
TILE_VALUES = 1 << 16


def patient_bytes_per_trial(scenario: Scenario, tiled: bool = False) -> int:
    """Peak bytes one simulated trial needs on the per-patient path.

    ``tiled``: the follow-up is drawn in tiles (:func:`tiles`), so only the
    baseline's normals are held for a whole block.
    """
    live = _TILED_LIVE_ARRAYS if tiled else _LIVE_ARRAYS
    return 8 * live * max(scenario.design.group_sizes) + 64 * len(scenario.design.arms)


def tiles(scenario: Scenario) -> bool:
    """Whether :func:`simulate_patient_grid` draws the follow-up in tiles: unbounded
    scores without responders, where nobody can withdraw."""
    pain = scenario.pain
    return not (pain.bounded or pain.is_responder or scenario.dropout.any)


def simulate_patient_grid(scenario: Scenario, n_sims: int, rng: np.random.Generator,
                          grid: Sequence[tuple[int, ...]],
                          params: TrialParameters | None = None) -> Draw:
    """Simulate trials patient by patient at several sizes, on common random numbers.

    Parameters
    ----------
    scenario : Scenario
    n_sims : int
    rng : numpy.random.Generator
    grid : sequence of tuple of int
        Patients per arm at each grid point, non-decreasing in every arm.
        The trial at point ``g`` is the first ``grid[g][arm]`` patients of
        each arm of the trial at the last point.
    params : TrialParameters, optional

    Returns
    -------
    Draw
        Per-arm moments, completers and AE counts, (trials, sizes) arrays.
    """
    pain = scenario.pain
    params = params or TrialParameters.fixed(scenario)
    needs_x = pain.analysis != "followup" or pain.truncated
    single = len(grid) == 1
    arms, completers = [], []
    ae_counts: dict[str, list[np.ndarray]] = {ae.name: [] for ae in scenario.adverse_events}
    # Without withdrawal the analysed patients are known before anything is
    # drawn after the follow-up scores: unbounded scores are then reduced tile
    # by tile as they are drawn (the same numbers, see _tiled_latent_moments).
    tiled = tiles(scenario)
    for arm in range(len(grid[0])):
        prefix = prefix_of(tuple(g[arm] for g in grid))
        n = prefix.size
        # Scratch memory (reused block to block): neither array outlives this arm.
        zx = (draw_baseline_z(rng, (n_sims, n), pain, out=buffer("zx", (n_sims, n)))
              if needs_x else None)
        mu_y = followup_mean(pain, False) + params.effect_of(scenario, arm)
        if tiled:
            moments = _tiled_latent_moments(pain, rng, zx, n_sims, mu_y, prefix)
        else:
            zy = rng.standard_normal(out=buffer("zy", (n_sims, n)))
        risk = params.risks_of(scenario, arm)
        if single:
            mask, m, counts = _withdrawals(rng, scenario, n_sims, n, risk)
            m = m[:, None]
            counts = {k: v[:, None] for k, v in counts.items()}
        else:
            mask, flags = _withdrawals_per_patient(rng, scenario, n_sims, n, risk)
            m = prefix.counts(n_sims) if mask is None else prefix.sums(mask)
            counts = {k: prefix.sums(v) for k, v in flags.items()}
        for name, c in counts.items():
            ae_counts[name].append(c)
        completers.append(m)
        if tiled:
            arms.append(moments)
        elif pain.bounded or pain.is_responder:
            arms.append(_observed_moments(pain, zx, zy, mask, m, mu_y, prefix))
        else:
            arms.append(_latent_moments(pain, zx, zy, mask, m, mu_y, prefix))
    return Draw(analysis=pain.analysis, arms=tuple(arms), completers=tuple(completers),
                ae_counts={k: tuple(v) for k, v in ae_counts.items()})


def _withdrawals(rng, scenario: Scenario, k: int, n: int, risk):
    """Completion mask (None = everyone), completers and AE counts of one arm.

    ``risk`` maps each AE to its probability in this arm, a scalar or one
    value per trial.
    """
    after = scenario.dropout.after_ae
    rate = scenario.dropout.rate
    if any(q > 0 for q in after.values()):
        mask, flags = _withdrawals_per_patient(rng, scenario, k, n, risk)
        return mask, mask.sum(axis=1), {name: f.sum(axis=1) for name, f in flags.items()}
    # Under MCAR the completers are a random subset; patients are
    # exchangeable, so the first m of each row are as good as any m.
    m = rng.binomial(n, 1.0 - rate, size=k) if rate > 0 else None
    # Events that drive nothing else: their counts are exactly binomial (drawn
    # last, so a risk ratio drawn from a prior leaves the other draws paired).
    counts = {ae.name: rng.binomial(n, risk[ae.name], size=k) for ae in scenario.adverse_events}
    if m is not None:
        return np.arange(n) < m[:, None], m, counts
    return None, np.full(k, n), counts


def _withdrawals_per_patient(rng, scenario: Scenario, k: int, n: int, risk):
    """Per-patient completion mask (None = everyone) and AE indicators."""
    after = scenario.dropout.after_ae
    rate = scenario.dropout.rate

    def uniform():  # in scratch memory: each is compared at once, then dropped
        return rng.random(out=buffer("uniform", (k, n)))

    withdraw = uniform() < rate if rate > 0 else None
    flags = {}
    for ae in scenario.adverse_events:
        has = uniform() < column(risk[ae.name])
        flags[ae.name] = has
        q = after.get(ae.name, 0.0)
        if q > 0:
            left = has & (uniform() < q)
            withdraw = left if withdraw is None else withdraw | left
    return (None if withdraw is None else ~withdraw), flags


def _tile_rows(n: int) -> int:
    """Trials per tile of ``n`` patients: a multiple of 8 within :data:`TILE_VALUES`."""
    return max(8, TILE_VALUES // n // 8 * 8)


def _tiled_latent_moments(pain, rng, zx, k: int, mu_y, prefix) -> ArmMoments:
    """Draw an arm's follow-up normals and take their moments, every patient analysed.

    The (trials, patients) block of normals is drawn a tile of trials at a
    time into the same small buffer and summed at once, while it is in the
    core's cache (the baseline's rows of the tile with it): a generator
    fills an array in order, so the tiles hold exactly the normals one
    block-sized draw would, and every sum is taken row by row, with a row's
    sum independent of the other rows (moments.row_sums), as on the whole
    block. Drawing a 3 MB block and reading it back twice ran at 0.91 of the
    normal-draw rate, tiles at 0.95-0.96.
    """
    n, g = prefix.size, len(prefix.inverse)
    rows = _tile_rows(n)
    # sums of v, v^2 (and u, u^2, u v with the baseline u), in centre's order
    sums = [np.empty((k, g)) for _ in range(2 if zx is None else 5)]
    # One size (a run): sums straight into the outputs, without Prefix's copies.
    one = g == 1 and len(prefix.ends) == 1
    tile = buffer("zy", (min(rows, k), n))  # the last tile uses its first rows
    for start in range(0, k, rows):
        part = slice(start, min(k, start + rows))
        zy = rng.standard_normal(out=tile[:part.stop - start])
        pairs = [(zy, None), (zy, zy)]
        if zx is not None:  # the baseline's tile too, while it is in cache
            x = zx[part]
            pairs += [(x, None), (x, x), (x, zy)]
        for total, (a, b) in zip(sums, pairs):
            if not one:
                total[part] = prefix.sums(a, b)
            elif b is None:
                row_sums(a, out=total[part, 0])
            else:
                row_dots(a, b, out=total[part, 0])
    m = prefix.counts(k)
    return _latent_of(pain, m, mu_y, centre(m, *sums))


def _latent_moments(pain, zx, zy, mask, m, mu_y, prefix) -> ArmMoments:
    """Moments of unbounded scores: computed on the normals, mapped linearly."""
    return _latent_of(pain, m, mu_y, centred_moments(zx, zy, mask, m, prefix))


def _latent_of(pain, m, mu_y, z_moments) -> ArmMoments:
    """Unbounded scores' moments from the standard normals' (``centred_moments`` order)."""
    mz_x, mz_y, czxx, czyy, czxy = z_moments
    sd = pain.sd
    mu_y = column(mu_y)
    if mz_x is None:
        return ArmMoments(n=m, mean_y=mu_y + sd * mz_y, cyy=sd * sd * czyy)
    r = pain.correlation
    s = math.sqrt(1.0 - r * r)
    sb = pain.baseline_sd
    return ArmMoments(
        n=m,
        mean_x=pain.baseline_mean + sb * mz_x,
        mean_y=mu_y + sd * (r * mz_x + s * mz_y),
        cxx=sb * sb * czxx,
        cxy=sb * sd * (r * czxx + s * czxy),
        cyy=sd * sd * (r * r * czxx + 2 * r * s * czxy + s * s * czyy),
    )


def _observed_moments(pain, zx, zy, mask, m, mu_y, prefix) -> ArmMoments:
    """Moments of observed (clipped, rounded) scores, and responder counts."""
    shift = pain.baseline_mean  # centre before summing, for precision
    sd = pain.sd
    mu_y = column(mu_y)
    # zx and zy are scratch: the observed scores are made in their memory.
    if zx is None:
        y = zy
        y *= sd
        y += mu_y
        observe(y, pain.bounded)
        x = None
    else:
        r = pain.correlation
        y = zy
        y *= sd * math.sqrt(1.0 - r * r)
        y += np.multiply(zx, sd * r, out=buffer("term", zx.shape))
        y += mu_y
        observe(y, pain.bounded)
        x = zx
        x *= pain.baseline_sd
        x += pain.baseline_mean
        observe(x, pain.bounded)
    responders = None
    if pain.is_responder:
        resp = is_responder(x, y, pain.responder_cutoff)
        responders = prefix.sums(resp if mask is None else resp & mask)
    y -= shift
    if x is not None:
        x -= shift
    mean_x, mean_y, cxx, cyy, cxy = centred_moments(x, y, mask, m, prefix)
    return ArmMoments(n=m, mean_y=mean_y + shift, cyy=cyy,
                      mean_x=None if x is None else mean_x + shift, cxx=cxx, cxy=cxy,
                      responders=responders)
