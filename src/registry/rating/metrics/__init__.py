"""The metrics: each module holds a pure `score(...)` and an async `measure(facts)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from registry.rating.facts import Facts
from registry.rating.metrics import (
    bus_factor,
    code_quality,
    dataset_and_code,
    dataset_quality,
    license,
    performance_claims,
    ramp_up,
    reviewedness,
    size,
    tree,
)

Measure = Callable[[Facts], Awaitable[Any]]

# Measured concurrently per rating; reproducibility comes from the sandbox job instead.
MEASURES: dict[str, Measure] = {
    ramp_up.NAME: ramp_up.measure,
    bus_factor.NAME: bus_factor.measure,
    performance_claims.NAME: performance_claims.measure,
    license.NAME: license.measure,
    size.NAME: size.measure,
    dataset_and_code.NAME: dataset_and_code.measure,
    dataset_quality.NAME: dataset_quality.measure,
    code_quality.NAME: code_quality.measure,
    reviewedness.NAME: reviewedness.measure,
    tree.NAME: tree.measure,
}
