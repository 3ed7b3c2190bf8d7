"""Enumeration, exact-name lookup and regex search."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fixtures.registry_client import GH, HF


async def register(client: httpx.AsyncClient) -> dict[str, dict]:
    items = {
        "bert": ("model", f"{HF}/google-bert/bert-base-uncased", None),
        "sst2": ("model", f"{HF}/acme/bert-finetuned-sst2", None),
        "bare": ("model", f"{HF}/nobody/bare-model", None),
        "books": ("dataset", f"{HF}/datasets/bookcorpus/bookcorpus", None),
        "code": ("code", f"{GH}/openai/whisper", None),
        "Bert-upper": ("model", "https://example.com/m/BERT-BASE-UNCASED", None),
    }
    out = {}
    for key, (artifact_type, url, name) in items.items():
        body = {"url": url} if name is None else {"url": url, "name": name}
        response = await client.post(f"/artifact/{artifact_type}", json=body)
        assert response.status_code == 201, response.text
        out[key] = response.json()["metadata"]
    return out


async def test_enumerate_everything_in_registration_order(client: httpx.AsyncClient) -> None:
    items = await register(client)
    response = await client.post("/artifacts", json=[{"name": "*"}])
    assert response.status_code == 200
    assert response.json() == list(items.values())
    assert "offset" not in response.headers


@pytest.mark.parametrize("types", ["absent", None, [], ["model", "dataset", "code"]])
async def test_missing_null_or_empty_types_mean_all(
    client: httpx.AsyncClient, types: object
) -> None:
    items = await register(client)
    query: dict = {"name": "*"} if types == "absent" else {"name": "*", "types": types}
    response = await client.post("/artifacts", json=[query])
    assert len(response.json()) == len(items)


async def test_types_filter_and_exact_case_sensitive_names(client: httpx.AsyncClient) -> None:
    items = await register(client)
    models = await client.post("/artifacts", json=[{"name": "*", "types": ["dataset", "code"]}])
    assert models.json() == [items["books"], items["code"]]
    exact = await client.post("/artifacts", json=[{"name": "bert-base-uncased"}])
    assert exact.json() == [items["bert"]]
    union = await client.post(
        "/artifacts", json=[{"name": "bert-base-uncased"}, {"name": "whisper", "types": ["code"]}]
    )
    assert union.json() == [items["bert"]]
    union2 = await client.post(
        "/artifacts", json=[{"name": "bookcorpus"}, {"name": "openai-whisper"}]
    )
    assert union2.json() == [items["books"], items["code"]]


async def test_pagination_with_offset_header(client: httpx.AsyncClient) -> None:
    items = list((await register(client)).values())
    first = await client.post("/artifacts?limit=4", json=[{"name": "*"}])
    assert first.json() == items[:4]
    assert first.headers["offset"] == "4"
    second = await client.post(
        f"/artifacts?limit=4&offset={first.headers['offset']}", json=[{"name": "*"}]
    )
    assert second.json() == items[4:]
    assert "offset" not in second.headers
    past = await client.post("/artifacts?offset=100", json=[{"name": "*"}])
    assert past.json() == []


@pytest.mark.parametrize(
    ("body", "query", "status"),
    [
        ({"name": "*"}, "", 400),
        ([], "", 400),
        ([{"types": ["model"]}], "", 400),
        ([{"name": "*", "types": ["widget"]}], "", 400),
        ([{"name": 3}], "", 400),
        ([{"name": "*"}], "?offset=-1", 400),
        ([{"name": "*"}], "?offset=abc", 400),
        ([{"name": "*"}], "?limit=0", 400),
        ([{"name": "*"}], "?limit=100000", 413),
        ([{"name": "*"}] * 101, "", 413),
    ],
)
async def test_enumerate_errors(
    client: httpx.AsyncClient, body: object, query: str, status: int
) -> None:
    response = await client.post(f"/artifacts{query}", json=body)
    assert response.status_code == status, response.text
    assert response.json()["message"]


async def test_by_name(client: httpx.AsyncClient) -> None:
    items = await register(client)
    again = await client.post(
        "/artifact/model", json={"url": "https://example.com/another", "name": "bert-base-uncased"}
    )
    response = await client.get("/artifact/byName/bert-base-uncased")
    assert response.status_code == 200
    assert response.json() == [items["bert"], again.json()["metadata"]]
    assert (await client.get("/artifact/byName/BERT-base-uncased")).status_code == 404
    assert (await client.get("/artifact/byName/nothing")).status_code == 404
    assert (await client.get("/artifact/byName/*")).status_code == 400


async def test_regex_over_names(client: httpx.AsyncClient) -> None:
    items = await register(client)
    response = await client.post("/artifact/byRegEx", json={"regex": "^bert-.*uncased$"})
    assert response.status_code == 200
    assert response.json() == [items["bert"]]


async def test_regex_reaches_readme_text(client: httpx.AsyncClient) -> None:
    items = await register(client)
    # "BookCorpus" appears in the BERT model card and the dataset card, not in their names.
    response = await client.post("/artifact/byRegEx", json={"regex": "BookCorpus"})
    ids = {m["id"] for m in response.json()}
    assert items["bert"]["id"] in ids
    assert items["bare"]["id"] not in ids


async def test_regex_without_match_is_404(client: httpx.AsyncClient) -> None:
    await register(client)
    response = await client.post("/artifact/byRegEx", json={"regex": "zzz-no-such-thing-[0-9]{5}"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "pattern", ["(a|aa)*$", "(a{1,99999}){1,99999}$", "(a+)+$", "[", "", "a" * 5000, "(?<!x)y"]
)
async def test_hostile_or_invalid_regex_is_400_fast(
    client: httpx.AsyncClient, pattern: str
) -> None:
    await register(client)
    started = time.perf_counter()
    response = await client.post("/artifact/byRegEx", json={"regex": pattern})
    elapsed = time.perf_counter() - started
    assert response.status_code == 400, response.text
    assert response.json()["message"]
    # Milliseconds on an idle machine; the bound only has to tell "refused up front" from
    # "ran the pattern", with room for a loaded CI box.
    assert elapsed < 5, elapsed


@pytest.mark.parametrize("body", [{}, {"regex": 5}, {"regex": None}, ["a"]])
async def test_regex_body_errors(client: httpx.AsyncClient, body: object) -> None:
    assert (await client.post("/artifact/byRegEx", json=body)).status_code == 400


async def test_package_confusion_audit_flags_imitations(client: httpx.AsyncClient) -> None:
    items = await register(client)
    first = await client.post("/artifacts/PackageConfusionAudit")
    assert first.status_code == 200
    # BERT-BASE-UNCASED from example.com imitates google-bert's model by case alone.
    assert [s["artifact_id"] for s in first.json()["suspected"]] == [items["Bert-upper"]["id"]]
    typo = await client.post(
        "/artifact/model",
        json={"url": "https://example.com/evil/bert-base-uncasd", "name": "bert-base-uncasd"},
    )
    response = await client.post("/artifacts/PackageConfusionAudit")
    suspected = {s["artifact_id"]: s for s in response.json()["suspected"]}
    assert set(suspected) == {items["Bert-upper"]["id"], typo.json()["metadata"]["id"]}
    assert suspected[typo.json()["metadata"]["id"]]["metadata"]["similar_to"] == [
        items["bert"]["id"]
    ]
    assert items["bert"]["id"] not in suspected


async def test_package_confusion_audit_needs_a_token(anon: httpx.AsyncClient) -> None:
    assert (await anon.post("/artifacts/PackageConfusionAudit")).status_code == 403
