"""GET /artifact/model/{id}/lineage: extraction, out-of-order linking, deletion, errors."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.openapi_check import assert_conforms
from tests.fixtures.registry_client import GH, HF, register

BERT = f"{HF}/google-bert/bert-base-uncased"
SST2 = f"{HF}/acme/bert-finetuned-sst2"
LORA = f"{HF}/acme/lora-adapter"


async def lineage(client: httpx.AsyncClient, artifact_id: str) -> dict[str, Any]:
    """Fetch a lineage graph and check it against openapi.yaml."""
    response = await client.get(f"/artifact/model/{artifact_id}/lineage")
    assert response.status_code == 200, response.text
    assert_conforms(response)
    return dict(response.json())


def model_edges(graph: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(from, to, relationship) of the base_model edges."""
    return {
        (e["from_node_artifact_id"], e["to_node_artifact_id"], e["relationship"])
        for e in graph["edges"]
        if e["relationship"] == "base_model"
    }


async def test_chain_registered_child_first_is_linked(client: httpx.AsyncClient) -> None:
    lora = await register(client, LORA)
    sst2 = await register(client, SST2)
    bert = await register(client, BERT)

    graph = await lineage(client, sst2)

    ids = {n["artifact_id"] for n in graph["nodes"]}
    assert {bert, sst2, lora} <= ids
    assert model_edges(graph) == {(bert, sst2, "base_model"), (sst2, lora, "base_model")}
    names = {n["artifact_id"]: n["name"] for n in graph["nodes"]}
    assert names[bert] == "bert-base-uncased"
    assert all(n["node"] == n["artifact_id"] for n in graph["nodes"])


async def test_chain_registered_parent_first_is_linked(client: httpx.AsyncClient) -> None:
    bert = await register(client, BERT)
    sst2 = await register(client, SST2)
    lora = await register(client, LORA)

    graph = await lineage(client, lora)

    assert model_edges(graph) == {(bert, sst2, "base_model"), (sst2, lora, "base_model")}


async def test_external_parents_and_datasets_are_nodes(client: httpx.AsyncClient) -> None:
    sst2 = await register(client, SST2)

    graph = await lineage(client, sst2)

    by_repo = {n["metadata"].get("repo_id"): n for n in graph["nodes"]}
    base = by_repo["google-bert/bert-base-uncased"]
    assert base["metadata"]["external"] is True
    assert base["artifact_id"].startswith("ext-")
    assert base["source"] == "model_card"
    dataset = by_repo["stanfordnlp/sst2"]
    assert dataset["metadata"]["type"] == "dataset"
    relationships = {(e["from_node_artifact_id"], e["relationship"]) for e in graph["edges"]}
    assert (base["node"], "base_model") in relationships
    assert (dataset["node"], "training_dataset") in relationships


async def test_registered_dataset_and_code_are_linked(client: httpx.AsyncClient) -> None:
    bert = await register(client, BERT)
    corpus = await register(client, f"{HF}/datasets/bookcorpus/bookcorpus", "dataset")
    code = await register(client, f"{GH}/google-research/bert", "code")

    graph = await lineage(client, bert)

    edges = {(e["from_node_artifact_id"], e["relationship"]) for e in graph["edges"]}
    assert (corpus, "training_dataset") in edges
    assert (code, "linked_code") in edges


async def test_deleting_a_model_removes_its_edges(client: httpx.AsyncClient) -> None:
    bert = await register(client, BERT)
    sst2 = await register(client, SST2)
    lora = await register(client, LORA)

    deleted = await client.delete(f"/artifacts/model/{sst2}")
    assert deleted.status_code == 200

    graph = await lineage(client, bert)
    ids = {n["artifact_id"] for n in graph["nodes"]}
    assert sst2 not in ids and lora not in ids
    assert model_edges(graph) == set()
    # The adapter still names its base, now as an external node again.
    lora_graph = await lineage(client, lora)
    parents = [e for e in lora_graph["edges"] if e["to_node_artifact_id"] == lora]
    assert len(parents) == 1 and parents[0]["from_node_artifact_id"].startswith("ext-")


async def test_reregistering_a_deleted_parent_relinks(client: httpx.AsyncClient) -> None:
    sst2 = await register(client, SST2)
    bert = await register(client, BERT)
    await client.delete(f"/artifacts/model/{bert}")
    bert_again = await register(client, BERT)

    graph = await lineage(client, sst2)

    assert (bert_again, sst2, "base_model") in model_edges(graph)


async def test_malformed_metadata_is_400(client: httpx.AsyncClient) -> None:
    broken = await register(client, f"{HF}/acme/broken-config")

    response = await client.get(f"/artifact/model/{broken}/lineage")

    assert response.status_code == 400
    assert_conforms(response)
    assert "config.json" in response.json()["message"]


async def test_unknown_id_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/artifact/model/123456789/lineage")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_a_dataset_id_is_not_a_model(client: httpx.AsyncClient) -> None:
    corpus = await register(client, f"{HF}/datasets/bookcorpus/bookcorpus", "dataset")
    response = await client.get(f"/artifact/model/{corpus}/lineage")
    assert response.status_code == 404


async def test_illegal_id_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/artifact/model/not_an_id!/lineage")
    assert response.status_code == 400


async def test_no_token_is_403(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/artifact/model/123/lineage")
    assert response.status_code == 403
    assert response.json()["error"] == "authentication_failed"


async def test_walks_other_areas_use(client: httpx.AsyncClient, registry_app: Any) -> None:
    from registry.lineage.service import (
        dependency_ids,
        registered_descendant_ids,
        registered_parent_ids,
    )

    corpus = await register(client, f"{HF}/datasets/bookcorpus/bookcorpus", "dataset")
    lora = await register(client, LORA)
    sst2 = await register(client, SST2)
    bert = await register(client, BERT)
    sst2_data = await register(client, f"{HF}/datasets/stanfordnlp/sst2", "dataset")

    async with registry_app.state.services.db.unit_of_work() as uow:
        assert await registered_parent_ids(uow, lora) == [sst2]
        assert await registered_parent_ids(uow, sst2) == [bert]
        assert await registered_parent_ids(uow, bert) == []
        assert await registered_descendant_ids(uow, bert) == [sst2, lora]
        assert await registered_descendant_ids(uow, lora) == []
        deps = await dependency_ids(uow, lora)
    assert deps[0] == sst2
    assert sorted(deps) == sorted([sst2, bert, sst2_data, corpus])
