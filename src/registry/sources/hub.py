"""SourceRegistry: the one Hugging Face adapter and the one GitHub adapter, and URL dispatch."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

from registry.config import Settings
from registry.errors import RegistryError, SourceUnavailableError
from registry.sources.base import SourceInfo
from registry.sources.github import GitHubSource
from registry.sources.huggingface import HuggingFaceSource
from registry.sources.urls import ParsedSource, host_of, parse_source_url


class SourceRegistry:
    """Parses source URLs and dispatches them to the Hugging Face or GitHub adapter."""

    def __init__(self, settings: Settings) -> None:
        timeout = settings.source_timeout_seconds
        transfers = settings.mirror_read_timeout_seconds  # bounds each read of a long transfer
        self.huggingface = HuggingFaceSource(
            settings.hf_endpoint, settings.hf_token, timeout, transfer_timeout=transfers
        )
        self.github = GitHubSource(
            settings.github_api_url, settings.github_token, timeout, transfer_timeout=transfers
        )
        # URLs naming the configured endpoints count as hub / GitHub URLs too (mirrors, fakes).
        self._hf_hosts = (host_of(settings.hf_endpoint),)
        self._github_hosts = (host_of(settings.github_api_url),)
        self._max_length = settings.url_max_length

    def parse(self, url: str) -> ParsedSource:
        """Classify a URL without any network call; ValidationError when it is unusable."""
        return parse_source_url(
            url,
            hf_hosts=self._hf_hosts,
            github_hosts=self._github_hosts,
            max_length=self._max_length,
        )

    async def fetch(self, url: str) -> SourceInfo:
        """Read what the URL names; plain URLs are registered by reference, without a fetch."""
        parsed = self.parse(url)
        url = url.strip()
        if parsed.kind in ("hf_model", "hf_dataset"):
            info = await self.huggingface.fetch(
                parsed.repo_id, parsed.kind, url, revision=parsed.revision
            )
        elif parsed.kind == "github":
            info = await self.github.fetch(parsed.repo_id, "github", url)
        else:
            info = SourceInfo(
                kind="url", url=url, repo_id=parsed.repo_id, default_name=parsed.default_name
            )
        info.extra.setdefault("canonical_url", parsed.canonical_url)
        return info

    async def check(self) -> dict[str, Any]:
        """Probe every source; the health metrics, or SourceUnavailableError naming the failures."""
        sources = (self.huggingface, self.github)
        outcomes = await asyncio.gather(*(self._probe(s.name, s.check()) for s in sources))
        report: dict[str, Any] = {
            "huggingface_endpoint": self.huggingface.endpoint,
            "github_api": self.github.api_url,
        }
        failures = []
        for name, latency_ms, error in outcomes:
            report[name] = "ok" if error is None else "unavailable"
            report[f"{name}_ms"] = latency_ms
            if error is not None:
                failures.append(error)
        if failures:
            raise SourceUnavailableError("; ".join(failures), details=report)
        return report

    @staticmethod
    async def _probe(name: str, probe: Awaitable[None]) -> tuple[str, float, str | None]:
        started = time.perf_counter()
        error: str | None = None
        try:
            await probe
        except RegistryError as exc:
            error = exc.message
        return name, round((time.perf_counter() - started) * 1000, 2), error

    async def close(self) -> None:
        """Release the adapters' HTTP clients."""
        await asyncio.gather(self.huggingface.close(), self.github.close())
