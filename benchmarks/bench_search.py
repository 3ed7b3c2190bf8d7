"""Search benchmark: synthetic artifacts with ~5 KB cards on PostgreSQL and SQLite; p50/p99 of
enumerate page, byName, literal regex, literal-free regex and a version range, per size.

    .venv/bin/python benchmarks/bench_search.py --pg-sizes 10000,100000 --sqlite-sizes 10000

Databases are kept between runs (named by size), so a rerun only measures. Results go to stdout
and, with --write-docs, to the "Search" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import re
import sqlite3
import statistics
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from registry.config import Settings
from registry.db.engine import Database
from registry.errors import SearchTimeoutError
from registry.query.regex import compile_untrusted
from registry.search.service import (
    ArtifactSearchRequest,
    SearchService,
    encode_cursor,
    query_fingerprint,
)
from registry.search.sql import SqlSearchIndex

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ["bert", "roberta", "gpt2", "llama", "t5", "whisper", "vit", "mistral", "phi", "qwen"]
SIZES = ["base", "large", "small", "tiny", "xl", "medium"]
WORDS = (
    "model trained dataset evaluation accuracy license apache mit tokenizer fine tuned layers "
    "attention transformer parameters inference batch learning rate epochs checkpoint english "
    "benchmark results limitations bias usage example pipeline python install weights hidden "
    "vocabulary sequence classification generation summarization translation embedding"
).split()
QUERIES = 30
# Bulk loads bypass the repository, so they count the offset buckets as migration 0008 does.
COUNT_BUCKETS = (
    "INSERT INTO artifact_seq_buckets (type, bucket, n) "
    "SELECT type, seq / 1024, count(*) FROM artifacts GROUP BY type, seq / 1024"
)


def card(rng: random.Random, name: str, kilobytes: int) -> str:
    """A markdown card of about `kilobytes` KB, shaped like a hub README."""
    parts = [f"---\nlicense: apache-2.0\ntags: [{name.split('-')[0]}]\n---\n# {name}\n\n"]
    size = len(parts[0])
    while size < kilobytes * 1024:
        heading = rng.choice(["Usage", "Training", "Evaluation", "Limitations", "Citation"])
        words = " ".join(rng.choice(WORDS) for _ in range(60))
        block = f"## {heading}\n\n{words}.\n\n"
        parts.append(block)
        size += len(block)
    return "".join(parts)[: kilobytes * 1024]


def rows(count: int, kilobytes: int) -> Any:
    """(id, name, card, versions) tuples, deterministic per count."""
    rng = random.Random(461)  # noqa: S311 - synthetic data, not security
    for i in range(count):
        name = f"{rng.choice(FAMILIES)}-{rng.choice(SIZES)}-{i}"
        versions = [f"{rng.randint(0, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 20)}"]
        yield f"bench{i:09d}", name, card(rng, name, kilobytes), versions


async def load_postgres(url: str, count: int, kilobytes: int) -> None:
    """Bulk-load with COPY, trigram indexes dropped during the load and rebuilt after."""
    conn = await asyncpg.connect(url)
    try:
        if await conn.fetchval("SELECT count(*) FROM artifacts") == count:
            return
        await conn.execute("TRUNCATE artifacts CASCADE")
        await conn.execute("DROP INDEX IF EXISTS ix_artifacts_card_trgm")
        await conn.execute("DROP INDEX IF EXISTS ix_artifacts_name_trgm")
        now = datetime(2026, 1, 1)
        batch: list[tuple[Any, ...]] = []
        versions: list[tuple[Any, ...]] = []
        for seq, (id_, name, text, vers) in enumerate(rows(count, kilobytes), start=1):
            batch.append(
                (
                    seq,
                    id_,
                    name,
                    "model",
                    "https://example.com",
                    "url",
                    "x",
                    text,
                    "{}",
                    "[]",
                    "[]",
                    "{}",
                    0,
                    "bench",
                    now,
                    now,
                )
            )
            for v in vers:
                major, minor, patch = (int(p) for p in v.split("."))
                versions.append((seq, v, v, major, minor, patch, "", "git_tag"))
            if len(batch) >= 5000:
                await _copy(conn, batch, versions)
                batch, versions = [], []
        await _copy(conn, batch, versions)
        await conn.execute("DELETE FROM artifact_seq_buckets")
        await conn.execute(COUNT_BUCKETS)
        await conn.execute("SELECT setval(pg_get_serial_sequence('artifacts', 'seq'), $1)", count)
        # GIN builds over GBs of cards are far faster with room to sort in memory.
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute(
            "CREATE INDEX ix_artifacts_name_trgm ON artifacts USING gin (name gin_trgm_ops)"
        )
        await conn.execute(
            "CREATE INDEX ix_artifacts_card_trgm ON artifacts USING gin (card_text gin_trgm_ops)"
        )
        # VACUUM sets the visibility map, as autovacuum would on a live registry, so that
        # index-only scans apply; without it the first minutes after a bulk load mislead.
        await conn.execute("VACUUM ANALYZE artifacts")
        await conn.execute("VACUUM ANALYZE artifact_versions")
    finally:
        await conn.close()


async def _copy(conn: Any, batch: list[tuple[Any, ...]], versions: list[tuple[Any, ...]]) -> None:
    columns = [
        "seq",
        "id",
        "name",
        "type",
        "url",
        "source_kind",
        "source_ref",
        "card_text",
        "card_data",
        "files",
        "tags",
        "extra",
        "size_bytes",
        "created_by",
        "created_at",
        "updated_at",
    ]
    await conn.copy_records_to_table("artifacts", records=batch, columns=columns)
    await conn.copy_records_to_table(
        "artifact_versions",
        records=versions,
        columns=[
            "artifact_seq",
            "version",
            "raw",
            "major",
            "minor",
            "patch",
            "prerelease",
            "source",
        ],
    )


def load_sqlite(path: Path, count: int, kilobytes: int) -> None:
    """Bulk-load with executemany in one transaction per 5000 rows."""
    conn = sqlite3.connect(path)
    try:
        if conn.execute("SELECT count(*) FROM artifacts").fetchone()[0] == count:
            return
        conn.execute("DELETE FROM artifact_versions")
        conn.execute("DELETE FROM artifacts")
        now = "2026-01-01 00:00:00"
        batch, versions = [], []
        for seq, (id_, name, text, vers) in enumerate(rows(count, kilobytes), start=1):
            batch.append(
                (
                    seq,
                    id_,
                    name,
                    "model",
                    "https://example.com",
                    "url",
                    "x",
                    text,
                    "{}",
                    "[]",
                    "[]",
                    "{}",
                    0,
                    "bench",
                    now,
                    now,
                )
            )
            versions.extend((seq, v, v, *map(int, v.split(".")), "", "git_tag") for v in vers)
            if len(batch) >= 5000:
                _insert_sqlite(conn, batch, versions)
                batch, versions = [], []
        _insert_sqlite(conn, batch, versions)
        with conn:
            conn.execute("DELETE FROM artifact_seq_buckets")
            conn.execute(COUNT_BUCKETS)
        conn.execute("ANALYZE")
    finally:
        conn.close()


def _insert_sqlite(conn: sqlite3.Connection, batch: list[Any], versions: list[Any]) -> None:
    with conn:
        conn.executemany(
            "INSERT INTO artifacts (seq, id, name, type, url, source_kind, source_ref, card_text, "
            "card_data, files, tags, extra, size_bytes, created_by, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            batch,
        )
        conn.executemany(
            "INSERT INTO artifact_versions (artifact_seq, version, raw, major, minor, patch, "
            "prerelease, source) VALUES (?,?,?,?,?,?,?,?)",
            versions,
        )


async def measure(db: Database, count: int, budget: float) -> dict[str, Any]:
    """p50/p99 (ms) of each query kind against a loaded database."""
    settings = Settings(database_url=db.url, search_budget_seconds=budget)
    index = SqlSearchIndex()
    search = SearchService(settings, index)
    rng = random.Random(7)  # noqa: S311 - synthetic data, not security

    async def enumerate_page() -> None:
        # The spec's POST /artifacts pages by a numeric offset: a random depth costs a skip.
        offset = rng.randrange(0, max(count - 50, 1))
        async with db.unit_of_work() as uow:
            await uow.artifacts.page_any([(None, None)], offset, 51)

    every = ArtifactSearchRequest(limit=50)

    async def enumerate_cursor() -> None:
        # The extension's keyset cursor at a random depth: where deep pages are meant to go.
        after = rng.randrange(0, max(count - 50, 1))
        request = every.model_copy(
            update={"cursor": encode_cursor(after, query_fingerprint(every))}
        )
        async with db.unit_of_work() as uow:
            page = await search.search(uow, request)
        assert len(page.items) == 50

    async def by_name() -> None:
        i = rng.randrange(count)
        async with db.unit_of_work() as uow:
            await uow.artifacts.by_name(f"{FAMILIES[i % len(FAMILIES)]}-base-{i}", 1000)

    async def regex(text: str) -> None:
        pattern = compile_untrusted(text, max_length=512)
        async with db.unit_of_work() as uow:
            await index.regex(uow, pattern, limit=1000, budget_seconds=budget)

    async def version_range() -> None:
        async with db.unit_of_work() as uow:
            await search.search(uow, ArtifactSearchRequest(version="^1.2.0", limit=50))

    kinds = {
        "enumerate page (50), offset at random depth": enumerate_page,
        "enumerate page (50), cursor at random depth": enumerate_cursor,
        "byName": by_name,
        "regex `bert.*base`": lambda: regex("bert.*base"),
        "regex literal-free `[0-9]{3}q`": lambda: regex("[0-9]{3}q"),
        "version range `^1.2.0` (page 50)": version_range,
    }
    out: dict[str, Any] = {}
    gc.freeze()  # as `registry serve` does: long-lived objects out of full collections
    for label, run in kinds.items():
        times, timeouts = [], 0
        runs = QUERIES if "literal-free" not in label else 5
        if "literal-free" not in label:
            await run()  # warm-up, untimed: the first query also opens the pooled connection
        for _ in range(runs):
            started = time.perf_counter()
            try:
                await run()
            except SearchTimeoutError:
                timeouts += 1
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        out[label] = (
            statistics.median(times),
            times[min(len(times) - 1, int(len(times) * 0.99))],
            timeouts,
            runs,
        )
    return out


async def bench(args: argparse.Namespace) -> list[tuple[str, int, dict[str, Any]]]:
    """Load and measure every requested backend and size."""
    results = []
    admin = args.postgres_url
    base = admin.rsplit("/", 1)[0]
    for count in [int(s) for s in args.pg_sizes.split(",") if s]:
        name = f"bench_search_{count}_{args.card_kb}kb"
        conn = await asyncpg.connect(admin)
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname=$1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        db = Database(f"{base}/{name}", pool_size=2)
        await db.migrate()
        started = time.perf_counter()
        await load_postgres(f"{base}/{name}", count, args.card_kb)
        print(f"postgres {count}: loaded in {time.perf_counter() - started:.0f} s", flush=True)
        results.append(("PostgreSQL", count, await measure(db, count, args.budget)))
        await db.dispose()
    for count in [int(s) for s in args.sqlite_sizes.split(",") if s]:
        path = ROOT / "var" / f"bench_search_{count}_{args.card_kb}kb.db"
        db = Database(f"sqlite+aiosqlite:///{path}")
        await db.migrate()
        started = time.perf_counter()
        load_sqlite(path, count, args.card_kb)
        print(f"sqlite {count}: loaded in {time.perf_counter() - started:.0f} s", flush=True)
        results.append(("SQLite", count, await measure(db, count, args.budget)))
        await db.dispose()
    return results


def report(results: list[tuple[str, int, dict[str, Any]]], args: argparse.Namespace) -> str:
    """The markdown table of one run."""
    lines = [
        "## Search",
        "",
        f"`make bench-search` ({args.card_kb} KB cards, {QUERIES} runs per query, 5 for the "
        f"literal-free regex; time budget {args.budget:g} s; 2 shared CPU cores). Service-level "
        "timings (database + RE2, no HTTP). Columns: p50 / p99 in ms; `T` = answered "
        "`413 search_budget_exceeded` at the budget.",
        "",
        "| backend | artifacts | query | p50 ms | p99 ms | budget stops |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for backend, count, measured in results:
        for label, (p50, p99, timeouts, runs) in measured.items():
            stops = f"{timeouts}/{runs} T" if timeouts else "0"
            lines.append(f"| {backend} | {count:,} | {label} | {p50:.1f} | {p99:.1f} | {stops} |")
    return "\n".join(lines) + "\n"


def write_docs(section: str, notes: str) -> None:
    """Replace (or append) the "## Search" section of docs/performance.md, nothing else."""
    path = ROOT / "docs" / "performance.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n\n"
    body = section + "\n" + notes
    pattern = re.compile(r"^## Search\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(body, text) if pattern.search(text) else text.rstrip() + "\n\n" + body
    path.write_text(text, encoding="utf-8")


def main() -> None:
    """Parse arguments, run, print, optionally write docs."""
    parser = argparse.ArgumentParser(description=__doc__)
    default_pg = os.environ.get(
        "REGISTRY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--postgres-url", default=default_pg)
    parser.add_argument("--pg-sizes", default="10000,100000")
    parser.add_argument("--sqlite-sizes", default="10000")
    parser.add_argument("--card-kb", type=int, default=5)
    parser.add_argument("--budget", type=float, default=2.0)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--notes", default=str(ROOT / "benchmarks" / "search_notes.md"))
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    section = report(asyncio.run(bench(args)), args)
    print(section)
    if args.write_docs:
        notes = Path(args.notes).read_text(encoding="utf-8") if Path(args.notes).exists() else ""
        write_docs(section, notes)


if __name__ == "__main__":
    main()
