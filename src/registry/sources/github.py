"""GitHubSource: repository facts from the GitHub REST API (v3) over one long-lived client."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import quote

import httpx

from registry import __version__
from registry.errors import SourceNotFoundError, SourceUnavailableError, ValidationError
from registry.sources import transfer
from registry.sources.base import SourceInfo, SourceKind

log = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
PER_PAGE_MAX = 100
CONTRIBUTOR_PAGES_MAX = 5  # 500 contributors are plenty for bus-factor style metrics
LAST_PAGE = re.compile(r"[?&]page=(\d+)[^>]*>;\s*rel=\"last\"")


def split_repo_id(repo_id: str) -> tuple[str, str]:
    """'owner/repo' -> (owner, repo); ValidationError for anything else."""
    owner, _, repo = repo_id.partition("/")
    if not owner or not repo or "/" in repo:
        raise ValidationError(f"'{repo_id[:200]}' is not a GitHub repository id (owner/repo)")
    return owner, repo


class GitHubSource:
    """The source port over the GitHub REST API (api.github.com, Enterprise, or a test fake)."""

    name = "github"

    def __init__(
        self, api_url: str, token: str | None, timeout: float, *, transfer_timeout: float = 60.0
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.transfer_timeout = transfer_timeout
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"trustworthy-model-registry/{__version__}",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"  # never logged: only the client holds it
        self._client = httpx.AsyncClient(
            base_url=self.api_url, headers=headers, timeout=timeout, follow_redirects=True
        )

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response | None:
        """GET an API path: the response when 2xx, None when absent (404/409/410/451)."""
        try:
            try:
                response = await self._client.get(path, params=params)
            except (httpx.ReadError, httpx.RemoteProtocolError):
                # A pooled keep-alive connection the server closed just as it was reused
                # fails before any answer; a GET is safe to send once more, on a new one.
                response = await self._client.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise SourceUnavailableError(
                f"the GitHub API did not answer within {self.timeout:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            # The API URL may be an internal proxy: it goes to the log, not to the caller.
            log.warning("the GitHub API at %s failed: %r", self.api_url, exc)
            raise SourceUnavailableError(
                f"the GitHub API could not be reached ({type(exc).__name__})"
            ) from exc
        status = response.status_code
        if status in (404, 409, 410, 451):  # 409: the repository is empty
            return None
        if status < 400:
            return response
        headers = response.headers
        if status in (403, 429) and (
            headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers
        ):
            reset = headers.get("x-ratelimit-reset") or headers.get("retry-after")
            raise SourceUnavailableError(
                "the GitHub API rate limit is exhausted; try again later",
                details={"status": status, "reset": reset},
            )
        if status == 401:
            raise SourceUnavailableError("the GitHub API rejected the configured token")
        raise SourceUnavailableError(
            f"the GitHub API answered {status} for {path}", details={"status": status}
        )

    async def _json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET and decode JSON; None when the resource is absent."""
        response = await self._get(path, params)
        if response is None:
            return None
        if response.status_code == 204:  # e.g. contributors of an empty repository
            return []
        try:
            return response.json()
        except ValueError as exc:
            raise SourceUnavailableError(
                f"the GitHub API answered {path} with invalid JSON"
            ) from exc

    @staticmethod
    def _path(owner: str, repo: str, suffix: str = "") -> str:
        return f"/repos/{quote(owner, safe='')}/{quote(repo, safe='')}{suffix}"

    async def fetch(self, repo_id: str, kind: SourceKind, url: str) -> SourceInfo:
        """Read a repository: metadata, README, license, topics, git tags and activity counters."""
        if kind != "github":
            raise ValidationError(f"the GitHub source cannot read a '{kind}' source")
        owner, repo = split_repo_id(repo_id)
        data = await self._json(self._path(owner, repo))
        if data is None:
            raise SourceNotFoundError(f"GitHub repository '{repo_id}' does not exist")
        if not isinstance(data, dict) or not isinstance(data.get("full_name"), str):
            raise SourceUnavailableError(
                f"the GitHub API answered repository '{repo_id}' with an unexpected document"
            )
        # A renamed repository redirects; continue under its current name.
        owner, repo = split_repo_id(data["full_name"])
        branch = data.get("default_branch")
        head_params: dict[str, Any] = {"per_page": 1, **({"sha": branch} if branch else {})}
        readme, contributors, tags, head = await asyncio.gather(
            self.readme(owner, repo),
            self.contributors_count(owner, repo),
            self._json(self._path(owner, repo, "/tags"), {"per_page": PER_PAGE_MAX}),
            self._json(self._path(owner, repo, "/commits"), head_params),
        )
        license_ = data.get("license")
        extra: dict[str, Any] = {
            "stars": data.get("stargazers_count"),
            "forks": data.get("forks_count"),
            "open_issues": data.get("open_issues_count"),
            "watchers": data.get("watchers_count"),
            "pushed_at": data.get("pushed_at"),
            "created_at": data.get("created_at"),
            "updated_at": data.get("updated_at"),
            "archived": data.get("archived"),
            "language": data.get("language"),
            "html_url": data.get("html_url"),
            "contributors_count": contributors,
            "git_tags": [t["name"] for t in tags or [] if isinstance(t, dict) and "name" in t],
        }
        return SourceInfo(
            kind="github",
            url=url,
            repo_id=f"{owner}/{repo}",
            default_name=f"{owner}-{repo}",
            commit_sha=head[0].get("sha") if isinstance(head, list) and head else None,
            card_text=readme,
            license=license_.get("spdx_id") if isinstance(license_, dict) else None,
            description=data.get("description"),
            default_branch=branch,
            tags=[str(t) for t in data.get("topics") or []],
            extra=extra,
        )

    async def readme(self, owner: str, repo: str) -> str:
        """The repository's README as text ('' when it has none)."""
        data = await self._json(self._path(owner, repo, "/readme"))
        if not isinstance(data, dict) or data.get("encoding") != "base64":
            return ""  # over 1 MB GitHub sends no content; the README is then not searchable
        try:
            return base64.b64decode(data.get("content") or "").decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return ""

    async def contributors(self, owner: str, repo: str) -> list[dict[str, Any]]:
        """Contributors (login, contributions), most active first, up to 500."""
        people: list[dict[str, Any]] = []
        for page in range(1, CONTRIBUTOR_PAGES_MAX + 1):
            params = {"per_page": PER_PAGE_MAX, "page": page}
            rows = await self._json(self._path(owner, repo, "/contributors"), params)
            if not isinstance(rows, list):
                break
            people += [
                {"login": r.get("login"), "contributions": int(r.get("contributions") or 0)}
                for r in rows
                if isinstance(r, dict)
            ]
            if len(rows) < PER_PAGE_MAX:
                break
        return people

    async def contributors_count(self, owner: str, repo: str) -> int:
        """How many contributors, in one request: with one per page, the last page number."""
        response = await self._get(self._path(owner, repo, "/contributors"), {"per_page": 1})
        if response is None or response.status_code == 204:
            return 0
        match = LAST_PAGE.search(response.headers.get("link", ""))
        if match:
            return int(match.group(1))
        try:
            rows = response.json()
        except ValueError:
            return 0
        return len(rows) if isinstance(rows, list) else 0

    async def repo_json(
        self, owner: str, repo: str, suffix: str, params: dict[str, Any] | None = None
    ) -> Any:
        """GET /repos/{owner}/{repo}{suffix} as JSON; None when absent."""
        return await self._json(self._path(owner, repo, suffix), params)

    async def closed_pulls(self, owner: str, repo: str, page: int) -> Any:
        """One page (100) of closed pull requests, newest first; None when absent."""
        params = {"state": "closed", "per_page": 100, "page": page, "sort": "created"}
        params["direction"] = "desc"
        return await self.repo_json(owner, repo, "/pulls", params)

    async def pull_reviews(self, owner: str, repo: str, number: int) -> Any:
        """The first 100 reviews of a pull request; None when absent."""
        return await self.repo_json(owner, repo, f"/pulls/{number}/reviews", {"per_page": 100})

    async def pull_files(self, owner: str, repo: str, number: int, limit: int) -> Any:
        """Up to `limit` (GitHub: 3000) files a pull request changed; None when absent."""
        return await self.repo_json(owner, repo, f"/pulls/{number}/files", {"per_page": limit})

    def open_archive(
        self, repo_id: str, ref: str, *, what: str
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Stream the repository's zipball at a ref (default branch when empty), for mirroring."""
        owner, repo = split_repo_id(repo_id)
        path = self._path(owner, repo, f"/zipball/{ref}").rstrip("/")
        bound = transfer.transfer_timeout(self.transfer_timeout)
        return transfer.stream(self._client, path, what, bound=bound)

    async def zipball(self, owner: str, repo: str, max_bytes: int) -> bytes | None:
        """The default branch as a zip; None when absent or larger than max_bytes."""
        path = self._path(owner, repo, "/zipball")
        try:
            async with self._client.stream("GET", path) as response:
                if response.status_code >= 400:
                    return None
                chunks, total = [], 0
                async for chunk in response.aiter_bytes():
                    total += len(chunk)
                    if total > max_bytes:
                        return None
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            # The API URL may be an internal proxy: it goes to the log, not to the caller.
            log.warning("the GitHub API at %s failed: %r", self.api_url, exc)
            raise SourceUnavailableError(
                f"the GitHub API could not be reached ({type(exc).__name__})"
            ) from exc
        return b"".join(chunks)

    async def license_id(self, owner: str, repo: str) -> str | None:
        """The SPDX id GitHub detects in the LICENSE file, or None when there is none."""
        data = await self._json(self._path(owner, repo, "/license"))
        detected = data.get("license") if isinstance(data, dict) else None
        spdx = detected.get("spdx_id") if isinstance(detected, dict) else None
        return str(spdx) if spdx else None

    async def check(self) -> None:
        """Ask /rate_limit (free of quota); raise SourceUnavailableError unless it answers 200."""
        try:
            response = await self._client.get("/rate_limit", timeout=min(self.timeout, 5.0))
        except httpx.HTTPError as exc:
            raise SourceUnavailableError(
                f"the GitHub API is unavailable ({type(exc).__name__})"
            ) from exc
        if response.status_code != 200:
            raise SourceUnavailableError(f"the GitHub API answered {response.status_code}")

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()
