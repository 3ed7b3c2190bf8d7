"""The rate endpoint, trust status, refresh and the trust listing, on the real app."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
from starlette.applications import Starlette

from tests.fixtures.openapi_check import assert_conforms
from tests.fixtures.registry_client import HF, settled

RATING_KEYS = {
    "name",
    "category",
    "net_score",
    "net_score_latency",
    "ramp_up_time",
    "ramp_up_time_latency",
    "bus_factor",
    "bus_factor_latency",
    "performance_claims",
    "performance_claims_latency",
    "license",
    "license_latency",
    "dataset_and_code_score",
    "dataset_and_code_score_latency",
    "dataset_quality",
    "dataset_quality_latency",
    "code_quality",
    "code_quality_latency",
    "reproducibility",
    "reproducibility_latency",
    "reviewedness",
    "reviewedness_latency",
    "tree_score",
    "tree_score_latency",
    "size_score",
    "size_score_latency",
}
SCALARS = (
    "ramp_up_time",
    "bus_factor",
    "performance_claims",
    "license",
    "dataset_and_code_score",
    "dataset_quality",
    "code_quality",
    "tree_score",
    "net_score",
)


async def register(client: httpx.AsyncClient, repo: str, artifact_type: str = "model") -> str:
    response = await client.post(f"/artifact/{artifact_type}", json={"url": f"{HF}/{repo}"})
    assert response.status_code == 201, response.text
    return str(response.json()["metadata"]["id"])


async def rating_of(client: httpx.AsyncClient, artifact_id: str) -> dict[str, object]:
    response = await client.get(f"/artifact/model/{artifact_id}/rate")
    assert response.status_code == 200, response.text
    assert_conforms(response)
    return dict(response.json())


async def test_rate_has_every_key_in_range(client: httpx.AsyncClient) -> None:
    rating = await rating_of(client, await register(client, "google-bert/bert-base-uncased"))
    assert set(rating) == RATING_KEYS
    assert rating["name"] == "bert-base-uncased"
    assert rating["category"] == "fill-mask"
    for key in SCALARS:
        assert 0.0 <= float(rating[key]) <= 1.0, key  # type: ignore[arg-type]
    assert set(rating["size_score"]) == {"raspberry_pi", "jetson_nano", "desktop_pc", "aws_server"}  # type: ignore[arg-type]
    for key in RATING_KEYS:
        if key.endswith("_latency"):
            assert 0.0 <= float(rating[key]) < 10.0, key  # type: ignore[arg-type]
    # bert links google-research/bert, where 333 of 334 sampled PR lines were approved.
    assert 0.99 <= float(rating["reviewedness"]) <= 1.0  # type: ignore[arg-type]


async def test_well_kept_outranks_neglected_on_every_metric(client: httpx.AsyncClient) -> None:
    good = await rating_of(client, await register(client, "trusty/stdlib-demo"))
    bad = await rating_of(client, await register(client, "nobody/bare-model"))
    for key in SCALARS:
        assert float(good[key]) >= float(bad[key]), key  # type: ignore[arg-type]
    for device, value in good["size_score"].items():  # type: ignore[attr-defined]
        assert value >= bad["size_score"][device]  # type: ignore[index]
    assert float(good["net_score"]) >= 0.8 > 0.3 >= float(bad["net_score"])  # type: ignore[arg-type]
    # 200 of 220 sampled PR code lines approved; the weights file in PR 12 does not count.
    assert bad["reviewedness"] == -1.0 and good["reviewedness"] == 0.9091
    assert bad["license"] == 0.0 and good["license"] == 1.0
    assert bad["category"] == "MODEL"


async def test_reproducibility_cases_and_trust(client: httpx.AsyncClient) -> None:
    good = await register(client, "trusty/stdlib-demo")
    repaired = await register(client, "trusty/needs-repair")
    hostile = await register(client, "trusty/escape-artist")
    bare = await register(client, "nobody/bare-model")
    report = await settled(client, good)
    assert report["reproducibility"] == {  # type: ignore[comparison-overlap]
        "case": "unchanged",
        "score": 1.0,
        "reason": "the card's code ran unchanged",
        "repairs": [],
    }
    assert report["status"] == "vetted" and report["failing_metrics"] == []
    fixed = await settled(client, repaired)
    assert fixed["reproducibility"]["case"] == "repaired"  # type: ignore[index]
    assert fixed["reproducibility"]["score"] == 0.5  # type: ignore[index]
    assert {"dedent", "strip_notebook", "local_files", "add_imports"} <= set(
        fixed["reproducibility"]["repairs"]  # type: ignore[index]
    )
    contained = await settled(client, hostile)
    assert contained["reproducibility"]["case"] == "failed"  # type: ignore[index]
    assert "PermissionError" in contained["reproducibility"]["reason"]  # type: ignore[index]
    none = await settled(client, bare)
    assert none["reproducibility"]["case"] == "no_code"  # type: ignore[index]
    assert none["status"] == "unvetted"
    assert {"license", "ramp_up_time", "reproducibility"} <= set(none["failing_metrics"])  # type: ignore[arg-type]
    assert (await rating_of(client, good))["reproducibility"] == 1.0
    listing = await client.get("/artifacts/trust", params={"status": "vetted"})
    assert listing.status_code == 200
    assert_conforms(listing)
    assert [m["id"] for m in listing.json()] == [good]
    unvetted = await client.get("/artifacts/trust", params={"status": "unvetted"})
    assert bare in [m["id"] for m in unvetted.json()]


async def test_rate_errors(client: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    dataset = await register(
        client, "stanfordnlp/sst2".replace("stanfordnlp", "datasets/stanfordnlp"), "dataset"
    )
    bad_id = await client.get("/artifact/model/bad!id/rate")
    assert bad_id.status_code == 400 and bad_id.json()["error"] == "invalid_request"
    missing = await client.get("/artifact/model/123456/rate")
    assert missing.status_code == 404 and "does not exist" in missing.json()["message"]
    not_model = await client.get(f"/artifact/model/{dataset}/rate")
    assert not_model.status_code == 404
    no_token = await anon.get(f"/artifact/model/{dataset}/rate")
    assert no_token.status_code == 403
    assert (await client.get("/artifacts/trust", params={"status": "shiny"})).status_code == 400
    assert (await client.get("/artifacts/trust", params={"offset": "-1"})).status_code == 400
    assert (await client.get("/artifact/model/123456/trust")).status_code == 404


async def test_thirteen_concurrent_rates_and_audit(client: httpx.AsyncClient) -> None:
    artifact_id = await register(client, "trusty/stdlib-demo")
    answers = await asyncio.gather(
        *(client.get(f"/artifact/model/{artifact_id}/rate") for _ in range(13))
    )
    assert [a.status_code for a in answers] == [200] * 13
    trail = (await client.get(f"/artifact/model/{artifact_id}/audit")).json()
    assert sum(1 for entry in trail if entry["action"] == "RATE") == 13


async def test_rating_is_fast_from_the_fake_hub(client: httpx.AsyncClient) -> None:
    artifact_id = await register(client, "google-bert/bert-base-uncased")
    seconds = []
    for _ in range(3):
        started = time.perf_counter()
        refreshed = await client.post(f"/artifact/model/{artifact_id}/rate/refresh")
        seconds.append(time.perf_counter() - started)
        assert refreshed.status_code == 200, refreshed.text
        assert_conforms(refreshed)
    assert statistics.median(seconds) < 2.0


async def test_on_demand_rating_when_none_is_stored(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    artifact_id = await register(client, "trusty/stdlib-demo")
    svc = registry_app.state.services
    async with svc.db.unit_of_work(write=True) as uow:
        await svc.rating.forget(uow, artifact_id)
    assert (await client.get(f"/artifact/model/{artifact_id}/trust")).status_code == 404
    answers = await asyncio.gather(
        *(client.get(f"/artifact/model/{artifact_id}/rate") for _ in range(5))
    )
    assert {a.status_code for a in answers} == {200}
    assert all(set(a.json()) == RATING_KEYS for a in answers)
    assert (await client.get(f"/artifact/model/{artifact_id}/trust")).status_code == 200


async def test_a_failing_metric_is_a_500_naming_it(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    from registry.sources.github import GitHubSource

    artifact_id = await register(client, "google-bert/bert-base-uncased")
    svc = registry_app.state.services
    async with svc.db.unit_of_work(write=True) as uow:
        await svc.rating.forget(uow, artifact_id)
    sources = svc.rating.sources
    working, sources.github = sources.github, GitHubSource("http://127.0.0.1:9", None, 1.0)
    try:
        response = await client.get(f"/artifact/model/{artifact_id}/rate")
    finally:
        await sources.github.close()
        sources.github = working
    assert response.status_code == 500
    assert_conforms(response)
    body = response.json()
    assert body["error"] == "metric_failed"
    assert "reviewedness" in body["details"]["failed_metrics"]
    assert "reviewedness" in body["message"] and "GitHub" in body["message"]
