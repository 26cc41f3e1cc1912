"""``scipy.stats`` and ``scipy.optimize``, imported on their first use.

Importing ``scipy.stats`` costs most of trialsim's start-up (about 0.8 s of a
1 s ``trialsim validate``), paid again by every worker process, although
many commands never need it. ``stats`` and ``optimize`` here are stand-ins
that import the real module the first time one of its names is read, and
then are the module's names. A leaf: imports only the standard library.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["stats", "optimize"]


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
