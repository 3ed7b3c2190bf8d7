"""Hostile zips are refused before anything is stored: symlinks and devices whatever the
creator system claims, overlapping entries (a zip bomb), data hidden before, between or after
the entries, paths that climb out; a zip of 10,000 entries is answered in bounded time."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import httpx
import pytest

from tests.fixtures import hostile_zips as hz
from tests.fixtures.deployment import Deployment
from tests.fixtures.registry_probe import artifact_listing, login
from tests.fixtures.registry_processes import ServerProcess

pytestmark = pytest.mark.security

MANY_ENTRIES_BOUND_SECONDS = 60.0  # was 216 s; generous for a loaded 2-core machine


def _upload(admin: httpx.Client, package: bytes, timeout: float | None = None) -> httpx.Response:
    return admin.post(
        "/artifact/code/upload",
        params={"name": f"hostile-{secrets.token_hex(4)}", "version": "1.0.0"},
        content=package,
        headers={"content-type": "application/zip"},
        timeout=timeout or admin.timeout,
    )


def _assert_refused_and_nothing_stored(
    deployment: Deployment, admin: httpx.Client, package: bytes, phrase: str
) -> None:
    before, blobs = artifact_listing(admin), deployment.bucket.keys()
    uploads = deployment.bucket.multipart_uploads()
    response = _upload(admin, package)
    assert response.status_code == 400, response.text
    assert phrase in response.json()["message"].lower()
    assert artifact_listing(admin) == before
    assert deployment.bucket.keys() == blobs
    assert deployment.bucket.multipart_uploads() == uploads


@pytest.mark.parametrize(
    "system",
    [hz.ATARI, hz.BEOS, hz.ATHEOS, hz.VMS, hz.MSDOS, hz.UNIX],
    ids=["atari", "beos", "atheos", "vms", "msdos", "unix"],
)
def test_symlinks_are_refused_whatever_the_creator_system(
    deployment: Deployment, admin: httpx.Client, system: int
) -> None:
    _assert_refused_and_nothing_stored(deployment, admin, hz.symlink_zip(system), "link")


def test_windows_reparse_points_are_refused(deployment: Deployment, admin: httpx.Client) -> None:
    _assert_refused_and_nothing_stored(deployment, admin, hz.reparse_point_zip(), "link")


@pytest.mark.parametrize("system", [hz.ATHEOS, hz.UNIX], ids=["atheos", "unix"])
def test_device_entries_are_refused(
    deployment: Deployment, admin: httpx.Client, system: int
) -> None:
    _assert_refused_and_nothing_stored(deployment, admin, hz.device_zip(system), "special")


def test_overlapping_entry_bomb_is_refused_and_writes_no_blob(
    deployment: Deployment, admin: httpx.Client
) -> None:
    _assert_refused_and_nothing_stored(deployment, admin, hz.overlapping_bomb(), "overlap")


@pytest.mark.parametrize(
    "make",
    [
        hz.prefixed_zip,
        hz.unadjusted_prefix_zip,
        hz.hidden_gap_zip,
        hz.second_eocd_comment_zip,
        hz.trailing_data_zip,
        hz.out_of_order_zip,
        hz.local_name_mismatch_zip,
        hz.unicode_path_zip,
    ],
    ids=lambda make: make.__name__,
)
def test_hidden_or_ambiguous_data_is_refused(
    deployment: Deployment, admin: httpx.Client, make: Callable[[], bytes]
) -> None:
    _assert_refused_and_nothing_stored(deployment, admin, make(), "")


@pytest.mark.parametrize(
    ("path", "phrase"),
    [
        ("../escape.txt", "segment"),
        ("model/../../escape.txt", "segment"),
        ("/etc/cron.d/evil", "absolute"),
        ("C:/Windows/evil.dll", "absolute"),
        ("model\\..\\..\\evil.dll", "backslash"),
    ],
    ids=["dot-dot", "nested-dot-dot", "absolute", "drive-letter", "backslash"],
)
def test_paths_that_leave_the_package_are_refused(
    deployment: Deployment, admin: httpx.Client, path: str, phrase: str
) -> None:
    package = hz.assemble([hz.config(), hz.Member(path, b"payload")])
    _assert_refused_and_nothing_stored(deployment, admin, package, phrase)


def test_ten_thousand_entries_are_answered_in_bounded_time(
    start_extra_server: Callable[..., ServerProcess], client: Callable[..., httpx.Client]
) -> None:
    # A process of its own: a slow answer must not keep working under the shared two.
    server = start_extra_server()
    uploader = client(server, login(client(server)))
    package = hz.many_entries_zip()
    started = time.monotonic()
    try:
        response = _upload(uploader, package, timeout=MANY_ENTRIES_BOUND_SECONDS)
    except httpx.TimeoutException:
        pytest.fail(f"a 10,000-entry zip got no answer within {MANY_ENTRIES_BOUND_SECONDS} s")
    elapsed = time.monotonic() - started
    assert response.status_code in (201, 400, 413), response.text
    assert elapsed < MANY_ENTRIES_BOUND_SECONDS
    print(f"10,000-entry zip ({len(package)} bytes): {response.status_code} in {elapsed:.1f} s")
