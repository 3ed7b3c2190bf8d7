"""Artifacts: register from a source, read, update, delete, enumerate, look up by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from registry.artifacts.confusion import ModelFacts, find_suspects
from registry.artifacts.events import ArtifactListener
from registry.artifacts.schemas import (
    ARTIFACT_ID_RE,
    ArtifactCreateRequest,
    ArtifactIn,
    ArtifactQuery,
    ArtifactType,
)
from registry.audit.service import AuditService
from registry.auth.schemas import Principal
from registry.config import Settings
from registry.db.engine import Database
from registry.db.models import ArtifactRow
from registry.db.repositories import UnitOfWork
from registry.errors import (
    ConflictError,
    NotFoundError,
    OperationFailedError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RegistryError,
    ValidationError,
)
from registry.ids import new_artifact_id, utcnow
from registry.sources.base import SourceInfo

MAX_QUERIES = 100  # queries in one POST /artifacts body
NAME_RESULT_CAP = 1000  # artifacts one by-name lookup returns
CONFUSION_AUDIT_CAP = 5000  # newest models compared pairwise by the confusion audit


class SourceFetcher(Protocol):
    """What the service needs from the sources: one URL in, one SourceInfo out."""

    async def fetch(self, url: str) -> SourceInfo:
        """Read a source; raise SourceNotFoundError / SourceUnavailableError / ValidationError."""
        ...


@dataclass(slots=True)
class Draft:
    """A validated, fetched registration, ready to store (no database touched yet)."""

    artifact_type: ArtifactType
    name: str
    info: SourceInfo
    # Listeners' findings computed before the write (e.g. a rating), keyed by listener.
    annotations: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Change:
    """One prepared change of an atomic group: a create or upload carries its draft, an
    update its draft and envelope, a delete only the artifact's type and id."""

    op: Literal["create", "upload", "update", "delete"]
    artifact_type: ArtifactType
    draft: Draft | None = None
    artifact_id: str | None = None
    body: ArtifactIn | None = None


@dataclass(slots=True)
class Page:
    """One page of an enumeration and the offset of the next, if any."""

    items: list[tuple[int, str, str, str]]
    next_offset: int | None


def parse_type(value: str) -> ArtifactType:
    """Parse an artifact type from a path; 400 on anything else."""
    try:
        return ArtifactType(value)
    except ValueError:
        raise ValidationError(
            f"unknown artifact type '{value[:32]}': expected one of model, dataset, code"
        ) from None


def parse_id(value: str) -> str:
    """Validate an artifact id from a path; 400 on illegal characters."""
    if not ARTIFACT_ID_RE.match(value):
        raise ValidationError("artifact id must be 1-64 characters of letters, digits and '-'")
    return value


class ArtifactService:
    """Business rules for artifacts; transports call it, repositories store for it."""

    def __init__(
        self, settings: Settings, db: Database, sources: SourceFetcher, audit: AuditService
    ) -> None:
        self.settings = settings
        self.db = db
        self.sources = sources
        self.audit = audit
        self.listeners: list[ArtifactListener] = []

    def add_listener(self, listener: ArtifactListener) -> None:
        """Subscribe another domain to artifact lifecycle events."""
        self.listeners.append(listener)

    async def committed(self, row: ArtifactRow, created: bool) -> None:
        """Tell listeners a save is durable; `store` and `replace` call this after the commit."""
        for listener in self.listeners:
            await listener.committed(row, created)

    # -- the create and replace sequences: each owns its transactions (docs/architecture.md) --

    async def create(
        self,
        actor: Principal,
        artifact_type: ArtifactType,
        request: ArtifactCreateRequest,
        *,
        vet: Callable[[Draft], None] | None = None,
    ) -> ArtifactRow:
        """Register from a source URL: prepare (network, no database), let `vet` refuse the
        draft, then `store` it (the REST route, the register page, the gated ingest)."""
        draft = await self.prepare(artifact_type, request)
        if vet is not None:
            vet(draft)
        return await self.store(actor, draft)

    async def store(
        self,
        actor: Principal,
        draft: Draft,
        *,
        refused: Callable[[], Awaitable[None]] | None = None,
        stored: Callable[[], None] | None = None,
    ) -> ArtifactRow:
        """Register a prepared draft in one write transaction, commit it, then tell the
        committed listeners. `refused` runs when nothing was stored (then the error is
        raised), `stored` right after the commit (a zip upload releases its blobs)."""
        try:
            async with self.db.unit_of_work(write=True) as uow:
                row = await self.register(uow, actor, draft)
        except BaseException:
            if refused is not None:
                await refused()
            raise
        if stored is not None:
            stored()
        await self.committed(row, True)
        return row

    async def replace(
        self, actor: Principal, artifact_type: ArtifactType, artifact_id: str, body: ArtifactIn
    ) -> ArtifactRow:
        """Replace an artifact's source: 404/403 before any network call, prepare the new
        source, write it in one write transaction, commit, tell the committed listeners."""
        async with self.db.unit_of_work() as uow:
            await self.get_for_change(uow, actor, artifact_type, artifact_id)
        draft = await self.prepare_update(artifact_type, artifact_id, body)
        async with self.db.unit_of_work(write=True) as uow:
            row = await self.update(uow, actor, artifact_type, artifact_id, body, draft)
        await self.committed(row, False)
        return row

    async def store_all(
        self,
        actor: Principal,
        changes: Sequence[Change],
        *,
        guard: Callable[[UnitOfWork], Awaitable[None]] | None = None,
        done: Callable[[UnitOfWork, list[ArtifactRow | None]], Awaitable[None]] | None = None,
    ) -> list[ArtifactRow | None]:
        """Apply prepared changes in ONE write unit of work (all or none), commit, then tell
        the committed listeners of each saved row. `guard` runs first in that unit of work,
        `done` last; a change's error is raised as OperationFailedError naming its index."""
        rows: list[ArtifactRow | None] = []
        async with self.db.unit_of_work(write=True) as uow:
            if guard is not None:
                await guard(uow)
            for index, change in enumerate(changes):
                try:
                    rows.append(await self._apply(uow, actor, change))
                except RegistryError as exc:
                    raise OperationFailedError(index, change.op, exc) from exc
            if done is not None:
                await done(uow, rows)
        for change, row in zip(changes, rows, strict=True):
            if row is not None:
                await self.committed(row, change.op != "update")
        return rows

    async def _apply(self, uow: UnitOfWork, actor: Principal, change: Change) -> ArtifactRow | None:
        if change.op == "delete":
            assert change.artifact_id is not None
            await self.delete(uow, actor, change.artifact_type, change.artifact_id)
            return None
        assert change.draft is not None
        if change.op == "update":
            assert change.artifact_id is not None and change.body is not None
            return await self.update(
                uow, actor, change.artifact_type, change.artifact_id, change.body, change.draft
            )
        return await self.register(uow, actor, change.draft)

    async def prepare(self, artifact_type: ArtifactType, request: ArtifactCreateRequest) -> Draft:
        """Fetch the source (network, no database) and pick the name."""
        info = await self.sources.fetch(request.url)
        draft = Draft(artifact_type, request.name or info.default_name, info)
        for listener in self.listeners:
            await listener.before_save(draft)
        return draft

    async def prepare_from_info(
        self, artifact_type: ArtifactType, name: str, info: SourceInfo
    ) -> Draft:
        """Like prepare, for a source already read (a zip upload); listeners may still refuse."""
        draft = Draft(artifact_type, name, info)
        for listener in self.listeners:
            await listener.before_save(draft)
        return draft

    async def register(self, uow: UnitOfWork, actor: Principal, draft: Draft) -> ArtifactRow:
        """Store a prepared registration and audit it; 409 when its identity is taken."""
        info = draft.info
        # The friendly fast path; the unique index (migration 0009) is the guarantee under races.
        if await uow.artifacts.find_same(draft.artifact_type, draft.name, info.url) is not None:
            raise ConflictError(
                f"{draft.artifact_type} '{draft.name}' from {info.url} is registered already"
            )
        artifact_id = new_artifact_id()
        while await uow.artifacts.id_exists(artifact_id):  # pragma: no cover - 1 in 10^16
            artifact_id = new_artifact_id()
        now = utcnow()
        row = ArtifactRow(
            id=artifact_id,
            name=draft.name,
            type=draft.artifact_type.value,
            created_by=actor.name,
            created_by_id=actor.user_id,
            created_at=now,
            updated_at=now,
            url=info.url,
            source_kind=info.kind,
            source_ref=info.repo_id,
        )
        self._apply_source(row, info)
        await uow.artifacts.add(row)
        await self.audit.record(uow, actor, row, "CREATE")
        for listener in self.listeners:
            await listener.saved(uow, row, True)
            await listener.saved_with_draft(uow, row, draft, True)
        return row

    @staticmethod
    def _apply_source(row: ArtifactRow, info: SourceInfo) -> None:
        row.url = info.url
        row.source_kind = info.kind
        row.source_ref = info.repo_id
        row.commit_sha = info.commit_sha
        row.card_text = info.card_text
        row.card_data = info.card_data
        row.config = info.config
        row.files = [
            {"path": f.path, "size": f.size, "sha256": f.sha256, "blob_id": f.blob_id}
            for f in info.files
        ]
        row.license = info.license[:128] if info.license else None
        row.description = info.description
        row.default_branch = info.default_branch
        row.tags = list(info.tags)
        row.extra = dict(info.extra)
        row.size_bytes = sum(f.size for f in info.files)

    async def get(
        self, uow: UnitOfWork, artifact_type: ArtifactType, artifact_id: str
    ) -> ArtifactRow:
        """Return the artifact of this type and id, or 404."""
        row = await uow.artifacts.get(artifact_id)
        if row is None or row.type != artifact_type.value:
            raise no_such_artifact(artifact_type, artifact_id)
        return row

    async def get_for_change(
        self, uow: UnitOfWork, actor: Principal, artifact_type: ArtifactType, artifact_id: str
    ) -> ArtifactRow:
        """The artifact, if the actor may update or delete it (its creator or an admin); else
        404 (no such artifact) or 403."""
        row = await self.get(uow, artifact_type, artifact_id)
        if not await may_change(uow, actor, row):
            raise PermissionDeniedError(
                f"only the user who created {row.type} '{row.id}' or an admin may update or "
                "delete it"
            )
        return row

    async def prepare_update(
        self, artifact_type: ArtifactType, artifact_id: str, body: ArtifactIn
    ) -> Draft:
        """Check the envelope against the path, then fetch the new source (no database)."""
        if body.metadata.id != artifact_id:
            raise ValidationError("metadata.id must match the id in the path")
        if body.metadata.type != artifact_type:
            raise ValidationError("metadata.type must match the artifact type in the path")
        info = await self.sources.fetch(body.data.url)
        draft = Draft(artifact_type, body.metadata.name, info)
        for listener in self.listeners:
            await listener.before_save(draft)
        return draft

    async def update(
        self,
        uow: UnitOfWork,
        actor: Principal,
        artifact_type: ArtifactType,
        artifact_id: str,
        body: ArtifactIn,
        draft: Draft,
    ) -> ArtifactRow:
        """Replace the artifact's source contents (its creator or an admin); the name and id
        must match the stored ones, and the new source must not be another artifact's."""
        row = await self.get_for_change(uow, actor, artifact_type, artifact_id)
        if body.metadata.name != row.name:
            raise ValidationError(f"metadata.name must match the artifact's name '{row.name}'")
        self._apply_source(row, draft.info)
        row.updated_at = utcnow()
        await uow.artifacts.save(row)
        await self.audit.record(uow, actor, row, "UPDATE")
        for listener in self.listeners:
            await listener.saved(uow, row, False)
            await listener.saved_with_draft(uow, row, draft, False)
        return row

    async def delete(
        self, uow: UnitOfWork, actor: Principal, artifact_type: ArtifactType, artifact_id: str
    ) -> None:
        """Delete the artifact (its creator or an admin; else 403, or 404) and audit it; its
        audit entries stay, readable through AuditService.history."""
        row = await self.get_for_change(uow, actor, artifact_type, artifact_id)
        await self.audit.record(uow, actor, row, "DELETE")
        for listener in self.listeners:
            await listener.deleted(uow, row)
        await uow.artifacts.delete(row.id)

    async def enumerate(
        self, uow: UnitOfWork, queries: Sequence[ArtifactQuery], offset: int, limit: int | None
    ) -> Page:
        """Artifacts matching any query, in registration order, one page at a time."""
        if not queries:
            raise ValidationError("provide at least one artifact query")
        if len(queries) > MAX_QUERIES:
            raise PayloadTooLargeError(f"at most {MAX_QUERIES} queries per request")
        page_size = self.settings.page_size if limit is None else limit
        if page_size < 1:
            raise ValidationError("limit must be at least 1")
        if page_size > self.settings.page_size_cap:
            raise PayloadTooLargeError(
                f"a page holds at most {self.settings.page_size_cap} artifacts; ask for fewer"
            )
        if offset < 0:
            raise ValidationError("offset must be a non-negative integer")
        conditions = [
            (None if q.name == "*" else [q.name], [t.value for t in q.types] if q.types else None)
            for q in queries
        ]
        items = await uow.artifacts.page_any(conditions, offset, page_size + 1)
        more = len(items) > page_size
        return Page(items[:page_size], offset + page_size if more else None)

    async def by_name(self, uow: UnitOfWork, name: str) -> list[tuple[int, str, str, str]]:
        """Every artifact with exactly this name (case-sensitive), or 404."""
        if name == "*":
            raise ValidationError('the name "*" is reserved for enumeration; use POST /artifacts')
        if not name or len(name) > self.settings.name_max_length:
            raise ValidationError(f"name must be 1-{self.settings.name_max_length} characters")
        rows = await uow.artifacts.by_name(name, NAME_RESULT_CAP)
        if not rows:
            raise NotFoundError(f"no artifact is named '{name}'")
        return rows

    async def confusion_audit(self, uow: UnitOfWork) -> list[dict[str, Any]]:
        """Models that look like typosquats or namespace confusions of established models."""
        rows = await uow.artifacts.models_for_audit(CONFUSION_AUDIT_CAP)
        facts = [
            ModelFacts(
                id=artifact_id,
                name=name,
                url=url,
                owner=ref.split("/", 1)[0] if "/" in ref else ref,
                downloads=int(extra.get("downloads") or 0),
                created_at=created_at,
            )
            for artifact_id, name, url, ref, extra, created_at in rows
        ]
        return [suspect.to_dict() for suspect in find_suspects(facts)]

    async def reset(self, uow: UnitOfWork) -> None:
        """Forget every artifact and audit entry."""
        for listener in self.listeners:
            await listener.reset(uow)
        await uow.artifacts.delete_all()
        await uow.audit.delete_all()


async def may_change(uow: UnitOfWork, actor: Principal, row: ArtifactRow) -> bool:
    """Whether the actor may update or delete the artifact: admins, and its creator.

    The creator is matched by account id and name, and the account must be older than the
    artifact: an account created later under a deleted user's name (which SQLite may even give
    the same id) does not inherit their artifacts."""
    if actor.is_admin:
        return True
    if row.created_by_id != actor.user_id or row.created_by != actor.name:
        return False
    account = await uow.users.get_by_name(actor.name)
    return account is not None and account.created_at <= row.created_at


def no_such_artifact(artifact_type: ArtifactType, artifact_id: str) -> NotFoundError:
    """The 404 for an id that names no artifact of this type."""
    return NotFoundError(f"{artifact_type.value} artifact '{artifact_id}' does not exist")
