"""Required-literal extraction: what narrows, and that narrowing never drops a real match."""

from __future__ import annotations

import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.query.literals import required_literals


def test_examples() -> None:
    assert required_literals("bert.*base").clauses == (("bert",), ("base",))
    assert required_literals("(bert|roberta)-large").clauses == (("bert", "roberta"), ("-large",))
    assert required_literals("foo(bar)?baz").clauses == (("foo",), ("baz",))
    assert required_literals("(abc)+").clauses == (("abc",),)


def test_nothing_to_narrow() -> None:
    for pattern in ["[a-z]+", "ab", "a|bcd", r"\QBERT\E", ".*", "(?:abc)?", r"\pL+"]:
        assert not required_literals(pattern).narrows, pattern


def test_case_folding_cuts_runs_at_unsafe_letters() -> None:
    query = required_literals("(?i)kbertsx")
    assert query.fold
    assert query.clauses == (("bert",),)
    assert required_literals("a(?i:bcd)").fold


@settings(max_examples=200, deadline=None)
@given(
    pattern=st.lists(
        st.sampled_from(["abc", "bca", "k", "(?:abc|cab)", "x?", ".", "[ab]+", "s", "(cab)+"]),
        min_size=1,
        max_size=5,
    ).map("".join),
    text=st.text("abcksxK\u017f", max_size=30),
    fold=st.booleans(),
)
def test_every_match_contains_each_clause(pattern: str, text: str, fold: bool) -> None:
    full = ("(?i)" if fold else "") + pattern
    if re2.search(full, text) is None:
        return
    haystack = text.lower() if fold else text
    for options in required_literals(full).clauses:
        assert any((o.lower() if fold else o) in haystack for o in options), (full, text)
