"""Untrusted patterns: size caps, the ReDoS-shape screen, RE2 errors, and SQLite's REGEXP."""

from __future__ import annotations

import pytest

from registry.errors import ValidationError
from registry.query.regex import compile_untrusted, sqlite_regexp


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        (None, "must be a string"),
        ("", "must not be empty"),
        ("a" * 300, "longer than 256"),
        ("a\x00b", "NUL"),
        ("(a+)+$", "nests quantifiers"),
        ("(a|aa)*$", "alternation whose branches overlap"),
        ("(a{1,99999}){1,99999}$", "repeats too many times"),
        ("(a{1,50}){1,50}", "repeats too many times"),
        ("[", "invalid regex"),
        ("(?<!x)y", "invalid regex"),
    ],
)
def test_refused_patterns_are_400(pattern: object, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        compile_untrusted(pattern, max_length=256)
    assert caught.value.status_code == 400
    assert problem in caught.value.message


@pytest.mark.parametrize("pattern", ["bert.*base", "(ab|cd)+", "a{1,10}b", r"\pL+", "(?i)BERT"])
def test_safe_patterns_compile_to_re2(pattern: str) -> None:
    compiled = compile_untrusted(pattern, max_length=256)
    assert compiled.pattern == pattern


def test_sqlite_regexp_matches_with_re2() -> None:
    assert sqlite_regexp("ber+t", "a bert model")
    assert not sqlite_regexp("^bert$", "a bert model")
    assert not sqlite_regexp(None, "bert")
    assert not sqlite_regexp("bert", None)
