"""The Hugging Face hub and the GitHub API stop, reset connections or go silent: registering
from them answers 502 source_unavailable naming the source within DEADLINE, stores nothing,
and works again once the source is back."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.fixtures.disaster import DEADLINE, Faults
from tests.fixtures.fault_proxy import Mode
from tests.fixtures.registry_client import GH, HF
from tests.fixtures.registry_probe import sql_rows

CASES = [
    ("hub", "model", f"{HF}/google-bert/bert-base-uncased", "Hugging Face hub"),
    ("github", "code", f"{GH}/google-research/bert", "GitHub API"),
]


@pytest.mark.parametrize("mode", ["stop", "reset", "blackhole"])
@pytest.mark.parametrize(("source", "kind", "url", "named"), CASES)
async def test_a_lost_source_answers_502_then_recovers(
    admin: httpx.AsyncClient,
    faults: Faults,
    mode: Mode,
    source: str,
    kind: str,
    url: str,
    named: str,
) -> None:
    proxy = faults.hub if source == "hub" else faults.github
    proxy.set_mode(mode)
    started = time.monotonic()
    refused = await asyncio.wait_for(admin.post(f"/artifact/{kind}", json={"url": url}), 120)
    took = time.monotonic() - started
    assert refused.status_code == 502, refused.text
    body = refused.json()
    assert body["error"] == "source_unavailable"
    assert named in body["message"]
    assert took < DEADLINE, f"answered after {took:.1f} s"
    assert sql_rows(faults.database_url, "SELECT id FROM artifacts") == []

    proxy.set_mode("pass")
    created = await admin.post(f"/artifact/{kind}", json={"url": url})
    assert created.status_code == 201, created.text
