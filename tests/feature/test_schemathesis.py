"""Property-based requests generated from openapi.yaml against a live registry (schemathesis):
no 5xx, every status documented, every body and header as the contract says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registry.app import create_app
from registry.config import Settings
from tests.fixtures.registry_client import ADMIN, ADMIN_PASSWORD
from tests.fixtures.servers import ThreadedServer

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"
# Zip uploads are binary bodies: generated ones are random bytes, which the server must refuse
# with a documented 4xx (never a 5xx).
schemathesis.serializer.alias("application/zip", "application/octet-stream")
schema = schemathesis.openapi.from_path(SPEC)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def live_registry(
    tmp_path_factory: pytest.TempPathFactory, fake_hub: Any, fake_github: Any
) -> Iterator[tuple[str, str]]:
    """A registry on SQLite served by uvicorn in a thread, and an admin token."""
    root = tmp_path_factory.mktemp("schemathesis")
    app = create_app(
        Settings(
            database_url=f"sqlite+aiosqlite:///{root / 'registry.db'}",
            blob_local_path=root / "blobs",
            hf_endpoint=fake_hub.url,
            github_api_url=fake_github.url,
            source_timeout_seconds=5,
            token_max_calls=100_000,
        )
    )
    with ThreadedServer(app, lifespan="on") as server:
        response = httpx.put(
            f"{server.url}/authenticate",
            json={
                "user": {"name": ADMIN, "is_admin": True},
                "secret": {"password": ADMIN_PASSWORD},
            },
        )
        assert response.status_code == 200
        httpx.post(
            f"{server.url}/artifact/model",
            json={"url": "https://huggingface.co/google-bert/bert-base-uncased"},
            headers={"X-Authorization": response.json()},
            timeout=30,
        )
        yield server.url, response.json()


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_every_operation_honours_the_contract(case: Any, live_registry: tuple[str, str]) -> None:
    base_url, token = live_registry
    case.call_and_validate(
        base_url=base_url, headers={"X-Authorization": token}, checks=CHECKS, timeout=30
    )
