"""A rating's facts: each extra is fetched at most once, only when a linked repository exists."""

from __future__ import annotations

import asyncio

from registry.rating.facts import CodeStats, DatasetFacts, Facts, RepoFacts, ReviewSample
from registry.sources.base import SourceInfo


def hub_model(card_data: dict[str, object]) -> SourceInfo:
    return SourceInfo(
        kind="hf_model",
        url="https://huggingface.co/o/m",
        repo_id="o/m",
        default_name="m",
        card_data=card_data,
    )


class Loaders:
    """The fetches a Facts is built with, counting their calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def repo(self, repo_id: str) -> RepoFacts | None:
        self.calls.append(f"repo {repo_id}")
        await asyncio.sleep(0)
        return RepoFacts(repo_id, hub_model({}), [])

    async def review(self, repo: RepoFacts) -> ReviewSample:
        self.calls.append(f"review {repo.repo_id}")
        return ReviewSample(1, 1, 10, 10, False)

    async def code(self, repo: RepoFacts) -> CodeStats:
        self.calls.append(f"code {repo.repo_id}")
        return CodeStats(files=["a.py"])

    async def datasets(self, refs: list[str]) -> list[DatasetFacts]:
        self.calls.append(f"datasets {','.join(refs)}")
        return [DatasetFacts(ref, found=True) for ref in refs]

    def facts(self, info: SourceInfo) -> Facts:
        return Facts(
            "m",
            info,
            repo=self.repo,
            review=self.review,
            code=self.code,
            datasets=self.datasets,
        )


async def test_a_linked_repository_is_fetched_once_for_every_metric() -> None:
    loaders = Loaders()
    facts = loaders.facts(hub_model({"repository": "https://github.com/owner/tool"}))
    assert facts.repo_id == "owner/tool"
    repos = await asyncio.gather(facts.repo(), facts.repo(), facts.review(), facts.code())
    assert repos[0] is repos[1]
    assert await facts.review() == ReviewSample(1, 1, 10, 10, False)
    assert (await facts.code()) is not None
    assert sorted(loaders.calls) == ["code owner/tool", "repo owner/tool", "review owner/tool"]


async def test_without_a_linked_repository_nothing_is_fetched() -> None:
    loaders = Loaders()
    facts = loaders.facts(hub_model({}))
    assert facts.repo_id is None
    assert (await facts.repo(), await facts.review(), await facts.code()) == (None, None, None)
    assert loaders.calls == []


async def test_at_most_three_linked_datasets_are_looked_at_once() -> None:
    loaders = Loaders()
    facts = loaders.facts(hub_model({"datasets": ["a/1", "b/2", "c/3", "d/4"]}))
    first = await facts.datasets()
    assert [d.ref for d in first] == ["a/1", "b/2", "c/3"]
    assert await facts.datasets() is first
    assert loaders.calls == ["datasets a/1,b/2,c/3"]


async def test_cancel_stops_fetches_nobody_awaits() -> None:
    started = asyncio.Event()

    class Slow(Loaders):
        async def repo(self, repo_id: str) -> RepoFacts | None:
            started.set()
            await asyncio.Event().wait()  # never answers
            return None

    facts = Slow().facts(hub_model({"repository": "https://github.com/owner/tool"}))
    pending = asyncio.ensure_future(facts.repo())
    await started.wait()
    facts.cancel()
    await asyncio.wait([pending])
    assert pending.cancelled()
