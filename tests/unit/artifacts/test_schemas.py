"""The request models of artifacts: names and URLs a person can read, the reserved "*"."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from registry.artifacts.schemas import (
    ArtifactCreateRequest,
    ArtifactIn,
    ArtifactQuery,
    artifact_of,
    check_name,
    metadata_of,
)
from registry.db.models import ArtifactRow


def test_a_plain_name_passes_unchanged() -> None:
    assert check_name("bert-base-uncased") == "bert-base-uncased"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("   ", "must not be blank"),
        ("x" * 513, "at most 512 characters"),
        ("evil\u202ename", "name must not contain"),
        ("zero\u200bwidth", "name must not contain"),
    ],
)
def test_unreadable_names_are_refused(name: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_name(name)


def test_the_length_limit_is_a_parameter() -> None:
    with pytest.raises(ValueError, match="at most 4 characters"):
        check_name("abcde", max_length=4)


def test_a_create_request_takes_an_optional_name_but_never_the_wildcard() -> None:
    assert ArtifactCreateRequest.model_validate({"url": "https://x.test/a"}).name is None
    named = ArtifactCreateRequest.model_validate({"url": "https://x.test/a", "name": "a"})
    assert named.name == "a"
    with pytest.raises(ValidationError, match='the name "\\*" is reserved'):
        ArtifactCreateRequest.model_validate({"url": "https://x.test/a", "name": "*"})


@pytest.mark.parametrize("url", ["", "https://x.test/\u202efdp.exe", "x" * 2049])
def test_empty_deceptive_or_huge_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        ArtifactCreateRequest.model_validate({"url": url})


def test_an_update_envelope_checks_the_looked_up_name() -> None:
    body = {"metadata": {"name": "a", "id": "1", "type": "model"}, "data": {"url": "https://x"}}
    assert ArtifactIn.model_validate(body).metadata.type == "model"
    body["metadata"]["name"] = "a\x00b"
    with pytest.raises(ValidationError, match="name must not contain"):
        ArtifactIn.model_validate(body)


def test_a_query_name_cannot_smuggle_controls_and_types_must_be_known() -> None:
    assert ArtifactQuery.model_validate({"name": "*", "types": ["code"]}).types == ["code"]
    with pytest.raises(ValidationError):
        ArtifactQuery.model_validate({"name": "a\u2066b"})
    with pytest.raises(ValidationError):
        ArtifactQuery.model_validate({"name": "a", "types": ["weights"]})


def test_metadata_and_envelope_render_from_a_row_or_a_summary() -> None:
    row = ArtifactRow(id="7", name="m", type="model", url="https://huggingface.co/o/m")
    assert metadata_of(row) == {"name": "m", "id": "7", "type": "model"}
    assert metadata_of((3, "7", "m", "model")) == {"name": "m", "id": "7", "type": "model"}
    envelope = artifact_of(row, "http://registry.test")
    assert envelope["data"] == {
        "url": "https://huggingface.co/o/m",
        "download_url": "http://registry.test/artifacts/model/7/download",
    }
