"""OpenSearchIndex specifics: the request bodies it sends, unreachable and timed-out clusters,
the listener and reindexing, the factory. What every backend promises (a live cluster included,
when REGISTRY_TEST_OPENSEARCH_URL is set) is in test_search_index_contract.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import AsyncMock

import pytest
import pytest_asyncio
from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

from registry.config import Settings
from registry.db.engine import Database
from registry.errors import SearchTimeoutError, SearchUnavailableError, UnknownSearchBackendError
from registry.query.literals import required_literals
from registry.query.regex import compile_untrusted
from registry.search.factory import build_search_index
from registry.search.opensearch import OpenSearchIndex, OpenSearchListener, candidate_query
from registry.search.sql import SqlSearchIndex
from tests.fixtures.search_index import artifact, load


class Transport:
    """Records perform_request calls and answers searches with the given seqs."""

    def __init__(self, seqs: list[int] | None = None, **extra: Any) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.seqs = seqs or []
        self.extra = extra

    async def __call__(self, method: str, path: str, **kw: Any) -> Any:
        body = kw.get("body")
        self.calls.append((method, path, body))
        if path.endswith("/_search"):
            after = body["search_after"][0]
            seqs = [s for s in self.seqs if s > after][: body["size"]]
            hits = [{"_source": {"seq": s}} for s in seqs]
            return {"timed_out": self.extra.get("timed_out", False), "hits": {"hits": hits}}
        if path.endswith("/_bulk"):
            return {"errors": self.extra.get("bulk_errors", False), "items": []}
        return {}


@pytest_asyncio.fixture
async def client() -> AsyncIterator[AsyncOpenSearch]:
    """A real client whose transport never leaves the process."""
    os_client = AsyncOpenSearch(hosts=["http://127.0.0.1:9"])
    yield os_client
    await os_client.close()


def test_candidate_query_bodies() -> None:
    assert candidate_query(required_literals("[a-z]+")) == {"match_all": {}}
    query = candidate_query(required_literals("(?i)bert.*b*a?se"))
    name_clause = query["bool"]["should"][0]["bool"]["filter"][0]["bool"]["should"][0]
    assert name_clause == {"wildcard": {"name": {"value": "*bert*", "case_insensitive": True}}}
    escaped = candidate_query(required_literals(r"a\*\?\\b"))
    card = escaped["bool"]["should"][1]["bool"]["filter"][0]["bool"]["should"][0]
    assert card["wildcard"]["card_text"]["value"] == "*a\\*\\?\\\\b*"


async def test_regex_verifies_candidates_against_the_database(
    db: Database, client: AsyncOpenSearch
) -> None:
    stored = await load(db, [artifact(0, "bert-base"), artifact(1, "bert-large"), artifact(2, "x")])
    # The index returns a stale seq (999) and a false candidate (bert-large): both are dropped.
    transport = Transport([stored[0].seq, stored[1].seq, 999])  # type: ignore[list-item]
    client.transport.perform_request = transport  # type: ignore[method-assign]
    index = OpenSearchIndex("http://unused", "idx", client=client)
    pattern = compile_untrusted("bert.*base", max_length=64)
    async with db.unit_of_work() as uow:
        hits = await index.regex(uow, pattern, limit=10, budget_seconds=5)
        sql_hits = await SqlSearchIndex().regex(uow, pattern, limit=10, budget_seconds=5)
    assert [h.id for h in hits] == [stored[0].id] == [h.id for h in sql_hits]
    method, path, body = transport.calls[0]
    assert (method, path) == ("POST", "/idx/_search")
    assert body["sort"] == [{"seq": "asc"}]
    assert body["search_after"] == [0]
    assert body["timeout"].endswith("ms")
    assert body["query"]["bool"]["should"][0]["bool"]["filter"][0]["bool"]["should"][0][
        "wildcard"
    ] == {"name": {"value": "*bert*", "case_insensitive": False}}


async def test_timed_out_and_unreachable(db: Database, client: AsyncOpenSearch) -> None:
    index = OpenSearchIndex("http://unused", "idx", client=client)
    pattern = compile_untrusted("bert", max_length=64)
    client.transport.perform_request = Transport([1], timed_out=True)  # type: ignore[method-assign]
    async with db.unit_of_work() as uow:
        with pytest.raises(SearchTimeoutError):
            await index.regex(uow, pattern, limit=10, budget_seconds=5)
        with pytest.raises(SearchTimeoutError):
            await index.regex(uow, pattern, limit=10, budget_seconds=0)
    client.transport.perform_request = AsyncMock(  # type: ignore[method-assign]
        side_effect=OpenSearchConnectionError("N/A", "refused", Exception("refused"))
    )
    async with db.unit_of_work() as uow:
        with pytest.raises(SearchUnavailableError) as caught:
            await index.regex(uow, pattern, limit=10, budget_seconds=5)
        assert caught.value.status_code == 503
        with pytest.raises(SearchUnavailableError):
            await index.check(uow)


async def test_listener_indexes_after_commit_and_reindex_rebuilds(
    db: Database, client: AsyncOpenSearch
) -> None:
    stored = await load(db, [artifact(i, f"m{i}", "card") for i in range(3)])
    transport = Transport()
    client.transport.perform_request = transport  # type: ignore[method-assign]
    index = OpenSearchIndex("http://unused", "idx", client=client)
    listener = OpenSearchListener(index)
    await listener.committed(stored[0], True)
    method, path, body = transport.calls[-1]
    assert (method, path) == ("POST", "/_bulk")
    action, doc = [json.loads(line) for line in body.strip().split("\n")]
    assert action == {"index": {"_index": "idx", "_id": stored[0].id}}
    assert doc == {
        "seq": stored[0].seq,
        "id": stored[0].id,
        "type": "model",
        "name": "m0",
        "card_text": "card",
    }
    assert await index.reindex(db) == 3
    paths = [(m, p) for m, p, _ in transport.calls]
    assert ("DELETE", "/idx") in paths and ("PUT", "/idx") in paths
    created = next(b for m, p, b in transport.calls if (m, p) == ("PUT", "/idx"))
    assert created["mappings"]["properties"]["card_text"] == {"type": "wildcard"}
    transport.extra["bulk_errors"] = True
    await listener.committed(stored[1], False)  # logged, never raised: reindex repairs it
    with pytest.raises(SearchUnavailableError):
        await index.upsert([stored[1]])


def test_factory_picks_by_name_and_refuses_unknown() -> None:
    assert isinstance(build_search_index(Settings()), SqlSearchIndex)
    assert isinstance(build_search_index(Settings(search_backend="opensearch")), OpenSearchIndex)
    odd = Settings()
    object.__setattr__(odd, "search_backend", "elastic")
    with pytest.raises(UnknownSearchBackendError, match="unknown search backend 'elastic'"):
        build_search_index(odd)
