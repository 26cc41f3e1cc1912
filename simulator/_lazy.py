"""Heavy libraries, imported on their first use.

Importing ``scipy.stats`` cost most of trialsim's start-up (about 0.8 s of a
1 s ``trialsim validate``), ``joblib`` and ``simpy`` another 0.1 s, paid
again by every worker process, although many commands never need them. The
names here are stand-ins that import the real module the first time one of
its attributes is read, and then are the module's names. A leaf: imports only
the standard library.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["joblib", "optimize", "simpy", "special", "stats"]


class _OnFirstUse:
    """A module imported the first time one of its attributes is read."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


stats: Any = _OnFirstUse("scipy.stats")
optimize: Any = _OnFirstUse("scipy.optimize")
special: Any = _OnFirstUse("scipy.special")
joblib: Any = _OnFirstUse("joblib")
simpy: Any = _OnFirstUse("simpy")
