"""Many-entry upload benchmark: where the time of a 10,000-entry upload goes.

    python -m benchmarks.bench_uploads [--entries 10000] [--rounds 3] [--postgres URL]

Runs the app in process (httpx's ASGI transport) on SQLite (and PostgreSQL with --postgres)
and the local blob store in a temp directory, uploads a ~1 MB zip of `entries` small distinct
files (the shape of finding 10 of issue 12; new bytes each round) `rounds` times under fresh
names, and reports per round: the whole request, staging (inspect, hash, store blobs, rebuild the
download zip) and registration (the database rows). Then it downloads the package whole once
and checks it. Figures go to docs/packages.md by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from tests.fixtures.hostile_zips import Member, assemble

from registry.app import create_app
from registry.config import Settings

ADMIN = "ece30861defaultadminuser"
# The contract's published bootstrap password of the default admin, not a secret.
PASSWORD = "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;"  # noqa: S105


def many_entries(entries: int, salt: str, size: int = 100) -> bytes:
    """A zip of `entries` small distinct files (as many_entries_zip), distinct per salt."""
    members = [
        Member(f"shards/{i:05d}.txt", (f"{salt}{i:05d}".encode() * size)[:size])
        for i in range(entries)
    ]
    return assemble(members)


def timed(spent: dict[str, float], key: str, fn: Callable[..., Awaitable[Any]]) -> Any:
    """Wrap an async callable so its time adds up under spent[key]."""

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            spent[key] = spent.get(key, 0.0) + time.perf_counter() - began

    return wrapper


async def run(database_url: str, root: Path, entries: int, rounds: int) -> list[dict[str, float]]:
    """Upload the many-entry zip `rounds` times; the phase times of each round."""
    settings = Settings(
        database_url=database_url,
        blob_backend="local",
        blob_local_path=root / "blobs",
        package_max_entries=entries,
    )
    app = create_app(settings)
    results: list[dict[str, float]] = []
    async with app.router.lifespan_context(app):
        packages = app.state.services.packages
        spent: dict[str, float] = {}
        packages.stage_upload = timed(spent, "stage", packages.stage_upload)
        packages.artifacts.register = timed(spent, "register", packages.artifacts.register)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", timeout=600
        ) as client:
            token = (
                await client.put(
                    "/authenticate",
                    json={
                        "user": {"name": ADMIN, "is_admin": True},
                        "secret": {"password": PASSWORD},
                    },
                )
            ).json()
            client.headers["X-Authorization"] = token
            for index in range(rounds):
                body = many_entries(entries, f"{time.time_ns()}-")
                spent.clear()
                began = time.perf_counter()
                response = await client.post(
                    "/artifact/model/upload",
                    params={"name": f"many-{index}", "version": "1.0.0"},
                    content=body,
                    headers={"content-type": "application/zip"},
                )
                total = time.perf_counter() - began
                assert response.status_code == 201, response.text
                results.append({"total": total, **spent})
                print(
                    f"  round {index + 1}: total {total:.2f} s, "
                    + ", ".join(f"{k} {v:.2f} s" for k, v in spent.items()),
                    flush=True,
                )
            artifact_id = response.json()["metadata"]["id"]
            began = time.perf_counter()
            whole = await client.get(f"/artifacts/model/{artifact_id}/download")
            assert whole.status_code == 200
            print(
                f"  download whole: {len(whole.content)} bytes in "
                f"{time.perf_counter() - began:.2f} s (upload was {len(body)} bytes)"
            )
    return results


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default="", help="a PostgreSQL database URL (asyncpg)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-uploads-") as tmp:
        root = Path(tmp)
        backends = {"sqlite": f"sqlite+aiosqlite:///{root / 'registry.db'}"}
        if args.postgres:
            backends["postgres"] = args.postgres
        for backend, url in backends.items():
            print(f"{backend}, local store, {args.entries} entries:", flush=True)
            results = asyncio.run(run(url, root / backend, args.entries, args.rounds))
            totals = [r["total"] for r in results]
            print(f"  median total {statistics.median(totals):.2f} s", flush=True)


if __name__ == "__main__":
    main()
