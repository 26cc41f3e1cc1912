"""A sweep: a grid of scenario overrides."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ScenarioError
from .bounds import MAX_SWEEP_POINTS
from .schema import fail

__all__ = ["SweepSpec", "BACKENDS"]

#: Where a sweep's points run: loky processes here, a local Dask cluster, or a Dask scheduler.
BACKENDS = ("loky", "dask-local", "dask")


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepSpec:
    """A grid of scenario overrides (see :mod:`simulator.ops.sweep`).

    Attributes
    ----------
    grid : tuple of (dotted key, values)
        Crossed with each other (Cartesian product).
    zip : tuple of (dotted key, values)
        Vary together (equal lengths), crossed with ``grid``.
    """

    grid: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    zip: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def __post_init__(self) -> None:
        for name in ("grid", "zip"):
            object.__setattr__(self, name, tuple((str(k), tuple(v))
                                                 for k, v in getattr(self, name)))
        lengths = {len(v) for _, v in self.zip}
        if len(lengths) > 1:
            raise fail("[sweep] zip", {k: list(v) for k, v in self.zip},
                       "zipped keys vary together: give them equal numbers of values")
        dup = {k for k, _ in self.grid} & {k for k, _ in self.zip}
        if dup:
            raise fail("[sweep] zip", sorted(dup)[0], "a key is either in grid or in zip")
        for key in self.keys:
            if key in ("seed", "simulation") or key.startswith("simulation."):
                raise ScenarioError(f"[sweep] {key}: cannot be swept: every point runs with "
                                    "the sweep's one seed and n_sims (common random numbers), "
                                    "so a point's own would be ignored; set them with --seed "
                                    "and --n-sims")
        if self.n_points > MAX_SWEEP_POINTS:
            sizes = [str(len(v)) for _, v in self.grid] + [str(n) for n in lengths]
            raise ScenarioError(f"[sweep] {', '.join(self.keys)}: {' x '.join(sizes)} = "
                                f"{self.n_points:,} points; a sweep has at most "
                                f"{MAX_SWEEP_POINTS:,}")

    @property
    def n_points(self) -> int:
        """Points of the sweep: the grid's values crossed, times the zipped values."""
        return math.prod(len(v) for _, v in self.grid) * max(
            (len(v) for _, v in self.zip), default=1)

    def merged(self, grid: Mapping[str, tuple], zip: Mapping[str, tuple]) -> SweepSpec:
        """A sweep with these grid and zip keys added, or replacing the same keys."""
        return SweepSpec(grid=tuple({**dict(self.grid), **grid}.items()),
                         zip=tuple({**dict(self.zip), **zip}.items()))

    @property
    def keys(self) -> tuple[str, ...]:
        """Every swept key, grid keys first."""
        return tuple(k for k, _ in self.grid) + tuple(k for k, _ in self.zip)

    def overrides(self) -> Iterator[dict[str, Any]]:
        """Each point's override values, in sweep order (grid crossed, zipped together)."""
        grid_keys = [k for k, _ in self.grid]
        zip_keys = [k for k, _ in self.zip]
        zipped = list(zip(*(v for _, v in self.zip))) if self.zip else [()]
        for combo in itertools.product(*(v for _, v in self.grid), zipped):
            values = dict(zip(grid_keys, combo[:-1]))
            values.update(zip(zip_keys, combo[-1]))
            yield values

    def scenarios(self, base: Any) -> Iterator[tuple[dict[str, Any], Any]]:
        """Each point's values and its validated scenario, ``base`` with them set.

        Raises
        ------
        ScenarioError
            For the first invalid point, naming its values and the field.
        """
        for values in self.overrides():
            try:
                yield values, base.with_overrides(values)
            except ScenarioError as exc:
                shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
                raise ScenarioError(f"sweep point ({shown}): {exc}") from None
