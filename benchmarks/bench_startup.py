"""Start-up benchmark: a whole ``trialsim validate`` process against ``import numpy``.

Run ``python benchmarks/bench_startup.py [--repeats N]``. It starts, in
alternation so that the machine's load falls on both alike,

1. ``python -c "import numpy"`` (the baseline: no program can start faster
   than the library it is built on), and
2. ``python -m simulator validate scenarios/ketamine_iv_parallel.toml``,

``N`` times each, after one warm-up run of each, and prints the medians and their ratio, of wall-clock and of CPU time
(the CPU time is less sensitive to other work on the machine); target: at
most 2x.

Both load their modules from cached bytecode, as an installed package does:
``pip install`` byte-compiles numpy (and trialsim, from a wheel), while an
editable install compiles on first import. The processes run without
``PYTHONDONTWRITEBYTECODE`` so that the warm-up run writes trialsim's
``__pycache__`` (git ignores it); with that variable set and no cache, every
start compiles the trialsim modules it imports from source while numpy's come from
bytecode, which measures the compiler, not trialsim. The script prints whether
trialsim's bytecode was found.
It also lists the heavy libraries the validate process imported (none of
scipy, joblib or simpy should be among them). The script reports; it always
exits 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "ketamine_iv_parallel.toml"
HEAVY = ("scipy", "joblib", "simpy", "matplotlib", "pandas")


#: The children's environment: bytecode is written and read, as on a user's machine.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(argv: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    repeats = parser.parse_args().repeats
    numpy_argv = [sys.executable, "-c", "import numpy"]
    validate_argv = [sys.executable, "-m", "simulator", "validate", str(SCENARIO)]
    _time(numpy_argv), _time(validate_argv)  # warm the file cache; write the bytecode
    cached = Path(importlib.util.cache_from_source(str(ROOT / "simulator" / "face" / "cli.py"))).is_file()
    print(f"trialsim's bytecode cached: {'yes' if cached else 'NO (compiled on every start)'}")
    base, validate = [], []
    for _ in range(repeats):
        base.append(_time(numpy_argv))
        validate.append(_time(validate_argv))
    for i, what in enumerate(("wall-clock", "CPU")):
        b = statistics.median(t[i] for t in base)
        v = statistics.median(t[i] for t in validate)
        print(f"{what:>10}: import numpy {b * 1e3:6.1f} ms, trialsim validate {v * 1e3:6.1f} ms "
              f"(medians of {repeats}): ratio {v / b:.2f}x (target <= 2x)")
    probe = ("import sys, runpy; sys.argv = ['trialsim', 'validate', %r]\n"
             "try:\n    runpy.run_module('simulator', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print(' '.join(m for m in %r if m in sys.modules))" % (str(SCENARIO), HEAVY))
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True).stdout.strip().splitlines()
    print(f"heavy libraries imported by validate: {out[-1] if len(out) > 1 else 'none'}")


if __name__ == "__main__":
    main()
