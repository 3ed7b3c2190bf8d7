"""Template rendering: one autoescaping Jinja2 environment, and model cards made safe.

Cards come from the hub or GitHub, i.e. from strangers: markdown-it renders them with raw HTML
disabled, and nh3 (a maintained HTML sanitiser) strips whatever is left that could run code or
load anything from another origin (images are dropped: nothing may load from outside).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

CARD_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "em", "h3", "h4", "h5", "h6", "hr", "i",
    "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
CARD_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
CARD_MAX_CHARS = 200_000  # a pathological card must not stall the page
# The card sits under the page's h2 "Model card": its own headings start at h3 and never skip.
CARD_TOP_LEVEL = 3

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _demote_headings(tokens: list[Token]) -> None:
    """Re-level card headings so the page's outline stays h1 > h2 > h3... without jumps."""
    previous = CARD_TOP_LEVEL - 1
    for token in tokens:
        if token.type not in ("heading_open", "heading_close"):
            continue
        if token.type == "heading_open":
            wanted = int(token.tag[1]) + CARD_TOP_LEVEL - 1
            previous = max(CARD_TOP_LEVEL, min(wanted, previous + 1, 6))
        token.tag = f"h{previous}"


def card_html(text: str | None) -> str:
    """Render untrusted card markdown to sanitised HTML (safe to mark as Markup)."""
    if not text:
        return ""
    body = text[:CARD_MAX_CHARS]
    # Front matter (--- yaml ---) is metadata, shown elsewhere; not prose.
    if body.startswith("---"):
        end = body.find("\n---", 3)
        if end != -1:
            body = body[end + 4 :]
    tokens = _markdown.parse(body)
    _demote_headings(tokens)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return nh3.clean(
        html,
        tags=CARD_TAGS,
        attributes=CARD_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def size(value: int | None) -> str:
    """Human-readable byte size (binary units, as downloads are measured)."""
    if value is None:
        return "unknown"
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if amount < 1024 or unit == "TiB":
            return f"{int(amount)} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{value} B"  # pragma: no cover - loop always returns


def build_environment(templates: Path) -> jinja2.Environment:
    """The pages' Jinja2 environment: autoescape everything, fail on undefined names."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["size"] = size
    env.globals["card_html"] = lambda text: Markup(card_html(text))  # noqa: S704 - sanitised
    return env


def render_template(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    """Render one template to a string."""
    return env.get_template(name).render(context)
