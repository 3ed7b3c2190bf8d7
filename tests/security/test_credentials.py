"""Credentials: SQL in passwords and names is data, passwords are stored as argon2id, logs
carry no secrets, and a flood of failed sign-ins neither starves readers nor gets a 500."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from tests.fixtures.deployment import Account, Deployment
from tests.fixtures.registry_client import ADMIN, ADMIN_PASSWORD
from tests.fixtures.registry_probe import login, login_body, sql_rows, web_sign_in
from tests.fixtures.registry_processes import KEEPALIVE_SECONDS, ServerProcess

pytestmark = pytest.mark.security

BOOTSTRAP_SPELLINGS = [
    ADMIN_PASSWORD,
    "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE packages;",
    "correcthorsebatterystaple123(!__+@**(A;DROP TABLE packages",
]
FLOOD = 200
# One authenticated read during the flood: ~30 ms idle, 1.4 s at worst under load; ~18 s when
# logins starved the pool. 8 s keeps both margins on a busy CI machine.
READER_BOUND_SECONDS = 8.0


@pytest.mark.parametrize("password", BOOTSTRAP_SPELLINGS, ids=["artifacts", "packages", "plain"])
def test_bootstrap_password_with_sql_signs_in_and_drops_nothing(
    deployment: Deployment, client: Callable[..., httpx.Client], password: str
) -> None:
    token = login(client(deployment.second), ADMIN, password)
    assert token.startswith("bearer ")
    tables = sql_rows(
        deployment.database_url,
        "SELECT to_regclass('artifacts') IS NOT NULL AS artifacts,"
        " to_regclass('packages') IS NOT NULL AS packages",
    )
    assert tables == [{"artifacts": True, "packages": True}]


def test_sql_in_a_name_is_stored_verbatim(admin: httpx.Client) -> None:
    name = f"x'; DROP TABLE artifacts; -- {secrets.token_hex(3)}"
    url = f"https://example.com/sqli-{secrets.token_hex(4)}"
    created = admin.post("/artifact/code", json={"url": url, "name": name})
    assert created.status_code == 201, created.text
    assert [m["name"] for m in admin.get(f"/artifact/byName/{name}").json()] == [name]


def test_sql_in_a_password_is_only_that_password(
    deployment: Deployment, admin: httpx.Client, client: Callable[..., httpx.Client]
) -> None:
    name, password = f"sec-sql-{secrets.token_hex(3)}", "' OR '1'='1' --"
    body = login_body(name, password) | {"permissions": {"upload": False}}
    assert admin.post("/users", json=body).status_code == 201
    assert login(client(deployment.second), name, password).startswith("bearer ")
    wrong = client(deployment.second).put("/authenticate", json=login_body(name, "' OR '1'='1"))
    assert wrong.status_code == 401
    assert "invalid" in wrong.json()["message"]


def test_passwords_are_stored_as_argon2id(
    deployment: Deployment, make_user: Callable[..., Account]
) -> None:
    make_user()
    rows = sql_rows(deployment.database_url, "SELECT name, password_hash FROM users")
    assert len(rows) >= 2
    assert all(r["password_hash"].startswith("$argon2id$") for r in rows), rows


def test_logs_carry_no_passwords_or_tokens(
    start_extra_server: Callable[..., ServerProcess], client: Callable[..., httpx.Client]
) -> None:
    server = start_extra_server(REGISTRY_LOG_LEVEL="debug")
    token = login(client(server))
    signed_in = client(server, token)
    assert signed_in.post("/artifacts", json=[{"name": "*"}]).status_code == 200
    assert signed_in.get("/artifacts/code/999999").status_code == 404
    guess = f"guess-{secrets.token_hex(8)}"
    assert client(server).put("/authenticate", json=login_body(ADMIN, guess)).status_code == 401
    assert web_sign_in(client(server)).status_code == 303
    server.stop()
    log = server.log_text()
    assert f"web sign-in: {ADMIN}" in log  # the sign-ins were logged, without their secrets
    for secret in (ADMIN_PASSWORD, token.split()[1], guess):
        assert secret not in log


def test_failed_login_flood_does_not_starve_an_authenticated_reader(
    start_extra_server: Callable[..., ServerProcess],
    client: Callable[..., httpx.Client],
    async_client: Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]],
) -> None:
    # A process of its own: the throttle it arms would refuse the other tests' sign-ins.
    server = start_extra_server()
    reader = client(server, login(client(server)))
    done = threading.Event()
    reads: list[tuple[int, float]] = []

    def read_until_done() -> None:
        # A thread of its own, so the flood's client loop does not delay the reader's requests.
        while not done.is_set() and len(reads) < 150:  # under the token budget
            started = time.monotonic()
            status = reader.get(f"/users/{ADMIN}").status_code
            reads.append((status, time.monotonic() - started))

    async def flood() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=FLOOD, keepalive_expiry=KEEPALIVE_SECONDS)
        async with async_client(server, limits=limits) as c:
            body = login_body(ADMIN, "wrong-password")
            return list(
                await asyncio.gather(*(c.put("/authenticate", json=body) for _ in range(FLOOD)))
            )

    reading = threading.Thread(target=read_until_done)
    reading.start()
    try:
        answers = asyncio.run(flood())
    finally:
        done.set()
        reading.join()
    assert {r.status_code for r in answers} <= {401, 429}
    throttled = [r for r in answers if r.status_code == 429]
    assert throttled, "200 failed sign-ins in a burst were never throttled"
    assert all(int(r.headers["retry-after"]) >= 1 for r in throttled)
    assert throttled[0].json()["error"] == "too_many_requests"
    assert reads and all(status == 200 for status, _ in reads)
    slowest = max(seconds for _, seconds in reads)
    median = sorted(seconds for _, seconds in reads)[len(reads) // 2]
    print(f"login flood: {len(reads)} reads, median {median:.3f} s, slowest {slowest:.3f} s")
    assert slowest < READER_BOUND_SECONDS
