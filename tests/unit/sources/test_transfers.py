"""Transfers through the adapters: hub files and GitHub archives streamed, and how they fail."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from registry.errors import SourceNotFoundError, SourceUnavailableError
from registry.sources.github import GitHubSource
from registry.sources.huggingface import HuggingFaceSource
from tests.fixtures.pytest_plugin import HUB_DATA
from tests.fixtures.servers import ThreadedServer, closed_port_url

REPO = "trusty/needs-repair"
SHA = "7a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b"


async def read(body: AbstractAsyncContextManager[AsyncIterator[bytes]]) -> bytes:
    """Every chunk of a transfer, joined."""
    async with body as chunks:
        return b"".join([chunk async for chunk in chunks])


async def test_hub_file_is_streamed_at_the_revision(hf: HuggingFaceSource) -> None:
    expected = (HUB_DATA / "models" / REPO / "config.json").read_bytes()
    assert await read(hf.open_file(REPO, "config.json", revision=SHA)) == expected
    assert await read(hf.open_file(REPO, "config.json", revision="main")) == expected


async def test_hub_file_that_is_gone(hf: HuggingFaceSource) -> None:
    with pytest.raises(SourceNotFoundError, match=r"no longer serves missing\.bin \(404\)"):
        await read(hf.open_file(REPO, "missing.bin", revision=SHA))
    with pytest.raises(SourceNotFoundError):
        await read(hf.open_file("nobody/nothing-here", "config.json", revision="main"))


async def test_hub_transfer_failures_are_unavailable(failing_server: ThreadedServer) -> None:
    for url, message in ((failing_server.url, "answered 503"), (closed_port_url(), "failed")):
        source = HuggingFaceSource(url, None, 2, transfer_timeout=2)
        try:
            with pytest.raises(SourceUnavailableError, match=message) as caught:
                await read(source.open_file(REPO, "config.json", revision=SHA))
            assert caught.value.status_code == 502
        finally:
            await source.close()


async def test_download_copies_what_the_hub_serves(hf: HuggingFaceSource, tmp_path: Path) -> None:
    files = [("config.json", Path("config.json")), ("gone.json", Path("sub/gone.json"))]
    await hf.download(REPO, SHA, files, tmp_path)
    expected = (HUB_DATA / "models" / REPO / "config.json").read_bytes()
    assert (tmp_path / "config.json").read_bytes() == expected
    assert not (tmp_path / "sub" / "gone.json").exists()  # skipped, not an error


async def test_download_from_an_unreachable_hub(tmp_path: Path) -> None:
    source = HuggingFaceSource(closed_port_url(), None, 1)
    try:
        with pytest.raises(SourceUnavailableError, match="copying files"):
            await source.download(REPO, SHA, [("config.json", Path("config.json"))], tmp_path)
    finally:
        await source.close()


async def test_archive_is_streamed(github: GitHubSource) -> None:
    data = await read(github.open_archive("openai/whisper", "", what="whisper zipball"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist()
    with pytest.raises(SourceNotFoundError, match="no longer serves nobody/nothing zipball"):
        await read(github.open_archive("nobody/nothing", "main", what="nobody/nothing zipball"))


async def test_archive_failures_are_unavailable(failing_server: ThreadedServer) -> None:
    source = GitHubSource(failing_server.url, None, 2, transfer_timeout=2)
    try:
        with pytest.raises(SourceUnavailableError, match="answered 503 for x zipball"):
            await read(source.open_archive("openai/whisper", "main", what="x zipball"))
    finally:
        await source.close()


async def test_pull_request_queries(github: GitHubSource) -> None:
    pulls = await github.closed_pulls("google-research", "bert", 1)
    assert isinstance(pulls, list) and pulls
    number = next(p["number"] for p in pulls if p.get("merged_at"))
    reviews = await github.pull_reviews("google-research", "bert", number)
    files = await github.pull_files("google-research", "bert", number, 300)
    assert isinstance(reviews, list) and isinstance(files, list) and files
    assert await github.closed_pulls("nobody", "nothing", 1) is None
