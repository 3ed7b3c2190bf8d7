"""GitHubSource against the fake GitHub API: every fixture repo, and every way it can fail."""

from __future__ import annotations

import asyncio
import io
import re
import time
import zipfile
from typing import TYPE_CHECKING

import httpx
import pytest

from registry.errors import SourceNotFoundError, SourceUnavailableError, ValidationError
from registry.sources.github import GitHubSource
from tests.fixtures.servers import ThreadedServer, closed_port_url

if TYPE_CHECKING:
    from tests.fixtures.http_doubles import Recorder

SHA = re.compile(r"^[0-9a-f]{40}$")


@pytest.mark.parametrize(
    ("repo_id", "license_", "branch", "contributors", "git_tags"),
    [
        ("google-research/bert", "Apache-2.0", "master", 7, ["v1.1.0", "v1.0.0"]),
        ("openai/whisper", "MIT", "main", 4, ["v20240930", "v20231117", "v20230918"]),
        ("gnu-stuff/gpl-tool", "GPL-3.0", "main", 2, ["1.0", "1.1"]),
        ("someone/no-license", None, "main", 1, []),
    ],
)
async def test_fixture_repos(
    github: GitHubSource,
    repo_id: str,
    license_: str | None,
    branch: str,
    contributors: int,
    git_tags: list[str],
) -> None:
    url = f"https://github.com/{repo_id}"
    info = await github.fetch(repo_id, "github", url)
    assert (info.kind, info.url, info.repo_id) == ("github", url, repo_id)
    assert info.default_name == repo_id.replace("/", "-")
    assert info.license == license_
    assert info.default_branch == branch
    assert info.extra["contributors_count"] == contributors
    assert info.extra["git_tags"] == git_tags
    assert info.commit_sha is not None and SHA.match(info.commit_sha)
    assert info.card_text.startswith("# ")
    assert info.files == [] and info.config is None


async def test_bert_details(github: GitHubSource) -> None:
    info = await github.fetch("google-research/bert", "github", "u")
    assert info.description == "TensorFlow code and pre-trained models for BERT"
    assert "**BERT**, or **B**idirectional" in info.card_text
    assert info.tags == ["nlp", "natural-language-processing", "tensorflow", "google"]
    extra = info.extra
    assert (extra["stars"], extra["forks"], extra["open_issues"]) == (38921, 9641, 873)
    assert extra["pushed_at"] == "2024-07-23T17:26:16Z"
    assert extra["html_url"] == "https://github.com/google-research/bert"
    assert extra["archived"] is False


async def test_no_license_repo(github: GitHubSource) -> None:
    info = await github.fetch("someone/no-license", "github", "u")
    assert info.description is None
    assert info.license is None
    assert await github.license_id("someone", "no-license") is None


async def test_owner_and_name_are_case_insensitive(github: GitHubSource) -> None:
    info = await github.fetch("Google-Research/BERT", "github", "u")
    assert info.repo_id == "google-research/bert"
    assert info.default_name == "google-research-bert"


async def test_helpers(github: GitHubSource) -> None:
    people = await github.contributors("google-research", "bert")
    assert people[0] == {"login": "jacobdevlin-google", "contributions": 74}
    assert len(people) == 7
    assert [p["contributions"] for p in people] == sorted(
        (p["contributions"] for p in people), reverse=True
    )
    assert await github.license_id("gnu-stuff", "gpl-tool") == "GPL-3.0"
    assert await github.contributors("nobody", "nothing") == []
    assert await github.readme("nobody", "nothing") == ""


async def test_not_found(github: GitHubSource) -> None:
    with pytest.raises(
        SourceNotFoundError, match="GitHub repository 'nobody/nothing' does not exist"
    ):
        await github.fetch("nobody/nothing", "github", "u")


@pytest.mark.parametrize("repo_id", ["justone", "a/b/c", "/x", "x/"])
async def test_invalid_repo_ids(github: GitHubSource, repo_id: str) -> None:
    with pytest.raises(ValidationError, match="not a GitHub repository id"):
        await github.fetch(repo_id, "github", "u")


async def test_wrong_kind(github: GitHubSource) -> None:
    with pytest.raises(ValidationError, match="cannot read a 'hf_model' source"):
        await github.fetch("openai/whisper", "hf_model", "u")


class DroppingServer:
    """Raw HTTP on loopback: closes the first `drops` connections after reading a request,
    as a server does with a keep-alive connection it has just timed out; then answers."""

    def __init__(self, drops: int) -> None:
        self.drops, self.seen = drops, 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *_exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.seen += 1
        if self.seen <= self.drops:
            writer.close()
            return
        body = b'{"license": {"spdx_id": "MIT"}}'
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()


async def test_a_dropped_connection_is_retried_once() -> None:
    async with DroppingServer(drops=1) as url:
        source = GitHubSource(url, None, 5)
        try:
            assert await source.license_id("openai", "whisper") == "MIT"
        finally:
            await source.close()


async def test_a_connection_dropped_twice_is_unavailable() -> None:
    async with DroppingServer(drops=2) as url:
        source = GitHubSource(url, None, 5)
        try:
            with pytest.raises(SourceUnavailableError, match="could not be reached"):
                await source.license_id("openai", "whisper")
        finally:
            await source.close()


async def test_unreachable_api_fails_fast() -> None:
    source = GitHubSource(closed_port_url(), None, 0.5)
    started = time.monotonic()
    try:
        with pytest.raises(SourceUnavailableError, match="could not be reached") as caught:
            await source.fetch("openai/whisper", "github", "u")
        assert caught.value.status_code == 502
        with pytest.raises(SourceUnavailableError, match="unavailable"):
            await source.check()
    finally:
        await source.close()
    assert time.monotonic() - started < 30  # no retry loop against a refusing port


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ("failing_server", "answered 503"),
        ("rate_limited_server", "rate limit is exhausted"),
        ("unauthorized_server", "rejected the configured token"),
    ],
)
async def test_api_errors(request: pytest.FixtureRequest, server: str, message: str) -> None:
    fixture: ThreadedServer = request.getfixturevalue(server)
    source = GitHubSource(fixture.url, None, 2)
    try:
        with pytest.raises(SourceUnavailableError, match=message):
            await source.fetch("openai/whisper", "github", "u")
    finally:
        await source.close()


async def test_a_server_that_is_not_github(impostor_server: ThreadedServer) -> None:
    source = GitHubSource(impostor_server.url, None, 2)
    try:
        with pytest.raises(SourceUnavailableError, match="unexpected document"):
            await source.fetch("openai/whisper", "github", "u")
    finally:
        await source.close()


async def test_slow_api_times_out(slow_server: ThreadedServer) -> None:
    source = GitHubSource(slow_server.url, None, 0.3)
    started = time.monotonic()
    try:
        with pytest.raises(SourceUnavailableError, match=r"did not answer within 0\.3 s"):
            await source.fetch("openai/whisper", "github", "u")
    finally:
        await source.close()
    assert time.monotonic() - started < 30  # the server answers only after 60 s


async def test_check(github: GitHubSource, failing_server: ThreadedServer) -> None:
    await github.check()
    source = GitHubSource(failing_server.url, None, 2)
    try:
        with pytest.raises(SourceUnavailableError, match="answered 503"):
            await source.check()
    finally:
        await source.close()


async def test_token_is_sent_as_bearer(recorder: tuple[Recorder, ThreadedServer]) -> None:
    rec, server = recorder
    for token in (None, "ghp_configured"):
        source = GitHubSource(server.url, token, 2)
        try:
            with pytest.raises(SourceNotFoundError):
                await source.fetch("openai/whisper", "github", "u")
        finally:
            await source.close()
    assert "authorization" not in rec.headers[0]
    assert rec.headers[1]["authorization"] == "Bearer ghp_configured"
    assert rec.headers[1]["accept"] == "application/vnd.github+json"


def test_fake_github_pagination_and_reviews(fake_github: ThreadedServer) -> None:
    with httpx.Client(base_url=fake_github.url) as client:
        first = client.get(
            "/repos/google-research/bert/pulls", params={"state": "closed", "per_page": 4}
        )
        assert len(first.json()) == 4
        assert 'rel="next"' in first.headers["link"] and "page=2" in first.headers["link"]
        second = client.get(first.links["next"]["url"])
        assert len(second.json()) == 3 and 'rel="prev"' in second.headers["link"]
        merged = [p for p in first.json() + second.json() if p["merged_at"]]
        assert len(merged) == 6 and all(SHA.match(p["merge_commit_sha"]) for p in merged)
        approved = 0
        for pull in merged:
            reviews = client.get(
                f"/repos/google-research/bert/pulls/{pull['number']}/reviews"
            ).json()
            approved += any(r["state"] == "APPROVED" for r in reviews)
            changed = client.get(f"/repos/google-research/bert/pulls/{pull['number']}/files").json()
            assert all(f["changes"] == f["additions"] + f["deletions"] for f in changed)
        assert approved == 5
        missing = client.get("/repos/nobody/nothing")
        assert missing.status_code == 404
        assert missing.json()["message"] == "Not Found" and "documentation_url" in missing.json()


def test_fake_github_zipball(fake_github: ThreadedServer) -> None:
    with httpx.Client(base_url=fake_github.url) as client:
        response = client.get("/repos/openai/whisper/zipball/v20240930")
        assert response.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        prefix = names[0].split("/")[0]
        assert prefix.startswith("openai-whisper-")
        assert {n.split("/", 1)[1] for n in names} == {
            "README.md",
            "LICENSE",
            "requirements.txt",
            "whisper/__init__.py",
        }
        assert client.get("/repos/openai/whisper/zipball/no-such-ref").status_code == 404
