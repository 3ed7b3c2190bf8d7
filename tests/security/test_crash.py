"""kill -9 in the middle of an upload leaves nothing behind: the restarted process sweeps the
spool, and `registry gc` removes orphan blobs and aborts stale multipart uploads."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.deployment import Deployment
from tests.fixtures.registry_probe import artifact_listing, login
from tests.fixtures.registry_processes import ServerProcess

pytestmark = pytest.mark.security

MIB = 1024 * 1024
SENT_BEFORE_PAUSE = 48 * MIB  # the body pauses here until the process is dead
SPOOLED_BEFORE_KILL = 16 * MIB
BODY = 96 * MIB
WAIT = 120.0  # bounds a hang only


def _spooled_files(spool: Path) -> list[Path]:
    """Files a request spooled (each process's lock file aside)."""
    return [p for p in spool.rglob("*") if p.is_file() and p.name != ".lock"]


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_kill_9_mid_upload_leaves_no_spool_file_blob_or_multipart_upload(
    deployment: Deployment,
    start_extra_server: Callable[..., ServerProcess],
    admin: httpx.Client,
    client: Callable[..., httpx.Client],
) -> None:
    server = start_extra_server()
    spool = Path(server.env["REGISTRY_PACKAGE_TMP_DIR"])
    blobs_before, listing_before = deployment.bucket.keys(), artifact_listing(admin)
    token = login(client(server))
    killed = threading.Event()

    def body() -> Iterator[bytes]:
        yield b"PK\x03\x04"
        sent = 0
        while sent < BODY:
            if sent == SENT_BEFORE_PAUSE:
                killed.wait(WAIT)
            yield bytes(MIB)
            sent += MIB

    def upload() -> None:
        # Its connection dies with the process: a transport error is the expected outcome.
        try:
            httpx.post(
                f"{server.url}/artifact/code/upload",
                params={"name": f"crash-{secrets.token_hex(4)}", "version": "1.0.0"},
                content=body(),
                headers={"content-type": "application/zip", "x-authorization": token},
                timeout=WAIT,
            )
        except httpx.TransportError:
            pass

    uploading = threading.Thread(target=upload)
    uploading.start()
    try:
        _wait_for(
            lambda: any(p.stat().st_size >= SPOOLED_BEFORE_KILL for p in _spooled_files(spool)),
            "the upload to reach the spool",
        )
        server.kill()
    finally:
        killed.set()
        uploading.join(WAIT)
    assert _spooled_files(spool), "kill -9 should have left the spool file behind"

    server.restart()
    assert _spooled_files(spool) == []

    collected = subprocess.run(
        [sys.executable, "-m", "registry", "gc", "--grace-seconds", "0"],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert collected.returncode == 0, collected.stderr
    print(f"registry gc: {json.loads(collected.stdout.strip().splitlines()[-1])}")
    assert deployment.bucket.keys() <= blobs_before
    assert deployment.bucket.multipart_uploads() == []
    assert artifact_listing(admin) == listing_before
