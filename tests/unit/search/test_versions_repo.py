"""record_version (the uploads entry point) and the git-tag listener on a real database."""

from __future__ import annotations

import pytest

from registry.db.engine import Database
from registry.db.repositories.search import VersionRepository
from registry.errors import ValidationError
from registry.versions.service import VersionsListener, record_version
from tests.fixtures.search_index import artifact, load


async def test_uploads_and_tags_keep_separate_sources(db: Database) -> None:
    (row,) = await load(db, [artifact(0, "m")])
    row.extra = {"git_tags": ["v1.0.0", "nightly", "1.1.0"]}
    async with db.unit_of_work(write=True) as uow:
        await VersionsListener().saved(uow, row, True)
        parsed = await record_version(uow, row, "2.0.0-rc.1")
        await record_version(uow, row, "v1.0.0")  # already known from a tag: no duplicate
        assert parsed.version == "2.0.0-rc.1"
        with pytest.raises(ValidationError, match="not a semantic version"):
            await record_version(uow, row, "latest")
    row.extra = {"git_tags": ["v1.2.0"]}  # an update re-reads the tags, uploads stay
    async with db.unit_of_work(write=True) as uow:
        await VersionsListener().saved(uow, row, False)
        assert await VersionRepository(uow.session).versions_of(row.seq or 0) == [
            "2.0.0-rc.1",
            "1.2.0",
        ]
        await VersionsListener().deleted(uow, row)
        assert await VersionRepository(uow.session).versions_of(row.seq or 0) == []
