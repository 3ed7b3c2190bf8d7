"""reviewedness: the share of the linked repository's code lines that arrived through pull
requests with at least one approving review (-1 when no repository is linked)."""

from __future__ import annotations

from registry.rating.facts import Facts, ReviewSample

NAME = "reviewedness"
NOT_APPLICABLE = -1.0


def score(sample: ReviewSample | None) -> float:
    """approved added code lines / all added code lines over the sampled merged pulls;
    0 when no merged pull added code (everything was pushed unreviewed); -1 without a repo."""
    if sample is None:
        return NOT_APPLICABLE
    if sample.total_lines <= 0:
        return 0.0
    return round(sample.approved_lines / sample.total_lines, 4)


async def measure(facts: Facts) -> float:
    """reviewedness of the facts' model."""
    return score(await facts.review())
