"""dataset_quality: how well documented, licensed and used the linked datasets are."""

from __future__ import annotations

from registry.rating.facts import DatasetFacts, Facts
from registry.rating.metrics.common import clamp, log_scale, words

NAME = "dataset_quality"
STRUCTURED_KEYS = ("task_categories", "size_categories", "language", "source_datasets", "configs")


def one(dataset: DatasetFacts) -> float:
    """0.3 card length (300 words = full) + 0.2 license + 0.2 downloads (100k = full)
    + 0.15 structured card metadata + 0.15 data files present."""
    if not dataset.found:
        return 0.0
    card = clamp(words(dataset.card_text) / 300)
    structured = any(dataset.card_data.get(k) for k in STRUCTURED_KEYS)
    total = (
        0.3 * card
        + 0.2 * bool(dataset.license)
        + 0.2 * log_scale(dataset.downloads, 1e5)
        + 0.15 * structured
        + 0.15 * (dataset.file_count > 0)
    )
    return clamp(total)


def score(datasets: list[DatasetFacts]) -> float:
    """The mean quality of the linked datasets that exist (dataset_and_code_score already
    counts missing ones); 0 when none is linked or found."""
    found = [d for d in datasets if d.found]
    if not found:
        return 0.0
    return round(sum(one(d) for d in found) / len(found), 4)


async def measure(facts: Facts) -> float:
    """dataset_quality of the facts' model."""
    return score(await facts.datasets())
