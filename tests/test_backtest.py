"""Back test: the JSON outputs of fixed-seed commands equal the stored ones.

The stored outputs (``tests/backtest/outputs``) were written by
``tests/backtest/regenerate.py``; a refactor must leave every number as it
is. Numbers are compared exactly; where a float differs only in its last
bits (another CPU's vectorized math kernels can round differently) the test
passes with a warning, and anything beyond a relative 1e-9 fails.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "backtest"))
from cases import CASES, OUTPUTS  # noqa: E402
from regenerate import run_case  # noqa: E402


def differences(expected, actual, where: str = "$"):
    """(path, expected, actual, exact_only) for every difference."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in expected or key not in actual:
                yield (f"{where}.{key}", expected.get(key, "<absent>"),
                       actual.get(key, "<absent>"), False)
            else:
                yield from differences(expected[key], actual[key], f"{where}.{key}")
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual)):
            yield from differences(e, a, f"{where}[{i}]")
    elif (isinstance(expected, float) and isinstance(actual, float)
          and expected != actual):
        close = math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12)
        yield where, expected, actual, close
    elif expected != actual or type(expected) is not type(actual):
        if not (isinstance(expected, (int, float)) and isinstance(actual, (int, float))
                and not isinstance(expected, bool) and expected == actual):
            yield where, expected, actual, False


@pytest.mark.parametrize("name", list(CASES))
def test_output_equals_the_stored_one(name, tmp_path):
    stored = json.loads((OUTPUTS / f"{name}.json").read_text())
    actual = json.loads(json.dumps(run_case(name, tmp_path), sort_keys=True))
    diffs = list(differences(stored, actual))
    real = [d for d in diffs if not d[3]]
    assert not real, "\n".join(f"{p}: stored {e!r}, now {a!r}" for p, e, a, _ in real[:20])
    if diffs:
        warnings.warn(f"{name}: {len(diffs)} floats differ in their last bits")
