"""Mirroring: hub models and GitHub code on registration, datasets on request, fetch-through."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.fixtures.openapi_check import assert_conforms
from tests.fixtures.registry_client import GH, HF


async def wait_for_jobs(
    app: Starlette, client: httpx.AsyncClient, kind: str, artifact_id: str
) -> list[dict[str, Any]]:
    """Wait for every job of the artifact to finish; return their views."""
    jobs = (await client.get(f"/artifacts/{kind}/{artifact_id}/jobs")).json()
    for job in jobs:
        await app.state.services.jobs.wait(job["id"], 60)
    return list((await client.get(f"/artifacts/{kind}/{artifact_id}/jobs")).json())


def hub_file(fake_hub: Any, repo_id: str, path: str, kind: str = "model") -> Path:
    """The fake hub's file on disk (generated weights included)."""
    repo = fake_hub.app.state.hub.repos[(kind, repo_id.lower())]
    return Path(repo.files[path].disk)


async def test_hub_model_mirror_matches_the_hub(
    client: httpx.AsyncClient, registry_app: Starlette, fake_hub: Any
) -> None:
    created = await client.post(
        "/artifact/model", json={"url": f"{HF}/google-bert/bert-base-uncased"}
    )
    assert created.status_code == 201, created.text
    artifact_id = created.json()["metadata"]["id"]
    jobs = await wait_for_jobs(registry_app, client, "model", artifact_id)
    mirror = [j for j in jobs if j["kind"] == "mirror"]
    assert len(mirror) == 1 and mirror[0]["status"] == "succeeded", mirror
    assert mirror[0]["result"]["fetched"] == mirror[0]["result"]["files"] > 0

    weights = await client.get(
        f"/artifacts/model/{artifact_id}/download", params={"part": "weights"}
    )
    assert weights.status_code == 200, weights.text
    with zipfile.ZipFile(io.BytesIO(weights.content)) as archive:
        assert archive.namelist() == ["model.safetensors"]
        body = archive.read("model.safetensors")
    expected = hub_file(fake_hub, "google-bert/bert-base-uncased", "model.safetensors").read_bytes()
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(expected).hexdigest()
    tokenizer = await client.get(
        f"/artifacts/model/{artifact_id}/download", params={"part": "tokenizer"}
    )
    with zipfile.ZipFile(io.BytesIO(tokenizer.content)) as archive:
        assert set(archive.namelist()) == {"tokenizer.json", "tokenizer_config.json", "vocab.txt"}


async def test_github_code_is_mirrored_as_its_zipball(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    created = await client.post("/artifact/code", json={"url": f"{GH}/google-research/bert"})
    assert created.status_code == 201, created.text
    artifact_id = created.json()["metadata"]["id"]
    jobs = await wait_for_jobs(registry_app, client, "code", artifact_id)
    assert [j["status"] for j in jobs if j["kind"] == "mirror"] == ["succeeded"]
    response = await client.get(f"/artifacts/code/{artifact_id}/download")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert any(name.endswith("/modeling.py") for name in archive.namelist())
    code = await client.get(f"/artifacts/code/{artifact_id}/download", params={"part": "code"})
    assert code.content == response.content
    cost = await client.get(f"/artifact/code/{artifact_id}/cost")
    assert cost.json()[artifact_id]["total_cost"] == round(len(response.content) / 1024**2, 6)


async def test_datasets_wait_for_an_admin_and_serve_through(
    client: httpx.AsyncClient, registry_app: Starlette, fake_hub: Any, make_user: Any
) -> None:
    created = await client.post(
        "/artifact/dataset", json={"url": f"{HF}/datasets/bookcorpus/bookcorpus"}
    )
    assert created.status_code == 201, created.text
    artifact_id = created.json()["metadata"]["id"]
    assert (await client.get(f"/artifacts/dataset/{artifact_id}/jobs")).json() == []

    # Not mirrored yet: the download fetches what it needs from the hub and caches it.
    data = await client.get(
        f"/artifacts/dataset/{artifact_id}/download", params={"part": "datasets"}
    )
    assert data.status_code == 200, data.text
    name = "data/train-00000-of-00001.parquet"
    with zipfile.ZipFile(io.BytesIO(data.content)) as archive:
        assert (
            archive.read(name)
            == hub_file(fake_hub, "bookcorpus/bookcorpus", name, "dataset").read_bytes()
        )

    user = await make_user("plain-user", upload=True)
    assert (await user.post(f"/artifacts/dataset/{artifact_id}/mirror")).status_code == 403
    queued = await client.post(f"/artifacts/dataset/{artifact_id}/mirror")
    assert queued.status_code == 202, queued.text
    assert_conforms(queued)
    job = await registry_app.state.services.jobs.wait(queued.json()["id"], 60)
    assert job.status == "succeeded", job.error


async def test_mirror_request_errors(
    client: httpx.AsyncClient, registry_app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = await client.post("/artifact/dataset", json={"url": "https://example.com/data.csv"})
    ref_id = reference.json()["metadata"]["id"]
    by_ref = await client.post(f"/artifacts/dataset/{ref_id}/mirror")
    assert by_ref.status_code == 400 and "registered by reference" in by_ref.json()["message"]
    assert (await client.post("/artifacts/dataset/424242/mirror")).status_code == 404

    created = await client.post(
        "/artifact/dataset", json={"url": f"{HF}/datasets/bookcorpus/bookcorpus"}
    )
    artifact_id = created.json()["metadata"]["id"]
    monkeypatch.setattr(registry_app.state.services.settings, "dataset_mirror_max_bytes", 10)
    capped = await client.post(f"/artifacts/dataset/{artifact_id}/mirror")
    assert capped.status_code == 413
    assert_conforms(capped)
    through = await client.get(f"/artifacts/dataset/{artifact_id}/download")
    assert through.status_code == 413 and "cap" in through.json()["message"]


async def test_a_failing_mirror_is_retried_then_reported(
    client: httpx.AsyncClient, registry_app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = registry_app.state.services.jobs
    monkeypatch.setattr(jobs._kinds["mirror"], "backoff_seconds", 0.01)
    # The gated repo shows its card but refuses its weights to us: every attempt fails.
    created = await client.post("/artifact/model", json={"url": f"{HF}/acme/gated-model"})
    if created.status_code != 201:
        pytest.fail(f"registration failed: {created.text}")
    artifact_id = created.json()["metadata"]["id"]
    mirror = [
        j
        for j in await wait_for_jobs(registry_app, client, "model", artifact_id)
        if j["kind"] == "mirror"
    ]
    assert mirror[0]["status"] == "failed"
    assert mirror[0]["attempts"] == mirror[0]["max_attempts"] == 3
    assert "no longer serves" in mirror[0]["error"]
    # Components are probed on a schedule; take a round now rather than wait for the next one.
    await registry_app.state.services.health.refresh()
    health = await client.get("/health/components")
    assert "jobs_failed" in str(health.json())


async def test_a_late_mirror_write_never_marks_another_artifacts_file(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    """A mirror that finishes after its artifact is gone must not touch a file that reused its
    row id (SQLite reuses the highest rowids after a delete or a reset)."""
    from registry.db.models.packages import PackageFileRow
    from registry.db.repositories.packages import PackageRepository

    svc = registry_app.state.services
    created = await client.post(
        "/artifact/model", json={"url": f"{HF}/google-bert/bert-base-uncased"}
    )
    gone_id = created.json()["metadata"]["id"]
    async with svc.db.unit_of_work() as uow:
        stale = (await PackageRepository(uow.session).files([gone_id]))[0]
    assert (await client.delete(f"/artifacts/model/{gone_id}")).status_code == 200
    # Another artifact's file now holds the same row id (made explicit, so every backend sees
    # the collision SQLite produces on its own).
    other = await client.post("/artifact/code", json={"url": f"{GH}/openai/whisper"})
    other_id = other.json()["metadata"]["id"]
    async with svc.db.unit_of_work(write=True) as uow:
        repo = PackageRepository(uow.session)
        await repo.replace_files(
            other_id,
            [PackageFileRow(id=stale.id, artifact_id=other_id, path="victim.bin", part="weights")],
        )
    async with svc.db.unit_of_work(write=True) as uow:
        assert not await PackageRepository(uow.session).mark_stored(stale, "f" * 64, 1)
    async with svc.db.unit_of_work() as uow:
        (victim,) = await PackageRepository(uow.session).files([other_id])
    assert victim.id == stale.id and victim.digest is None and not victim.stored
