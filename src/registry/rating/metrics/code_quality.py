"""code_quality: how maintainable the linked code repository looks."""

from __future__ import annotations

from registry.rating.facts import CodeStats, Facts
from registry.rating.metrics.common import clamp, log_scale, words

NAME = "code_quality"
ARCHIVED_PENALTY = 0.5  # an archived repository receives no fixes any more


def score(
    readme: str, license_id: str | None, stars: int | None, archived: bool, stats: CodeStats
) -> float:
    """0.2 README (300 words = full) + 0.1 license + 0.15 dependency manifest + 0.15 tests
    + 0.15 comment/docstring density (20% of lines = full) + 0.1 CI + 0.15 stars (1000 = full);
    halved for an archived repository."""
    lines = stats.code_lines + stats.comment_lines
    density = clamp((stats.comment_lines / lines) / 0.2) if lines else 0.0
    total = (
        0.2 * clamp(words(readme) / 300)
        + 0.1 * bool(license_id or stats.has_license)
        + 0.15 * stats.has_manifest
        + 0.15 * stats.has_tests
        + 0.15 * density
        + 0.1 * stats.has_ci
        + 0.15 * log_scale(stars, 1000)
    )
    if archived:
        total *= ARCHIVED_PENALTY
    return round(clamp(total), 4)


async def measure(facts: Facts) -> float:
    """code_quality of the facts' model: 0 without a linked repository."""
    repo = await facts.repo()
    stats = await facts.code()
    if repo is None or stats is None:
        return 0.0
    extra = repo.info.extra
    return score(
        repo.info.card_text,
        repo.info.license,
        extra.get("stars"),
        bool(extra.get("archived")),
        stats,
    )
