"""Store the back test's outputs (run from the repository root).

    python tests/backtest/regenerate.py

Only a commit that changes numbers on purpose runs this, and says why.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import CASES, OUTPUTS, ROOT, read_output  # noqa: E402

from simulator.face.cli import main  # noqa: E402


def run_case(name: str, folder: Path):
    """Run one case from the repository root; return its cleaned JSON output."""
    argv = CASES[name]
    out = folder / (f"{name}.csv" if argv[0] == "sweep" else f"{name}.json")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        status = main([a.replace("{out}", str(out)) for a in argv])
    finally:
        os.chdir(cwd)
    if status != 0:
        raise RuntimeError(f"case {name} exited {status}")
    return read_output(argv[0], out)


if __name__ == "__main__":
    OUTPUTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in CASES:
            data = run_case(name, Path(tmp))
            (OUTPUTS / f"{name}.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
            print(name)
