"""Net score (a weighted mean over the applicable metrics) and the trust status gate."""

from __future__ import annotations

from typing import Any

VETTED, UNVETTED = "vetted", "unvetted"
THRESHOLD = 0.5
# Weights sum to 1. License and documented evidence weigh most: they decide whether the company
# may and can use the model; review and lineage signals are often missing, so they weigh least.
WEIGHTS: dict[str, float] = {
    "ramp_up_time": 0.12,
    "bus_factor": 0.10,
    "performance_claims": 0.12,
    "license": 0.15,
    "size_score": 0.08,
    "dataset_and_code_score": 0.10,
    "dataset_quality": 0.08,
    "code_quality": 0.08,
    "reproducibility": 0.07,
    "reviewedness": 0.05,
    "tree_score": 0.05,
}
LATENCY_KEYS = tuple(f"{name}_latency" for name in ("net_score", *WEIGHTS))


def metric_value(name: str, value: Any) -> float:
    """One number per metric: size_score counts as its mean in the net score."""
    if name == "size_score":
        return float(sum(value.values()) / len(value))
    return float(value)


def gate_value(name: str, value: Any) -> float:
    """The number the trust gate checks: size_score passes if the model fits some device."""
    if name == "size_score":
        return float(max(value.values()))
    return float(value)


def not_applicable(scores: dict[str, Any], *, has_parents: bool, repro_pending: bool) -> list[str]:
    """Metrics that say nothing about this model: no repo, no rated parent, repro not run yet."""
    skipped = []
    if float(scores["reviewedness"]) < 0:
        skipped.append("reviewedness")
    if not has_parents:
        skipped.append("tree_score")
    if repro_pending:
        skipped.append("reproducibility")
    return skipped


def net_score(scores: dict[str, Any], skipped: list[str]) -> float:
    """Weighted mean of the applicable metrics, weights renormalised over them."""
    used = {name: w for name, w in WEIGHTS.items() if name not in skipped}
    total = sum(used.values())
    value = sum(w * metric_value(name, scores[name]) for name, w in used.items()) / total
    return round(max(0.0, min(1.0, value)), 4)


def trust_status(scores: dict[str, Any], skipped: list[str]) -> tuple[str, list[str]]:
    """(vetted | unvetted, the applicable metrics below the 0.5 threshold)."""
    failing = [
        name
        for name in WEIGHTS
        if name not in skipped and gate_value(name, scores[name]) < THRESHOLD
    ]
    return (UNVETTED if failing else VETTED), failing
