"""Size cost in MB, alone and with the registered dependencies lineage reports."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from registry.db.repositories import UnitOfWork
from tests.fixtures import zips
from tests.fixtures.openapi_check import assert_conforms

ZIP = {"content-type": "application/zip"}
MB = 1024**2


async def upload(client: httpx.AsyncClient, name: str, files: dict[str, bytes]) -> str:
    """Upload a package; return its id."""
    response = await client.post(
        "/artifact/model/upload" if name != "corpus" else "/artifact/dataset/upload",
        params={"name": name, "version": "1.0.0"},
        content=zips.zip_bytes(files),
        headers=ZIP,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["metadata"]["id"])


class Lookup:
    """Stands in for the lineage service's dependency query."""

    def __init__(self, graph: dict[str, list[str]]) -> None:
        self.graph = graph

    async def dependency_ids(self, uow: UnitOfWork, artifact_id: str) -> list[str]:
        """The canned dependencies."""
        return self.graph.get(artifact_id, [])


async def test_cost_alone_and_with_dependencies(
    client: httpx.AsyncClient, registry_app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = await upload(client, "base", {"model.safetensors": b"b" * 300_000})
    corpus = await upload(client, "corpus", {"data/train.csv": b"c" * 200_000})
    child = await upload(
        client, "child", {"model.safetensors": b"x" * 100_000, "config.json": b"{}"}
    )

    alone = await client.get(f"/artifact/model/{child}/cost")
    assert alone.status_code == 200
    assert_conforms(alone)
    assert alone.json() == {child: {"total_cost": round(100_002 / MB, 6)}}

    packages = registry_app.state.services.packages
    monkeypatch.setattr(packages, "dependencies", Lookup({child: [base, corpus, base, "999"]}))
    full = await client.get(f"/artifact/model/{child}/cost", params={"dependency": "true"})
    assert full.status_code == 200
    assert_conforms(full)
    assert full.json() == {
        child: {
            "standalone_cost": round(100_002 / MB, 6),
            "total_cost": round(600_002 / MB, 6),
        },
        base: {"standalone_cost": round(300_000 / MB, 6), "total_cost": round(300_000 / MB, 6)},
        corpus: {"standalone_cost": round(200_000 / MB, 6), "total_cost": round(200_000 / MB, 6)},
    }
    not_asked = await client.get(f"/artifact/model/{child}/cost", params={"dependency": "false"})
    assert list(not_asked.json()) == [child]

    # The datasets part carries the registered datasets the model depends on.
    data = await client.get(f"/artifacts/model/{child}/download", params={"part": "datasets"})
    assert data.status_code == 200, data.text
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data.content)) as archive:
        assert archive.namelist() == [f"dependencies/corpus-{corpus}/data/train.csv"]


async def test_cost_errors(client: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    child = await upload(client, "child", {"config.json": b"{}"})
    bad = await client.get(f"/artifact/model/{child}/cost", params={"dependency": "maybe"})
    assert bad.status_code == 400 and "dependency" in bad.json()["message"]
    assert (await client.get("/artifact/model/31337/cost")).status_code == 404
    assert (await client.get(f"/artifact/dataset/{child}/cost")).status_code == 404
    assert (await client.get("/artifact/model/bad!id/cost")).status_code == 400
    assert (await anon.get(f"/artifact/model/{child}/cost")).status_code == 403


async def test_cost_of_a_registered_hub_model_counts_its_files(client: httpx.AsyncClient) -> None:
    from tests.fixtures.registry_client import HF

    created = await client.post(
        "/artifact/model", json={"url": f"{HF}/google-bert/bert-base-uncased"}
    )
    artifact_id = created.json()["metadata"]["id"]
    cost: Any = (await client.get(f"/artifact/model/{artifact_id}/cost")).json()
    assert cost[artifact_id]["total_cost"] > 2.0  # 2 MiB of generated weights plus small files
