"""The error tree: each type's status and code, the JSON body, and what a 5xx body leaves out."""

from __future__ import annotations

import pytest

from registry import errors
from registry.errors import (
    ArtifactIdentityTakenError,
    NotFoundError,
    PermissionDeniedError,
    RegistryError,
    SourceUnavailableError,
    TooManyRequestsError,
    ValidationError,
)


def test_a_client_error_body_is_its_code_message_and_details() -> None:
    error = ValidationError("limit must be at least 1", details={"field": "limit"})
    assert (error.status_code, str(error)) == (400, "limit must be at least 1")
    assert error.to_dict() == {
        "error": "invalid_request",
        "message": "limit must be at least 1",
        "details": {"field": "limit"},
    }
    assert error.response_headers() == {}
    assert NotFoundError("gone").to_dict() == {"error": "not_found", "message": "gone"}


def test_permission_denied_answers_401_where_the_contract_says_so() -> None:
    assert PermissionDeniedError("no").status_code == 403
    assert PermissionDeniedError("no", status_code=401).status_code == 401


def test_identity_taken_names_the_type_name_and_url() -> None:
    error = ArtifactIdentityTakenError("model", "bert", "https://huggingface.co/bert")
    assert error.status_code == 409
    assert error.message == "model 'bert' from https://huggingface.co/bert is registered already"
    assert error.details == {"type": "model", "name": "bert", "url": "https://huggingface.co/bert"}


def test_too_many_requests_carries_retry_after_of_at_least_one_second() -> None:
    error = TooManyRequestsError("slow down", retry_after=0)
    assert error.retry_after == 1
    assert error.response_headers() == {"Retry-After": "1"}
    assert error.to_dict()["details"] == {"retry_after_seconds": 1}


def test_a_server_error_body_does_not_name_internal_endpoints() -> None:
    error = SourceUnavailableError("connect to http://10.1.2.3:9000/bucket?X-Amz-Signature=abc")
    body = error.to_dict()
    assert body["error"] == "source_unavailable"
    assert "X-Amz-Signature=abc" not in str(body)
    # The log keeps the whole text.
    assert "X-Amz-Signature=abc" in error.message


def _all_types() -> list[type[RegistryError]]:
    found, todo = [], [RegistryError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__ == errors.__name__]


@pytest.mark.parametrize("cls", _all_types(), ids=lambda cls: cls.__name__)
def test_every_type_has_an_http_status_and_a_snake_case_code(cls: type[RegistryError]) -> None:
    assert 400 <= cls.status_code <= 599
    assert cls.code.replace("_", "").isalpha() and cls.code.islower()
