"""Untrusted regular expressions: size caps, RE2 compilation, and a ReDoS-shape screen.

RE2 matches in linear time, so no pattern can hang the registry. We still refuse patterns whose
shape is catastrophic for backtracking engines (nested unbounded quantifiers, quantified
alternations whose branches overlap, huge counted repeats): clients replay our accepted patterns
against other tools, and the contract says such patterns are a 400. The shape analysis walks
Python's own regex parse tree, because no maintained library exposes an RE2 AST to Python.
"""

from __future__ import annotations

import functools
import importlib
import re
import warnings
from typing import Any

import re2

from registry.errors import ValidationError

# Python 3.11+ keeps its regex parser in re._parser; it is private, so import it by name.
_sre_parse: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}
_ANY = object()  # "could start with any character"
MAX_REPEAT_PRODUCT = 1000  # RE2's own cap on counted repetition


def _options(max_mem: int) -> Any:
    options = re2.Options()
    options.max_mem = max_mem
    options.log_errors = False
    return options


def compile_untrusted(pattern: object, *, max_length: int, max_mem: int = 8 << 20) -> Any:
    """Validate and compile a client's pattern with RE2; raise ValidationError on any problem."""
    if not isinstance(pattern, str):
        raise ValidationError("regex must be a string")
    if not pattern:
        raise ValidationError("regex must not be empty")
    if len(pattern) > max_length:
        raise ValidationError(f"regex is longer than {max_length} characters")
    if "\x00" in pattern:
        raise ValidationError("regex must not contain NUL characters")
    _screen_shape(pattern)
    try:
        return re2.compile(pattern, options=_options(max_mem))
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValidationError(f"invalid regex: {reason}") from exc


def _screen_shape(pattern: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = _sre_parse.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        # Python cannot parse some RE2-only syntax; RE2 itself decides whether it is valid.
        return
    _walk(list(tree), 1)


def _walk(items: list[Any], outer_product: int) -> None:
    for op, arg in items:
        if op in _REPEATS:
            _low, high, body = arg
            body_items = list(body)
            unbounded = high == _c.MAXREPEAT or high > MAX_REPEAT_PRODUCT
            if high != _c.MAXREPEAT and outer_product * max(high, 1) > MAX_REPEAT_PRODUCT:
                raise ValidationError("regex repeats too many times (counted repetition over 1000)")
            if high > 1 and _contains_repeat(body_items):
                raise ValidationError("regex nests quantifiers (catastrophic backtracking risk)")
            if high > 1 and _ambiguous_alternation(body_items):
                raise ValidationError(
                    "regex repeats an alternation whose branches overlap "
                    "(catastrophic backtracking risk)"
                )
            _walk(body_items, outer_product * (1 if unbounded else max(high, 1)))
        elif op == _c.SUBPATTERN:
            _walk(list(arg[-1]), outer_product)
        elif op == _c.BRANCH:
            for branch in arg[1]:
                _walk(list(branch), outer_product)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            _walk(list(arg[1]), outer_product)


def _contains_repeat(items: list[Any]) -> bool:
    for op, arg in items:
        if op in _REPEATS and arg[1] == _c.MAXREPEAT:
            return True
        if op == _c.SUBPATTERN and _contains_repeat(list(arg[-1])):
            return True
        if op == _c.BRANCH and any(_contains_repeat(list(b)) for b in arg[1]):
            return True
    return False


def _ambiguous_alternation(items: list[Any]) -> bool:
    for op, arg in items:
        if op == _c.SUBPATTERN:
            if _ambiguous_alternation(list(arg[-1])):
                return True
        elif op == _c.BRANCH:
            firsts = [_first_chars(list(b)) for b in arg[1]]
            for i, left in enumerate(firsts):
                for right in firsts[i + 1 :]:
                    if left is _ANY or right is _ANY or (left & right):
                        return True
    return False


def _first_chars(items: list[Any]) -> Any:
    """Approximate set of code points a sequence can start with (_ANY when unknown or empty)."""
    result: set[int] = set()
    for op, arg in items:
        if op == _c.LITERAL:
            return result | {arg}
        if op == _c.IN:
            members: set[int] = set()
            for kind, value in arg:
                if kind == _c.LITERAL:
                    members.add(value)
                elif kind == _c.RANGE and value[1] - value[0] < 256:
                    members.update(range(value[0], value[1] + 1))
                else:  # NEGATE, CATEGORY, wide RANGE
                    return _ANY
            return result | members
        if op == _c.SUBPATTERN:
            inner = _first_chars(list(arg[-1]))
            return _ANY if inner is _ANY else result | inner
        if op == _c.BRANCH:
            merged: set[int] = set(result)
            for branch in arg[1]:
                first = _first_chars(list(branch))
                if first is _ANY:
                    return _ANY
                merged |= first
            return merged
        if op in _REPEATS:
            low, _high, body = arg
            first = _first_chars(list(body))
            if first is _ANY:
                return _ANY
            result |= first
            if low > 0:
                return result
            continue  # an optional item: the next one can start the match too
        if op in (_c.AT,):
            continue
        return _ANY
    return _ANY  # the sequence can match the empty string


@functools.lru_cache(maxsize=256)
def _compiled_for_sql(pattern: str) -> Any:
    # SQLite calls REGEXP once per row; compiling once per distinct pattern keeps it linear.
    return re2.compile(pattern, options=_options(8 << 20))


def sqlite_regexp(pattern: str | None, value: str | None) -> bool:
    """SQLite's REGEXP function (`value REGEXP pattern`), matched by RE2 like every backend."""
    if pattern is None or value is None:
        return False
    return _compiled_for_sql(pattern).search(value) is not None
