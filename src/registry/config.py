"""Settings from REGISTRY_* variables (and the standard HF_ENDPOINT, GITHUB_API_URL)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_hf_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def _default_github_api() -> str:
    return os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")


class Settings(BaseSettings):
    """Every knob of the registry; each field reads REGISTRY_<FIELD_NAME>."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    # Metadata database: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db
    database_url: str = "sqlite+aiosqlite:///./var/registry.db"
    database_pool_size: int = 10
    # PostgreSQL only: bounds on a connect and on one statement, so a server that stops
    # answering (a dropped network, not a refused port) fails requests with 503, never hangs.
    database_connect_timeout_seconds: float = Field(default=10.0, gt=0)
    database_command_timeout_seconds: float = Field(default=60.0, gt=0)

    # Blob store backend by name; an unknown name fails at start.
    blob_backend: Literal["local", "s3", "memory"] = "local"
    blob_local_path: Path = Path("./var/blobs")
    s3_bucket: str = "registry-blobs"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_prefix: str = "blobs/"
    s3_create_bucket: bool = True
    # Per attempt; botocore retries connection failures and timeouts up to s3_max_attempts
    # (first try included), so an unreachable store answers 503 after about attempts x timeout.
    s3_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    s3_read_timeout_seconds: float = Field(default=60.0, gt=0)
    s3_max_attempts: int = Field(default=3, ge=1)

    # Search index backend by name: "sql" (the metadata DB: SQLite REGEXP / PostgreSQL pg_trgm)
    # or "opensearch" (a cluster at opensearch_url); an unknown name fails at start.
    search_backend: Literal["sql", "opensearch"] = "sql"
    opensearch_url: str = "http://127.0.0.1:9200"
    opensearch_index: str = "registry-artifacts"
    # Wall-clock budget of one search query (regex, version, enumeration extension), seconds.
    search_budget_seconds: float = 2.0

    # Sources: the standard variables win so huggingface_hub and our adapters agree.
    hf_endpoint: str = Field(default_factory=_default_hf_endpoint)
    hf_token: str | None = None
    github_api_url: str = Field(default_factory=_default_github_api)
    github_token: str | None = None
    source_timeout_seconds: float = 20.0

    # Public address used to build download URLs; derived from the request when unset.
    public_base_url: str | None = None

    # Accounts and tokens.
    default_admin_name: str = "ece30861defaultadminuser"
    token_max_calls: int = 1000
    token_ttl_seconds: int = 10 * 3600
    # Sign-in throttling, counted in each server process (docs/security.md): failed logins per
    # account and per client address within the window before 429 with Retry-After.
    login_max_failures: int = Field(default=10, ge=1)
    login_max_failures_per_address: int = Field(default=30, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    # Sign-ins queued for one of the password-hashing slots beyond which more get 429 at once.
    login_max_waiting: int = Field(default=64, ge=0)
    # Count sign-ins by the last X-Forwarded-For entry: only behind a proxy that sets it.
    login_trust_forwarded_for: bool = False

    # Limits.
    max_body_bytes: int = 1024 * 1024
    page_size: int = 50
    page_size_cap: int = 500
    regex_max_length: int = 512
    name_max_length: int = 512
    json_max_depth: int = 64  # deeper request JSON is refused with 400
    url_max_length: int = 2048

    # Background jobs: worker tasks per process, and the lease a claim holds (renewed every
    # third of it while the job runs); a job whose process died is claimed again once it ends.
    job_workers: int = 2
    job_lease_seconds: float = Field(default=120.0, gt=0)

    # Health: seconds between component probe rounds (/health/components serves the last).
    health_probe_interval_seconds: float = 30.0

    # License check: the release policy the bare-boolean answer assumes (docs/licenses.md).
    license_policy: Literal["personal", "share", "sell"] = "share"

    # Web pages: templates and static assets (htmx is copied into static/vendor at set-up).
    web_dir: Path = Path(__file__).resolve().parents[2] / "web"
    web_session_ttl_seconds: int = 8 * 3600
    web_log_capacity: int = 2000

    # Packages: zip uploads, mirroring, download zips (see docs/packages.md).
    package_max_upload_bytes: int = 5 * 1024**3
    package_max_uncompressed_bytes: int = 20 * 1024**3
    # Hub model repositories hold tens to hundreds of files; each entry is one blob write.
    package_max_entries: int = 2_000
    package_max_ratio: float = 200.0
    package_tmp_dir: Path | None = None  # where uploads and zips are spooled; None = system temp
    dataset_mirror_max_bytes: int = 10 * 1024**3
    mirror_read_timeout_seconds: float = 60.0
    mirror_max_attempts: int = 3
    mirror_backoff_seconds: float = 5.0
    presign_seconds: int = 900
    # Blob collector (registry/packages/collector.py): every interval a job removes blobs no row
    # references and aborts writes left pending, both only once older than the grace period
    # (an upload in flight is younger). Interval 0 = never scheduled (`registry gc` still runs).
    blob_gc_interval_seconds: float = 3600.0
    blob_gc_grace_seconds: float = 6 * 3600.0

    # Atomic groups of changes (POST /transactions): operations per group, and how long a
    # group may stay unexecuted before it is abandoned (at most half of blob_gc_grace_seconds,
    # checked at start; the collector also asks live groups which blobs they staged).
    transaction_max_operations: int = Field(default=100, ge=1)
    transaction_ttl_seconds: int = Field(default=1800, ge=1)

    # Rating (see docs/metrics.md): the create-route gate, the reproducibility sandbox.
    ingest_gate_on_create: bool = False  # REGISTRY_INGEST_GATE_ON_CREATE: 424 unvetted models
    rating_reproducibility: bool = True  # run card code in the sandbox after each rating
    rating_sandbox_seconds: float = 30.0  # wall clock per run (CPU limit is the same)
    rating_sandbox_memory_mb: int = 1024  # address-space limit of the sandboxed process

    # Server.
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"

    @model_validator(mode="after")
    def _groups_expire_before_their_blobs_age(self) -> Settings:
        """A group's staged blobs are referenced only by its operation rows until it executes;
        the group must expire well inside the collector's grace period (at most half of it)."""
        if self.transaction_ttl_seconds > self.blob_gc_grace_seconds / 2:
            raise ValueError(
                f"REGISTRY_TRANSACTION_TTL_SECONDS ({self.transaction_ttl_seconds}) must be at "
                f"most half of REGISTRY_BLOB_GC_GRACE_SECONDS ({self.blob_gc_grace_seconds:g}): "
                "an open group's staged uploads must not reach the blob collector's grace period"
            )
        return self

    def is_sqlite(self) -> bool:
        """Tell whether the metadata database is SQLite."""
        return self.database_url.startswith("sqlite")
