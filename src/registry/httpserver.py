"""The HTTP server: uvicorn's httptools protocol plus the ASGI zero-copy send extension.

Downloads are the registry's hot path, and on the local blob store most of their CPU went to
copying each byte from the page cache into the socket through `send()`. The ASGI
`http.response.zerocopysend` extension lets an application hand the server an open file, an
offset and a count instead of bytes; the server passes them to `sendfile(2)`, which moves the
page-cache pages to the socket without that copy (what nginx does). uvicorn implements the
extension in none of its protocols, and uvloop's transports cannot send files, so this module
adds it around uvicorn's httptools protocol rather than replacing the server.

It is written here, not taken from a library, because no maintained ASGI server that keeps our
stack (uvicorn + uvloop) offers it. It leans on uvicorn's request cycle for the status line,
headers, keep-alive and Content-Length bookkeeping, and only the body bytes bypass it. It uses
two of uvicorn's internals (the protocol's `_start_asgi_task` hook and the request cycle's
response state), so pyproject.toml pins uvicorn to the minor version that
tests/unit/test_httpserver.py ran against.

Only plain TCP connections advertise the extension: over TLS the bytes must be encrypted in
user space, so applications fall back to sending bodies as usual.
"""

from __future__ import annotations

import asyncio
import errno
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.protocols.utils import is_ssl

ZERO_COPY = "http.response.zerocopysend"


class ZeroCopyHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol whose requests may answer with `http.response.zerocopysend`."""

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        sock = self.transport.get_extra_info("socket")
        if sock is not None and not is_ssl(self.transport):
            app = _ZeroCopyApp(app, cycle, self.transport)
        super()._start_asgi_task(cycle, app)


class _ZeroCopyApp:
    """Wraps one request's ASGI call: advertises the extension and carries out its messages."""

    __slots__ = ("app", "cycle", "transport")

    def __init__(self, app: Any, cycle: RequestResponseCycle, transport: asyncio.Transport) -> None:
        self.app = app
        self.cycle = cycle
        self.transport = transport

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        scope["extensions"] = {**scope.get("extensions", {}), ZERO_COPY: {}}

        async def zero_copy_send(message: Any) -> None:
            if message["type"] != ZERO_COPY:
                await send(message)
                return
            await self._send_file(scope, message)
            await send({"type": "http.response.body", "more_body": message.get("more_body", False)})

        await self.app(scope, receive, zero_copy_send)

    async def _send_file(self, scope: Any, message: Any) -> None:
        cycle = self.cycle
        if cycle.disconnected or scope["method"] == "HEAD":
            return  # as uvicorn drops body bytes once the peer has gone, or for HEAD
        if not cycle.response_started or cycle.response_complete:
            raise RuntimeError(f"'{ZERO_COPY}' is only valid between the response start and end")
        if cycle.chunked_encoding:
            raise RuntimeError(f"'{ZERO_COPY}' needs a Content-Length response, not chunked")
        file_fd = message["file"].fileno()
        offset = message.get("offset")
        if offset is None:
            offset = os.lseek(file_fd, 0, os.SEEK_CUR)
        count = message.get("count")
        if count is None:
            count = os.fstat(file_fd).st_size - offset
        if count > cycle.expected_content_length:
            raise RuntimeError("Response content longer than Content-Length")
        sent = await _sendfile(self.transport, file_fd, offset, count)
        # The body went around the cycle: count it, as its own body writes would have.
        cycle.expected_content_length -= sent
        if sent < count:
            # The peer went away mid-body; uvicorn would drop the rest of the response too.
            cycle.disconnected = True
            self.transport.abort()


async def _sendfile(transport: asyncio.Transport, file_fd: int, offset: int, count: int) -> int:
    """sendfile(2) count bytes from file_fd at offset to the transport's socket; return the
    bytes sent, fewer only when the connection closed first."""
    # Everything goes through a duplicate of the socket's descriptor: the event loop will not
    # watch a transport's own descriptor for us, and if the connection is lost meanwhile the
    # loop closes its descriptor, whose number a new connection may then reuse; the duplicate
    # still names this socket until it is closed here.
    if transport.is_closing():
        return 0  # the loop may already have closed the socket's descriptor
    sock_fd = os.dup(transport.get_extra_info("socket").fileno())
    writable = _Writable(asyncio.get_running_loop(), sock_fd)
    sent = 0
    try:
        # Headers are usually written at once; if the transport buffered some, they go first.
        while transport.get_write_buffer_size() and not transport.is_closing():
            await writable.wait()
            await asyncio.sleep(0)  # writable: the loop flushes its buffer on this turn
        advised = offset  # the file is asked to be read ahead up to here
        while sent < count and not transport.is_closing():
            # sendfile reads the file in this (the loop's) thread: ask the kernel to read the
            # next few slices ahead, so a cold blob waits on the disk less here.
            ahead = offset + sent + _SLICE > advised and advised < offset + count
            if ahead and hasattr(os, "posix_fadvise"):  # (a length of 0 would mean "to EOF")
                length = min(_READ_AHEAD, offset + count - advised)
                os.posix_fadvise(file_fd, advised, length, os.POSIX_FADV_WILLNEED)  # no wait
                advised += length
            try:
                done = os.sendfile(sock_fd, file_fd, offset + sent, min(count - sent, _SLICE))
            except BlockingIOError:
                await writable.wait()
                continue
            except OSError as exc:
                if exc.errno in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                    return sent
                raise
            if done == 0:
                raise OSError(errno.EIO, "the file ended before the bytes the response promised")
            sent += done
            await asyncio.sleep(0)  # let the other connections take their turn
    finally:
        writable.close()
        os.close(sock_fd)
    return sent


# Bytes per sendfile call. Between slices the connection yields to the event loop, so many
# concurrent downloads take turns instead of each pushing until its socket is full: on the
# download benchmark this brought p99 / median from about 3 to about 2.4, at the same CPU.
_SLICE = 1 << 20
_READ_AHEAD = 4 * _SLICE  # asked for a window at a time: one hint per four slices


class _Writable:
    """Waits until a socket takes more bytes. It is watched from the first wait until the
    body is sent, not re-registered per wait: a big body waits a few dozen times."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        self.loop, self.fd = loop, fd
        self.watching = False
        self.waiter: asyncio.Future[None] | None = None

    async def wait(self) -> None:
        if not self.watching:
            self.loop.add_writer(self.fd, self._ready)
            self.watching = True
        self.waiter = self.loop.create_future()
        try:
            await self.waiter
        finally:
            self.waiter = None

    def _ready(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def close(self) -> None:
        if self.watching:
            self.loop.remove_writer(self.fd)
            self.watching = False


# What `registry serve` (and the tests' real servers) pass to uvicorn.
SERVER_OPTIONS: dict[str, Any] = {"http": ZeroCopyHttpToolsProtocol}
