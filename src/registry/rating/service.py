"""RatingService: store ratings, answer /rate, run reproducibility jobs, keep trust current.

Network work (facts, metrics, the sandbox) always happens outside write transactions; the
services never commit (the caller's unit of work does).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from registry.artifacts.schemas import ArtifactType
from registry.audit.service import AuditService
from registry.auth.schemas import Principal
from registry.config import Settings
from registry.db.engine import Database
from registry.db.models import ArtifactRow
from registry.db.models.rating import RatingRow
from registry.db.repositories import UnitOfWork
from registry.db.repositories.rating import RatingRepository
from registry.errors import NotFoundError
from registry.ids import utcnow
from registry.jobs.service import JobContext, JobService
from registry.rating import reproducibility, trust
from registry.rating.engine import Computed, RatingEngine
from registry.rating.metrics import tree
from registry.rating.sandbox import Sandbox, SandboxLimits
from registry.sources.base import SourceFile, SourceInfo, Sources

log = logging.getLogger("registry.rating")
JOB_KIND = "reproducibility"


class ParentLookup(Protocol):
    """The one thing rating needs from lineage: a model's registered parents."""

    async def registered_parent_ids(self, uow: UnitOfWork, artifact_id: str) -> list[str]:
        """Ids of the registered artifacts this model derives from."""
        ...

    async def registered_descendant_ids(self, uow: UnitOfWork, artifact_id: str) -> list[str]:
        """Ids of the registered artifacts below this model, nearest first."""
        ...


class NoParents:
    """The ParentLookup used until lineage is wired: every model is a root."""

    async def registered_parent_ids(self, uow: UnitOfWork, artifact_id: str) -> list[str]:
        """No parents."""
        return []

    async def registered_descendant_ids(self, uow: UnitOfWork, artifact_id: str) -> list[str]:
        """No descendants."""
        return []


def info_of(row: ArtifactRow) -> SourceInfo:
    """Rebuild the SourceInfo a stored artifact was registered from (rating on demand)."""
    return SourceInfo(
        kind=row.source_kind,  # type: ignore[arg-type]
        url=row.url,
        repo_id=row.source_ref,
        default_name=row.name,
        commit_sha=row.commit_sha,
        card_text=row.card_text,
        card_data=dict(row.card_data or {}),
        config=row.config,
        files=[SourceFile(str(f.get("path")), int(f.get("size") or 0)) for f in row.files],
        license=row.license,
        description=row.description,
        default_branch=row.default_branch,
        tags=list(row.tags or []),
        extra=dict(row.extra or {}),
    )


class RatingService:
    """Ratings of models: compute, store, read, refresh, and the reproducibility job."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        sources: Sources,
        audit: AuditService,
        jobs: JobService,
        parents: ParentLookup | None = None,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.sources = sources
        self.audit = audit
        self.jobs = jobs
        self.parents: ParentLookup = parents or NoParents()
        self.sandbox = sandbox or Sandbox(
            limits=SandboxLimits(
                memory_bytes=settings.rating_sandbox_memory_mb * 1024 * 1024,
                wall_seconds=settings.rating_sandbox_seconds,
                cpu_seconds=max(1, int(settings.rating_sandbox_seconds)),
            )
        )
        self.engine = RatingEngine(sources, self._registered_datasets)
        self._inflight: dict[str, asyncio.Future[Computed]] = {}
        jobs.register(JOB_KIND, self._reproducibility_job, max_attempts=2, timeout_seconds=600)

    def set_parent_lookup(self, parents: ParentLookup) -> None:
        """Wire the lineage service (called by the app once lineage exists)."""
        self.parents = parents

    async def _registered_datasets(self, refs: list[str]) -> dict[str, ArtifactRow]:
        async with self.db.unit_of_work() as uow:
            rows = await RatingRepository(uow.session).datasets_by_ref(refs)
        return {row.source_ref: row for row in rows}

    async def compute(self, name: str, info: SourceInfo) -> Computed:
        """Rate a model from its source facts (network; no database writes)."""
        return await self.engine.compute(name, info)

    async def _parent_scores(self, uow: UnitOfWork, artifact_id: str) -> list[float] | None:
        parent_ids = await self.parents.registered_parent_ids(uow, artifact_id)
        scores = await RatingRepository(uow.session).net_scores(parent_ids)
        return [scores[p] for p in parent_ids if p in scores] or None

    @staticmethod
    def settle(row: RatingRow, parent_scores: list[float] | None) -> None:
        """Recompute tree score, net score and trust status of a stored rating in place."""
        rating = dict(row.rating)
        started = time.perf_counter()
        rating["tree_score"] = tree.score(parent_scores)
        scores = {name: rating[name] for name in trust.WEIGHTS}
        skipped = trust.not_applicable(
            scores,
            has_parents=bool(parent_scores),
            repro_pending=row.reproducibility_case == reproducibility.PENDING,
        )
        rating["net_score"] = trust.net_score(scores, skipped)
        row.status, row.failing = trust.trust_status(scores, skipped)
        rating["net_score_latency"] = round(time.perf_counter() - started, 6)
        row.not_applicable = skipped
        row.net_score = rating["net_score"]
        row.rating = rating
        row.updated_at = utcnow()

    async def store(self, uow: UnitOfWork, artifact: ArtifactRow, computed: Computed) -> RatingRow:
        """Write a fresh rating (reproducibility pending) and enqueue its sandbox run."""
        now = utcnow()
        rating: dict[str, Any] = {"name": artifact.name, "category": computed.category}
        for metric, value in computed.scores.items():
            rating[metric] = value
            rating[f"{metric}_latency"] = computed.latencies[metric]
        rating["reproducibility"] = 0.0
        rating["reproducibility_latency"] = 0.0
        row = RatingRow(
            artifact_id=artifact.id,
            rating=rating,
            status=trust.UNVETTED,
            reproducibility_case=reproducibility.PENDING,
            reproducibility_detail={"repo_ids": computed.repo_ids},
            rated_at=now,
            updated_at=now,
        )
        await RatingRepository(uow.session).serialize_settling()
        self.settle(row, await self._parent_scores(uow, artifact.id))
        await RatingRepository(uow.session).save(row)
        # Descendants' tree_score (and so their net score and trust) depend on this rating.
        await self.parent_rating_changed(
            uow, await self.parents.registered_descendant_ids(uow, artifact.id)
        )
        if self.settings.rating_reproducibility:
            payload = {"rated_at": now.isoformat()}
            await self.jobs.enqueue(uow, JOB_KIND, artifact_id=artifact.id, payload=payload)
        return row

    async def stored(self, uow: UnitOfWork, artifact_id: str) -> RatingRow | None:
        """The stored rating of a model, if any."""
        return await RatingRepository(uow.session).get(artifact_id)

    async def _compute_once(self, artifact: ArtifactRow) -> Computed:
        """Single-flight per model: concurrent on-demand requests share one computation."""
        future = self._inflight.get(artifact.id)
        if future is None:
            future = asyncio.ensure_future(self.compute(artifact.name, info_of(artifact)))
            self._inflight[artifact.id] = future
            future.add_done_callback(lambda _f: self._inflight.pop(artifact.id, None))
        return await asyncio.shield(future)

    async def rate(self, principal: Principal, artifact_id: str) -> dict[str, Any]:
        """The /rate answer: the stored rating, computed on demand if missing; audited."""
        async with self.db.unit_of_work() as uow:
            artifact = await self._model(uow, artifact_id)
            row = await self.stored(uow, artifact_id)
        computed = await self._compute_once(artifact) if row is None else None
        async with self.db.unit_of_work(write=True) as uow:
            artifact = await self._model(uow, artifact_id)
            if computed is not None:
                row = await self.stored(uow, artifact_id) or await self.store(
                    uow, artifact, computed
                )
            await self.audit.record(uow, principal, artifact, "RATE")
        if computed is not None:
            self.jobs.wake()
        assert row is not None
        return dict(row.rating)

    async def refresh(self, artifact_id: str) -> RatingRow:
        """Recompute a model's rating from its stored source facts (the explicit refresh)."""
        async with self.db.unit_of_work() as uow:
            artifact = await self._model(uow, artifact_id)
        computed = await self.compute(artifact.name, info_of(artifact))
        async with self.db.unit_of_work(write=True) as uow:
            artifact = await self._model(uow, artifact_id)
            row = await self.store(uow, artifact, computed)
        self.jobs.wake()
        return row

    async def report(self, artifact_id: str) -> tuple[ArtifactRow, RatingRow]:
        """The model and its stored rating; 404 when either is missing."""
        async with self.db.unit_of_work() as uow:
            artifact = await self._model(uow, artifact_id)
            row = await self.stored(uow, artifact_id)
        if row is None:
            raise NotFoundError(f"model '{artifact_id}' has no rating yet; GET its /rate first")
        return artifact, row

    async def by_status(
        self, status: str, offset: int, limit: int
    ) -> list[tuple[int, str, str, str]]:
        """Models with this trust status, in registration order."""
        async with self.db.unit_of_work() as uow:
            return await RatingRepository(uow.session).by_status(status, offset, limit)

    @staticmethod
    async def _model(uow: UnitOfWork, artifact_id: str) -> ArtifactRow:
        artifact = await uow.artifacts.get(artifact_id)
        if artifact is None or artifact.type != ArtifactType.model.value:
            raise NotFoundError(f"model artifact '{artifact_id}' does not exist")
        return artifact

    async def parent_rating_changed(self, uow: UnitOfWork, child_ids: Sequence[str]) -> None:
        """Re-settle the children of a re-rated model (lineage calls this in its transaction)."""
        repo = RatingRepository(uow.session)
        await repo.serialize_settling()
        for child_id in child_ids:
            row = await repo.get(child_id)
            if row is not None:
                self.settle(row, await self._parent_scores(uow, child_id))
                await repo.save(row)

    async def forget(self, uow: UnitOfWork, artifact_id: str | None) -> None:
        """Delete one model's rating, or every rating when artifact_id is None."""
        repo = RatingRepository(uow.session)
        # Settling writes several rating rows in one transaction; deleting rows under the same
        # lock keeps a reset from deadlocking with it (seen on PostgreSQL: reset vs a re-settle).
        await repo.serialize_settling()
        await (repo.delete_all() if artifact_id is None else repo.delete(artifact_id))

    async def _provide_files(self, artifact: ArtifactRow, dest: Path) -> None:
        if artifact.source_kind != "hf_model" or not artifact.commit_sha:
            return
        files = reproducibility.pick_files(list(artifact.files))
        await self.sources.huggingface.download(
            artifact.source_ref, artifact.commit_sha, files, dest
        )

    async def _reproducibility_job(self, job: JobContext) -> dict[str, Any]:
        """Run the card's code in the sandbox and fold the outcome into the stored rating."""
        assert job.artifact_id is not None
        async with self.db.unit_of_work() as uow:
            artifact = await uow.artifacts.get(job.artifact_id)
            row = await self.stored(uow, job.artifact_id)
        if (
            artifact is None
            or row is None
            or row.rated_at.isoformat() != job.payload.get("rated_at")
        ):
            return {"skipped": "the rating this run was for has been replaced or deleted"}
        repo_ids = list(row.reproducibility_detail.get("repo_ids") or [artifact.source_ref])
        outcome = await reproducibility.evaluate(
            self.sandbox,
            artifact.card_text,
            repo_ids,
            lambda dest: self._provide_files(artifact, dest),
        )
        async with self.db.unit_of_work(write=True) as uow:
            repo = RatingRepository(uow.session)
            await repo.serialize_settling()
            row = await repo.get(job.artifact_id)
            if row is None or row.rated_at.isoformat() != job.payload.get("rated_at"):
                return {"skipped": "the rating changed while the code ran"}
            row.rating = {
                **row.rating,
                "reproducibility": outcome.score,
                "reproducibility_latency": outcome.seconds,
            }
            row.reproducibility_case = outcome.case
            row.reproducibility_detail = {"repo_ids": repo_ids, **outcome.as_dict()}
            self.settle(row, await self._parent_scores(uow, job.artifact_id))
            await repo.save(row)
            # The new net score feeds the descendants' tree_score, as in store().
            await self.parent_rating_changed(
                uow, await self.parents.registered_descendant_ids(uow, job.artifact_id)
            )
        return {"case": outcome.case, "score": outcome.score, "reason": outcome.reason}
