"""Shared helpers for the test suite."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from simulator import Scenario

#: The repository's root folder (its scenarios/ and docs/).
ROOT = Path(__file__).resolve().parents[1]

#: Monte Carlo tolerance: a simulated value must lie within this many standard
#: errors of its reference.
Z_TOL = 4.0


def csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of a CSV text that trialsim wrote, its '#' provenance lines skipped."""
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def make_scenario(**overrides) -> Scenario:
    """A normal-model two-arm scenario, 60 per arm, with dotted overrides."""
    base = Scenario.from_dict({"design": {"n_per_arm": 60}, "pain": {"effect": -1.0}})
    return base.with_overrides(overrides) if overrides else base


@pytest.fixture
def scenario() -> Scenario:
    return make_scenario()
