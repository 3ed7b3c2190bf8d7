"""The areas work together: lineage feeds tree_score, cost dependencies and GraphQL ratings."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.registry_client import HF, register, settled

BERT = f"{HF}/google-bert/bert-base-uncased"
SST2 = f"{HF}/acme/bert-finetuned-sst2"


async def test_tree_score_is_the_parents_net_score(client: httpx.AsyncClient) -> None:
    bert = await register(client, BERT)
    sst2 = await register(client, SST2)
    # Both sandbox runs change net scores; the child must follow its parent's final one.
    await settled(client, bert)
    await settled(client, sst2)
    parent = (await client.get(f"/artifact/model/{bert}/rate")).json()
    child = (await client.get(f"/artifact/model/{sst2}/rate")).json()
    assert child["tree_score"] == pytest.approx(parent["net_score"])


async def test_child_registered_first_gets_its_tree_score_when_the_parent_arrives(
    client: httpx.AsyncClient,
) -> None:
    sst2 = await register(client, SST2)
    assert (await client.get(f"/artifact/model/{sst2}/rate")).json()["tree_score"] == 0
    bert = await register(client, BERT)
    await settled(client, bert)
    await settled(client, sst2)
    parent = (await client.get(f"/artifact/model/{bert}/rate")).json()
    child = (await client.get(f"/artifact/model/{sst2}/rate")).json()
    assert child["tree_score"] == pytest.approx(parent["net_score"])


async def test_cost_with_dependencies_counts_the_base_model(client: httpx.AsyncClient) -> None:
    bert = await register(client, BERT)
    sst2 = await register(client, SST2)
    response = await client.get(f"/artifact/model/{sst2}/cost?dependency=true")
    assert response.status_code == 200
    cost = response.json()
    assert set(cost) == {sst2, bert}
    assert cost[sst2]["total_cost"] == pytest.approx(
        cost[sst2]["standalone_cost"] + cost[bert]["standalone_cost"]
    )
    alone = (await client.get(f"/artifact/model/{sst2}/cost")).json()
    assert alone == {sst2: {"total_cost": pytest.approx(cost[sst2]["standalone_cost"])}}
