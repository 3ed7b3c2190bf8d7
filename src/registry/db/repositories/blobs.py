"""Which blobs are in use: the one question the blob collector and every discard ask."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from registry.db.models.packages import PackageArchiveRow, PackageFileRow, PackageRow
from registry.db.models.transactions import TransactionOperationRow, TransactionRow
from registry.db.repositories.transactions import LIVE_STATES


def staged_digests(staged: Mapping[str, Any]) -> set[str]:
    """Every blob digest a staged upload relies on (its files, its rebuilt zip, and the blobs
    it created), as `registry.transactions.schemas.staged_of` stores it."""
    info = staged.get("info") or {}
    digests = {str(f["sha256"]) for f in info.get("files", []) if f.get("sha256")}
    archive = (info.get("extra") or {}).get("upload_sha256")
    if archive:
        digests.add(str(archive))
    digests.update(str(d) for d in staged.get("new_blobs", []) if d)
    return digests


class BlobUseRepository:
    """Answers which blob digests something still relies on."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def digests_in_use(self, digests: Sequence[str]) -> set[str]:
        """Which of these digests a stored package file, an upload's zip, a cached part zip
        or a live (open or executing) group's staged upload uses. A group that has failed,
        committed or been abandoned no longer counts: its package rows (if any) do."""
        wanted = list(digests)
        if not wanted:
            return set()
        used: set[str] = set()
        for column in (
            col(PackageFileRow.digest),
            col(PackageRow.archive_digest),
            col(PackageArchiveRow.digest),
        ):
            result = await self.session.execute(select(column).where(column.in_(wanted)))
            used.update(str(value) for (value,) in result.all() if value)
        staged = await self.session.execute(
            select(col(TransactionOperationRow.staged))
            .join(TransactionRow, col(TransactionRow.id) == TransactionOperationRow.transaction_id)
            .where(
                col(TransactionRow.state).in_(LIVE_STATES),
                col(TransactionOperationRow.staged).is_not(None),
            )
        )
        asked = set(wanted)
        for (upload,) in staged.all():
            if upload:
                used |= staged_digests(upload) & asked
        return used
