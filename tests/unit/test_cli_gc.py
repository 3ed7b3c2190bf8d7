"""`registry gc`: the blob collector and the spool sweep, on demand."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from registry.cli import main
from registry.db.engine import Database
from registry.db.models.packages import PackageFileRow
from registry.db.repositories.packages import PackageRepository
from registry.storage.local import LocalBlobStore


async def feed(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def prepare(url: str, blobs: Path, *, migrate: bool = True) -> tuple[str, str]:
    """A referenced blob and an orphan; the database migrated (or not)."""
    store = LocalBlobStore(blobs)
    await store.start()
    used = (await store.put(feed(b"used"))).digest
    orphan = (await store.put(feed(b"orphan"))).digest
    await store.close()
    if migrate:
        db = Database(url)
        await db.migrate()
        async with db.unit_of_work(write=True) as uow:
            row = PackageFileRow(artifact_id="a1", path="w.bin", digest=used, part="weights")
            await PackageRepository(uow.session).replace_files("a1", [row])
        await db.dispose()
    return used, orphan


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gc.db'}"
    monkeypatch.setenv("REGISTRY_DATABASE_URL", url)
    monkeypatch.setenv("REGISTRY_BLOB_BACKEND", "local")
    monkeypatch.setenv("REGISTRY_BLOB_LOCAL_PATH", str(tmp_path / "blobs"))
    monkeypatch.setenv("REGISTRY_PACKAGE_TMP_DIR", str(tmp_path / "tmp"))
    return url


def blob_names(root: Path) -> set[str]:
    return {p.name for p in (root / "sha256").rglob("*") if p.is_file()}


def test_gc_removes_orphans_and_dead_spools(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    used, orphan = asyncio.run(prepare(env, tmp_path / "blobs"))
    dead = tmp_path / "tmp" / f"registry-spool-{os.getuid()}" / "4242-killed"
    dead.mkdir(parents=True)
    (dead / "upload-x.zip").write_bytes(b"x")
    assert main(["gc"]) == 0  # the default grace period: everything here is too young
    assert json.loads(capsys.readouterr().out)["blobs_young"] == 2
    assert blob_names(tmp_path / "blobs") == {used, orphan}
    assert main(["gc", "--grace-seconds", "0"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["blobs_removed"] == 1 and report["blobs_referenced"] == 1
    assert report["spool_dirs_removed"] == 0  # the first run swept it already
    assert blob_names(tmp_path / "blobs") == {used}
    assert not dead.exists()


def test_gc_against_a_database_without_tables_fails_and_removes_nothing(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    used, orphan = asyncio.run(prepare(env, tmp_path / "blobs", migrate=False))
    assert main(["gc", "--grace-seconds", "0"]) == 1
    assert "gc failed" in capsys.readouterr().err
    assert blob_names(tmp_path / "blobs") == {used, orphan}
