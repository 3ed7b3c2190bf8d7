"""Small numeric helpers shared by the metric modules."""

from __future__ import annotations

import math


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    """Limit a value to [low, high]."""
    return max(low, min(high, value))


def log_scale(value: float | int | None, full: float) -> float:
    """0 at 0, 1 at `full` and beyond, logarithmic between (popularity counts span decades)."""
    if not value or value <= 0:
        return 0.0
    return clamp(math.log10(1 + value) / math.log10(1 + full))


def words(text: str) -> int:
    """How many whitespace-separated words a text has."""
    return len(text.split())
