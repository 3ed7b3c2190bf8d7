"""reproducibility: does the model card's Python demo code run (in the sandbox)?

1 when it runs unchanged, 0.5 when it runs after the automatic repairs (card_code.repair),
0 when the card has no Python code or it fails either way. The model's small files are copied
into the working directory first (pick_files chooses them; the hub adapter downloads them), and
hub ids in the code point at that copy after repair.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from registry.rating.card_code import extract, join, repair
from registry.rating.sandbox import RunResult, Sandbox

PENDING = "pending"
FILE_MAX_BYTES = 8 * 1024 * 1024  # per file: configs, tokenizers, small weights
TOTAL_MAX_BYTES = 64 * 1024 * 1024


@dataclass(slots=True)
class Outcome:
    """What the reproducibility run found."""

    score: float
    case: str  # unchanged | repaired | no_code | failed
    reason: str
    repairs: list[str] = field(default_factory=list)
    seconds: float = 0.0
    isolation: dict[str, bool] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The outcome as stored with the rating."""
        return asdict(self)


def safe_relative(path: str) -> Path | None:
    """A hub file path as a relative local path, or None if it could escape the directory."""
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or any(p in ("..", "") for p in parts) or "\\" in path:
        return None
    return Path(*parts)


def pick_files(files: list[dict[str, Any]]) -> list[tuple[str, Path]]:
    """The files to copy locally: each under FILE_MAX_BYTES, smallest first, within the total."""
    chosen: list[tuple[str, Path]] = []
    total = 0
    for entry in sorted(files, key=lambda f: int(f.get("size") or 0)):
        size = int(entry.get("size") or 0)
        local = safe_relative(str(entry.get("path") or ""))
        if local is None or size > FILE_MAX_BYTES or total + size > TOTAL_MAX_BYTES:
            continue
        chosen.append((str(entry["path"]), local))
        total += size
    return chosen


def _why(result: RunResult, seconds: float) -> str:
    if result.timed_out:
        return f"timed out after {seconds:g} s"
    lines = [line for line in result.stderr_tail.splitlines() if line.strip()]
    last = lines[-1] if lines else f"exit status {result.returncode}"
    return last[:300]


async def evaluate(
    sandbox: Sandbox,
    card_text: str,
    repo_ids: list[str],
    provide_files: Callable[[Path], Awaitable[None]],
) -> Outcome:
    """Run the card's code unchanged, then repaired; score the first success."""
    blocks = extract(card_text)
    isolation = await asyncio.to_thread(sandbox.capabilities)
    if not blocks:
        return Outcome(
            0.0, "no_code", "the model card has no Python code block", [], 0.0, isolation
        )
    with tempfile.TemporaryDirectory(prefix="registry-repro-") as tmp:
        files = Path(tmp) / "files"
        files.mkdir()
        await provide_files(files)

        async def attempt(name: str, code: str) -> RunResult:
            work = Path(tmp) / name  # a fresh copy: one attempt's leftovers never help the next
            await asyncio.to_thread(_copy_tree, files, work)
            return await sandbox.run(work, code)

        first = await attempt("unchanged", join(blocks))
        spent = first.seconds
        if first.ok:
            return Outcome(1.0, "unchanged", "the card's code ran unchanged", [], spent, isolation)
        fixed, repairs = repair(blocks, repo_ids)
        if not repairs:
            reason = f"failed and no repair applies: {_why(first, sandbox.limits.wall_seconds)}"
            return Outcome(0.0, "failed", reason, [], spent, isolation)
        second = await attempt("repaired", fixed)
        spent += second.seconds
        if second.ok:
            reason = f"ran after repairs ({', '.join(repairs)}); unchanged it failed: " + _why(
                first, sandbox.limits.wall_seconds
            )
            return Outcome(0.5, "repaired", reason, repairs, spent, isolation)
        reason = f"failed after repairs ({', '.join(repairs)}): " + _why(
            second, sandbox.limits.wall_seconds
        )
        return Outcome(0.0, "failed", reason, repairs, spent, isolation)


def _copy_tree(source: Path, target: Path) -> None:
    import shutil

    shutil.copytree(source, target)
