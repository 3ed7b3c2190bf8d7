"""TransactionService: atomic groups of changes, applied all or none.

A group is opened, filled with operations (create, upload, update, delete), then executed:
every source is fetched and every upload was staged (its blobs stored, its SourceInfo kept
with the operation) before one write unit of work applies them all
(`ArtifactService.store_all`), so readers see the group wholly or not at all. A failure
anywhere leaves the registry as it was and removes the blobs the group's uploads created.

Like `ArtifactService.create`, `execute` owns its units of work (docs/architecture.md):
network work falls between a read and the write, where no transaction may be held.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from registry.artifacts.events import ArtifactListener
from registry.artifacts.schemas import ArtifactCreateRequest, ArtifactIn, ArtifactType
from registry.artifacts.service import ArtifactService, Change
from registry.auth.schemas import Principal
from registry.config import Settings
from registry.db.engine import Database
from registry.db.models import ArtifactRow
from registry.db.models.transactions import TransactionOperationRow, TransactionRow
from registry.db.repositories import UnitOfWork
from registry.db.repositories.transactions import LIVE_STATES, TransactionRepository
from registry.errors import (
    ConflictError,
    NotFoundError,
    OperationFailedError,
    PayloadTooLargeError,
    RegistryError,
    ValidationError,
)
from registry.ids import new_transaction_id, utcnow
from registry.packages.service import PackageService
from registry.packages.upload import discard_blobs
from registry.transactions.schemas import Operation, info_of, staged_of

SWEEP_BATCH = 20  # expired groups abandoned per new group

log = logging.getLogger("registry.transactions")


@dataclass(slots=True)
class TransactionState:
    """A transaction and its operations, as read in one unit of work."""

    row: TransactionRow
    operations: list[TransactionOperationRow]


def _repo(uow: UnitOfWork) -> TransactionRepository:
    return TransactionRepository(uow.session)


def _not_found(transaction_id: str) -> NotFoundError:
    return NotFoundError(f"transaction '{transaction_id[:64]}' does not exist")


class TransactionService:
    """Business rules for atomic groups of changes."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        artifacts: ArtifactService,
        packages: PackageService,
    ) -> None:
        self.settings = settings
        self.db = db
        self.artifacts = artifacts
        self.packages = packages

    # -- reading and the group's life -------------------------------------------------------

    def _owned(self, actor: Principal, row: TransactionRow | None, tid: str) -> TransactionRow:
        """The group if the actor created it; anyone else's is not shown to exist."""
        if row is None or row.owner_id != actor.user_id or row.owner_name != actor.name:
            raise _not_found(tid)
        return row

    @staticmethod
    def _require_open(row: TransactionRow) -> None:
        if row.state != "open":
            raise ConflictError(
                f"transaction '{row.id}' is {row.state}; only an open transaction can change",
                details={"state": row.state},
            )

    async def begin(self, actor: Principal) -> TransactionState:
        """Open a new group owned by the actor (abandoning a few expired ones first)."""
        await self.sweep()
        now = utcnow()
        row = TransactionRow(
            id=new_transaction_id(),
            owner_id=actor.user_id,
            owner_name=actor.name,
            state="open",
            created_at=now,
            updated_at=now,
            expires_at=now + timedelta(seconds=self.settings.transaction_ttl_seconds),
        )
        async with self.db.unit_of_work(write=True) as uow:
            await _repo(uow).add(row)
        return TransactionState(row, [])

    async def view(self, actor: Principal, transaction_id: str) -> TransactionState:
        """The group and its operations (an expired open group shows as abandoned)."""
        async with self.db.unit_of_work() as uow:
            row = self._owned(actor, await _repo(uow).get(transaction_id), transaction_id)
            expired = row.state in LIVE_STATES and row.expires_at < utcnow()
        if expired:
            await self._close(transaction_id, expired_only=True)
        async with self.db.unit_of_work() as uow:
            row = self._owned(actor, await _repo(uow).get(transaction_id), transaction_id)
            return TransactionState(row, list(await _repo(uow).operations(transaction_id)))

    async def abandon(self, actor: Principal, transaction_id: str) -> TransactionState:
        """Abandon an open group: its operations are dropped, its staged uploads removed."""
        state = await self.view(actor, transaction_id)
        self._require_open(state.row)
        await self._close(transaction_id, expired_only=False)
        return await self.view(actor, transaction_id)

    async def sweep(self) -> int:
        """Abandon groups left unexecuted past their expiry; return how many."""
        async with self.db.unit_of_work() as uow:
            due = await _repo(uow).expired(utcnow(), SWEEP_BATCH)
        closed = 0
        for transaction_id in due:
            closed += await self._close(transaction_id, expired_only=True)
        return closed

    async def _close(self, transaction_id: str, *, expired_only: bool) -> bool:
        """Mark a live group abandoned (an expired one only, or an open one), then remove
        the blobs its uploads staged."""
        async with self.db.unit_of_work(write=True) as uow:
            row = await _repo(uow).get(transaction_id, lock=True)
            if row is None or row.state not in LIVE_STATES:
                return False
            if expired_only and row.expires_at >= utcnow():
                return False
            if not expired_only:
                self._require_open(row)
            row.state = "abandoned"
            row.updated_at = utcnow()
            await _repo(uow).save(row)
            operations = list(await _repo(uow).operations(transaction_id))
        await self._discard(operations)
        return True

    # -- appending --------------------------------------------------------------------------

    async def _writable(self, uow: UnitOfWork, actor: Principal, tid: str) -> TransactionRow:
        """The actor's open, unexpired group with room for one more operation."""
        row = self._owned(actor, await _repo(uow).get(tid, lock=True), tid)
        if row.state == "open" and row.expires_at < utcnow():
            raise ConflictError(f"transaction '{tid}' expired; open a new one")
        self._require_open(row)
        cap = self.settings.transaction_max_operations
        if await _repo(uow).count_operations(tid) >= cap:
            raise PayloadTooLargeError(f"a transaction holds at most {cap} operations")
        return row

    async def append(
        self, actor: Principal, transaction_id: str, operation: Operation
    ) -> TransactionState:
        """Append a create, update or delete; nothing is checked against the registry yet."""
        await self._append(
            actor, transaction_id, operation.model_dump(mode="json", exclude_none=True), None
        )
        return await self.view(actor, transaction_id)

    async def append_upload(
        self,
        actor: Principal,
        transaction_id: str,
        artifact_type: ArtifactType,
        name: str,
        version: str,
        chunks: AsyncIterable[bytes],
    ) -> TransactionState:
        """Stage a zip now (validated, its blobs stored) and append it as an upload."""
        async with self.db.unit_of_work() as uow:
            await self._writable(uow, actor, transaction_id)  # before any byte is read
            await self.packages.ensure_new(uow, artifact_type, name, version)
        _draft, staged = await self.packages.stage_upload(artifact_type, name, version, chunks)
        body: dict[str, object] = {"op": "upload", "artifact_type": artifact_type.value}
        body |= {"name": name, "version": version}
        try:
            await self._append(
                actor, transaction_id, body, staged_of(staged.info, staged.new_blobs)
            )
        except BaseException:
            await self.packages.discard(staged)
            raise
        # Recorded with its operation: the group's failure or abandonment removes the blobs
        # (the collector's grace period outlasts a group's expiry).
        self.packages.pins.unpin(staged.pinned)
        return await self.view(actor, transaction_id)

    async def _append(
        self, actor: Principal, tid: str, body: dict[str, object], staged: dict[str, object] | None
    ) -> None:
        async with self.db.unit_of_work(write=True) as uow:
            row = await self._writable(uow, actor, tid)
            position = await _repo(uow).count_operations(tid)
            await _repo(uow).add_operation(
                TransactionOperationRow(
                    transaction_id=tid, position=position, body=body, staged=staged
                )
            )
            row.updated_at = utcnow()
            await _repo(uow).save(row)

    # -- executing --------------------------------------------------------------------------

    async def execute(self, actor: Principal, transaction_id: str) -> TransactionState:
        """Apply every operation or none; on failure raise the failing one's error
        (OperationFailedError, its status and code) and remove the staged blobs."""
        await self.view(actor, transaction_id)  # 404, and an expired group is abandoned
        async with self.db.unit_of_work(write=True) as uow:
            row = self._owned(
                actor, await _repo(uow).get(transaction_id, lock=True), transaction_id
            )
            self._require_open(row)
            operations = list(await _repo(uow).operations(transaction_id))
            if not operations:
                raise ValidationError("the transaction holds no operations; append some first")
            now = utcnow()
            row.state = "executing"
            row.updated_at = now
            row.expires_at = now + timedelta(seconds=self.settings.transaction_ttl_seconds)
            await _repo(uow).save(row)
        try:
            changes, names = await self._prepare_all(actor, operations)
            await self.artifacts.store_all(
                actor,
                changes,
                guard=self._guard(transaction_id, changes),
                done=self._done(transaction_id, changes, names),
            )
        except BaseException as exc:
            if await self._fail(transaction_id, exc):
                await self._discard(operations)
            raise
        return await self.view(actor, transaction_id)

    async def _prepare_all(
        self, actor: Principal, operations: list[TransactionOperationRow]
    ) -> tuple[list[Change], list[str | None]]:
        """Fetch every source and vet every draft (network; no transaction held)."""
        changes: list[Change] = []
        names: list[str | None] = []
        for operation in operations:
            op = str(operation.body["op"])
            try:
                change, name = await self._prepare(actor, operation)
            except RegistryError as exc:
                raise OperationFailedError(operation.position, op, exc) from exc
            changes.append(change)
            names.append(name)
        return changes, names

    async def _prepare(
        self, actor: Principal, operation: TransactionOperationRow
    ) -> tuple[Change, str | None]:
        body = operation.body
        artifact_type = ArtifactType(str(body["artifact_type"]))
        op = body["op"]
        if op == "create":
            request = ArtifactCreateRequest(url=str(body["url"]), name=body.get("name"))
            return Change(
                "create", artifact_type, await self.artifacts.prepare(artifact_type, request)
            ), None
        if op == "upload":
            assert operation.staged is not None
            name = str(body["name"])
            draft = await self.artifacts.prepare_from_info(
                artifact_type, name, info_of(operation.staged)
            )
            return Change("upload", artifact_type, draft), name
        artifact_id = str(body["id"])
        async with self.db.unit_of_work() as uow:  # 404/403 before any network call
            row = await self.artifacts.get_for_change(uow, actor, artifact_type, artifact_id)
        if op == "delete":
            return Change("delete", artifact_type, artifact_id=artifact_id), row.name
        envelope = ArtifactIn.model_validate(
            {
                "metadata": {
                    "name": body.get("name") or row.name,
                    "id": artifact_id,
                    "type": artifact_type,
                },
                "data": {"url": body["url"]},
            }
        )
        draft = await self.artifacts.prepare_update(artifact_type, artifact_id, envelope)
        return Change("update", artifact_type, draft, artifact_id, envelope), row.name

    def _guard(
        self, transaction_id: str, changes: list[Change]
    ) -> Callable[[UnitOfWork], Awaitable[None]]:
        """First in the write: one group's write at a time, the group is still executing (not
        abandoned meanwhile), and the artifacts it changes are locked against single-artifact
        routes (two groups on one artifact serialise)."""

        async def guard(uow: UnitOfWork) -> None:
            await _repo(uow).serialize_groups()
            row = await _repo(uow).get(transaction_id, lock=True)
            if row is None or row.state != "executing":
                state = row.state if row is not None else "gone"
                raise ConflictError(f"transaction '{transaction_id}' was {state} meanwhile")
            await _repo(uow).lock_artifacts([c.artifact_id for c in changes if c.artifact_id])

        return guard

    def _done(
        self, transaction_id: str, changes: list[Change], names: list[str | None]
    ) -> Callable[[UnitOfWork, list[ArtifactRow | None]], Awaitable[None]]:
        """Last in the write: each operation's result and the committed state."""

        async def done(uow: UnitOfWork, rows: list[ArtifactRow | None]) -> None:
            for index, (change, row) in enumerate(zip(changes, rows, strict=True)):
                created = change.op in ("create", "upload")
                result: dict[str, object] = {
                    "status": 201 if created else 200,
                    "id": row.id if row is not None else change.artifact_id,
                    "name": row.name if row is not None else names[index],
                    "type": change.artifact_type.value,
                }
                await _repo(uow).set_result(transaction_id, index, result)
            group = await _repo(uow).get(transaction_id, lock=True)
            assert group is not None  # the guard found it in this unit of work
            group.state = "committed"
            group.updated_at = utcnow()
            await _repo(uow).save(group)

        return done

    async def _fail(self, transaction_id: str, exc: BaseException) -> bool:
        """Mark an executing group failed, recording why; tell whether this call did."""
        if isinstance(exc, OperationFailedError):
            failure: dict[str, object] = {"index": exc.index, "op": exc.op}
            cause: BaseException = exc.cause
        else:
            failure, cause = {}, exc
        if isinstance(cause, RegistryError):
            failure |= {"status": cause.status_code, "error": cause.code}
            failure["message"] = cause.to_dict()["message"]
        else:
            failure |= {"status": 500, "error": "internal_error", "message": "interrupted"}
        try:
            async with self.db.unit_of_work(write=True) as uow:
                row = await _repo(uow).get(transaction_id, lock=True)
                if row is None or row.state != "executing":
                    return False
                row.state = "failed"
                row.failure = failure
                row.updated_at = utcnow()
                await _repo(uow).save(row)
        except Exception as error:  # the operation's error is the one to report
            log.warning("could not mark transaction failed: %s", type(error).__name__)
            return False
        return True

    # -- staged uploads ---------------------------------------------------------------------

    async def _discard(self, operations: list[TransactionOperationRow]) -> None:
        """Remove the blobs the group's uploads created that nothing else relies on: stored
        packages or other live groups' staged uploads (this group has left the live states
        already, so its own staging no longer counts)."""
        pins = self.packages.pins
        for operation in operations:
            if not operation.staged:
                continue
            created = [str(d) for d in operation.staged.get("new_blobs", [])]
            pins.pin(created)  # balanced by the unpin below; others' pins stay counted
            try:
                await discard_blobs(self.packages.blobs, created, pins, self.packages.blobs_in_use)
            except Exception as exc:
                log.warning("staged blobs left for the collector: %s", type(exc).__name__)
            finally:
                pins.unpin(created)


class TransactionListener(ArtifactListener):
    """Forgets every group when the registry is reset."""

    async def reset(self, uow: UnitOfWork) -> None:
        """Delete every transaction and operation."""
        await TransactionRepository(uow.session).delete_all()
