"""registry.textcheck: the text rules for names, numbers, JSON documents and log lines."""

from __future__ import annotations

import json

import pytest

from registry.errors import ValidationError
from registry.textcheck import (
    check_plain_text,
    escape_controls,
    is_ascii_digits,
    json_problem,
    name_problem,
    needs_json_check,
    optional_count,
    parse_count,
    unstorable,
)

SPOOFING = {
    "NUL": "a\x00b",
    "newline": "a\nb",
    "DEL": "a\x7fb",
    "C1 control": "a\x85b",
    "lone surrogate": "a\ud800b",
    "right-to-left override": "evil\u202egpj.exe",
    "left-to-right embedding": "a\u202ab",
    "first strong isolate": "a\u2068b",
    "left-to-right mark": "a\u200eb",
    "Arabic letter mark": "a\u061cb",
    "zero-width space": "bert\u200bbase",
    "zero-width joiner": "a\u200db",
    "word joiner": "a\u2060b",
    "byte-order mark": "\ufeffbert",
    "line separator": "a\u2028b",
}


@pytest.mark.parametrize("text", SPOOFING.values(), ids=SPOOFING.keys())
def test_a_name_refuses_controls_bidi_and_zero_width_characters(text: str) -> None:
    problem = name_problem(text)
    assert problem is not None and problem.startswith("must not contain U+")


@pytest.mark.parametrize("text", ["bert-base-uncased", "modèle_français", "模型", "x²", "a b"])
def test_ordinary_names_pass_unchanged(text: str) -> None:
    assert name_problem(text) is None


def test_the_refused_character_is_named_not_echoed() -> None:
    problem = name_problem("evil\u202egpj")
    assert problem == "must not contain U+202E (RIGHT-TO-LEFT OVERRIDE)"


def test_plain_text_refuses_only_what_cannot_be_stored() -> None:
    assert check_plain_text("line\nbreak \u202e ok", "q") == "line\nbreak \u202e ok"
    assert unstorable("a\ud800") == "U+D800 (LONE SURROGATE)"
    with pytest.raises(ValidationError, match="password must not contain U\\+0000") as caught:
        check_plain_text("pass\x00word", "password")
    assert caught.value.details == {"field": "password"}


@pytest.mark.parametrize("raw", ["0", "7", "0042", "1000000000000"])
def test_ascii_digits_parse(raw: str) -> None:
    assert is_ascii_digits(raw)
    assert parse_count(raw, "offset", default=5) == int(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "²",
        "1²",
        "١٢",
        "٣",
        "\uff11\uff12",  # fullwidth digits
        "-1",
        "+1",
        " 1",
        "1 ",
        "1.0",
        "0x10",
        "1e3",
        "\x001",
        "9" * 5000,
    ],
)
def test_anything_but_ascii_digits_is_a_400_naming_the_field(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_count(raw, "offset", default=0)
    assert caught.value.status_code == 400
    assert caught.value.message.startswith("offset must be a whole number")
    assert caught.value.details == {"field": "offset"}


def test_absent_counts_take_the_default_and_the_maximum_holds() -> None:
    assert parse_count(None, "limit", default=50) == 50
    assert parse_count("", "limit", default=50) == 50
    assert optional_count(None, "limit") is None
    assert optional_count("1440", "windowMinutes", maximum=1440) == 1440
    with pytest.raises(ValidationError):
        optional_count("1441", "windowMinutes", maximum=1440)


def test_json_depth_is_limited_and_located() -> None:
    assert json_problem(json.loads("[" * 64 + "]" * 64), 64) is None
    assert json_problem(json.loads("[" * 65 + "]" * 65), 64) == (
        "the JSON document nests deeper than 64 levels"
    )
    assert json_problem({"a": {"b": [1, {"c": 2}]}}, 4) is None


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"user": {"name": "a\x00"}}, "user.name must not contain U+0000"),
        ([{"name": "x"}, {"name": "\udfff"}], "[1].name must not contain U+DFFF (LONE SURROGATE)"),
        ({"k\x00": 1}, "a key in the body must not contain U+0000"),
        ("\x00", "the body must not contain U+0000"),
    ],
)
def test_json_strings_refuse_nul_and_surrogates_with_their_path(
    document: object, expected: str
) -> None:
    assert json_problem(document, 64) == expected


def test_the_cheap_prefilter_only_skips_bodies_that_cannot_be_refused() -> None:
    assert not needs_json_check(b'{"url": "https://huggingface.co/a/b", "name": "b"}', 64)
    assert needs_json_check(b'{"name": "a\\u0000"}', 64)
    assert needs_json_check('{"name": "é"}'.encode(), 64)
    assert needs_json_check(b"[" * 65, 64)


def test_log_escaping_keeps_one_honest_line() -> None:
    forged = "GET /x\r\n2026-01-01 INFO registry: admin signed in\x00\u202e\ud800"
    escaped = escape_controls(forged)
    assert "\n" not in escaped and "\r" not in escaped and "\x00" not in escaped
    assert escaped == (
        "GET /x\\x0d\\x0a2026-01-01 INFO registry: admin signed in\\x00\\u202e\\ud800"
    )
    assert escape_controls("plain é text") == "plain é text"


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"[" * 5000, 5000),  # unterminated: counted without parsing
        (b'{"a": "[[[[\\"[[", "b": [[1]]}', 3),  # brackets and escaped quotes in strings skipped
        (b'"]]]]"', 0),
        (b"[[], {}, [[{}]]]", 4),
    ],
)
def test_json_nesting_counts_brackets_outside_strings(body: bytes, depth: int) -> None:
    from registry.textcheck import json_nesting

    assert json_nesting(body) == depth


def test_json_nesting_stays_linear_on_hostile_strings() -> None:
    from registry.textcheck import json_nesting

    # Escaped quotes in an unterminated string once made each quote rescan to the end.
    body = b"[" * 70 + b'"' + b'\\"' * 200_000
    assert json_nesting(body) == 70
    assert json_nesting(b"[" * 500_000, stop_above=64) == 65  # stops once past the limit
