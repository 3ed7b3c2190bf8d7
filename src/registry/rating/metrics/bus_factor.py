"""bus_factor: how many people keep the model's upstream project alive."""

from __future__ import annotations

from registry.rating.facts import Facts
from registry.rating.metrics.common import clamp, log_scale

NAME = "bus_factor"
NO_REPO_CAP = 0.8  # community signals alone never prove that more than one person maintains it


def score(contributions: list[int] | None, downloads: int | None, likes: int | None) -> float:
    """With a linked repo: 0.4 contributor count (5 = full) + 0.2 spread (1 - top share, x2)
    + 0.4 community (downloads, likes); without: community only, capped at 0.8."""
    community = 0.6 * log_scale(downloads, 1e6) + 0.4 * log_scale(likes, 1000)
    if contributions is None:
        return round(NO_REPO_CAP * community, 4)
    people = [c for c in contributions if c > 0]
    total = sum(people)
    diversity = clamp(len(people) / 5)
    spread = clamp(2 * (1 - max(people) / total)) if total else 0.0
    return round(clamp(0.4 * diversity + 0.2 * spread + 0.4 * community), 4)


async def measure(facts: Facts) -> float:
    """bus_factor of the facts' model."""
    repo = await facts.repo()
    contributions = None if repo is None else [int(c["contributions"]) for c in repo.contributors]
    extra = facts.info.extra
    return score(contributions, extra.get("downloads"), extra.get("likes"))
