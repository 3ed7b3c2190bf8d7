"""The operations a transaction holds, as clients send them, and how a transaction is shown."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictStr

from registry.artifacts.schemas import (
    ARTIFACT_ID_RE,
    ArtifactType,
    LookupName,
    NewName,
    UrlText,
)
from registry.db.models.transactions import TransactionOperationRow, TransactionRow
from registry.errors import ValidationError
from registry.ids import isoformat_z
from registry.sources.base import SourceFile, SourceInfo

OPS = ("create", "upload", "update", "delete")


def _artifact_id(value: str) -> str:
    if not ARTIFACT_ID_RE.match(value):
        raise ValueError("id must be 1-64 characters of letters, digits and '-'")
    return value


ArtifactIdText = Annotated[StrictStr, AfterValidator(_artifact_id)]


class CreateOperation(BaseModel):
    """Register an artifact from a source URL, as POST /artifact/{artifact_type} does."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["create"]
    artifact_type: ArtifactType
    url: UrlText
    name: NewName | None = None


class UpdateOperation(BaseModel):
    """Replace an artifact's source, as PUT /artifacts/{artifact_type}/{id} does."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["update"]
    artifact_type: ArtifactType
    id: ArtifactIdText
    url: UrlText
    name: LookupName | None = None


class DeleteOperation(BaseModel):
    """Delete an artifact, as DELETE /artifacts/{artifact_type}/{id} does."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["delete"]
    artifact_type: ArtifactType
    id: ArtifactIdText


Operation = CreateOperation | UpdateOperation | DeleteOperation
MODELS: dict[str, type[Operation]] = {
    "create": CreateOperation,
    "update": UpdateOperation,
    "delete": DeleteOperation,
}


def operation_model(data: Any) -> type[Operation]:
    """The model for a JSON operation, chosen by its `op`; 400 naming the choices."""
    if not isinstance(data, dict):
        raise ValidationError("an operation is a JSON object with an `op` field")
    op = data.get("op")
    if op == "upload":
        raise ValidationError(
            "an upload operation is the zip itself: POST it with Content-Type application/zip "
            "and the query parameters op=upload, artifact_type, name and version"
        )
    if not isinstance(op, str) or op not in MODELS:
        raise ValidationError("`op` must be one of create, upload, update, delete")
    return MODELS[op]


def staged_of(info: SourceInfo, new_blobs: list[str]) -> dict[str, Any]:
    """An upload's staged package as stored with its operation."""
    return {"info": asdict(info), "new_blobs": list(new_blobs)}


def info_of(staged: dict[str, Any]) -> SourceInfo:
    """The SourceInfo of a staged upload, as staged_of stored it."""
    fields = dict(staged["info"])
    fields["files"] = [SourceFile(**f) for f in fields.get("files", [])]
    return SourceInfo(**fields)


def transaction_view(
    row: TransactionRow, operations: list[TransactionOperationRow]
) -> dict[str, Any]:
    """The Transaction schema of openapi.yaml: state, expiry, operations and their results."""
    view: dict[str, Any] = {
        "id": row.id,
        "state": row.state,
        "created_at": isoformat_z(row.created_at),
        "expires_at": isoformat_z(row.expires_at),
        "operations": [
            {
                "index": op.position,
                **op.body,
                **({"result": op.result} if op.result is not None else {}),
            }
            for op in operations
        ],
    }
    if row.failure is not None:
        view["failure"] = row.failure
    return view
