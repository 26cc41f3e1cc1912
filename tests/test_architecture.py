"""The layers hold: no upward import, no cycle, no hidden lazy import, small units."""

from __future__ import annotations

import pytest
from architecture import layer_of, oversized, violations
from conftest import ROOT as REPOSITORY

ROOT = REPOSITORY / "simulator"


def test_the_package_keeps_its_layers():
    assert violations(ROOT) == []


def test_modules_and_functions_are_small():
    assert oversized(ROOT) == []


def test_every_layer_is_listed():
    for path in ROOT.iterdir():
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()):
            layer_of(path.stem)


# A small package with the same layers: the checks run on it in a moment.
TINY = {
    "__init__.py": "from .planning.simulate import simulate\n",
    "errors.py": "class SimulatorError(Exception):\n    pass\n",
    "mc.py": "Z95 = 1.96\n",
    "moments.py": "from .errors import SimulatorError\n",
    "spec/__init__.py": "",
    "spec/pain.py": "from ..mc import Z95\n",
    "models/__init__.py": "",
    "models/outcomes.py": "from ..spec.pain import Z95\n",
    "planning/__init__.py": "",
    "planning/simulate.py": "from ..models.outcomes import Z95\n\n\ndef simulate():\n"
                            "    import matplotlib\n    return Z95\n",
}


@pytest.fixture
def copy(tmp_path):
    target = tmp_path / "simulator"
    for name, text in TINY.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(text)
    assert violations(target) == []  # the tiny package keeps the rules until a test breaks one
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
