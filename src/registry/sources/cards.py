"""Model cards and the metadata files beside them: the one place that parses a card.

A card is YAML front matter (Hugging Face's own block rule) over a markdown body. The body is
read with markdown-it (block rules only: no inline parsing, no HTML), so a fence inside another
fence, a blockquote or a list is seen the way the hub renders it, not the way a regex guesses.
Pure text handling: no I/O, so the hub adapter, uploads and rating all use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import yaml
from huggingface_hub.repocard import REGEX_YAML_BLOCK
from markdown_it import MarkdownIt

# Block structure is all we read; inline parsing would only cost time on a 1 MB card.
_markdown = MarkdownIt("commonmark", {"html": False}).disable("inline")
# ```python / ```py / ```py3 blocks (also ~~~); unlabelled blocks are not assumed Python.
_PYTHON_INFO = re.compile(r"(?:python3?|py3?)\b", re.I)
_NEWLINES = re.compile(r"\r\n?")
_QUOTE_MARKERS = re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+")


def json_safe(value: Any) -> Any:
    """Turn YAML values (dates, tuples, odd keys) into plain JSON-storable values."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def split_card(text: str) -> tuple[dict[str, Any], str, bool]:
    """Split a model card into (front matter, body, front matter was invalid)."""
    match = REGEX_YAML_BLOCK.search(text)
    if match is None:
        return {}, text.strip("\r\n"), False
    body = text[match.end() :].lstrip("\r\n")
    try:
        data = yaml.safe_load(match.group(2))
    except yaml.YAMLError:
        return {}, body, True
    if data is None:
        return {}, body, False
    if not isinstance(data, dict):
        return {}, body, True
    return json_safe(data), body, False


def card_license(card: dict[str, Any], tags: list[str]) -> str | None:
    """The license as the card states it, else from a `license:` hub tag."""
    value = card.get("license")
    if isinstance(value, list):  # some cards list several; the first is the primary one
        value = next((v for v in value if isinstance(v, str)), None)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return next((t.split(":", 1)[1] for t in tags if t.startswith("license:")), None)


@dataclass(frozen=True, slots=True)
class Fence:
    """One fenced code block of a card body."""

    info: str  # the info string after the opening fence ("python", "bash", "")
    body: str  # the lines between the fences, as written


@lru_cache(maxsize=8)  # a few recent cards (up to 1 MB each): ramp_up and repro share one
def fences(text: str) -> tuple[Fence, ...]:
    """The fenced code blocks of a markdown text, in order (memoised)."""
    source = _NEWLINES.sub("\n", text)
    lines = source.split("\n")
    found: list[Fence] = []
    quoted = 0
    for token in _markdown.parse(source):
        if token.type == "blockquote_open":
            quoted += 1
        elif token.type == "blockquote_close":
            quoted -= 1
        elif token.type == "fence" and token.map is not None:
            found.append(Fence(token.info.strip(), _body(token.map, lines, token.markup, quoted)))
    return tuple(found)


def _body(span: list[int], lines: list[str], markup: str, quoted: int) -> str:
    """The block's lines as written: indentation is kept for the dedent repair to judge."""
    start, end = span
    inner = lines[start + 1 : end]
    if quoted:  # inside "> " the raw lines carry the quote markers: strip them line by line
        inner = [_QUOTE_MARKERS.sub("", line) for line in inner]
    last = inner[-1].strip() if inner else ""
    if last.startswith(markup) and not last.lstrip(markup[0]).strip():
        inner = inner[:-1]  # the closing fence (an unclosed one runs to the block's end)
    return "".join(line + "\n" for line in inner)


def python_blocks(text: str) -> list[str]:
    """The card's non-empty Python blocks, in order (empty when it has none)."""
    return [f.body for f in fences(text) if _PYTHON_INFO.match(f.info) and f.body.strip()]


def has_code_block(text: str) -> bool:
    """Whether the card shows any fenced code block (an example to start from)."""
    return bool(fences(text))


def parse_json_object(raw: bytes | None) -> tuple[dict[str, Any] | None, bool]:
    """Parse a JSON object file: (object or None, the file existed but was not a JSON object)."""
    if raw is None:
        return None, False
    try:
        value = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None, True
    return (value, False) if isinstance(value, dict) else (None, True)


# Lineage reads these; a hub model and an uploaded package must record them the same way.
SIDE_FILES = (("adapter_config.json", "adapter_config"), ("model_index.json", "model_index"))


def record_side_files(
    extra: dict[str, Any],
    small: Mapping[str, bytes | None],
    *,
    config_invalid: bool,
    card_invalid: bool,
) -> None:
    """Put parsed adapter/model-index JSON and the invalid-metadata flags into `extra`."""
    for file_name, key in SIDE_FILES:
        parsed, invalid = parse_json_object(small.get(file_name))
        if parsed is not None:
            extra[key] = json_safe(parsed)
        if invalid:
            extra[f"{key}_invalid"] = True
    if config_invalid:
        extra["config_invalid"] = True
    if card_invalid:
        extra["card_metadata_invalid"] = True
