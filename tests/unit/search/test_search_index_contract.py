"""The SearchIndex contract, run against every adapter: SQL on SQLite and on PostgreSQL,
OpenSearch through its transport double, and a live OpenSearch cluster when
REGISTRY_TEST_OPENSEARCH_URL is set. Every backend must answer exactly what plain RE2 over every
row answers, in registration order, and treat the database as the source of truth."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import pytest
import pytest_asyncio
import re2
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from opensearchpy import AsyncOpenSearch

from registry.db.engine import Database
from registry.db.models import ArtifactRow
from registry.db.repositories.search import ScanFilter
from registry.errors import SearchTimeoutError, ValidationError
from registry.query.regex import compile_untrusted
from registry.search.base import SearchIndex
from registry.search.opensearch import OpenSearchIndex
from registry.search.sql import SqlSearchIndex
from tests.fixtures.search_index import OPENSEARCH_URL, FakeOpenSearch, artifact, load


@dataclass
class Backend:
    """One adapter over one database, and how to bring its index up to date with the rows."""

    index: SearchIndex
    db: Database

    async def store(self, rows: Sequence[ArtifactRow]) -> list[ArtifactRow]:
        """Make `rows` every artifact there is, in the database and in the index."""
        stored = await load(self.db, rows)
        if isinstance(self.index, OpenSearchIndex):
            await self.index.reindex(self.db)
        return stored

    async def regex(self, text: str, *, limit: int = 1000, budget: float = 5) -> list[str]:
        """Ids of the hits of a client's pattern."""
        pattern = compile_untrusted(text, max_length=512)
        async with self.db.unit_of_work() as uow:
            hits = await self.index.regex(uow, pattern, limit=limit, budget_seconds=budget)
        return [h.id for h in hits]


@pytest_asyncio.fixture(params=["sql", "opensearch-double", "opensearch-live"])
async def backend(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[Backend]:
    """Each contract test runs against every adapter, on SQLite and on PostgreSQL."""
    if request.param == "sql":
        yield Backend(SqlSearchIndex(), db)
        return
    if request.param == "opensearch-double":
        client = AsyncOpenSearch(hosts=["http://127.0.0.1:9"])  # never reached: the double answers
        client.transport.perform_request = FakeOpenSearch()  # type: ignore[method-assign]
        index = OpenSearchIndex("http://unused", "contract", client=client)
    else:
        if not OPENSEARCH_URL:
            pytest.skip("set REGISTRY_TEST_OPENSEARCH_URL to run the contract on a live cluster")
        index = OpenSearchIndex(OPENSEARCH_URL, f"registry-contract-{uuid.uuid4().hex[:8]}")
    await index.start()
    try:
        yield Backend(index, db)
    finally:
        if request.param == "opensearch-live":  # pragma: no cover - needs a cluster
            await index.client.indices.delete(index=index.index)
        await index.close()


def expected(rows: Sequence[ArtifactRow], pattern: str) -> list[str]:
    """Ids of the rows plain RE2 matches, by name or card, in registration order."""
    compiled = re2.compile(pattern)
    return [r.id for r in rows if compiled.search(r.name) or compiled.search(r.card_text or "")]


# --- regex lookups -----------------------------------------------------------------------------


async def test_names_and_cards_both_match(backend: Backend) -> None:
    stored = await backend.store(
        [
            artifact(0, "bert-base", ""),
            artifact(1, "gpt2", "a bert model, base size"),
            artifact(2, "bert", "large"),  # bert in the name, base nowhere
            artifact(3, "roberta", "distilled, base bert"),  # both words, wrong order
        ]
    )
    assert await backend.regex("bert.*base") == [stored[0].id, stored[1].id]
    assert await backend.regex("large") == [stored[2].id]


async def test_no_match_is_an_empty_list(backend: Backend) -> None:
    await backend.store([artifact(0, "bert-base", "a card"), artifact(1, "gpt2")])
    assert await backend.regex("whisper") == []
    assert await backend.regex("^base") == []


async def test_case_sensitive_unless_the_pattern_folds(backend: Backend) -> None:
    stored = await backend.store(
        [artifact(0, "BERT-large"), artifact(1, "bert-small"), artifact(2, "x", "a Bert card")]
    )
    assert await backend.regex("bert") == [stored[1].id]
    assert await backend.regex("BERT") == [stored[0].id]
    assert await backend.regex("(?i)bert") == [r.id for r in stored]
    assert await backend.regex("(?i:BeRt)-") == [stored[0].id, stored[1].id]


async def test_limit_keeps_registration_order(backend: Backend) -> None:
    stored = await backend.store([artifact(i, f"bert-{i}") for i in range(12)])
    assert await backend.regex("bert", limit=5) == [r.id for r in stored[:5]]


async def test_literal_prefilter_never_loses_a_match(backend: Backend) -> None:
    rows = await backend.store(
        [
            artifact(0, "roberta-large", ""),
            artifact(1, "x", "under\\%_base and a*?b"),  # LIKE and wildcard metacharacters
            artifact(2, "kelvin", "\u212aelvin scale, a\u017fbc"),  # KELVIN SIGN, LONG S
            artifact(3, "bert-large", "KK-s"),
            artifact(4, "t5", "ABC"),
        ]
    )
    for text in [
        "(roberta|bert)-large",
        r"\\%_base",
        r"a\*\?b",
        "(?i)kelvin",
        "(?i)abc",
        "(?i)kk-S",
        "(?:abc|ABC)$",
        "^t5$",
        "large|scale",
    ]:
        assert await backend.regex(text) == expected(rows, text), text


async def test_hits_carry_name_and_type(backend: Backend) -> None:
    stored = await backend.store(
        [artifact(0, "squad", "", "dataset"), artifact(1, "squad-tools", "", "code")]
    )
    pattern = compile_untrusted("squad", max_length=64)
    async with backend.db.unit_of_work() as uow:
        hits = await backend.index.regex(uow, pattern, limit=10, budget_seconds=5)
    assert [(h.seq, h.id, h.name, h.type) for h in hits] == [
        (r.seq, r.id, r.name, r.type) for r in stored
    ]


async def test_the_database_is_the_source_of_truth(backend: Backend) -> None:
    stored = await backend.store([artifact(i, f"bert-{i}") for i in range(3)])
    async with backend.db.unit_of_work(write=True) as uow:
        await uow.artifacts.delete(stored[1].id)  # the index is not told
    assert await backend.regex("bert") == [stored[0].id, stored[2].id]


async def test_budget_exhausted_is_a_413(backend: Backend) -> None:
    await backend.store([artifact(i, f"m{i}", "x" * 200) for i in range(50)])
    with pytest.raises(SearchTimeoutError) as caught:
        await backend.regex("[a-z]+q", budget=0)
    assert caught.value.status_code == 413
    assert caught.value.code == "search_budget_exceeded"
    assert "budget" in caught.value.message


async def test_check_answers(backend: Backend) -> None:
    async with backend.db.unit_of_work() as uow:
        await backend.index.check(uow)
    assert backend.index.name in {"sql", "opensearch"}


# --- filtered scans (the search extension) -----------------------------------------------------


async def test_scan_filters_by_type_and_name_and_pages_on_seq(backend: Backend) -> None:
    stored = await backend.store(
        [
            artifact(0, "bert", "", "model"),
            artifact(1, "bert", "", "dataset"),
            artifact(2, "bert-data", "", "dataset"),
            artifact(3, "gpt2", "bert card", "dataset"),
            artifact(4, "bert", "", "code"),
        ]
    )
    pattern = compile_untrusted("bert", max_length=64)
    async with backend.db.unit_of_work() as uow:
        datasets = await backend.index.scan(
            uow, ScanFilter(types=["dataset"]), pattern, after=0, limit=10, budget_seconds=5
        )
        named = await backend.index.scan(
            uow, ScanFilter(name="bert"), None, after=0, limit=10, budget_seconds=5
        )
        first = await backend.index.scan(
            uow, ScanFilter(), pattern, after=0, limit=2, budget_seconds=5
        )
        rest = await backend.index.scan(
            uow, ScanFilter(), pattern, after=first.resume_after, limit=10, budget_seconds=5
        )
    assert [r[1] for r in datasets.rows] == [r.id for r in stored[1:4]]
    assert datasets.complete and not datasets.budget_exhausted
    assert [r[1] for r in named.rows] == [stored[0].id, stored[1].id, stored[4].id]
    assert [r[1] for r in first.rows] == [r.id for r in stored[:2]]
    assert first.resume_after == stored[1].seq
    assert [r[1] for r in rest.rows] == [r.id for r in stored[2:]]
    assert rest.complete


async def test_scan_stops_at_the_budget_with_a_resume_point(backend: Backend) -> None:
    await backend.store([artifact(i, f"m{i}", "x" * 200) for i in range(50)])
    pattern = compile_untrusted("[a-z]+q", max_length=64)
    async with backend.db.unit_of_work() as uow:
        outcome = await backend.index.scan(
            uow, ScanFilter(), pattern, after=0, limit=10, budget_seconds=0
        )
    assert outcome.budget_exhausted and not outcome.complete
    assert outcome.resume_after == 0


# --- every backend equals plain RE2 ------------------------------------------------------------

ALPHABET = "abcKks-. \n"
# Patterns built from a safe alphabet: literals, classes, optional parts, alternations, anchors,
# case folding. Every one is RE2-valid; literal runs exercise the trigram and wildcard prefilters.
ATOMS = st.sampled_from(
    [
        *["a", "b", "c", "k", "K", "s", "-", r"\.", ".", "[ab]", "[^a]", r"\s", r"\w"],
        *["abc", "bca", "kk", "abc", "bca", "Kk-", "abc"],
    ]
)
QUANT = st.sampled_from(["", "", "", "?", "*", "+", "{2}"])


@st.composite
def patterns(draw: st.DrawFn) -> str:
    """A random RE2 pattern over the corpus alphabet."""
    parts = []
    for _ in range(draw(st.integers(1, 5))):
        atom = draw(ATOMS)
        if draw(st.booleans()) and draw(st.booleans()):
            atom = f"(?:{atom}|{draw(ATOMS)})"
        parts.append(atom + draw(QUANT))
    body = "".join(parts)
    prefix = draw(st.sampled_from(["", "", "^", "(?i)"]))
    suffix = draw(st.sampled_from(["", "", "$"]))
    return prefix + body + suffix


# Texts are glued from words the patterns also use, so literal-bearing patterns do match.
WORDS = st.sampled_from(["abc", "bca", "kk", "Kk", "ab", "-", ".", " ", "\n", "s", "c", "\u017f"])
TEXTS = st.lists(WORDS | st.text(ALPHABET, max_size=3), max_size=12).map("".join)
CORPORA = st.lists(st.tuples(TEXTS.filter(bool), TEXTS), min_size=1, max_size=25)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(corpus=CORPORA, queries=st.lists(patterns(), min_size=1, max_size=4))
@example(
    corpus=[("xabcx", ""), ("k", "ABC"), ("x", "a\u017fbc KK"), ("bcab", "kk-s")],
    queries=["abc", "(?i)abc", "(?i)kk", "(?i)bc.*kk", "(?:abc|bca)", "^bcab$", "k{2}-"],
)
async def test_every_backend_equals_plain_re2(
    backend: Backend, corpus: list[tuple[str, str]], queries: list[str]
) -> None:
    stored = await backend.store([artifact(i, name, card) for i, (name, card) in enumerate(corpus)])
    for text in queries:
        try:
            compile_untrusted(text, max_length=512)
        except ValidationError:
            continue  # the ReDoS screen refuses it on every backend alike (400)
        assert await backend.regex(text) == expected(stored, text), text
