"""The fault proxy itself: each mode does what the scenarios rely on, against an echo server."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.fixtures.fault_proxy import FaultProxy

WAIT = 30.0  # bounds a hang only
QUIET = 0.5  # how long "nothing arrives" is watched for (a non-event cannot be waited on)


class EchoServer:
    """Echoes every byte back, one thread per connection."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.closing = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.closing:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        # The proxy's reset mode resets this side too.
        with conn, contextlib.suppress(ConnectionResetError):
            while data := conn.recv(4096):
                conn.sendall(data)

    def close(self) -> None:
        self.closing = True
        # shutdown wakes the thread blocked in accept(); close alone would leave it listening.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()


@pytest.fixture
def proxy(echo: EchoServer) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", echo.port) as proxy:
        yield proxy


def connect(proxy: FaultProxy) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=WAIT)
    return sock


def roundtrip(sock: socket.socket, data: bytes = b"ping") -> bytes:
    sock.sendall(data)
    received = b""
    while len(received) < len(data):
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received


def test_pass_forwards_both_ways(proxy: FaultProxy) -> None:
    with connect(proxy) as sock:
        assert roundtrip(sock, b"hello") == b"hello"
    assert proxy.accepted == 1


def test_stop_cuts_open_connections_and_refuses_new_ones_until_pass(proxy: FaultProxy) -> None:
    port = proxy.port
    with connect(proxy) as sock:
        assert roundtrip(sock) == b"ping"
        proxy.set_mode("stop")
        assert sock.recv(10) == b""  # FIN: the peer sees the connection end
    with pytest.raises(ConnectionRefusedError):
        connect(proxy)
    proxy.set_mode("pass")
    assert proxy.port == port
    with connect(proxy) as sock:
        assert roundtrip(sock) == b"ping"


def test_reset_sends_rst_to_open_and_new_connections(proxy: FaultProxy) -> None:
    with connect(proxy) as sock:
        assert roundtrip(sock) == b"ping"
        proxy.set_mode("reset")
        with pytest.raises(ConnectionResetError):
            sock.recv(10)
    with pytest.raises(ConnectionResetError), connect(proxy) as sock:
        # The kernel completes the handshake; the reset arrives on the send or the read.
        sock.sendall(b"x")
        sock.recv(10)
    proxy.set_mode("pass")
    with connect(proxy) as sock:
        assert roundtrip(sock) == b"ping"


def test_slow_delays_every_chunk(proxy: FaultProxy) -> None:
    with connect(proxy) as sock:
        proxy.set_mode("slow", delay=0.3)
        started = time.monotonic()
        assert roundtrip(sock) == b"ping"
        # One chunk each way, each held back 0.3 s.
        assert time.monotonic() - started >= 0.55
        proxy.set_mode("pass")
        assert roundtrip(sock) == b"ping"


def test_blackhole_holds_bytes_until_pass(proxy: FaultProxy) -> None:
    proxy.set_mode("blackhole")
    with connect(proxy) as sock:  # accepted: the peer cannot tell it from a slow server
        sock.sendall(b"held")
        sock.settimeout(QUIET)
        with pytest.raises(TimeoutError):
            sock.recv(10)
        sock.settimeout(WAIT)
        proxy.set_mode("pass")
        assert sock.recv(10) == b"held"


def test_blackhole_stalls_an_open_connection(proxy: FaultProxy) -> None:
    with connect(proxy) as sock:
        assert roundtrip(sock) == b"ping"
        proxy.set_mode("blackhole")
        sock.sendall(b"late")
        sock.settimeout(QUIET)
        with pytest.raises(TimeoutError):
            sock.recv(10)
        sock.settimeout(WAIT)
        proxy.set_mode("pass")
        assert sock.recv(10) == b"late"


def test_a_dead_target_resets_the_client() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        target = unused.getsockname()[1]
        with FaultProxy("127.0.0.1", target) as proxy, connect(proxy) as sock:
            with pytest.raises(ConnectionResetError):  # on the send or on the read
                sock.sendall(b"x")
                sock.recv(10)


def test_set_mode_refuses_an_unknown_mode(proxy: FaultProxy) -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        proxy.set_mode("melt")  # type: ignore[arg-type]


def test_urls_are_rewritten_to_the_proxy(echo: EchoServer) -> None:
    proxy = FaultProxy.to_url(f"postgresql://postgres@127.0.0.1:{echo.port}/db")
    assert proxy.target == ("127.0.0.1", echo.port)
    proxy.port = 4242
    assert (
        proxy.rewrite("postgresql://u:p@10.0.0.1:5432/db") == "postgresql://u:p@127.0.0.1:4242/db"
    )
    assert proxy.rewrite("http://127.0.0.1:9/x?y=1") == "http://127.0.0.1:4242/x?y=1"
    with pytest.raises(ValueError, match="no host and port"):
        FaultProxy.to_url("http://localhost/")


def test_close_ends_open_connections(echo: EchoServer) -> None:
    proxy = FaultProxy("127.0.0.1", echo.port).start()
    sock = connect(proxy)
    assert roundtrip(sock) == b"ping"
    assert proxy.open_connections() == 1
    proxy.close()
    with sock:
        assert sock.recv(10) == b""
    assert proxy.open_connections() == 0
