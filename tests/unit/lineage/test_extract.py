"""Lineage extraction from stored metadata, in the documented order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from registry.db.models import ArtifactRow
from registry.lineage.extract import artifact_keys, extract, hub_repo_id, malformed


def row(**fields: Any) -> ArtifactRow:
    """A model row from the hub with the given metadata."""
    now = datetime(2024, 1, 1)
    base: dict[str, Any] = {
        "id": "1",
        "name": "m",
        "type": "model",
        "url": "https://huggingface.co/acme/m",
        "source_kind": "hf_model",
        "source_ref": "acme/m",
        "created_by": "t",
        "created_at": now,
        "updated_at": now,
    }
    return ArtifactRow(**(base | fields))


def parents(r: ArtifactRow) -> list[tuple[str, str, str, str | None, str]]:
    return [(p.kind, p.ref, p.relationship, p.relation, p.source) for p in extract(r).parents]


def test_card_base_model_wins_with_declared_relation() -> None:
    r = row(
        card_data={
            "base_model": "google-bert/bert-base-uncased",
            "base_model_relation": "quantized",
        },
        config={"_name_or_path": "other/model"},
    )
    assert parents(r) == [
        ("model", "google-bert/bert-base-uncased", "base_model", "quantized", "model_card")
    ]


def test_a_list_of_bases_is_a_merge() -> None:
    r = row(card_data={"base_model": ["a/one", "b/two"]})
    assert [(p[1], p[3]) for p in parents(r)] == [("a/one", "merge"), ("b/two", "merge")]


def test_adapter_config_when_the_card_is_silent() -> None:
    r = row(extra={"adapter_config": {"base_model_name_or_path": "acme/base"}})
    assert parents(r) == [("model", "acme/base", "base_model", "adapter", "adapter_config")]


def test_card_base_with_adapter_files_is_an_adapter() -> None:
    r = row(
        card_data={"base_model": "acme/base"},
        extra={"adapter_config": {"base_model_name_or_path": "acme/base"}},
    )
    assert parents(r)[0][3] == "adapter"


def test_config_name_or_path_then_model_index() -> None:
    assert parents(row(config={"_name_or_path": "acme/base"}))[0][4] == "config_json"
    diffusers = row(extra={"model_index": {"_name_or_path": "stabilityai/sd-2"}})
    assert parents(diffusers) == [
        ("model", "stabilityai/sd-2", "base_model", "finetune", "model_index")
    ]


def test_quantization_config_or_gguf_means_quantized() -> None:
    q = row(config={"_name_or_path": "acme/base", "quantization_config": {"bits": 4}})
    assert parents(q)[0][3] == "quantized"
    gguf = row(card_data={"base_model": "acme/base"}, files=[{"path": "m.Q4_K_M.gguf"}])
    assert parents(gguf)[0][3] == "quantized"


@pytest.mark.parametrize(
    "path",
    [
        "./outputs/checkpoint-500",
        "/data/ckpt",
        "~/m",
        "C:\\models\\x",
        "checkpoint-500",
        "acme/m",
        "ACME/M",
        "",
        42,
        None,
    ],
)
def test_local_paths_and_own_id_are_ignored(path: object) -> None:
    assert parents(row(config={"_name_or_path": path})) == []


def test_hub_urls_are_accepted() -> None:
    r = row(card_data={"base_model": "https://huggingface.co/google-bert/bert-base-uncased"})
    assert parents(r)[0][1] == "google-bert/bert-base-uncased"


def test_datasets_and_code_links() -> None:
    r = row(
        card_data={"datasets": ["stanfordnlp/sst2", "https://huggingface.co/datasets/a/b"]},
        card_text="See https://github.com/google-research/bert and "
        "https://github.com/google-research/bert.git, https://github.com/topics/x",
    )
    assert parents(r) == [
        ("dataset", "stanfordnlp/sst2", "training_dataset", None, "model_card"),
        ("dataset", "a/b", "training_dataset", None, "model_card"),
        ("code", "google-research/bert", "linked_code", None, "card_text"),
    ]


def test_a_single_dataset_string_is_accepted() -> None:
    assert parents(row(card_data={"datasets": "glue"}))[0][:2] == ("dataset", "glue")


def test_malformed_card_entries_are_problems() -> None:
    result = extract(row(card_data={"base_model": {"x": 1}, "datasets": [3]}))
    assert result.parents == []
    assert len(result.problems) == 2


def test_invalid_files_are_problems() -> None:
    r = row(extra={"config_invalid": True, "card_metadata_invalid": True})
    assert malformed(r) == [
        "config.json is not a valid JSON object",
        "the model card's YAML metadata block is malformed",
    ]


def test_datasets_and_code_have_no_parents() -> None:
    assert extract(row(type="dataset", card_data={"base_model": "a/b"})).parents == []


def test_duplicates_are_dropped() -> None:
    r = row(card_data={"base_model": ["a/b", "A/B"]})
    assert len(extract(r).parents) == 1


def test_keys_cover_aliases_and_kinds() -> None:
    r = row(
        source_ref="google-bert/bert-base-uncased", extra={"requested_repo_id": "bert-base-uncased"}
    )
    assert artifact_keys(r) == [
        "hf_model:bert-base-uncased",
        "hf_model:google-bert/bert-base-uncased",
    ]
    assert artifact_keys(row(source_kind="url", source_ref="https://x.test/m")) == []
    code = row(type="code", source_kind="github", source_ref="Org/Repo")
    assert artifact_keys(code) == ["github:org/repo"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://hf.co/a/b", "a/b"),
        ("https://huggingface.co/models/a/b", "a/b"),
        ("https://huggingface.co/datasets/a/b", None),
        ("https://example.com/a/b", None),
        ("a/b/c", None),
        ("a--b/c", None),
    ],
)
def test_hub_repo_id(value: str, expected: str | None) -> None:
    assert hub_repo_id(value) == expected
