"""Downloads: ranges, ETags, caching of part zips, audit entries, errors, and S3 redirects."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from moto.server import ThreadedMotoServer
from starlette.applications import Starlette

import registry.packages.service as package_service
from registry.app import create_app
from registry.config import Settings
from tests.fixtures import zips
from tests.fixtures.openapi_check import assert_conforms
from tests.fixtures.registry_client import api_client, login
from tests.fixtures.servers import ThreadedServer

ZIP = {"content-type": "application/zip"}


async def uploaded(client: httpx.AsyncClient, name: str = "tiny") -> str:
    """Upload the tiny package; return its id."""
    response = await client.post(
        "/artifact/model/upload",
        params={"name": name, "version": "1.0.0"},
        content=zips.tiny_zip(),
        headers=ZIP,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["metadata"]["id"])


async def test_ranges_and_etag(client: httpx.AsyncClient) -> None:
    await check_ranges_and_etag(client)


@pytest_asyncio.fixture
async def over_http(settings: Settings, fresh: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the registry served by uvicorn with `registry serve`'s protocol over real
    loopback HTTP, where downloads of local blobs go out by zero-copy send (ASGITransport
    offers no such extension, so the other tests stream)."""
    with ThreadedServer(create_app(settings), lifespan="on") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            client.headers["X-Authorization"] = await login(client)
            yield client


async def test_ranges_and_etag_over_zero_copy_http(over_http: httpx.AsyncClient) -> None:
    whole = await check_ranges_and_etag(over_http)
    artifact_id = await uploaded(over_http, "second")
    head = await over_http.head(f"/artifacts/model/{artifact_id}/download")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(whole))
    zipped = await over_http.get(f"/artifacts/model/{artifact_id}/download?part=config")
    assert zipped.status_code == 200 and zipped.content.startswith(b"PK")


async def check_ranges_and_etag(client: httpx.AsyncClient) -> bytes:
    """Whole, ranged, conditional and refused downloads of an upload; its bytes."""
    artifact_id = await uploaded(client)
    url = f"/artifacts/model/{artifact_id}/download"
    whole = (await client.get(url)).content
    etag = f'"{hashlib.sha256(whole).hexdigest()}"'

    part = await client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == whole[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(whole)}"
    assert part.headers["content-length"] == "10"
    assert part.headers["etag"] == etag

    tail = await client.get(url, headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == whole[-5:]
    open_ended = await client.get(url, headers={"Range": f"bytes={len(whole) - 3}-"})
    assert open_ended.content == whole[-3:]

    outside = await client.get(url, headers={"Range": f"bytes={len(whole)}-"})
    assert outside.status_code == 416
    assert_conforms(outside)
    assert outside.json()["error"] == "range_not_satisfiable"
    assert outside.headers["content-range"] == f"bytes */{len(whole)}"

    # A stale If-Range or a multi-range request gets the whole content, as RFC 9110 allows.
    stale = await client.get(url, headers={"Range": "bytes=0-1", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == whole
    fresh = await client.get(url, headers={"Range": "bytes=0-1", "If-Range": etag})
    assert fresh.status_code == 206 and fresh.content == whole[:2]
    multi = await client.get(url, headers={"Range": "bytes=0-1,4-5"})
    assert multi.status_code == 200 and multi.content == whole
    zips.assert_rebuilt(whole, zips.TINY_FILES)  # the files, rebuilt by the registry
    return whole


async def test_part_zips_are_built_once(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    artifact_id = await uploaded(client)
    builds: list[int] = []
    real = package_service.build_zip

    async def counting(*args: Any) -> Any:
        builds.append(1)
        return await real(*args)

    monkeypatch.setattr(package_service, "build_zip", counting)
    url = f"/artifacts/model/{artifact_id}/download"
    bodies = [(await client.get(url, params={"part": "tokenizer"})).content for _ in range(3)]
    assert len(builds) == 1
    assert bodies[0] == bodies[1] == bodies[2]


async def test_every_download_is_audited(client: httpx.AsyncClient) -> None:
    artifact_id = await uploaded(client)
    url = f"/artifacts/model/{artifact_id}/download"
    await client.get(url)
    await client.get(url, params={"part": "config"})
    trail = await client.get(f"/artifact/model/{artifact_id}/audit")
    actions = [entry["action"] for entry in trail.json()]
    assert actions.count("DOWNLOAD") == 2


async def test_download_errors(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, make_user: Any
) -> None:
    artifact_id = await uploaded(client)
    url = f"/artifacts/model/{artifact_id}/download"
    bad_part = await client.get(url, params={"part": "everything"})
    assert bad_part.status_code == 400
    assert_conforms(bad_part)
    assert "weights" in bad_part.json()["message"]
    missing = await client.get("/artifacts/model/123456789/download")
    assert missing.status_code == 404
    wrong_type = await client.get(f"/artifacts/dataset/{artifact_id}/download")
    assert wrong_type.status_code == 404
    assert (await anon.get(url)).status_code == 403
    no_download = await make_user("no-download", download=False)
    denied = await no_download.get(url)
    assert denied.status_code == 403 and denied.json()["error"] == "permission_denied"

    reference = await client.post("/artifact/code", json={"url": "https://example.com/tools/x"})
    ref_id = reference.json()["metadata"]["id"]
    by_ref = await client.get(f"/artifacts/code/{ref_id}/download")
    assert by_ref.status_code == 404
    assert "registered by reference" in by_ref.json()["message"]


async def test_empty_part_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/artifact/model/upload",
        params={"name": "config-only", "version": "1.0.0"},
        content=zips.zip_bytes({"config.json": b"{}"}),
        headers=ZIP,
    )
    artifact_id = response.json()["metadata"]["id"]
    empty = await client.get(f"/artifacts/model/{artifact_id}/download", params={"part": "weights"})
    assert empty.status_code == 404
    assert "no files in the 'weights' part" in empty.json()["message"]


@pytest.fixture(scope="module")
def moto_url() -> Any:
    """moto's real S3 server on a loopback port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest_asyncio.fixture
async def s3_app(settings: Settings, moto_url: str, fresh: str) -> AsyncIterator[Starlette]:
    """The app on the same database, with blobs in S3 (moto); no job workers of its own."""
    s3_settings = settings.model_copy(
        update={
            "blob_backend": "s3",
            "s3_endpoint_url": moto_url,
            "s3_bucket": "packages-test",
            "s3_access_key_id": "testing",
            "s3_secret_access_key": "testing",
            "job_workers": 0,
        }
    )
    app = create_app(s3_settings)
    async with app.router.lifespan_context(app):
        yield app


async def test_s3_download_redirects_to_a_presigned_url(s3_app: Starlette) -> None:
    async with api_client(s3_app) as client:
        client.headers["X-Authorization"] = await login(client)
        artifact_id = await uploaded(client, name="s3-tiny")
        for params in ({}, {"part": "tokenizer"}):
            response = await client.get(f"/artifacts/model/{artifact_id}/download", params=params)
            assert response.status_code == 307, response.text
            assert_conforms(response)
            async with httpx.AsyncClient() as outside:
                fetched = await outside.get(response.headers["location"])
            assert fetched.status_code == 200
            if not params:
                zips.assert_rebuilt(fetched.content, zips.TINY_FILES)
            else:
                assert fetched.content[:2] == b"PK"
