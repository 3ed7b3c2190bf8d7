"""Identifiers and the clock, from one place so SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

# Artifact ids are decimal strings (like the contract's examples) drawn from a 10^16 space:
# random, so two registries never hand out predictable or colliding sequences; the
# repository retries on the (astronomically unlikely) primary-key collision.
_ARTIFACT_ID_SPACE = 10**16


def utcnow() -> datetime:
    """Return the current time as a naive UTC datetime (stored the same way on every backend)."""
    return datetime.now(UTC).replace(tzinfo=None)


def isoformat_z(moment: datetime) -> str:
    """Render a stored naive-UTC datetime as ISO-8601 with a Z suffix and second precision."""
    return moment.replace(microsecond=0).isoformat() + "Z"


def new_artifact_id() -> str:
    """Return a fresh artifact id: 10 to 16 decimal digits, never starting with 0."""
    return str(10**9 + secrets.randbelow(_ARTIFACT_ID_SPACE - 10**9))


def new_transaction_id() -> str:
    """Return a fresh transaction (atomic group) id: 32 lowercase hex digits."""
    return secrets.token_hex(16)


def new_token_secret() -> str:
    """Return a fresh opaque bearer secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    """Hash a bearer secret for storage; a fast hash fits because the secret has 256 bits."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
