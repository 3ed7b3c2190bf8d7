"""The one card parser: front matter, fenced code blocks as markdown-it sees them."""

from __future__ import annotations

from registry.sources import cards


def test_python_blocks_only_labelled_python() -> None:
    card = "```bash\npip x\n```\n```python\nprint(1)\n```\n~~~py\nprint(2)\n~~~\n```\nplain\n```"
    assert cards.python_blocks(card) == ["print(1)\n", "print(2)\n"]
    assert cards.python_blocks("```Python3 title=demo\nx\n```") == ["x\n"]
    assert cards.python_blocks("```pycon\n>>> x\n```") == []  # not python3?/py3? by name
    assert cards.python_blocks("```python\n   \n```") == []  # blank blocks are no code


def test_blocks_keep_their_indentation_for_the_dedent_repair() -> None:
    card = "1. Load:\n   ```python\n   import os\n   ```\n"
    assert cards.python_blocks(card) == ["   import os\n"]
    assert cards.python_blocks("```python\n    x = 1\n```") == ["    x = 1\n"]


def test_fences_follow_markdown_structure() -> None:
    nested = "````markdown\n```python\nprint('shown, not run')\n```\n````\n"
    assert cards.python_blocks(nested) == []  # a fence inside another block is its text
    assert cards.python_blocks("> ```py\n> x = 1\n> ```\n") == ["x = 1\n"]
    assert cards.python_blocks("```python\r\nprint(1)\r\n```\r\n") == ["print(1)\n"]
    # CommonMark: an unclosed fence runs to the end of the document
    assert cards.python_blocks("```python\nunclosed\n") == ["unclosed\n"]


def test_has_code_block() -> None:
    assert cards.has_code_block("```json\n{}\n```")
    assert cards.has_code_block("~~~\nplain\n~~~")
    assert not cards.has_code_block("    indented code, not fenced\n")
    assert not cards.has_code_block("# Title\n\ntext with `inline` code")


def test_split_card_and_license() -> None:
    data, body, invalid = cards.split_card("---\nlicense: [mit, apache-2.0]\n---\n# Body")
    assert (data, body, invalid) == ({"license": ["mit", "apache-2.0"]}, "# Body", False)
    assert cards.card_license(data, []) == "mit"
    assert cards.card_license({}, ["license:bsd"]) == "bsd"
    assert cards.split_card("no front matter\n") == ({}, "no front matter", False)


def test_parse_json_object() -> None:
    assert cards.parse_json_object(None) == (None, False)
    assert cards.parse_json_object(b'{"a": 1}') == ({"a": 1}, False)
    assert cards.parse_json_object(b"[1]") == (None, True)
    assert cards.parse_json_object(b"\xff") == (None, True)
