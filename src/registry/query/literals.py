"""Required literals of a regex: the substrings every match must contain (trigram prefilter).

This follows Russ Cox's "Regular Expression Matching with a Trigram Index": a match of the
pattern implies the text contains some literal strings, so an index over substrings can narrow
the candidates before the real matcher (RE2) verifies them. We keep the simplest sound form of
it: a conjunction (AND) of clauses, each clause a disjunction (OR) of literal strings. Anything we
cannot reason about contributes no clause, which only widens the candidate set, never narrows it
wrongly. No maintained library exposes this for Python, so it walks Python's regex parse tree,
as the ReDoS screen in `regex.py` does.
"""

from __future__ import annotations

import importlib
import re
import warnings
from dataclasses import dataclass
from typing import Any

_sre_parse: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}
# pg_trgm and `*lit*` wildcard queries can only use an index for literals of 3+ characters.
MIN_LITERAL = 3
# Under case folding RE2 also matches these non-ASCII forms (KELVIN SIGN, LONG S), which an
# ILIKE / case-insensitive index lookup on the ASCII letter would miss: such runs are cut there.
_FOLD_UNSAFE = frozenset("ksKS")
_INLINE_FOLD = re.compile(r"\(\?[A-Za-z-]*i")


@dataclass(frozen=True, slots=True)
class LiteralQuery:
    """AND of clauses; each clause is an OR of literals. No clauses means "cannot narrow"."""

    clauses: tuple[tuple[str, ...], ...]
    fold: bool = False  # the pattern folds case somewhere: compare literals case-insensitively

    @property
    def narrows(self) -> bool:
        """Tell whether an index can use this query to avoid a full scan."""
        return bool(self.clauses)


def required_literals(pattern: str) -> LiteralQuery:
    """Literals every match of `pattern` must contain, for narrowing with a substring index."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = _sre_parse.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return LiteralQuery(())  # RE2-only syntax: no narrowing, RE2 still decides matches
    # A scoped flag group like `(?si:...)` may turn folding on anywhere; seeing "i" is enough.
    folding = bool(tree.state.flags & re.IGNORECASE) or _INLINE_FOLD.search(pattern) is not None
    clauses = _sequence(list(tree), folding)
    return LiteralQuery(tuple(_dedupe(clauses)), folding)


def _dedupe(clauses: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    seen: list[tuple[str, ...]] = []
    for clause in clauses:
        if clause not in seen:
            seen.append(clause)
    return seen


def _sequence(items: list[Any], folding: bool) -> list[tuple[str, ...]]:
    """Clauses of a concatenation: literal runs plus what mandatory sub-parts require."""
    clauses: list[tuple[str, ...]] = []
    run: list[str] = []

    def flush() -> None:
        for piece in _usable("".join(run), folding):
            clauses.append((piece,))
        run.clear()

    for op, arg in items:
        if op == _c.LITERAL:
            run.append(chr(arg))
            continue
        flush()
        if op == _c.SUBPATTERN:
            clauses.extend(_sequence(list(arg[-1]), folding))
        elif op in _REPEATS and arg[0] >= 1:
            # The body occurs at least once, so whatever it requires is required.
            clauses.extend(_sequence(list(arg[2]), folding))
        elif op == _c.BRANCH:
            clause = _branch(arg[1], folding)
            if clause:
                clauses.append(clause)
        # Everything else (classes, optional repeats, anchors, lookarounds) requires nothing.
    flush()
    return clauses


def _branch(branches: list[Any], folding: bool) -> tuple[str, ...]:
    """An OR clause when every alternative requires some literal; else nothing."""
    options: list[str] = []
    for branch in branches:
        inner = _sequence(list(branch), folding)
        single = [c[0] for c in inner if len(c) == 1]
        if not single:
            return ()
        options.append(max(single, key=len))  # the longest literal narrows the most
    return tuple(dict.fromkeys(options))


def _usable(run: str, folding: bool) -> list[str]:
    """Pieces of a literal run an index lookup can use soundly."""
    if not folding:
        return [run] if len(run) >= MIN_LITERAL else []
    pieces: list[str] = []
    current = ""
    for char in run:
        if char in _FOLD_UNSAFE or not char.isascii():
            if current:
                pieces.append(current)
            current = ""
        else:
            current += char
    if current:
        pieces.append(current)
    return [p for p in pieces if len(p) >= MIN_LITERAL]
