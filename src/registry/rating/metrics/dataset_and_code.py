"""dataset_and_code_score: whether training data and code are named and actually available."""

from __future__ import annotations

from registry.rating.facts import Facts

NAME = "dataset_and_code_score"


def score(datasets_named: int, datasets_found: int, repo_linked: bool, repo_found: bool) -> float:
    """0.25 each: datasets named, a named dataset exists, code linked, the code repo exists."""
    parts = (datasets_named > 0, datasets_found > 0, repo_linked, repo_found)
    return round(0.25 * sum(parts), 4)


async def measure(facts: Facts) -> float:
    """dataset_and_code_score of the facts' model."""
    datasets = await facts.datasets()
    repo = await facts.repo()
    found = sum(1 for d in datasets if d.found)
    return score(len(facts.dataset_refs), found, facts.repo_id is not None, repo is not None)
