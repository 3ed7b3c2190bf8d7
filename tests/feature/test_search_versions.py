"""POST /artifacts/search: semver ranges from hub git tags, filters, cursor pages, errors."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.fixtures.openapi_check import assert_conforms
from tests.fixtures.registry_client import GH, HF, drain_jobs


async def register(client: httpx.AsyncClient) -> dict[str, dict]:
    """bert (tags v1.0.0, 1.1.0), sst2 (v0.1.0), bare (none), a dataset and a code repo."""
    items = {
        "bert": ("model", f"{HF}/google-bert/bert-base-uncased"),
        "sst2": ("model", f"{HF}/acme/bert-finetuned-sst2"),
        "bare": ("model", f"{HF}/nobody/bare-model"),
        "books": ("dataset", f"{HF}/datasets/bookcorpus/bookcorpus"),
        "code": ("code", f"{GH}/openai/whisper"),
    }
    out = {}
    for key, (artifact_type, url) in items.items():
        response = await client.post(f"/artifact/{artifact_type}", json={"url": url})
        assert response.status_code == 201, response.text
        out[key] = response.json()["metadata"]
    return out


async def search(client: httpx.AsyncClient, **body: object) -> dict:
    response = await client.post("/artifacts/search", json=body)
    assert response.status_code == 200, response.text
    assert_conforms(response)
    return response.json()  # type: ignore[no-any-return]


def ids(page: dict) -> list[str]:
    return [item["id"] for item in page["items"]]


RANGES = [
    ("1.0.0", {"bert": ["1.0.0"]}),
    ("^1.0.0", {"bert": ["1.0.0", "1.1.0"]}),
    ("~1.0.0", {"bert": ["1.0.0"]}),
    ("1.0.5-1.1.0", {"bert": ["1.1.0"]}),
    ("^0.1.0", {"sst2": ["0.1.0"]}),
    ("~0.1.2", {}),
    ("^2.0.0", {}),
    (">=0.0.1 || 1.x", {"bert": ["1.0.0", "1.1.0"], "sst2": ["0.1.0"]}),
]


async def test_version_ranges_over_git_tags(client: httpx.AsyncClient) -> None:
    items = await register(client)
    for version, expected in RANGES:
        page = await search(client, version=version)
        assert {item["id"]: item["versions"] for item in page["items"]} == {
            items[key]["id"]: versions for key, versions in expected.items()
        }, version
        assert page["next_cursor"] is None


async def test_filters_combine_and_everything_is_a_subset_of_enumeration(
    client: httpx.AsyncClient,
) -> None:
    items = await register(client)
    everything = await search(client)
    listed = (await client.post("/artifacts", json=[{"name": "*"}])).json()
    assert ids(everything) == [m["id"] for m in listed]
    by_regex = await search(client, version="*", regex="sst2|uncased")
    assert ids(by_regex) == [items["bert"]["id"], items["sst2"]["id"]]
    by_name = await search(client, name="bert-finetuned-sst2", version="<1.0.0")
    assert ids(by_name) == [items["sst2"]["id"]]
    typed = await search(client, types=["dataset", "code"])
    assert ids(typed) == [items["books"]["id"], items["code"]["id"]]
    assert (await search(client, regex="BookCorpus", types=["model"], version="^1.0.0"))[
        "items"
    ] == [{**items["bert"], "versions": ["1.0.0", "1.1.0"]}]


async def test_cursor_pages_through_everything(client: httpx.AsyncClient) -> None:
    items = list((await register(client)).values())
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        body: dict = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = await search(client, **body)
        assert len(page["items"]) <= 2
        seen.extend(ids(page))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [m["id"] for m in items]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"version": "not-a-range"}, 400, "malformed version range"),
        ({"version": "2.0.0-1.0.0"}, 400, "lower bound"),
        ({"version": ""}, 400, "empty"),
        ({"regex": "(a|aa)*$"}, 400, "regex"),
        ({"limit": 0}, 400, "limit"),
        ({"limit": 100000}, 413, "at most"),
        ({"cursor": "!!not-ours"}, 400, "cursor"),
        ({"types": ["widget"]}, 400, "types"),
        ({"colour": "red"}, 400, "colour"),
        ({"version": 5}, 400, "version"),
        ({"trust": "trusted"}, 400, "trust"),
    ],
)
async def test_errors_name_the_problem(
    client: httpx.AsyncClient, body: dict, status: int, needle: str
) -> None:
    response = await client.post("/artifacts/search", json=body)
    assert response.status_code == status, response.text
    assert_conforms(response)
    assert needle in response.text


async def test_trust_filter_keeps_models_by_their_stored_status(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    items = await register(client)
    trusty = await client.post("/artifact/model", json={"url": f"{HF}/trusty/stdlib-demo"})
    assert trusty.status_code == 201, trusty.text
    items["trusty"] = trusty.json()["metadata"]
    # The reproducibility runs settle each status in the background: read it once they are done.
    await drain_jobs(registry_app)
    models = [items[key]["id"] for key in ("bert", "sst2", "bare", "trusty")]
    status = {}
    for artifact_id in models:
        report = await client.get(f"/artifact/model/{artifact_id}/trust")
        assert report.status_code == 200, report.text
        status[artifact_id] = report.json()["status"]
    vetted = {a for a in models if status[a] == "vetted"}
    unvetted = {a for a in models if status[a] == "unvetted"}
    assert vetted and unvetted  # the fake hub holds both kinds, so the filter must split them
    assert set(ids(await search(client, trust="vetted"))) == vetted
    assert set(ids(await search(client, trust="unvetted"))) == unvetted
    # Combined with other filters, and datasets/code (never rated) are never "unvetted".
    assert ids(await search(client, trust="vetted", name="stdlib-demo")) == [items["trusty"]["id"]]
    assert ids(await search(client, trust="unvetted", name="stdlib-demo")) == []


async def test_cursor_of_another_query_is_refused(client: httpx.AsyncClient) -> None:
    await register(client)
    page = await search(client, limit=1)
    response = await client.post(
        "/artifacts/search", json={"limit": 1, "cursor": page["next_cursor"], "version": "*"}
    )
    assert response.status_code == 400
    assert "different query" in response.json()["message"]


async def test_needs_a_token_and_the_search_permission(anon: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    response = await anon.post("/artifacts/search", json={})
    assert response.status_code == 403
    assert_conforms(response)
    blind = await make_user("blind", search=False)
    denied = await blind.post("/artifacts/search", json={})
    assert denied.status_code in (401, 403)
    assert denied.json()["error"]


async def test_deleting_an_artifact_forgets_its_versions(client: httpx.AsyncClient) -> None:
    items = await register(client)
    bert = items["bert"]
    deleted = await client.delete(f"/artifacts/model/{bert['id']}")
    assert deleted.status_code == 200
    assert (await search(client, version="^1.0.0"))["items"] == []
