"""One streamed GET of source content (a hub file, a code archive), its failures translated.

Both adapters stream through here, so a transfer fails the same way whichever source serves it:
SourceNotFoundError when the source no longer serves the content (401/403/404/410: the client
registered something that is gone), SourceUnavailableError for other answers and for transport
failures, including those raised while the caller is still consuming the chunks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from registry.errors import SourceNotFoundError, SourceUnavailableError

CHUNK_SIZE = 1024 * 1024  # 1 MiB, as the blob store writes: 64 KiB reads stream ~4x slower
GONE = frozenset({401, 403, 404, 410})


def transfer_timeout(read_seconds: float) -> httpx.Timeout:
    """The timeout of a transfer: it bounds each read, not the whole (a 4 GB file takes minutes)."""
    return httpx.Timeout(read_seconds, connect=10.0)


@asynccontextmanager
async def stream(
    client: httpx.AsyncClient,
    url: str,
    what: str,
    *,
    headers: dict[str, str] | None = None,
    bound: httpx.Timeout | None = None,
) -> AsyncIterator[AsyncIterator[bytes]]:
    """GET url and yield its body as 1 MiB chunks; source errors as the module docstring says."""
    limit = httpx.USE_CLIENT_DEFAULT if bound is None else bound
    try:
        async with client.stream("GET", url, headers=headers, timeout=limit) as response:
            status = response.status_code
            if status in GONE:
                raise SourceNotFoundError(f"the source no longer serves {what} ({status})")
            if status >= 400:
                raise SourceUnavailableError(f"the source answered {status} for {what}")
            yield response.aiter_bytes(CHUNK_SIZE)
    except httpx.HTTPError as exc:
        raise SourceUnavailableError(f"fetching {what} failed: {type(exc).__name__}") from exc
