"""Facts about a model, gathered once per rating and shared by every metric.

Each expensive fact (the linked GitHub repository, its review history, its code, the linked
datasets) is fetched lazily on first use and memoised, so metrics that run concurrently share
one fetch and each metric's latency includes the wait for the facts it needs.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from registry.sources.base import SourceInfo

T = TypeVar("T")

# github.com/<owner>/<repo> in card text; owner/repo characters as GitHub allows them.
GITHUB_LINK = re.compile(r"github\.com/([A-Za-z0-9-]{1,39})/([A-Za-z0-9_.-]{1,100})")
# Library repositories that many cards link without being the model's own code.
GENERIC_REPOS = frozenset(
    {
        "huggingface/transformers",
        "huggingface/huggingface_hub",
        "huggingface/datasets",
        "huggingface/diffusers",
        "huggingface/peft",
        "huggingface/accelerate",
        "pytorch/pytorch",
        "tensorflow/tensorflow",
        "ukplab/sentence-transformers",
    }
)
CARD_REPO_KEYS = ("repository", "repo", "code", "github", "code_repository", "source_code")
MAX_DATASETS = 3  # linked datasets looked at per rating; bounds network work


def _clean_repo(owner: str, repo: str) -> str:
    repo = repo.removesuffix(".git").rstrip(".")
    return f"{owner}/{repo}"


def find_github_repo(info: SourceInfo) -> str | None:
    """The model's own GitHub repository: card metadata first, then the first card link."""
    if info.kind == "github":
        return info.repo_id
    for key in CARD_REPO_KEYS:
        value = info.card_data.get(key)
        if isinstance(value, str) and (match := GITHUB_LINK.search(value)):
            return _clean_repo(*match.groups())
    for match in GITHUB_LINK.finditer(info.card_text):
        repo_id = _clean_repo(*match.groups())
        if repo_id.lower() not in GENERIC_REPOS:
            return repo_id
    return None


def dataset_refs(info: SourceInfo) -> list[str]:
    """Hub dataset ids the model names: card `datasets`, then `dataset:` tags, deduplicated."""
    found: list[str] = []
    declared = info.card_data.get("datasets")
    if isinstance(declared, str):
        declared = [declared]
    candidates = [d for d in declared or [] if isinstance(d, str)]
    candidates += [t.split(":", 1)[1] for t in info.tags if t.startswith("dataset:")]
    for ref in candidates:
        ref = ref.strip()
        if ref and ref not in found and len(ref) <= 200:
            found.append(ref)
    return found


@dataclass(slots=True)
class ReviewSample:
    """Merged pull requests sampled for reviewedness, and the lines they added."""

    pulls_sampled: int
    approved_pulls: int
    approved_lines: int
    total_lines: int
    truncated: bool  # more merged pulls existed than the sample holds


@dataclass(slots=True)
class CodeStats:
    """What the repository's default-branch archive shows about its code."""

    files: list[str]
    python_files: int = 0
    code_lines: int = 0
    comment_lines: int = 0  # comments and docstring lines in Python files
    has_tests: bool = False
    has_manifest: bool = False  # requirements.txt, pyproject.toml, setup.py, environment.yml
    has_ci: bool = False
    has_license: bool = False
    available: bool = True  # False when the archive was missing or over the size cap


@dataclass(slots=True)
class RepoFacts:
    """The linked GitHub repository."""

    repo_id: str
    info: SourceInfo
    contributors: list[dict[str, Any]]


@dataclass(slots=True)
class DatasetFacts:
    """One linked dataset, from the registry when registered, else from the hub."""

    ref: str
    found: bool
    registered: bool = False
    card_text: str = ""
    card_data: dict[str, Any] = field(default_factory=dict)
    license: str | None = None
    downloads: int = 0
    likes: int = 0
    file_count: int = 0


class Facts:
    """One rating's facts: the model's SourceInfo plus lazily fetched, memoised extras."""

    def __init__(
        self,
        name: str,
        info: SourceInfo,
        *,
        repo: Callable[[str], Awaitable[RepoFacts | None]],
        review: Callable[[RepoFacts], Awaitable[ReviewSample]],
        code: Callable[[RepoFacts], Awaitable[CodeStats]],
        datasets: Callable[[list[str]], Awaitable[list[DatasetFacts]]],
        parent_scores: list[float] | None = None,
    ) -> None:
        self.name = name
        self.info = info
        self.repo_id = find_github_repo(info)
        self.dataset_refs = dataset_refs(info)[:MAX_DATASETS]
        # None: tree_score is not applicable (no registered parent with a rating).
        self.parent_scores = parent_scores
        self._load_repo, self._load_review = repo, review
        self._load_code, self._load_datasets = code, datasets
        self._tasks: dict[str, asyncio.Future[Any]] = {}

    def _once(self, key: str, make: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        if key not in self._tasks:
            self._tasks[key] = asyncio.ensure_future(make())
        return self._tasks[key]

    async def repo(self) -> RepoFacts | None:
        """The linked repository, or None when the card links none (or it does not exist)."""
        if self.repo_id is None:
            return None
        repo_id = self.repo_id
        return await self._once("repo", lambda: self._load_repo(repo_id))

    async def review(self) -> ReviewSample | None:
        """The review sample of the linked repository, or None without one."""
        repo = await self.repo()
        if repo is None:
            return None
        return await self._once("review", lambda: self._load_review(repo))

    async def code(self) -> CodeStats | None:
        """Code statistics of the linked repository, or None without one."""
        repo = await self.repo()
        if repo is None:
            return None
        return await self._once("code", lambda: self._load_code(repo))

    async def datasets(self) -> list[DatasetFacts]:
        """The linked datasets (at most MAX_DATASETS)."""
        refs = list(self.dataset_refs)
        return await self._once("datasets", lambda: self._load_datasets(refs))

    def cancel(self) -> None:
        """Cancel fetches nobody awaits any more (a metric failed and the rating is abandoned)."""
        for task in self._tasks.values():
            task.cancel()
