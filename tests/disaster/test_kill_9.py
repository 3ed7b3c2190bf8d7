"""kill -9 of a server process in the middle of a mirror: after the restart the job is not
stuck (its lease runs out and it is claimed again), it succeeds, and `registry gc` leaves no
pending write behind. (kill -9 in the middle of an upload: tests/security/test_crash.py.)"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures.disaster import LEASE, Faults
from tests.fixtures.fault_proxy import FaultProxy
from tests.fixtures.postgres import throwaway_postgres_database
from tests.fixtures.registry_client import HF
from tests.fixtures.registry_probe import S3Bucket, login
from tests.fixtures.registry_processes import ServerProcess, registry_env

WAIT = 120.0  # bounds a hang only


@pytest.fixture
def hub(fake_hub: Any) -> Iterator[FaultProxy]:
    """A proxy of this test's own in front of the fake hub."""
    with FaultProxy.to_url(fake_hub.url) as proxy:
        yield proxy


@pytest.fixture
def server(
    faults: Faults, hub: FaultProxy, fake_github: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A `registry serve` process with a short job lease, on a database and bucket of its own."""
    bucket = f"kill-{uuid.uuid4().hex[:8]}"
    with throwaway_postgres_database("registry_kill") as database_url:
        env = registry_env(
            database_url, faults.bucket.endpoint, bucket, f"http://{hub.address}", fake_github.url
        )
        env |= {
            "REGISTRY_JOB_LEASE_SECONDS": str(LEASE),
            "REGISTRY_RATING_REPRODUCIBILITY": "false",
            "REGISTRY_PACKAGE_TMP_DIR": str(tmp_path_factory.mktemp("kill-spool")),
        }
        process = ServerProcess(env, tmp_path_factory.mktemp("kill-logs") / "server.log")
        try:
            yield process
        finally:
            process.stop()


def wait_for_job(client: httpx.Client, job_id: str, statuses: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while True:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in statuses:
            return dict(job)
        assert time.monotonic() < deadline, f"job stayed {job['status']}: {job}"
        time.sleep(0.1)


def test_kill_9_mid_mirror_then_restart_retries_the_job(
    server: ServerProcess, hub: FaultProxy
) -> None:
    client = httpx.Client(base_url=server.url, timeout=WAIT)
    client.headers["X-Authorization"] = login(client)
    hub.set_mode("slow", delay=0.1)  # the mirror's weights take seconds to come
    created = client.post("/artifact/model", json={"url": f"{HF}/google-bert/bert-base-uncased"})
    assert created.status_code == 201, created.text
    artifact_id = created.json()["metadata"]["id"]
    hub.set_mode("blackhole")  # and now they never come: the mirror is held mid-way
    (mirror,) = [
        j
        for j in client.get(f"/artifacts/model/{artifact_id}/jobs").json()
        if j["kind"] == "mirror"
    ]
    running = wait_for_job(client, mirror["id"], {"running", "succeeded", "failed"})
    assert running["status"] == "running", running

    server.kill()
    hub.set_mode("pass")
    server.restart()
    client.headers["X-Authorization"] = login(client)
    done = wait_for_job(client, mirror["id"], {"succeeded", "failed"})
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 2  # the killed attempt, then the one after its lease ran out
    jobs = client.get(f"/artifacts/model/{artifact_id}/jobs").json()
    assert {j["status"] for j in jobs} <= {"succeeded"}, jobs
    weights = client.get(
        f"/artifacts/model/{artifact_id}/download",
        params={"part": "weights"},
        follow_redirects=True,
    )
    assert weights.status_code == 200, weights.text

    collected = subprocess.run(
        [sys.executable, "-m", "registry", "gc", "--grace-seconds", "0"],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert collected.returncode == 0, collected.stderr
    bucket = S3Bucket(server.env["REGISTRY_S3_ENDPOINT_URL"], server.env["REGISTRY_S3_BUCKET"])
    assert bucket.multipart_uploads() == []
    assert not [key for key in bucket.keys() if "/staging/" in key]
    client.close()
