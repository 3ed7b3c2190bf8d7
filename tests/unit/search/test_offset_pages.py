"""Offset pages (the contract's POST /artifacts) skip ahead through per-bucket counts: every
deep page must equal plain slicing of the directory, across deletes, type filters and reset."""

from __future__ import annotations

import pytest

from registry.db.engine import Database
from registry.db.repositories.artifacts import SEQ_BUCKET
from tests.fixtures.search_index import artifact, load

TYPES = ("model", "dataset", "code")
CONDITIONS = {
    "every type": [(None, None)],
    "models": [(None, ["model"])],
    "models or code": [(None, ["model"]), (None, ["code"])],
    "a name among all": [(["row-5"], None), (None, ["dataset"])],  # not bucketed: plain offset
}


async def test_deep_offset_pages_equal_slicing(db: Database) -> None:
    rows = await load(
        db, [artifact(i, f"row-{i}", artifact_type=TYPES[i % 3]) for i in range(3 * SEQ_BUCKET)]
    )
    gone = {row.id for row in rows[::7]}
    async with db.unit_of_work(write=True) as uow:
        for artifact_id in gone:
            await uow.artifacts.delete(artifact_id)
    kept = [row for row in rows if row.id not in gone]
    for label, conditions in CONDITIONS.items():
        expected = [
            row.id
            for row in kept
            if any(
                (names is None or row.name in names) and (not types or row.type in types)
                for names, types in conditions
            )
        ]
        for offset in (0, SEQ_BUCKET - 1, SEQ_BUCKET, 1500, 2 * SEQ_BUCKET, len(expected) - 3):
            async with db.unit_of_work() as uow:
                page = await uow.artifacts.page_any(conditions, offset, 51)
            assert [item[1] for item in page] == expected[offset : offset + 51], (label, offset)
        async with db.unit_of_work() as uow:
            assert await uow.artifacts.page_any(conditions, len(expected) + 100, 51) == []


async def test_reset_forgets_the_counts(db: Database) -> None:
    await load(db, [artifact(i, f"row-{i}") for i in range(SEQ_BUCKET + 10)])
    async with db.unit_of_work(write=True) as uow:
        await uow.artifacts.delete_all()
    fresh = await load(db, [artifact(i, f"new-{i}") for i in range(SEQ_BUCKET + 10)])
    async with db.unit_of_work() as uow:
        page = await uow.artifacts.page_any([(None, None)], SEQ_BUCKET, 51)
    assert [item[1] for item in page] == [row.id for row in fresh[SEQ_BUCKET:]]


@pytest.mark.parametrize("offset", [SEQ_BUCKET, 5 * SEQ_BUCKET])
async def test_offset_past_every_row_is_an_empty_page(db: Database, offset: int) -> None:
    await load(db, [artifact(i, f"row-{i}") for i in range(10)])
    async with db.unit_of_work() as uow:
        assert await uow.artifacts.page_any([(None, None)], offset, 51) == []
