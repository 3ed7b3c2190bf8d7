"""The Python demo code of a model card, and the registry's automatic repairs of it.

Pure text handling: nothing here runs code (the sandbox does that). The blocks themselves come
from the one card parser, registry.sources.cards.
"""

from __future__ import annotations

import re
import textwrap

from registry.sources.cards import python_blocks

NOTEBOOK_LINE = re.compile(r"^\s*[!%]")
PROMPT = re.compile(r"^(\s*)(>>>|\.\.\.)( |$)")
# Modules a card often uses without importing, and the import the repair adds.
COMMON_IMPORTS = {
    "np": "import numpy as np",
    "json": "import json",
    "os": "import os",
    "sys": "import sys",
    "math": "import math",
    "re": "import re",
    "random": "import random",
    "time": "import time",
    "pathlib": "import pathlib",
    "Path": "from pathlib import Path",
    "collections": "import collections",
    "itertools": "import itertools",
}
MAX_CODE_CHARS = 64 * 1024


def extract(card_text: str) -> list[str]:
    """The card's non-empty Python blocks, in order (empty when it has none)."""
    return python_blocks(card_text)


def join(blocks: list[str]) -> str:
    """The blocks as one script, as the card presents them."""
    return "\n\n".join(blocks)[:MAX_CODE_CHARS]


def _strip_prompts(code: str) -> tuple[str, bool]:
    lines = code.splitlines()
    if not any(PROMPT.match(line) for line in lines):
        return code, False
    kept = [PROMPT.sub(r"\1", line) for line in lines if PROMPT.match(line)]
    return "\n".join(kept), True


def _used_names(code: str) -> set[str]:
    return set(re.findall(r"(?<![\w.])([A-Za-z_]\w*)\s*[.(]", code))


def _imported(code: str, name: str) -> bool:
    pattern = (
        rf"^\s*(import\s+[\w.]+\s+as\s+{name}\b|import\s+{name}\b"
        rf"|from\s+[\w.]+\s+import\s+.*\b{name}\b)"
    )
    return re.search(pattern, code, re.M) is not None


def repair(blocks: list[str], repo_ids: list[str]) -> tuple[str, list[str]]:
    """Apply the automatic repairs; return the code and the names of the repairs applied.

    1. dedent: remove indentation common to every line of a block;
    2. strip_notebook: drop `!pip ...` / `%magic` lines;
    3. strip_prompts: keep only `>>> ` / `... ` doctest lines, without the prompts;
    4. local_files: replace the model's hub id in string literals with "." (its local copy);
    5. add_imports: import common modules (numpy as np, json, os, ...) used but not imported.
    """
    applied: list[str] = []
    dedented = [textwrap.dedent(block) for block in blocks]
    if dedented != blocks:
        applied.append("dedent")
    code = join(dedented)
    lines = code.splitlines()
    kept = [line for line in lines if not NOTEBOOK_LINE.match(line)]
    if len(kept) != len(lines):
        applied.append("strip_notebook")
    code = "\n".join(kept)
    code, stripped = _strip_prompts(code)
    if stripped:
        applied.append("strip_prompts")
    for repo_id in sorted({r for r in repo_ids if r}, key=len, reverse=True):
        replaced = re.sub(rf"(['\"]){re.escape(repo_id)}\1", r"\1.\1", code)
        if replaced != code:
            code = replaced
            if "local_files" not in applied:
                applied.append("local_files")
    used = _used_names(code)
    missing = [
        imp for name, imp in COMMON_IMPORTS.items() if name in used and not _imported(code, name)
    ]
    if missing:
        applied.append("add_imports")
        code = "\n".join(missing) + "\n" + code
    return code, applied
