"""Layout: simulated trials in blocks, each with its own random stream, and blocks in tasks.

A **block** is a fixed number of consecutive trials drawn from one stream
(block ``j`` draws from child ``j`` of the root ``SeedSequence``). Its size
depends only on the memory one trial needs (a fixed budget per block), never
on ``simulation.chunk_mb``, the number of workers or the backend, and blocks
are added in block order: so those settings never change the numbers. A
**task** (what one worker runs at a time) is a run of consecutive blocks,
as many as ``chunk_mb`` allows; blocks are simulated one after the other,
so a task's memory is about one block's.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models.aggregate import summary_bytes_per_size
from ..models.patient import patient_bytes_per_trial
from ..spec.scenario import Scenario
from ..spec.variants import first_period_equivalent
from .dispatch import PathName, choose_path, draws_in_tiles

__all__ = ["MAX_CHUNK", "MAX_BLOCK", "BLOCK_BYTES", "chunk_layout", "fixed_chunks",
           "bytes_per_trial", "block_size", "Layout", "default_block_size"]

MAX_CHUNK = 1 << 16
#: Most trials in one block: 8,192 keeps an aggregate block's arrays (a few
#: hundred bytes a trial) within the 2 MB level-2 cache of a core; 65,536 ran
#: 3x slower per trial from cache misses and page faults (bench_engine).
MAX_BLOCK = 1 << 13
#: The memory budget of one block, in bytes (fixed: it sets the random streams).
BLOCK_BYTES = 32_000_000


def chunk_layout(n_sims: int, bytes_per_trial: int, budget_mb: float) -> list[int]:
    """Split ``n_sims`` trials into chunks that fit the memory budget.

    Every chunk but the last has the same size, at most ``MAX_CHUNK``.
    """
    per_chunk = int(budget_mb * 1e6 // max(bytes_per_trial, 1))
    size = max(1, min(MAX_CHUNK, per_chunk, n_sims))
    return fixed_chunks(n_sims, size)


def fixed_chunks(n_sims: int, size: int) -> list[int]:
    """``n_sims`` trials in chunks of ``size`` (the last one smaller)."""
    full, rest = divmod(n_sims, size)
    return [size] * full + ([rest] if rest else [])


def bytes_per_trial(scenario: Scenario, path: str, n_sizes: int = 1) -> int:
    """Peak bytes one simulated trial of a scenario needs on a data path.

    The aggregate path holds a few numbers per trial and grid size; the
    per-patient paths hold arrays over the largest arm (eight; one when
    drawing in tiles, plus the grid sizes' summaries).
    """
    if path == "aggregate":
        return summary_bytes_per_size(scenario) * n_sizes
    if draws_in_tiles(scenario, path):  # one array of patients, so the sizes' summaries count
        return (patient_bytes_per_trial(scenario, tiled=True)
                + summary_bytes_per_size(scenario) * n_sizes)
    return patient_bytes_per_trial(scenario)


def block_size(bytes_per_trial: int) -> int:
    """Trials per block: the largest power of two within the block budget (1 to ``MAX_BLOCK``)."""
    fit = max(1, BLOCK_BYTES // max(bytes_per_trial, 1))
    return min(MAX_BLOCK, 1 << (fit.bit_length() - 1))


@dataclass(frozen=True, slots=True)
class Layout:
    """Trials in blocks, blocks in tasks.

    Attributes
    ----------
    n_sims : int
    block : int
        Trials per block (the last block may hold fewer).
    blocks_per_task : int
    """

    n_sims: int
    block: int
    blocks_per_task: int

    def blocks(self) -> list[int]:
        """Trials in each block, in order."""
        return fixed_chunks(self.n_sims, self.block)

    def tasks(self) -> list[list[tuple[int, int]]]:
        """Each task's blocks as (block index, trials), in order."""
        blocks = list(enumerate(self.blocks()))
        k = self.blocks_per_task
        return [blocks[i:i + k] for i in range(0, len(blocks), k)]

    @classmethod
    def of(cls, n_sims: int, bytes_per_trial: int, chunk_mb: float,
           block: int | None = None) -> Layout:
        """The layout for a memory budget per task; ``block`` forces the block size."""
        block = block_size(bytes_per_trial) if block is None else block
        per_task = int(chunk_mb * 1e6 // max(block * bytes_per_trial, 1))
        return cls(n_sims=n_sims, block=block,
                   blocks_per_task=max(1, min(per_task, MAX_CHUNK // block)))


def default_block_size(scenario: Scenario, path: PathName = "auto") -> int:
    """The block size :func:`simulate` would use for a scenario at its own size."""
    scenario = first_period_equivalent(scenario)
    per_trial = bytes_per_trial(scenario, choose_path(scenario, path))
    if scenario.meta_analysis is not None:
        per_trial *= scenario.meta_analysis.new_trials
    return block_size(per_trial)
