"""SourceRegistry: URLs dispatched to the right adapter; health of every source."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from registry.config import Settings
from registry.errors import SourceNotFoundError, SourceUnavailableError, ValidationError
from registry.sources.hub import SourceRegistry
from tests.fixtures.servers import ThreadedServer, closed_port_url


@pytest.fixture
async def registry(
    fake_hub: ThreadedServer, fake_github: ThreadedServer
) -> AsyncIterator[SourceRegistry]:
    """A SourceRegistry wired to the fakes."""
    sources = SourceRegistry(
        Settings(hf_endpoint=fake_hub.url, github_api_url=fake_github.url, source_timeout_seconds=5)
    )
    yield sources
    await sources.close()


@pytest.fixture
async def offline() -> AsyncIterator[SourceRegistry]:
    """A SourceRegistry whose endpoints do not answer at all."""
    sources = SourceRegistry(
        Settings(
            hf_endpoint=closed_port_url(),
            github_api_url=closed_port_url(),
            source_timeout_seconds=0.5,
        )
    )
    yield sources
    await sources.close()


async def test_public_hub_urls_reach_the_configured_endpoint(registry: SourceRegistry) -> None:
    url = "https://huggingface.co/google-bert/bert-base-uncased"
    info = await registry.fetch(url)
    assert (info.kind, info.repo_id, info.default_name, info.url) == (
        "hf_model",
        "google-bert/bert-base-uncased",
        "bert-base-uncased",
        url,
    )
    assert info.extra["canonical_url"] == url


async def test_dataset_and_revision_urls(registry: SourceRegistry) -> None:
    dataset = await registry.fetch("https://huggingface.co/datasets/stanfordnlp/sst2")
    assert (dataset.kind, dataset.repo_id) == ("hf_dataset", "stanfordnlp/sst2")
    tagged = await registry.fetch("https://huggingface.co/google-bert/bert-base-uncased/tree/1.1.0")
    assert tagged.extra["revision"] == "1.1.0"
    with pytest.raises(SourceNotFoundError, match="revision 'nope'"):
        await registry.fetch("https://huggingface.co/google-bert/bert-base-uncased/tree/nope")


async def test_github_urls(registry: SourceRegistry, fake_github: ThreadedServer) -> None:
    info = await registry.fetch("https://github.com/google-research/bert.git")
    assert (info.kind, info.repo_id, info.default_name) == (
        "github",
        "google-research/bert",
        "google-research-bert",
    )
    assert info.extra["canonical_url"] == "https://github.com/google-research/bert"
    direct = await registry.fetch(f"{fake_github.url}/openai/whisper")  # the configured host itself
    assert direct.license == "MIT"


async def test_urls_naming_the_configured_hub_host(
    registry: SourceRegistry, fake_hub: ThreadedServer
) -> None:
    info = await registry.fetch(f"{fake_hub.url}/acme/lora-adapter")
    assert info.kind == "hf_model" and info.repo_id == "acme/lora-adapter"


async def test_plain_urls_need_no_network(offline: SourceRegistry) -> None:
    info = await offline.fetch("https://example.com/weights/resnet50.onnx")
    assert (info.kind, info.default_name, info.commit_sha) == ("url", "resnet50.onnx", None)
    assert info.repo_id == "https://example.com/weights/resnet50.onnx"


async def test_errors_pass_through(registry: SourceRegistry, offline: SourceRegistry) -> None:
    with pytest.raises(ValidationError, match="http or https"):
        await registry.fetch("ftp://example.com/x")
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        await registry.fetch("https://huggingface.co/nobody/nothing")
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        await registry.fetch("https://github.com/nobody/nothing")
    with pytest.raises(SourceUnavailableError):
        await offline.fetch("https://huggingface.co/google-bert/bert-base-uncased")
    with pytest.raises(SourceUnavailableError):
        await offline.fetch("https://github.com/openai/whisper")


async def test_check(registry: SourceRegistry, offline: SourceRegistry) -> None:
    report = await registry.check()
    assert report["huggingface"] == report["github"] == "ok"
    assert report["huggingface_ms"] >= 0 and report["github_ms"] >= 0
    with pytest.raises(SourceUnavailableError) as caught:
        await offline.check()
    details = caught.value.details
    assert details["huggingface"] == details["github"] == "unavailable"
    assert "Hugging Face" in caught.value.message and "GitHub" in caught.value.message
