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


@pytest.mark.parametrize(
    ("pattern", "refused"),
    [
        ("(xa|[bc]d)+", False),  # classes with disjoint first characters
        ("(xa|[wx]d)+", True),  # a class that shares the first character
        ("(xa|[b-d]e)+", False),  # a narrow range is expanded
        ("(xa|[^b]c)+", True),  # a negated class could start with anything
        (r"(xa|\wc)+", True),  # so could a category
        ("(xa|(b)c)+", False),  # a group's first characters are its content's
        ("(xa|(.)c)+", True),
        ("(xa|(bc|de)f)+", False),  # a nested alternation: the union of its branches
        ("(xa|(bc|xe)f)+", True),
        ("(xa|(bc|.e)f)+", True),
        ("(xa|b?cd)+", False),  # an optional item lets the next one start the match
        ("(xa|b?xd)+", True),
        ("(xa|^bd)+", False),  # an anchor matches no character
        ("(xa|b?)+", True),  # a branch that can match the empty string
    ],
)
def test_repeated_alternations_are_refused_only_when_branches_can_start_alike(
    pattern: str, refused: bool
) -> None:
    if refused:
        with pytest.raises(ValidationError, match="branches overlap"):
            compile_untrusted(pattern, max_length=256)
    else:
        assert compile_untrusted(pattern, max_length=256).pattern == pattern
