"""The zero-copy send extension of registry.httpserver, over real loopback HTTP under uvicorn."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.httpserver import ZERO_COPY
from tests.fixtures.servers import ThreadedServer

SIZE = 24 * 1024 * 1024 + 123  # larger than any socket buffer: sendfile must wait for room


@pytest.fixture(scope="module")
def blob(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("zc") / "blob.bin"
    path.write_bytes(os.urandom(SIZE))
    return path


class FileApp:
    """Answers GET /file?start=&count=&length= from one file, by zero-copy send when offered;
    records whether the extension was offered and what went wrong."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offered: list[bool] = []
        self.errors: list[BaseException] = []
        self.finished = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self._answer(scope, send)
        finally:
            self.finished += 1

    async def _answer(self, scope: Any, send: Any) -> None:
        assert scope["type"] == "http"
        query = dict(part.split("=") for part in scope["query_string"].decode().split("&") if part)
        start = int(query.get("start", 0))
        count = int(query.get("count", SIZE - start))
        length = int(query.get("length", count))
        offered = ZERO_COPY in scope.get("extensions", {})
        self.offered.append(offered)
        headers = [(b"content-length", str(length).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        with self.path.open("rb") as file:
            if not offered:
                file.seek(start)
                await send({"type": "http.response.body", "body": file.read(count)})
                return
            message = {"type": ZERO_COPY, "file": file, "offset": start, "count": count}
            try:
                await send(message)
            except Exception as exc:
                self.errors.append(exc)
                raise


@pytest.fixture(params=["uvloop", "asyncio"])
def served(request: pytest.FixtureRequest, blob: Path) -> Iterator[tuple[str, FileApp]]:
    app = FileApp(blob)
    with ThreadedServer(app, loop=request.param) as server:
        yield server.url, app


def test_whole_file_is_sent_by_zero_copy(served: tuple[str, FileApp], blob: Path) -> None:
    url, app = served
    response = httpx.get(f"{url}/file", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(SIZE)
    assert response.content == blob.read_bytes()
    assert app.offered == [True]


def test_a_slice_at_an_offset(served: tuple[str, FileApp], blob: Path) -> None:
    url, _app = served
    response = httpx.get(f"{url}/file", params={"start": 1000, "count": 5_000_000}, timeout=30)
    assert response.content == blob.read_bytes()[1000:5_001_000]


def test_keep_alive_connection_serves_the_next_request(
    served: tuple[str, FileApp], blob: Path
) -> None:
    url, _app = served
    data = blob.read_bytes()
    with httpx.Client(base_url=url, timeout=30) as client:
        first = client.get("/file", params={"start": 7, "count": 100})
        second = client.get("/file")
        third = client.get("/file", params={"start": SIZE - 10})
    assert first.content == data[7:107]
    assert second.content == data
    assert third.content == data[-10:]


def _exchange(url: str, requests: bytes, expect: list[int]) -> list[tuple[bytes, bytes]]:
    """Send raw requests at once on one connection; read len(expect) responses whose bodies
    have the given lengths; nothing may follow the last one."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(requests)
        data, answers = b"", []
        for length in expect:
            while b"\r\n\r\n" not in data:
                data += sock.recv(1 << 20)
            head, _, data = data.partition(b"\r\n\r\n")
            while len(data) < length:
                data += sock.recv(1 << 20)
            answers.append((head, data[:length]))
            data = data[length:]
        sock.settimeout(0.3)
        try:
            data += sock.recv(1 << 20)
        except TimeoutError:
            pass
        assert data == b"", "bytes after the last response"
    return answers


def test_head_sends_headers_only(served: tuple[str, FileApp], blob: Path) -> None:
    url, _app = served
    response = httpx.head(f"{url}/file", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(SIZE)
    # On one connection, the GET's answer must follow the HEAD's headers directly.
    request = b"%s /file?count=10 HTTP/1.1\r\nHost: x\r\n\r\n"
    (head, body), (get_head, get_body) = _exchange(
        url, request % b"HEAD" + request % b"GET", [0, 10]
    )
    assert head.startswith(b"HTTP/1.1 200") and body == b""
    assert get_head.startswith(b"HTTP/1.1 200") and get_body == blob.read_bytes()[:10]


def test_pipelined_requests_are_answered_in_order(served: tuple[str, FileApp], blob: Path) -> None:
    url, _app = served
    data = blob.read_bytes()
    first = b"GET /file?start=5&count=3000000 HTTP/1.1\r\nHost: x\r\n\r\n"
    second = b"GET /file?start=0&count=7 HTTP/1.1\r\nHost: x\r\n\r\n"
    answers = _exchange(url, first + second, [3_000_000, 7])
    assert [body for _head, body in answers] == [data[5:3_000_005], data[:7]]


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_client_leaving_mid_body_leaves_the_server_serving(
    served: tuple[str, FileApp], blob: Path
) -> None:
    url, app = served
    httpx.get(f"{url}/file", params={"count": 10}, timeout=30)  # warm: the server's own fds
    before = _open_fds()
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    # The server was blocked on a full socket: it must notice the peer left and end the send.
    deadline = time.monotonic() + 120  # bounds a hang; load must not break it
    while app.finished < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert app.finished == 2, "the abandoned download never ended"
    assert app.errors == []
    deadline = time.monotonic() + 120
    while _open_fds() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _open_fds() <= before, "descriptors left open"
    assert (
        httpx.get(f"{url}/file", params={"count": 10}, timeout=30).content == blob.read_bytes()[:10]
    )


def test_more_bytes_than_content_length_is_refused(served: tuple[str, FileApp]) -> None:
    url, app = served
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url}/file", params={"count": 100, "length": 50}, timeout=30).read()
    assert [str(e) for e in app.errors] == ["Response content longer than Content-Length"]


def test_a_file_shorter_than_promised_ends_the_connection(
    served: tuple[str, FileApp],
) -> None:
    url, app = served
    with pytest.raises(httpx.HTTPError):
        httpx.get(
            f"{url}/file", params={"start": SIZE - 10, "count": 20, "length": 20}, timeout=30
        ).read()
    assert len(app.errors) == 1 and "file ended" in str(app.errors[0])


def test_plain_uvicorn_offers_no_extension(blob: Path) -> None:
    """Without registry.httpserver's protocol the app streams; ASGI servers that lack the
    extension simply do not list it."""
    app = FileApp(blob)
    with ThreadedServer(app, options={}) as server:
        response = httpx.get(f"{server.url}/file", params={"count": 1000}, timeout=30)
    assert response.content == blob.read_bytes()[:1000]
    assert app.offered == [False]
