"""Recording artifact versions: from hub/GitHub git tags on registration, and from uploads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.artifacts.events import ArtifactListener
from registry.db.repositories.search import VersionRepository
from registry.errors import ValidationError
from registry.query.versions import ParsedVersion, parse_version

if TYPE_CHECKING:
    from registry.db.models import ArtifactRow
    from registry.db.repositories import UnitOfWork

GIT_TAG = "git_tag"
UPLOAD = "upload"
MAX_TAGS = 1000  # a repository with more tags than this is indexed by its first 1000


def versions_from_tags(tags: object) -> list[ParsedVersion]:
    """The semver versions among a source's git tag names (`v1.2.3`, `1.2.3`); others ignored."""
    if not isinstance(tags, list):
        return []
    parsed = (parse_version(tag) for tag in tags[:MAX_TAGS] if isinstance(tag, str))
    return [p for p in parsed if p is not None]


async def record_version(
    uow: UnitOfWork, row: ArtifactRow, version: str, source: str = UPLOAD
) -> ParsedVersion:
    """Record one version of a stored artifact (e.g. an upload's); 400 when it is not semver.

    Call it inside the request's write unit of work, after the artifact row is flushed.
    Recording a version the artifact already has is a no-op.
    """
    parsed = parse_version(version)
    if parsed is None:
        raise ValidationError(f"version '{version[:64]}' is not a semantic version like 1.2.3")
    if row.seq is None:
        raise ValueError("record_version needs a stored (flushed) artifact row")
    await VersionRepository(uow.session).add(row.seq, parsed, source)
    return parsed


class VersionsListener(ArtifactListener):
    """Keeps artifact_versions in step with registrations, updates, deletes and resets."""

    async def saved(self, uow: UnitOfWork, row: ArtifactRow, created: bool) -> None:
        """Record the source's semver git tags (replacing the previous tag versions)."""
        if row.seq is None:  # pragma: no cover - the repository flushes before listeners run
            return
        tags = (row.extra or {}).get("git_tags")
        await VersionRepository(uow.session).replace_source(
            row.seq, GIT_TAG, versions_from_tags(tags)
        )
        upload_version = (row.extra or {}).get("version")
        if row.source_kind == UPLOAD and isinstance(upload_version, str):
            await record_version(uow, row, upload_version, UPLOAD)

    async def deleted(self, uow: UnitOfWork, row: ArtifactRow) -> None:
        """Drop the artifact's versions before the row goes."""
        if row.seq is not None:
            await VersionRepository(uow.session).delete_for(row.seq)

    async def reset(self, uow: UnitOfWork) -> None:
        """Forget every version with the registry."""
        await VersionRepository(uow.session).delete_all()
