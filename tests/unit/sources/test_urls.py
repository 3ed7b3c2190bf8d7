"""parse_source_url: which kind of source a URL names, its id, and the name it implies."""

from __future__ import annotations

import pytest

from registry.errors import ValidationError
from registry.sources.urls import keyboard_name, parse_source_url

HF = "https://huggingface.co"


@pytest.mark.parametrize(
    ("url", "kind", "repo_id", "name", "revision"),
    [
        (
            f"{HF}/google-bert/bert-base-uncased",
            "hf_model",
            "google-bert/bert-base-uncased",
            "bert-base-uncased",
            None,
        ),
        (
            f"{HF}/google-bert/bert-base-uncased/",
            "hf_model",
            "google-bert/bert-base-uncased",
            "bert-base-uncased",
            None,
        ),
        (
            f"{HF}/acme/bert-finetuned-sst2/tree/main",
            "hf_model",
            "acme/bert-finetuned-sst2",
            "bert-finetuned-sst2",
            "main",
        ),
        (
            f"{HF}/acme/lora-adapter/blob/v1.0.0/adapter_config.json",
            "hf_model",
            "acme/lora-adapter",
            "lora-adapter",
            "v1.0.0",
        ),
        (f"{HF}/acme/x/resolve/refs%2Fpr%2F1/config.json", "hf_model", "acme/x", "x", "refs/pr/1"),
        (f"{HF}/acme/x/tree/refs/pr/2", "hf_model", "acme/x", "x", "refs/pr/2"),
        (f"{HF}/bert-base-uncased", "hf_model", "bert-base-uncased", "bert-base-uncased", None),
        (f"{HF}/gpt2/tree/main", "hf_model", "gpt2", "gpt2", "main"),
        (f"{HF}/datasets/stanfordnlp/sst2", "hf_dataset", "stanfordnlp/sst2", "sst2", None),
        (
            f"{HF}/datasets/bookcorpus/bookcorpus/tree/main/data",
            "hf_dataset",
            "bookcorpus/bookcorpus",
            "bookcorpus",
            "main",
        ),
        (f"{HF}/datasets/squad", "hf_dataset", "squad", "squad", None),
        (
            f"{HF}/api/models/acme/lora-adapter",
            "hf_model",
            "acme/lora-adapter",
            "lora-adapter",
            None,
        ),
        (
            "https://hf.co/acme/Model.v2_final",
            "hf_model",
            "acme/Model.v2_final",
            "Model.v2_final",
            None,
        ),
        ("HTTPS://HuggingFace.CO/Acme/Model", "hf_model", "Acme/Model", "Model", None),
        ("  https://huggingface.co/acme/model  ", "hf_model", "acme/model", "model", None),
        (
            "https://github.com/google-research/bert",
            "github",
            "google-research/bert",
            "google-research-bert",
            None,
        ),
        (
            "https://github.com/google-research/bert.git",
            "github",
            "google-research/bert",
            "google-research-bert",
            None,
        ),
        (
            "https://github.com/openai/whisper/tree/main/whisper",
            "github",
            "openai/whisper",
            "openai-whisper",
            None,
        ),
        (
            "https://www.github.com/openai/whisper/",
            "github",
            "openai/whisper",
            "openai-whisper",
            None,
        ),
        (
            "https://api.github.com/repos/gnu-stuff/gpl-tool",
            "github",
            "gnu-stuff/gpl-tool",
            "gnu-stuff-gpl-tool",
            None,
        ),
    ],
)
def test_source_urls(url: str, kind: str, repo_id: str, name: str, revision: str | None) -> None:
    parsed = parse_source_url(url)
    assert (parsed.kind, parsed.repo_id, parsed.default_name, parsed.revision) == (
        kind,
        repo_id,
        name,
        revision,
    )


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (f"{HF}/spaces/acme/demo", "demo"),
        (f"{HF}/docs/transformers/index", "index"),
        (f"{HF}/", "huggingface.co"),
        (f"{HF}/models", "models"),
        ("https://github.com/openai", "openai"),
        ("https://github.com/orgs/openai/repositories", "repositories"),
        ("https://example.com/models/resnet50.onnx?download=1#top", "resnet50.onnx"),
        ("https://example.com", "example.com"),
        ("http://Example.COM:8080/", "example.com"),
        ("http://example.com/caf%C3%A9%20model/", "caf-model"),
        ("https://example.com/%E6%A8%A1%E5%9E%8B", "example.com"),
    ],
)
def test_other_urls_are_registered_by_reference(url: str, name: str) -> None:
    parsed = parse_source_url(url)
    assert parsed.kind == "url"
    assert parsed.repo_id == url.strip()
    assert parsed.default_name == name
    assert parsed.default_name.isascii() and " " not in parsed.default_name


def test_canonical_urls() -> None:
    assert parse_source_url(f"{HF}/acme/x/tree/main").canonical_url == f"{HF}/acme/x"
    assert (
        parse_source_url(f"{HF}/datasets/stanfordnlp/sst2").canonical_url
        == f"{HF}/datasets/stanfordnlp/sst2"
    )
    github = parse_source_url("https://api.github.com/repos/openai/whisper")
    assert github.canonical_url == "https://github.com/openai/whisper"
    plain = parse_source_url("HTTPS://Example.com/A?b=1#frag")
    assert plain.canonical_url == "https://example.com/A?b=1"


def test_configured_hosts_count_as_hub_and_github() -> None:
    hub = "http://127.0.0.1:8081/acme/x"
    code = "http://127.0.0.1:8082/openai/whisper"
    hosts = {"hf_hosts": ["127.0.0.1:8081"], "github_hosts": ["127.0.0.1:8082"]}
    assert parse_source_url(hub, **hosts).kind == "hf_model"
    assert parse_source_url(code, **hosts).kind == "github"
    assert parse_source_url(hub).kind == "url"
    assert parse_source_url("http://127.0.0.1:9999/acme/x", **hosts).kind == "url"
    assert (
        parse_source_url("http://mirror.local:9000/acme/x", hf_hosts=["mirror.local"]).kind
        == "hf_model"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ftp://example.com/model.bin", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("javascript:alert(1)", "http or https"),
        ("git@github.com:openai/whisper.git", "http or https"),
        ("huggingface.co/acme/x", "http or https"),
        ("http://", "host"),
        ("https:///path/only", "host"),
        ("https://example.com/a\x00b", "control characters"),
        ("https://example.com/a\nb", "control characters"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/" + "a" * 3000, "longer than 2048"),
        ("http://user:secret@example.com/x", "credentials"),
        ("http://[::1/x", "malformed"),
        ("http://example.com:99999/", "malformed"),
        (f"{HF}/acme/bad--name", "not a valid Hugging Face repository id"),
        (f"{HF}/acme/-leading", "not a valid Hugging Face repository id"),
        (f"{HF}/datasets/acme/{'x' * 97}", "not a valid Hugging Face repository id"),
        ("https://github.com/-bad/repo", "not a valid GitHub repository"),
        ("https://github.com/owner/re%20po", "not a valid GitHub repository"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_source_url(url)


def test_max_length_is_configurable() -> None:
    with pytest.raises(ValidationError, match="longer than 30"):
        parse_source_url("https://example.com/abcdefghijklmnop", max_length=30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model.bin", "model.bin"),
        ("my model", "my-model"),
        ("ünïcode", "ncode"),
        ("模型", "fallback"),
        ("x" * 300, "x" * 128),
    ],
)
def test_keyboard_name(text: str, expected: str) -> None:
    assert keyboard_name(text, "fallback") == expected
