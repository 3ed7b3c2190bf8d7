"""The feature tests' conformance helper: documented statuses and body shapes pass, others fail."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.openapi_check import OpenAPIRequest, assert_conforms

BASE = "http://registry.test"
TOKEN = {"X-Authorization": "bearer abc"}
ARTIFACT = {
    "metadata": {"name": "bert-base-uncased", "id": "4219003725561830", "type": "model"},
    "data": {
        "url": "https://huggingface.co/google-bert/bert-base-uncased",
        "download_url": f"{BASE}/artifacts/model/4219003725561830/download",
    },
}


def respond(
    method: str,
    path: str,
    status: int,
    *,
    json: object = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    request_json: object = None,
) -> httpx.Response:
    """A synthetic response bound to the request that produced it."""
    request = httpx.Request(method, BASE + path, headers=TOKEN, json=request_json)
    if json is not None:
        return httpx.Response(status, json=json, headers=headers, request=request)
    return httpx.Response(status, content=content, headers=headers, request=request)


def test_documented_response_passes() -> None:
    assert_conforms(respond("GET", "/artifacts/model/4219003725561830", 200, json=ARTIFACT))


def test_singular_alias_is_matched_to_its_own_template() -> None:
    assert_conforms(respond("GET", "/artifact/model/4219003725561830", 200, json=ARTIFACT))


def test_literal_path_wins_over_template() -> None:
    hits = [{"name": "bert-base-uncased", "id": "4219003725561830", "type": "model"}]
    response = respond("POST", "/artifact/byRegEx", 200, json=hits, request_json={"regex": "bert"})
    assert_conforms(response)


def test_error_body_passes_on_documented_error_status() -> None:
    body = {"error": "not_found", "message": "model artifact '1' does not exist"}
    assert_conforms(respond("GET", "/artifacts/model/1", 404, json=body))


def test_listing_with_offset_header_passes() -> None:
    response = respond(
        "POST",
        "/artifacts?limit=1",
        200,
        json=[{"name": "a", "id": "1", "type": "code"}],
        headers={"offset": "1"},
        request_json=[{"name": "*"}],
    )
    assert_conforms(response)


def test_token_is_a_json_string() -> None:
    assert_conforms(respond("PUT", "/authenticate", 200, json="bearer abc"))


def test_name_with_slash_maps_to_by_name() -> None:
    hits = [{"name": "org/model", "id": "7", "type": "model"}]
    assert_conforms(respond("GET", "/artifact/byName/org/model", 200, json=hits))


def test_request_adapter_exposes_protocol_fields() -> None:
    request = httpx.Request("POST", BASE + "/artifacts?offset=3", headers=TOKEN, json=[])
    adapted = OpenAPIRequest(request)
    assert adapted.host_url == BASE
    assert adapted.path == "/artifacts"
    assert adapted.method == "post"
    assert adapted.content_type == "application/json"
    assert adapted.body == b"[]"
    assert adapted.parameters.query["offset"] == "3"
    assert adapted.parameters.header["x-authorization"] == "bearer abc"


def test_undocumented_status_fails() -> None:
    body = {"error": "conflict", "message": "no"}
    with pytest.raises(AssertionError, match="409"):
        assert_conforms(respond("GET", "/artifacts/model/1", 409, json=body))


def test_wrong_body_shape_fails() -> None:
    body = {"metadata": {"name": "x", "id": "1"}, "data": {"url": "https://example.com"}}
    with pytest.raises(AssertionError, match="does not conform"):
        assert_conforms(respond("GET", "/artifacts/model/1", 200, json=body))


def test_error_without_error_body_fails() -> None:
    with pytest.raises(AssertionError, match="does not conform"):
        assert_conforms(respond("GET", "/artifacts/model/1", 404, json={"detail": "missing"}))


def test_missing_body_fails() -> None:
    with pytest.raises(AssertionError, match="does not conform"):
        assert_conforms(respond("GET", "/health", 200, content=b""))


def test_undocumented_path_fails() -> None:
    with pytest.raises(AssertionError, match="does not conform"):
        assert_conforms(respond("GET", "/nowhere", 200, json={}))


def test_undocumented_method_fails() -> None:
    with pytest.raises(AssertionError, match="does not conform"):
        assert_conforms(respond("PATCH", "/health", 200, json={"status": "ok"}))


def test_response_without_request_fails() -> None:
    with pytest.raises(AssertionError, match="no request"):
        assert_conforms(httpx.Response(200, json={"status": "ok"}))


def test_streamed_zip_download_passes() -> None:
    response = respond(
        "GET",
        "/artifacts/model/1/download",
        200,
        content=b"PK\x03\x04 zip bytes",
        headers={"content-type": "application/zip", "etag": '"sha256:ab"'},
    )
    assert_conforms(response)


def test_redirect_needs_its_location() -> None:
    path = "/artifacts/model/1/download?part=weights"
    assert_conforms(respond("GET", path, 307, headers={"location": "http://s3.test/b?sig=1"}))
    with pytest.raises(AssertionError, match="Location"):
        assert_conforms(respond("GET", path, 307))
