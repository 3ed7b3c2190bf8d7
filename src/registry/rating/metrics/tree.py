"""tree_score: the mean net score of the model's registered, rated parents in the lineage."""

from __future__ import annotations

from registry.rating.facts import Facts

NAME = "tree_score"


def score(parent_scores: list[float] | None) -> float:
    """The mean parent net score; 0 (and not applicable) when no registered parent is rated."""
    if not parent_scores:
        return 0.0
    return round(sum(parent_scores) / len(parent_scores), 4)


async def measure(facts: Facts) -> float:
    """tree_score of the facts' model."""
    return score(facts.parent_scores)
