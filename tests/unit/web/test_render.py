"""Model cards are untrusted: rendered as markdown, sanitised, never loading anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.web.render import build_environment, card_html, size

TEMPLATES = Path(__file__).resolve().parents[3] / "web" / "templates"


def test_script_and_raw_html_are_escaped() -> None:
    html = card_html("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>")
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html


def test_javascript_links_and_images_are_dropped() -> None:
    html = card_html("[click](javascript:alert(1)) ![pic](https://evil.example/x.png)")
    assert 'href="javascript' not in html
    assert "<a " not in html
    assert "evil.example" not in html


def test_safe_links_get_rel_and_keep_href() -> None:
    html = card_html("[docs](https://example.com/docs)")
    assert 'href="https://example.com/docs"' in html
    assert "noopener" in html


def test_headings_start_at_h3_without_skipping_levels() -> None:
    html = card_html("# Top\n\n#### Deep\n\n## Next")
    assert "<h3>Top</h3>" in html
    assert "<h4>Deep</h4>" in html  # h1 > h4 would skip levels; clamped to one step down
    assert "<h4>Next</h4>" in html
    assert "<h1" not in html and "<h2" not in html


def test_front_matter_is_not_prose() -> None:
    assert "license" not in card_html("---\nlicense: mit\n---\nHello")


def test_tables_render() -> None:
    assert "<table>" in card_html("| a | b |\n|---|---|\n| 1 | 2 |")


def test_empty_card() -> None:
    assert card_html(None) == ""
    assert card_html("") == ""


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "unknown"), (0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (5 * 1024**3, "5.0 GiB")],
)
def test_size(value: int | None, text: str) -> None:
    assert size(value) == text


def test_environment_autoescapes_and_rejects_undefined() -> None:
    env = build_environment(TEMPLATES)
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    with pytest.raises(Exception, match="undefined"):
        env.from_string("{{ missing.attr }}").render()
