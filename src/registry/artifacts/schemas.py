"""Request and response models named after the contract's components."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr

from registry.db.models import ArtifactRow
from registry.textcheck import name_problem

ARTIFACT_ID_RE = re.compile(r"^[a-zA-Z0-9\-]{1,64}$")


class ArtifactType(StrEnum):
    """The contract's ArtifactType."""

    model = "model"
    dataset = "dataset"
    code = "code"


def check_name(name: str, max_length: int = 512) -> str:
    """Validate an artifact name; return it unchanged."""
    if not name.strip():
        raise ValueError("name must not be blank")
    if len(name) > max_length:
        raise ValueError(f"name must be at most {max_length} characters")
    # "Typical keyboard characters": no controls, bidi overrides or zero-width characters.
    problem = name_problem(name)
    if problem is not None:
        raise ValueError(f"name {problem}")
    return name


def _lookup_name(value: str) -> str:
    """A name to look up: no text a stored name could not hold (so no NUL reaches SQL)."""
    problem = name_problem(value)
    if problem is not None:
        raise ValueError(f"name {problem}")
    return value


def _url_text(value: str) -> str:
    """A source URL: no controls, bidi or zero-width characters (they only serve to deceive)."""
    problem = name_problem(value)
    if problem is not None:
        raise ValueError(f"url {problem}")
    return value


LookupName = Annotated[StrictStr, AfterValidator(_lookup_name)]
UrlText = Annotated[StrictStr, Field(min_length=1, max_length=2048), AfterValidator(_url_text)]


def _new_name(value: str) -> str:
    if value == "*":
        raise ValueError('the name "*" is reserved')
    return check_name(value)


# The name a create gives an artifact ("*" is the enumeration wildcard, never a name).
NewName = Annotated[StrictStr, AfterValidator(_new_name)]


class ArtifactCreateRequest(BaseModel):
    """ArtifactData as a create request: a url and an optional name."""

    model_config = ConfigDict(extra="ignore")
    url: UrlText
    name: NewName | None = None


class ArtifactMetadataIn(BaseModel):
    """ArtifactMetadata as a client sends it."""

    name: LookupName
    id: StrictStr
    type: ArtifactType


class ArtifactDataIn(BaseModel):
    """ArtifactData as a client sends it (download_url is read-only and ignored)."""

    model_config = ConfigDict(extra="ignore")
    url: UrlText


class ArtifactIn(BaseModel):
    """The contract's Artifact envelope, as an update request."""

    metadata: ArtifactMetadataIn
    data: ArtifactDataIn


class ArtifactQuery(BaseModel):
    """The contract's ArtifactQuery: a name (or "*") and an optional types filter."""

    model_config = ConfigDict(extra="ignore")
    name: LookupName = Field(min_length=1, max_length=512)
    types: list[ArtifactType] | None = None


class ArtifactRegEx(BaseModel):
    """The contract's ArtifactRegEx."""

    model_config = ConfigDict(extra="ignore")
    regex: StrictStr


def metadata_of(seq_id_name_type: tuple[int, str, str, str] | ArtifactRow) -> dict[str, str]:
    """Render ArtifactMetadata from a row or a (seq, id, name, type) summary."""
    if isinstance(seq_id_name_type, ArtifactRow):
        row = seq_id_name_type
        return {"name": row.name, "id": row.id, "type": row.type}
    _seq, artifact_id, name, artifact_type = seq_id_name_type
    return {"name": name, "id": artifact_id, "type": artifact_type}


def artifact_of(row: ArtifactRow, base_url: str) -> dict[str, Any]:
    """Render the contract's Artifact envelope, with our download URL."""
    return {
        "metadata": metadata_of(row),
        "data": {
            "url": row.url,
            "download_url": f"{base_url}/artifacts/{row.type}/{row.id}/download",
        },
    }
