"""The layers hold: no upward import, no cycle, no hidden lazy import, small units."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from architecture import layer_of, oversized, violations  # noqa: E402

ROOT = Path(__file__).resolve().parents[2] / "simulator"


def test_the_package_keeps_its_layers():
    assert violations(ROOT) == []


def test_modules_and_functions_are_small():
    assert oversized(ROOT) == []


def test_every_layer_is_listed():
    for path in ROOT.iterdir():
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()):
            layer_of(path.stem)


@pytest.fixture
def copy(tmp_path):
    target = tmp_path / "simulator"
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_an_upward_import_is_caught(copy):
    path = copy / "models" / "outcomes.py"
    path.write_text(path.read_text() + "\nfrom ..planning.simulate import simulate\n")
    assert any("models.outcomes imports planning.simulate, a layer above it" in p
               for p in violations(copy))


def test_a_cycle_is_caught(copy):
    path = copy / "mc.py"
    path.write_text(path.read_text() + "\nfrom .moments import Prefix\n")
    (copy / "moments.py").write_text((copy / "moments.py").read_text()
                                     + "\nfrom .mc import Z95\n")
    assert any(p.startswith("import cycle:") for p in violations(copy))


def test_a_function_level_import_dodging_a_circle_is_caught(copy):
    path = copy / "spec" / "pain.py"
    path.write_text(path.read_text()
                    + "\n\ndef _late():\n    from ..models.outcomes import observe\n")
    assert any("imports models.outcomes inside a function" in p for p in violations(copy))
    assert any("a layer above it" in p for p in violations(copy))
