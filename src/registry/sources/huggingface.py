"""HuggingFaceSource: the registry's one Hugging Face client (metadata, files, copies).

Metadata comes through huggingface_hub, which is synchronous, so every such call runs in one of
the adapter's worker threads. The adapter talks to the endpoint it was given (never the
process-wide HF_ENDPOINT constant) and reads the few small files it needs straight into memory:
nothing lands in the global HF cache. Whole files (mirroring, the reproducibility copy) stream
from huggingface_hub's resolve URLs over the adapter's own async client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import httpx2  # huggingface_hub 2.x speaks HTTP through httpx2; its transport errors surface here
from huggingface_hub import (
    DatasetInfo,
    HfApi,
    ModelInfo,
    get_session,
    hf_hub_url,
    hf_raise_for_status,
)
from huggingface_hub.errors import (
    DisabledRepoError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from registry import __version__
from registry.errors import SourceNotFoundError, SourceUnavailableError, ValidationError
from registry.sources import transfer
from registry.sources.base import SourceFile, SourceInfo, SourceKind

# Re-exported: uploads read an HF-layout zip's metadata with the same rules as the hub adapter.
from registry.sources.cards import card_license as card_license
from registry.sources.cards import json_safe as json_safe
from registry.sources.cards import parse_json_object as parse_json_object
from registry.sources.cards import record_side_files as record_side_files
from registry.sources.cards import split_card as split_card

log = logging.getLogger(__name__)

# Small files worth reading at registration: the card, and what lineage and size need.
SMALL_FILES = ("README.md", "config.json", "adapter_config.json", "model_index.json")
SMALL_FILE_LIMIT = 1024 * 1024
LIBRARY_NAME = "trustworthy-model-registry"
POOL_SIZE = 16
T = TypeVar("T")


class HuggingFaceSource:
    """The source port over a Hugging Face hub (huggingface.co, a mirror, or a test fake)."""

    name = "huggingface"

    def __init__(
        self, endpoint: str, token: str | None, timeout: float, *, transfer_timeout: float = 60.0
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        # False rather than None: never pick up a token from the environment or ~/.cache.
        self._token: str | bool = token or False
        self._api = HfApi(
            endpoint=self.endpoint,
            token=self._token,
            library_name=LIBRARY_NAME,
            library_version=__version__,
        )
        # Its own threads: a burst of registrations (four calls each) must not queue behind, or
        # starve, the event loop's small default executor.
        self._pool = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="hf-source")
        # File transfers (mirroring, the reproducibility copy) stream asynchronously over a
        # client this adapter owns: huggingface_hub's async session is process-wide and bound
        # to the first event loop that uses it.
        self._files = httpx.AsyncClient(
            timeout=transfer.transfer_timeout(transfer_timeout),
            follow_redirects=True,
            headers=self._headers(),
        )

    def _headers(self) -> dict[str, str]:
        """Headers for the requests made beside HfApi (refs, small files, the health ping)."""
        headers = {"user-agent": f"{LIBRARY_NAME}/{__version__}"}
        if isinstance(self._token, str):
            headers["authorization"] = f"Bearer {self._token}"
        return headers

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    @asynccontextmanager
    async def _translated(self, what: str, revision: str | None) -> AsyncIterator[None]:
        """Turn huggingface_hub and httpx2 failures into the port's errors."""
        try:
            # Each request has its own timeout; this bounds a hub that trickles bytes forever.
            async with asyncio.timeout(self.timeout * 3):
                yield
        except RevisionNotFoundError as exc:
            raise SourceNotFoundError(f"revision '{revision}' of {what} does not exist") from exc
        except (
            RepositoryNotFoundError,
            DisabledRepoError,
        ) as exc:  # gated repos included: 404-like
            raise SourceNotFoundError(f"{what} does not exist") from exc
        except HFValidationError as exc:
            raise ValidationError(f"{what} is not a valid repository id: {exc}") from exc
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status == 404:
                raise SourceNotFoundError(f"{what} does not exist") from exc
            raise SourceUnavailableError(
                f"the Hugging Face hub answered {status} for {what}", details={"status": status}
            ) from exc
        except TimeoutError as exc:
            raise SourceUnavailableError(
                f"the Hugging Face hub did not answer in time for {what}"
            ) from exc
        except (httpx2.HTTPError, OfflineModeIsEnabled, OSError) as exc:
            # The endpoint may be an internal mirror: it goes to the log, not to the caller.
            log.warning("the Hugging Face hub at %s failed for %s: %r", self.endpoint, what, exc)
            raise SourceUnavailableError(
                f"the Hugging Face hub could not be reached ({type(exc).__name__})"
            ) from exc
        except (ValueError, KeyError, TypeError) as exc:  # a body that is not the hub's JSON
            log.warning("unexpected hub answer for %s: %r", what, exc)
            raise SourceUnavailableError(
                f"the Hugging Face hub answered {what} with an unexpected document"
            ) from exc

    def _repo_info(
        self, repo_id: str, repo_type: str, revision: str | None
    ) -> ModelInfo | DatasetInfo:
        if repo_type == "dataset":
            return self._api.dataset_info(
                repo_id, revision=revision, files_metadata=True, timeout=self.timeout
            )
        return self._api.model_info(
            repo_id, revision=revision, files_metadata=True, timeout=self.timeout
        )

    def _refs(self, repo_id: str, repo_type: str) -> tuple[list[str], list[str]]:
        """(git tag names, branch names): the refs endpoint that HfApi.list_repo_refs reads.

        Called directly because list_repo_refs takes no timeout and the shared session has none.
        """
        url = f"{self.endpoint}/api/{repo_type}s/{repo_id}/refs"
        response = get_session().get(url, headers=self._headers(), timeout=self.timeout)
        hf_raise_for_status(response)
        data = response.json()
        return [t["name"] for t in data.get("tags", [])], [
            b["name"] for b in data.get("branches", [])
        ]

    def _small_file(self, repo_id: str, repo_type: str, sha: str, filename: str) -> bytes | None:
        """The file's bytes at the pinned commit, or None when missing, gated or over the cap."""
        url = hf_hub_url(
            repo_id, filename, repo_type=repo_type, revision=sha, endpoint=self.endpoint
        )
        try:
            with get_session().stream(
                "GET", url, headers=self._headers(), timeout=self.timeout
            ) as response:
                if response.status_code >= 400:
                    response.read()  # hf_raise_for_status reads the error body
                    hf_raise_for_status(response)
                chunks, total = [], 0
                for chunk in response.iter_bytes():
                    total += len(chunk)
                    if total > SMALL_FILE_LIMIT:
                        return None
                    chunks.append(chunk)
        except (RemoteEntryNotFoundError, GatedRepoError):
            return None
        return b"".join(chunks)

    async def fetch(
        self, repo_id: str, kind: SourceKind, url: str, *, revision: str | None = None
    ) -> SourceInfo:
        """Read a model or dataset: commit, files, card, config, license, tags and counters."""
        if kind not in ("hf_model", "hf_dataset"):
            raise ValidationError(f"the Hugging Face source cannot read a '{kind}' source")
        repo_type = "dataset" if kind == "hf_dataset" else "model"
        what = f"Hugging Face {repo_type} '{repo_id}'"
        async with self._translated(what, revision):
            info = await self._run(self._repo_info, repo_id, repo_type, revision)
            if not info.sha:
                raise ValueError("repo info without a commit sha")
            sizes = {s.rfilename: s.size for s in info.siblings or []}
            wanted = [n for n in SMALL_FILES if n in sizes and (sizes[n] or 0) <= SMALL_FILE_LIMIT]
            refs, contents = await asyncio.gather(
                self._run(self._refs, info.id, repo_type),
                asyncio.gather(
                    *(self._run(self._small_file, info.id, repo_type, info.sha, n) for n in wanted)
                ),
            )
        small = dict(zip(wanted, contents, strict=True))
        skipped = [n for n in SMALL_FILES if n in sizes and (n not in small or small[n] is None)]
        return self._assemble(kind, url, repo_id, revision, info, refs, small, skipped)

    def _assemble(
        self,
        kind: SourceKind,
        url: str,
        requested_id: str,
        revision: str | None,
        info: ModelInfo | DatasetInfo,
        refs: tuple[list[str], list[str]],
        small: dict[str, bytes | None],
        skipped: list[str],
    ) -> SourceInfo:
        readme = small.get("README.md")
        card_data, card_text, card_invalid = split_card(
            readme.decode("utf-8-sig", errors="replace") if readme else ""
        )
        if not card_data and not card_invalid and info.card_data is not None:
            # README unreadable: fall back to the hub's copy of the front matter.
            card_data = json_safe(info.card_data.to_dict())  # type: ignore[no-untyped-call]
        config, config_invalid = parse_json_object(small.get("config.json"))
        tags = [str(t) for t in info.tags or []]
        git_tags, branches = refs
        extra: dict[str, Any] = {
            "downloads": info.downloads,
            "likes": info.likes,
            "pipeline_tag": getattr(info, "pipeline_tag", None),
            "library_name": getattr(info, "library_name", None),
            "last_modified": info.last_modified.isoformat() if info.last_modified else None,
            "created_at": info.created_at.isoformat() if info.created_at else None,
            "gated": info.gated,
            "private": info.private,
            "author": info.author,
            "git_tags": git_tags,
            "revision": revision,
        }
        record_side_files(extra, small, config_invalid=config_invalid, card_invalid=card_invalid)
        if skipped:
            extra["skipped_files"] = skipped
        if requested_id != info.id:
            extra["requested_repo_id"] = requested_id  # a legacy or renamed id the hub redirected
        files = [
            SourceFile(
                path=s.rfilename,
                size=s.size or 0,
                sha256=s.lfs.sha256 if s.lfs is not None else None,
                blob_id=s.blob_id,
            )
            for s in info.siblings or []
        ]
        return SourceInfo(
            kind=kind,
            url=url,
            repo_id=info.id,
            default_name=requested_id.rsplit("/", 1)[-1],
            commit_sha=info.sha,
            card_text=card_text,
            card_data=card_data,
            config=json_safe(config) if config is not None else None,
            files=files,
            license=card_license(card_data, tags),
            default_branch="main" if "main" in branches else (branches[0] if branches else None),
            tags=tags,
            extra=extra,
        )

    async def check(self) -> None:
        """Ping the hub with a one-item model listing; raise SourceUnavailableError if it fails."""

        def ping() -> None:
            response = get_session().get(
                f"{self.endpoint}/api/models",
                params={"limit": 1},
                headers=self._headers(),
                timeout=min(self.timeout, 5.0),
            )
            hf_raise_for_status(response)
            if not isinstance(response.json(), list):
                raise ValueError("not a model listing")

        try:
            await self._run(ping)
        except Exception as exc:  # any failure at all means the hub is not usable
            raise SourceUnavailableError(
                f"the Hugging Face hub is unavailable ({type(exc).__name__})"
            ) from exc

    def file_url(self, repo_id: str, path: str, *, revision: str, dataset: bool = False) -> str:
        """The resolve URL of a repository file at a revision."""
        repo_type = "dataset" if dataset else None
        return hf_hub_url(
            repo_id, path, repo_type=repo_type, revision=revision, endpoint=self.endpoint
        )

    def open_file(
        self, repo_id: str, path: str, *, revision: str, dataset: bool = False
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Stream one repository file at a revision, in 1 MiB chunks (mirroring)."""
        url = self.file_url(repo_id, path, revision=revision, dataset=dataset)
        return transfer.stream(self._files, url, path)

    async def download(
        self, repo_id: str, revision: str, files: Sequence[tuple[str, Path]], dest: Path
    ) -> None:
        """Copy (hub path, local path) files of a model into dest; files not served are skipped."""

        async def one(path: str, local: Path) -> None:
            target = dest / local
            target.parent.mkdir(parents=True, exist_ok=True)
            url = self.file_url(repo_id, path, revision=revision)
            async with self._files.stream("GET", url, timeout=self.timeout) as response:
                if response.status_code != 200:
                    return  # a missing file only makes the demo more likely to fail
                with target.open("wb") as handle:
                    async for chunk in response.aiter_bytes():
                        handle.write(chunk)

        try:
            await asyncio.gather(*(one(path, local) for path, local in files))
        except httpx.HTTPError as exc:
            raise SourceUnavailableError(
                f"copying files of '{repo_id}' failed: {type(exc).__name__}"
            ) from exc

    async def close(self) -> None:
        """Stop the worker threads and the transfer client (huggingface_hub keeps its session)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        await self._files.aclose()
