"""GraphQL mutations: an atomic group of changes in one call (the REST /transactions steps)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar, cast

import strawberry

from registry.errors import PermissionDeniedError, ValidationError
from registry.graphql.types import ArtifactKind, Ctx
from registry.transactions.schemas import operation_model
from registry.transport.requests import parse_model

F = TypeVar("F", bound=Callable[..., Any])


def _mutation(text: str) -> Callable[[F], F]:
    """@strawberry.mutation(description=...) with its type kept."""
    return cast(Callable[[F], F], strawberry.mutation(description=text))


@strawberry.enum
class OperationKind(Enum):
    """What an operation of a group does (uploads go through REST: they carry a zip)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@strawberry.input(description="One operation: create (url, name?), update (id, url), delete (id).")
class OperationInput:
    """One operation of a group, as REST's TransactionOperationRequest."""

    op: OperationKind
    artifact_type: ArtifactKind
    id: strawberry.ID | None = None
    url: str | None = None
    name: str | None = None


@strawberry.type
class OperationResult:
    """What one applied operation did."""

    index: int
    op: str
    status: int = strawberry.field(description="201 created, 200 updated or deleted.")
    artifact_id: strawberry.ID
    name: str
    type: ArtifactKind


@strawberry.type
class TransactionResult:
    """A committed group and each operation's result."""

    id: strawberry.ID
    state: str
    operations: list[OperationResult]


def _as_body(operation: OperationInput) -> dict[str, Any]:
    body: dict[str, Any] = {
        "op": operation.op.value,
        "artifact_type": operation.artifact_type.value,
    }
    for key in ("id", "url", "name"):
        value = getattr(operation, key)
        if value is not None:
            body[key] = str(value)
    return body


@strawberry.type
class Mutation:
    """Changes, for callers holding the upload permission."""

    @_mutation("Apply every operation or none; an error names the failing operation.")
    async def execute_transaction(
        self, info: Ctx, operations: list[OperationInput]
    ) -> TransactionResult:
        """Open a group, append the operations and execute it, as the REST steps do."""
        principal = info.context.principal
        if not principal.has("upload"):
            raise PermissionDeniedError("changing artifacts needs the upload permission")
        service = info.context.transactions
        if service is None:  # pragma: no cover - the endpoint always supplies it
            raise ValidationError("mutations are not available here")
        if not operations:
            raise ValidationError("give at least one operation")
        cap = service.settings.transaction_max_operations
        if len(operations) > cap:
            raise ValidationError(f"a transaction holds at most {cap} operations")
        parsed = []
        for operation in operations:  # every one checked before the group is opened
            body = _as_body(operation)
            parsed.append(parse_model(operation_model(body), body))
        state = await service.begin(principal)
        try:
            for item in parsed:
                await service.append(principal, state.row.id, item)
        except BaseException:
            await service.abandon(principal, state.row.id)
            raise
        done = await service.execute(principal, state.row.id)
        results = []
        for op in done.operations:
            result = cast(dict[str, Any], op.result)
            results.append(
                OperationResult(
                    index=op.position,
                    op=str(op.body["op"]),
                    status=int(result["status"]),
                    artifact_id=strawberry.ID(str(result["id"])),
                    name=str(result["name"]),
                    type=ArtifactKind(result["type"]),
                )
            )
        return TransactionResult(
            id=strawberry.ID(done.row.id), state=done.row.state, operations=results
        )
