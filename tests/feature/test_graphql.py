"""/graphql: queries, pagination, lineage in one request with bounded SQL, limits, auth."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from starlette.applications import Starlette

from tests.fixtures.registry_client import GH, HF, register, settled

BERT = f"{HF}/google-bert/bert-base-uncased"
SST2 = f"{HF}/acme/bert-finetuned-sst2"
LORA = f"{HF}/acme/lora-adapter"

DESCENDANTS = """
query Descendants($id: ID!) {
  lineage(id: $id, direction: DESCENDANTS) {
    root
    nodes { key name license depth external rating trustStatus artifact { id type url } }
    edges { parent child relationship relation source }
  }
}
"""


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """POST a query; return the decoded body (status 200 expected)."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return dict(response.json())


@contextmanager
def counting_statements(app: Starlette) -> Iterator[list[str]]:
    """Collect every SQL statement the app's engine runs inside the block."""
    engine = app.state.services.db.engine.sync_engine
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def chain(client: httpx.AsyncClient) -> tuple[str, str, str]:
    """Register the three-model chain, child first."""
    lora = await register(client, LORA)
    sst2 = await register(client, SST2)
    bert = await register(client, BERT)
    return bert, sst2, lora


async def test_descendants_with_licenses_in_one_request(client: httpx.AsyncClient) -> None:
    bert, sst2, lora = await chain(client)

    body = await gql(client, DESCENDANTS, id=bert)

    assert "errors" not in body
    graph = body["data"]["lineage"]
    nodes = {n["key"]: n for n in graph["nodes"]}
    assert set(nodes) == {bert, sst2, lora}
    assert nodes[sst2]["license"] == "mit" and nodes[sst2]["depth"] == 1
    assert nodes[lora]["depth"] == 2
    assert nodes[lora]["artifact"] == {"id": lora, "type": "MODEL", "url": LORA}
    # The rating service is wired: each node carries its stored ModelRating and trust status.
    assert 0 <= nodes[sst2]["rating"]["net_score"] <= 1
    assert nodes[sst2]["trustStatus"] in ("vetted", "unvetted")
    edges = {(e["parent"], e["child"], e["relation"]) for e in graph["edges"]}
    assert edges == {(bert, sst2, "finetune"), (sst2, lora, "adapter")}


async def test_sql_statements_do_not_grow_with_the_graph(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    bert, sst2, lora = await chain(client)
    # Sandbox runs that finish re-settle descendants through lineage queries of their own:
    # let them finish first, so only the GraphQL request's statements are counted.
    for model in (bert, sst2, lora):
        await settled(client, model)

    with counting_statements(registry_app) as big:
        two_below = await gql(client, DESCENDANTS, id=bert)
    with counting_statements(registry_app) as small:
        one_below = await gql(client, DESCENDANTS, id=sst2)

    assert len(two_below["data"]["lineage"]["nodes"]) == 3
    assert len(one_below["data"]["lineage"]["nodes"]) == 2
    # Root lookup, one recursive walk, one node load, batched `artifact` loads: a bounded
    # number of statements whatever the node count (background jobs' SQL is left out). The
    # rating field's own query can split the artifact batch into two dataloader ticks.
    assert 4 <= len(ours(big)) <= 5, ours(big)
    assert 4 <= len(ours(small)) <= 5, ours(small)


def ours(statements: list[str]) -> list[str]:
    """The statements a lineage query runs (lineage tables, artifact node summaries)."""
    node_load = "artifacts.type, artifacts.license, artifacts.source_kind"  # NODE_COLUMNS
    return [s for s in statements if "lineage_" in s or node_load in s]


async def test_models_trained_on_a_dataset(client: httpx.AsyncClient) -> None:
    dataset = await register(client, f"{HF}/datasets/stanfordnlp/sst2", "dataset")
    sst2 = await register(client, SST2)

    body = await gql(
        client,
        "query($id: ID!) { lineage(id: $id, direction: DESCENDANTS, types: [MODEL]) "
        "{ nodes { key type } edges { relationship } } }",
        id=dataset,
    )

    nodes = body["data"]["lineage"]["nodes"]
    assert {(n["key"], n["type"]) for n in nodes} == {(dataset, "DATASET"), (sst2, "MODEL")}
    assert body["data"]["lineage"]["edges"] == [{"relationship": "training_dataset"}]


async def test_ancestors_with_depth_and_types(client: httpx.AsyncClient) -> None:
    _bert, sst2, lora = await chain(client)

    body = await gql(
        client,
        "query($id: ID!) { lineage(id: $id, direction: ANCESTORS, depth: 1, types: [MODEL]) "
        "{ nodes { key external } } }",
        id=lora,
    )

    assert {n["key"] for n in body["data"]["lineage"]["nodes"]} == {lora, sst2}


async def test_artifacts_cursor_pagination(client: httpx.AsyncClient) -> None:
    await chain(client)
    query = (
        "query($after: String) { artifacts(first: 2, after: $after, filter: {types: [MODEL]}) "
        "{ edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }"
    )

    first = (await gql(client, query, after=None))["data"]["artifacts"]
    second = (await gql(client, query, after=first["pageInfo"]["endCursor"]))["data"]["artifacts"]

    assert [e["node"]["name"] for e in first["edges"]] == ["lora-adapter", "bert-finetuned-sst2"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["name"] for e in second["edges"]] == ["bert-base-uncased"]
    assert second["pageInfo"] == {"hasNextPage": False, "endCursor": second["edges"][0]["cursor"]}


async def test_artifacts_filter_by_license_and_name(client: httpx.AsyncClient) -> None:
    await chain(client)
    body = await gql(
        client,
        '{ byLicense: artifacts(filter: {license: "MIT"}) { edges { node { name } } } '
        'byName: artifacts(filter: {name: "bert-base-uncased"}) { edges { node { license } } } }',
    )
    names = {e["node"]["name"] for e in body["data"]["byLicense"]["edges"]}
    assert names == {"lora-adapter", "bert-finetuned-sst2"}
    assert body["data"]["byName"]["edges"] == [{"node": {"license": "apache-2.0"}}]


async def test_artifact_by_id(client: httpx.AsyncClient) -> None:
    bert = await register(client, BERT)
    body = await gql(
        client, "query($id: ID!) { artifact(id: $id) { name repoId license } }", id=bert
    )
    assert body["data"]["artifact"] == {
        "name": "bert-base-uncased",
        "repoId": "google-bert/bert-base-uncased",
        "license": "apache-2.0",
    }
    missing = await gql(client, '{ artifact(id: "404404404") { name } }')
    assert missing["data"]["artifact"] is None


async def test_license_check_field(client: httpx.AsyncClient) -> None:
    sst2 = await register(client, SST2)
    body = await gql(
        client,
        "query($id: ID!, $url: String!) { licenseCheck(id: $id, githubUrl: $url) "
        "{ compatible rule modelLicense codeLicense obligations } }",
        id=sst2,
        url=f"{GH}/gnu-stuff/gpl-tool",
    )
    check = body["data"]["licenseCheck"]
    assert check["compatible"] is True and check["rule"] == "copyleft-proliferation"
    assert (check["modelLicense"], check["codeLicense"]) == ("MIT", "GPL-3.0-only")


async def test_errors_carry_registry_codes(client: httpx.AsyncClient) -> None:
    body = await gql(client, '{ lineage(id: "404404404") { root } }')
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "not_found", "status": 404}

    bad_cursor = await gql(client, '{ artifacts(after: "nope") { pageInfo { hasNextPage } } }')
    assert bad_cursor["errors"][0]["extensions"]["code"] == "invalid_request"

    too_many = await gql(client, "{ artifacts(first: 1000) { pageInfo { hasNextPage } } }")
    assert "first must be between" in too_many["errors"][0]["message"]

    bad_id = await gql(client, '{ artifact(id: "no way!") { name } }')
    assert bad_id["errors"][0]["extensions"]["code"] == "invalid_request"

    unknown_repo = await gql(
        client, 'query($id: ID!) { licenseCheck(id: $id, githubUrl: "x") { rule } }', id="1"
    )
    assert unknown_repo["errors"][0]["extensions"]["status"] == 404


async def test_depth_limit(client: httpx.AsyncClient) -> None:
    deepest_real = "{ artifacts { edges { node { name } } } }"  # depth 4 is the schema's max
    allowed = await client.post("/graphql", json={"query": deepest_real})
    assert "errors" not in allowed.json()
    too_deep = "{ a { b { c { d { e { f { g { h } } } } } } } }"
    body = (await client.post("/graphql", json={"query": too_deep})).json()
    assert any("exceeds maximum operation depth" in e["message"] for e in body["errors"])


async def test_token_and_alias_limits(client: httpx.AsyncClient) -> None:
    aliases = " ".join(f'a{i}: artifact(id: "1") {{ name }}' for i in range(25))
    body = (await client.post("/graphql", json={"query": "{ " + aliases + " }"})).json()
    assert "aliases" in body["errors"][0]["message"]

    huge = "{ " + " ".join("__typename" for _ in range(2500)) + " }"
    body = (await client.post("/graphql", json={"query": huge})).json()
    assert "token" in body["errors"][0]["message"].lower()


async def test_no_token_is_403_in_graphql_shape(anon: httpx.AsyncClient) -> None:
    response = await anon.post("/graphql", json={"query": '{ artifact(id: "1") { name } }'})
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "authentication_failed"


async def test_search_permission_is_required(make_user: Any) -> None:
    user = await make_user("no-search-analyst", search=False)
    response = await user.post("/graphql", json={"query": '{ artifact(id: "1") { name } }'})
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "permission_denied"


async def test_no_ide_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in response.text.lower()
    assert "cdn" not in response.text.lower()
