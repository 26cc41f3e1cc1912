"""Results as pandas DataFrames, pandas imported on first use (a leaf).

pandas is an optional dependency (``pip install 'trialsim[frames]'``): the
``to_frame()`` methods of the results call :func:`data_frame`, which imports
it only then and says how to install it when it is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["data_frame", "flat_row"]


def data_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A DataFrame with one row per mapping (columns in first-seen order).

    Parameters
    ----------
    rows : sequence of mapping

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ImportError
        When pandas is not installed, saying how to install it.
    """
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("to_frame() needs pandas: pip install pandas, or "
                          "pip install 'trialsim[frames]'") from None
    return pd.DataFrame([dict(r) for r in rows])


def flat_row(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """One flat row of a nested JSON-ready dictionary.

    Nested dictionaries become dotted columns (``adverse_events.any.risk_ratio``),
    an interval ``[low, high]`` under a key ending in ``_ci`` or ``_range``
    becomes two columns (``power_ci_low``, ``power_ci_high``), other lists of
    numbers or strings become tuples, and lists of dictionaries are left out.

    Examples
    --------
    >>> flat_row({"power": 0.8, "power_ci": [0.7, 0.9], "ae": {"x": {"rr": 2.0}}})
    {'power': 0.8, 'power_ci_low': 0.7, 'power_ci_high': 0.9, 'ae.x.rr': 2.0}
    """
    row: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            row.update(flat_row(value, f"{name}."))
        elif value is None and name.endswith(("_ci", "_range")):
            row[f"{name}_low"] = row[f"{name}_high"] = None
        elif isinstance(value, (list, tuple)):
            if any(isinstance(v, Mapping) for v in value):
                continue
            if name.endswith(("_ci", "_range")) and len(value) == 2:
                row[f"{name}_low"], row[f"{name}_high"] = value
            else:
                row[name] = tuple(value)
        else:
            row[name] = value
    return row
