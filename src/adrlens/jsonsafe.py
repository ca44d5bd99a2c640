"""Plain numbers and plain JSON: numpy values to Python, NaN and infinities to None, dataclasses to dicts.

Every JSON output of adrlens passes through `json_safe`, so a program reading it never meets NaN (JSON
has none) and an undefined number is always null.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np


def finite(x: Any) -> float | None:
    """A finite float, or None for missing, NaN, infinite, boolean or non-numeric values."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def json_safe(x: Any) -> Any:
    """Turn numpy values into plain Python; NaN and infinities become None (JSON has neither)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return json_safe(dataclasses.asdict(x))
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple | set | frozenset):
        return [json_safe(v) for v in x]
    if isinstance(x, np.ndarray):
        return [json_safe(v) for v in x.tolist()]
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    return x
