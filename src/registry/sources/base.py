"""The source ports: read public artifacts (Hugging Face hub, GitHub) into one shape.

Every hub and GitHub call of the registry goes through an adapter of these ports
(HuggingFaceSource, GitHubSource): registration, mirroring, rating, reproducibility and the
license check alike. Adapters raise SourceNotFoundError (the repository does not exist: the
client's mistake, 400) or SourceUnavailableError (the source could not be reached or answered
badly: 502). They never let httpx or huggingface_hub exceptions escape.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from registry.sources.urls import ParsedSource

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


class HubRepos(Protocol):
    """Role: facts about a hub model or dataset (rating reads linked datasets through it)."""

    endpoint: str

    async def fetch(
        self, repo_id: str, kind: SourceKind, url: str, *, revision: str | None = None
    ) -> SourceInfo:
        """Read the repository's metadata; raise SourceNotFoundError / SourceUnavailableError."""
        ...


class HubFiles(Protocol):
    """Role: the files of a hub repository at a pinned revision (mirroring, reproducibility)."""

    def open_file(
        self, repo_id: str, path: str, *, revision: str, dataset: bool = False
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Stream one file in chunks; SourceNotFoundError once it is no longer served."""
        ...

    async def download(
        self, repo_id: str, revision: str, files: Sequence[tuple[str, Path]], dest: Path
    ) -> None:
        """Copy (hub path, local path) files into dest; files the hub does not serve are skipped."""
        ...


class HubSource(HubRepos, HubFiles, Protocol):
    """Role: a Hugging Face hub, metadata and files."""


class CodeArchives(Protocol):
    """Role: a code repository's archive at a ref (mirroring a GitHub artifact)."""

    def open_archive(
        self, repo_id: str, ref: str, *, what: str
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Stream the archive in chunks; SourceNotFoundError once it is no longer served."""
        ...


class CodeHost(Protocol):
    """Role: what rating and the license check read from a code host (GitHub)."""

    async def fetch(self, repo_id: str, kind: SourceKind, url: str) -> SourceInfo:
        """Read the repository's metadata; raise SourceNotFoundError / SourceUnavailableError."""
        ...

    async def contributors(self, owner: str, repo: str) -> list[dict[str, Any]]:
        """Contributors (login, contributions), most active first."""
        ...

    async def closed_pulls(self, owner: str, repo: str, page: int) -> Any:
        """One page (100) of closed pull requests, newest first; None when absent."""
        ...

    async def pull_reviews(self, owner: str, repo: str, number: int) -> Any:
        """The reviews of a pull request; None when absent."""
        ...

    async def pull_files(self, owner: str, repo: str, number: int, limit: int) -> Any:
        """Up to `limit` files a pull request changed; None when absent."""
        ...

    async def zipball(self, owner: str, repo: str, max_bytes: int) -> bytes | None:
        """The default branch as a zip; None when absent or larger than max_bytes."""
        ...

    async def license_id(self, owner: str, repo: str) -> str | None:
        """The SPDX id the host detects in the LICENSE file, or None."""
        ...


class Sources(Protocol):
    """Role: every source by kind, and URL classification (handed to rating and licenses)."""

    @property
    def huggingface(self) -> HubSource:
        """The Hugging Face hub adapter."""
        ...

    @property
    def github(self) -> CodeHost:
        """The GitHub adapter."""
        ...

    def parse(self, url: str) -> ParsedSource:
        """Classify a URL without any network call; ValidationError when it is unusable."""
        ...
