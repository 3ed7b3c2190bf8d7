"""The source port: read public artifacts (Hugging Face hub, GitHub) into one shape.

Adapters raise SourceNotFoundError (the repository does not exist: the client's mistake, 400)
or SourceUnavailableError (the source could not be reached or answered badly: 502). They never
let httpx or huggingface_hub exceptions escape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

SourceKind = Literal["hf_model", "hf_dataset", "github", "url", "upload"]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of a source repository."""

    path: str
    size: int
    sha256: str | None = None  # LFS sha256 when the hub gives one
    blob_id: str | None = None  # git blob id (hub) when known


@dataclass(slots=True)
class SourceInfo:
    """Everything the registry records about a source at registration time."""

    kind: SourceKind
    url: str
    repo_id: str  # "owner/name" (hub, GitHub) or the URL itself for plain URLs
    default_name: str  # the name derived from the URL (hub: repo name; GitHub: owner-repo)
    commit_sha: str | None = None
    card_text: str = ""  # README / model card body, searchable
    card_data: dict[str, Any] = field(default_factory=dict)  # YAML front matter of the card
    config: dict[str, Any] | None = None  # config.json when present
    files: list[SourceFile] = field(default_factory=list)
    license: str | None = None  # SPDX-ish id as the source states it
    description: str | None = None
    default_branch: str | None = None
    tags: list[str] = field(default_factory=list)  # hub tags / git tags
    extra: dict[str, Any] = field(default_factory=dict)  # downloads, likes, stars, pipeline_tag...


class Source(Protocol):
    """Role: fetch facts about one kind of public repository."""

    name: str

    async def fetch(self, repo_id: str, kind: SourceKind, url: str) -> SourceInfo:
        """Read the repository's metadata; raise SourceNotFoundError / SourceUnavailableError."""
        ...

    async def check(self) -> None:
        """Raise SourceUnavailableError when the source cannot be reached (health probe)."""
        ...

    async def close(self) -> None:
        """Release HTTP clients."""
        ...
