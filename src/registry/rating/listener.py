"""Rates models as they are registered or updated, and forgets ratings of deleted models."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from registry.artifacts.events import ArtifactListener
from registry.artifacts.schemas import ArtifactType
from registry.errors import RatingDisqualifiedError, RegistryError
from registry.rating import trust
from registry.rating.engine import Computed

if TYPE_CHECKING:
    from registry.artifacts.service import Draft
    from registry.db.models import ArtifactRow
    from registry.db.repositories import UnitOfWork
    from registry.rating.service import RatingService

log = logging.getLogger("registry.rating")
RATING, RATING_ERROR = "rating", "rating_error"


def gate(computed: Computed) -> None:
    """Raise RatingDisqualifiedError (424) naming the failing metrics unless the model is vetted.

    At admission the model has no registered parents and its code has not run yet, so
    tree_score and reproducibility are not applicable here (see docs/metrics.md).
    """
    skipped = trust.not_applicable(computed.scores, has_parents=False, repro_pending=True)
    status, failing = trust.trust_status({**computed.scores, "tree_score": 0.0}, skipped)
    if status != trust.VETTED:
        raise RatingDisqualifiedError(
            f"model '{computed.name}' is not vetted: {', '.join(failing)} below {trust.THRESHOLD}",
            details={
                "failing_metrics": failing,
                "scores": {name: computed.scores[name] for name in computed.scores},
                "threshold": trust.THRESHOLD,
            },
        )


class RatingListener(ArtifactListener):
    """Computes the rating before a model is saved and stores it in the same transaction."""

    def __init__(self, service: RatingService) -> None:
        self.service = service

    async def before_save(self, draft: Draft) -> None:
        """Compute the rating (network, no DB); refuse the model if the create gate is on."""
        if draft.artifact_type != ArtifactType.model:
            return
        try:
            computed = await self.service.compute(draft.name, draft.info)
        except RegistryError as exc:
            if self.service.settings.ingest_gate_on_create:
                raise
            # Stored unrated; /rate computes on demand and reports the failure if it persists.
            log.warning("rating of %s deferred: %s", draft.name, exc.message)
            draft.annotations[RATING_ERROR] = exc
            return
        draft.annotations[RATING] = computed
        if self.service.settings.ingest_gate_on_create:
            gate(computed)

    async def saved_with_draft(
        self, uow: UnitOfWork, row: ArtifactRow, draft: Draft, created: bool
    ) -> None:
        """Store the computed rating with the model (replacing the old one on update)."""
        computed = draft.annotations.get(RATING)
        if isinstance(computed, Computed):
            await self.service.store(uow, row, computed)
        elif row.type == ArtifactType.model.value:
            await self.service.forget(uow, row.id)  # a stale rating must not outlive an update

    async def committed(self, row: ArtifactRow, created: bool) -> None:
        """Start the reproducibility run enqueued with the rating."""
        if row.type == ArtifactType.model.value:
            self.service.jobs.wake()

    async def deleted(self, uow: UnitOfWork, row: ArtifactRow) -> None:
        """Forget the model's rating."""
        await self.service.forget(uow, row.id)

    async def reset(self, uow: UnitOfWork) -> None:
        """Forget every rating."""
        await self.service.forget(uow, None)
