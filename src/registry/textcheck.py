"""Text rules for untrusted input: names, numbers, JSON documents, and log lines.

One place decides what text the registry refuses, so REST, GraphQL, the pages and the pydantic
models agree:

- everywhere (any JSON string, any path or query): NUL and lone surrogates, which neither
  PostgreSQL's text nor UTF-8 can carry;
- in names and other identifiers: every control (Unicode category Cc), format (Cf: bidi
  overrides and isolates, zero-width spaces and joiners, the BOM) and line/paragraph separator
  character, since they let one name pose as another;
- where a number is expected: ASCII digits only (`str.isdigit()` accepts `²`, and `int()`
  accepts Arabic-Indic digits).

Everything here is pure: callers turn a problem into their own error.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from registry.errors import ValidationError

# Categories refused in names: controls, format characters (bidi, zero-width), surrogates and
# the two separators that break lines.
_NAME_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SUSPECT = re.compile("[^\x20-\x7e]")  # anything outside printable ASCII needs a closer look
_ASCII_DIGITS = re.compile(r"[0-9]+")
_LOG_ESCAPES = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def describe(char: str) -> str:
    """A character as `U+XXXX (NAME)` for messages, never the raw character itself."""
    name = unicodedata.name(char, "")
    if not name and "\ud800" <= char <= "\udfff":
        name = "LONE SURROGATE"
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def unstorable(text: str) -> str | None:
    """The first NUL or lone surrogate in text, described; None when there is none."""
    found = _UNSTORABLE.search(text)
    return None if found is None else describe(found.group())


def name_problem(text: str) -> str | None:
    """Why text cannot be a name (a control, format or separator character); None if it can."""
    if not _SUSPECT.search(text):
        return None  # printable ASCII, the common case, needs no per-character look
    for char in text:
        if unicodedata.category(char) in _NAME_REFUSED_CATEGORIES:
            return f"must not contain {describe(char)}"
    return None


def check_plain_text(value: str, field: str) -> str:
    """Return value when it holds no NUL or lone surrogate; else a 400 naming the field."""
    found = unstorable(value)
    if found is not None:
        raise ValidationError(f"{field} must not contain {found}", details={"field": field})
    return value


def is_ascii_digits(text: str) -> bool:
    """Whether text is one or more ASCII digits (no sign, no `²`, no other scripts' digits)."""
    return _ASCII_DIGITS.fullmatch(text) is not None


def optional_count(raw: str | None, field: str, *, maximum: int = 10**12) -> int | None:
    """Parse an optional non-negative integer strictly (None when absent); 400 naming the field."""
    if raw is None or raw == "":
        return None
    # The length check first: int() of thousands of digits is slow, then refused by Python.
    if len(raw) > len(str(maximum)) or not is_ascii_digits(raw) or int(raw) > maximum:
        raise ValidationError(
            f"{field} must be a whole number from 0 to {maximum} written in ASCII digits",
            details={"field": field},
        )
    return int(raw)


def parse_count(raw: str | None, field: str, *, default: int, maximum: int = 10**12) -> int:
    """Parse a non-negative integer strictly, default when absent; 400 naming the field."""
    value = optional_count(raw, field, maximum=maximum)
    return default if value is None else value


def json_problem(data: Any, max_depth: int) -> str | None:
    """Why a parsed JSON document is refused (too deep, NUL or lone surrogate); None if fine."""
    # Iterative, so a deep document cannot exhaust the stack here either.
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            found = unstorable(value)
            if found is not None:
                return f"{path or 'the body'} must not contain {found}"
        elif isinstance(value, dict | list):
            if depth > max_depth:
                return f"the JSON document nests deeper than {max_depth} levels"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    found = unstorable(key)
                    if found is not None:
                        return f"a key in {path or 'the body'} must not contain {found}"
                    where = f"{path}.{key[:64]}" if path else key[:64]
                else:
                    where = f"{path}[{key}]"
                stack.append((item, where, depth + 1))
    return None


# One pass over strings and brackets: a string token (its closing quote optional, so an
# unterminated one runs to the end once) can never restart inside another string, which keeps
# the scan linear even on a body of escaped quotes.
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


def json_nesting(body: bytes, stop_above: int | None = None) -> int:
    """The deepest bracket nesting of a JSON text, strings skipped (linear, parses nothing);
    with `stop_above`, returns as soon as the nesting passes it.

    Checked before parsing, so a deep document is refused the same way whatever the
    interpreter's parser does with it (3.11's recursed into RecursionError, 3.13's does not)."""
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
            if stop_above is not None and deepest > stop_above:
                break
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def needs_json_check(body: bytes, max_depth: int) -> bool:
    """Whether a JSON body could be too deep or carry a NUL or surrogate (cheap, C-speed)."""
    # Raw control bytes are invalid inside JSON strings, so plain ASCII without escapes and
    # with few brackets cannot hold anything json_problem refuses.
    if not body.isascii() or b"\\u" in body:
        return True
    return body.count(b"[") + body.count(b"{") > max_depth


def escape_controls(text: str) -> str:
    """Text with controls, bidi overrides and surrogates escaped, so it stays one honest line."""
    if not _LOG_ESCAPES.search(text):
        return text
    return _LOG_ESCAPES.sub(lambda m: _escape(m.group()), text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
