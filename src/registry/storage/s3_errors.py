"""Vendor errors of the S3 adapter (botocore, aiohttp) as the registry's StorageError tree."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import aiohttp
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from registry.errors import BlobNotFoundError, BlobStoreUnavailableError, StorageError

log = logging.getLogger("registry.storage.s3")

MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


@contextlib.contextmanager
def translated(action: str, digest: str | None = None) -> Iterator[None]:
    """Turn vendor errors into StorageError (BlobNotFoundError for a missing object)."""
    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        if digest is not None and code in MISSING:
            raise not_found(digest) from exc
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        raise StorageError(f"S3 {action} failed: {code or f'HTTP {status}'}") from exc
    except (TimeoutError, BotoCoreError, aiohttp.ClientError) as exc:
        # Vendor messages name the endpoint (an internal URL): the detail stays in our log.
        log.warning("S3 %s failed: %s: %s", action, type(exc).__name__, exc)
        message = f"S3 {action} failed: {_generic(exc)}"
        if _unreachable(exc):
            raise BlobStoreUnavailableError(message) from exc
        raise StorageError(message) from exc


def _unreachable(exc: BaseException) -> bool:
    """A connection refused, reset or timed out: the store is away, not refusing the call."""
    return isinstance(
        exc,
        TimeoutError
        | ConnectTimeoutError
        | ReadTimeoutError
        | EndpointConnectionError
        | ConnectionClosedError
        | aiohttp.ClientConnectionError,
    )


def _generic(exc: BaseException) -> str:
    """Say what kind of failure it was without the vendor's text (which names the endpoint)."""
    if isinstance(exc, TimeoutError | ConnectTimeoutError | ReadTimeoutError):
        return "the object store did not answer in time"
    if isinstance(
        exc, EndpointConnectionError | ConnectionClosedError | aiohttp.ClientConnectionError
    ):
        return "the object store could not be reached"
    return f"the object store client failed ({type(exc).__name__})"


def error_code(exc: BaseException | None) -> str:
    """The S3 error code of a botocore ClientError ("" for anything else)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def not_found(digest: str) -> BlobNotFoundError:
    """The port's error for a missing blob."""
    return BlobNotFoundError(f"no blob {digest!r}", details={"digest": digest})
