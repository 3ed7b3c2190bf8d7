"""Facts from the linked GitHub repository: contributors, a bounded review sample, code stats."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import PurePosixPath
from typing import Any

from registry.errors import SourceNotFoundError, ValidationError
from registry.rating.facts import CodeStats, RepoFacts, ReviewSample
from registry.sources.base import CodeHost
from registry.sources.github import split_repo_id

# Reviewedness samples the most recent merged pull requests: GitHub answers 2 requests per pull
# (reviews, files), so the sample bounds the cost of a huge history to ~1 + 2*40 requests.
MAX_PULLS = 40
PULL_PAGES = 3  # closed pulls scanned (100 each) to find MAX_PULLS merged ones
MAX_FILES_PER_PULL = 300  # GitHub lists at most 3000; 300 is enough to weigh a pull
ZIP_MAX_BYTES = 20 * 1024 * 1024  # code-quality archive cap; bigger repos fall back to metadata
# Not code: weights, archives, media and other binaries never count as reviewed or unreviewed lines.
BINARY_SUFFIXES = frozenset(
    ".safetensors .bin .pt .pth .ckpt .h5 .hdf5 .onnx .tflite .pb .msgpack .gguf .ggml .npy "
    ".npz .pkl .pickle .joblib .model .ot .zip .gz .tgz .tar .xz .bz2 .7z .rar .zst .png .jpg "
    ".jpeg .gif .bmp .ico .webp .svg .pdf .mp3 .mp4 .wav .flac .ogg .avi .mov .woff .woff2 .ttf "
    ".otf .eot .so .dll .dylib .exe .a .o .class .jar .whl .parquet .arrow .tfrecord .lock".split()
)
MANIFESTS = frozenset(
    {"requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", "environment.yml", "Pipfile"}
)
CI_MARKERS = (".github/workflows/", ".gitlab-ci.yml", ".circleci/", ".travis.yml", "tox.ini")


def is_code_file(path: str) -> bool:
    """Tell whether a path holds text a reviewer reads (not weights or other binaries)."""
    return PurePosixPath(path.lower()).suffix not in BINARY_SUFFIXES


async def load_repo(github: CodeHost, repo_id: str) -> RepoFacts | None:
    """Fetch the repository and its contributors; None when it does not exist."""
    try:
        owner, repo = split_repo_id(repo_id)
        info = await github.fetch(repo_id, "github", f"https://github.com/{repo_id}")
    except (SourceNotFoundError, ValidationError):
        return None  # a dead link counts as no repository, not as a failure of the rating
    owner, repo = split_repo_id(info.repo_id)
    contributors = await github.contributors(owner, repo)
    return RepoFacts(info.repo_id, info, contributors)


def _approved(reviews: Any) -> bool:
    return isinstance(reviews, list) and any(
        isinstance(r, dict) and r.get("state") == "APPROVED" for r in reviews
    )


def _added_code_lines(files: Any) -> int:
    if not isinstance(files, list):
        return 0
    return sum(
        int(f.get("additions") or 0)
        for f in files
        if isinstance(f, dict) and is_code_file(str(f.get("filename") or ""))
    )


async def load_review_sample(github: CodeHost, repo: RepoFacts) -> ReviewSample:
    """Sample the most recent merged pull requests: approved vs all added code lines."""
    owner, name = split_repo_id(repo.repo_id)
    merged: list[int] = []
    truncated = False
    for page in range(1, PULL_PAGES + 1):
        pulls = await github.closed_pulls(owner, name, page)
        if not isinstance(pulls, list):
            break
        merged += [int(p["number"]) for p in pulls if isinstance(p, dict) and p.get("merged_at")]
        if len(merged) >= MAX_PULLS:
            truncated = len(merged) > MAX_PULLS or len(pulls) == 100
            break
        if len(pulls) < 100:
            break
    else:
        truncated = True  # closed pulls remain unscanned beyond PULL_PAGES pages
    sample = merged[:MAX_PULLS]

    async def one(number: int) -> tuple[bool, int]:
        reviews, files = await asyncio.gather(
            github.pull_reviews(owner, name, number),
            github.pull_files(owner, name, number, MAX_FILES_PER_PULL),
        )
        return _approved(reviews), _added_code_lines(files)

    results = await asyncio.gather(*(one(n) for n in sample))
    approved = [lines for ok, lines in results if ok]
    return ReviewSample(
        pulls_sampled=len(sample),
        approved_pulls=len(approved),
        approved_lines=sum(approved),
        total_lines=sum(lines for _ok, lines in results),
        truncated=truncated,
    )


def _python_comment_lines(text: str) -> tuple[int, int]:
    """(code lines, comment + docstring lines) of a Python file, by a line scan."""
    code = comments = 0
    in_doc: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if in_doc is not None:
            comments += 1
            if in_doc in line:
                in_doc = None
            continue
        if line.startswith("#"):
            comments += 1
        elif line.startswith(('"""', "'''")):
            comments += 1
            quote = line[:3]
            if line.count(quote) == 1:
                in_doc = quote
        else:
            code += 1
    return code, comments


def code_stats(archive: bytes | None) -> CodeStats:
    """Statistics of a GitHub zipball (its one top-level folder stripped)."""
    if archive is None:
        return CodeStats(files=[], available=False)
    try:
        zf = zipfile.ZipFile(io.BytesIO(archive))
    except zipfile.BadZipFile:
        return CodeStats(files=[], available=False)
    stats = CodeStats(files=[])
    with zf:
        for entry in zf.infolist()[:5000]:  # bound the work on a pathological archive
            if entry.is_dir():
                continue
            path = entry.filename.split("/", 1)[1] if "/" in entry.filename else entry.filename
            stats.files.append(path)
            base = PurePosixPath(path).name
            lower = path.lower()
            stats.has_manifest |= base in MANIFESTS
            stats.has_license |= base.upper().startswith(("LICENSE", "COPYING"))
            stats.has_ci |= any(marker in lower for marker in CI_MARKERS)
            stats.has_tests |= (
                lower.startswith("tests/")
                or "/tests/" in lower
                or base.startswith("test_")
                or base.endswith("_test.py")
            )
            if lower.endswith(".py") and entry.file_size <= 1024 * 1024:
                stats.python_files += 1
                text = zf.read(entry).decode("utf-8", errors="replace")
                code, comments = _python_comment_lines(text)
                stats.code_lines += code
                stats.comment_lines += comments
    return stats


async def load_code_stats(github: CodeHost, repo: RepoFacts) -> CodeStats:
    """Download the default branch's archive (bounded) and compute its code statistics."""
    owner, name = split_repo_id(repo.repo_id)
    archive = await github.zipball(owner, name, ZIP_MAX_BYTES)
    return await asyncio.to_thread(code_stats, archive)
