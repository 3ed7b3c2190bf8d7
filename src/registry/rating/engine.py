"""Compute a rating: gather facts once, run every metric concurrently, time each one."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from registry.errors import MetricFailedError, SourceNotFoundError, ValidationError
from registry.rating import github_facts
from registry.rating.facts import DatasetFacts, Facts
from registry.rating.metrics import MEASURES
from registry.sources.base import SourceInfo, Sources

log = logging.getLogger("registry.rating")


@dataclass(slots=True)
class Computed:
    """A freshly computed rating, before tree score, net score and trust are settled."""

    name: str
    category: str
    scores: dict[str, Any]  # every MEASURES key
    latencies: dict[str, float]  # seconds per MEASURES key
    repo_ids: list[str]  # ids the card's code may use for the model (repair: local files)


def category_of(info: SourceInfo) -> str:
    """The model's task: the hub's pipeline tag, else the card's, else MODEL."""
    for value in (info.extra.get("pipeline_tag"), info.card_data.get("pipeline_tag")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return "MODEL"


class RatingEngine:
    """Builds Facts over the sources and runs the metrics."""

    def __init__(self, sources: Sources, datasets_registered: Any) -> None:
        self.sources = sources
        # async (refs) -> {ref: ArtifactRow}: datasets the registry holds already (no network)
        self.datasets_registered = datasets_registered

    async def _datasets(self, refs: list[str]) -> list[DatasetFacts]:
        registered = await self.datasets_registered(refs)

        async def one(ref: str) -> DatasetFacts:
            row = registered.get(ref)
            if row is not None:
                extra = row.extra or {}
                return DatasetFacts(
                    ref,
                    True,
                    True,
                    row.card_text,
                    row.card_data or {},
                    row.license,
                    int(extra.get("downloads") or 0),
                    int(extra.get("likes") or 0),
                    len(row.files),
                )
            url = f"{self.sources.huggingface.endpoint}/datasets/{ref}"
            try:
                info = await self.sources.huggingface.fetch(ref, "hf_dataset", url)
            except (SourceNotFoundError, ValidationError):
                return DatasetFacts(ref, found=False)
            return DatasetFacts(
                ref,
                True,
                False,
                info.card_text,
                info.card_data,
                info.license,
                int(info.extra.get("downloads") or 0),
                int(info.extra.get("likes") or 0),
                len(info.files),
            )

        return list(await asyncio.gather(*(one(ref) for ref in refs)))

    def facts(self, name: str, info: SourceInfo, parent_scores: list[float] | None) -> Facts:
        """Facts for one rating, wired to the GitHub source and the dataset lookup."""
        github = self.sources.github  # read per rating: the adapter may be swapped (tests)
        return Facts(
            name,
            info,
            repo=lambda repo_id: github_facts.load_repo(github, repo_id),
            review=lambda repo: github_facts.load_review_sample(github, repo),
            code=lambda repo: github_facts.load_code_stats(github, repo),
            datasets=self._datasets,
            parent_scores=parent_scores,
        )

    async def compute(
        self, name: str, info: SourceInfo, parent_scores: list[float] | None = None
    ) -> Computed:
        """Every metric, concurrently; MetricFailedError naming each metric that failed."""
        facts = self.facts(name, info, parent_scores)

        async def timed(metric: str) -> tuple[Any, float]:
            started = time.perf_counter()
            value = await MEASURES[metric](facts)
            return value, round(time.perf_counter() - started, 4)

        names = list(MEASURES)
        try:
            outcomes = await asyncio.gather(*(timed(n) for n in names), return_exceptions=True)
        finally:
            facts.cancel()
        failures = {
            n: o for n, o in zip(names, outcomes, strict=True) if isinstance(o, BaseException)
        }
        if failures:
            for metric, exc in failures.items():
                log.warning("metric %s failed for %s: %r", metric, name, exc)
            reasons = {
                metric: getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"[:300]
                for metric, exc in failures.items()
            }
            raise MetricFailedError(
                f"could not compute {', '.join(failures)} for model '{name}': "
                + "; ".join(f"{m}: {r}" for m, r in reasons.items()),
                details={"failed_metrics": sorted(failures), "reasons": reasons},
            )
        scores: dict[str, Any] = {}
        latencies: dict[str, float] = {}
        for metric, outcome in zip(names, outcomes, strict=True):
            assert not isinstance(outcome, BaseException)
            scores[metric], latencies[metric] = outcome
        repo_ids = [info.repo_id, info.extra.get("requested_repo_id") or "", name]
        return Computed(name, category_of(info), scores, latencies, [r for r in repo_ids if r])
