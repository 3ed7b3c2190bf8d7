"""Single byte ranges (RFC 9110 section 14): parse a Range header against a content size."""

from __future__ import annotations

from registry.errors import RangeNotSatisfiableError
from registry.textcheck import is_ascii_digits


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The half-open [start, end) a Range header asks for, or None to send everything.

    Multi-range, unknown-unit and syntactically invalid headers are ignored (the whole content is
    sent, which RFC 9110 allows); a well-formed range that starts past the end is a 416.
    """
    if header is None:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    # ASCII digits only (str.isdigit() takes '²'), and few enough for int() to take quickly.
    if not dash or not (first or last) or len(first) > 18 or len(last) > 18:
        return None
    if (first and not is_ascii_digits(first)) or (last and not is_ascii_digits(last)):
        return None
    if not first:  # "-N": the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(0, size - suffix), size
    start = int(first)
    end = int(last) + 1 if last else size
    if last and end <= start:
        return None
    if start >= size:
        raise _unsatisfiable(size)
    return start, min(end, size)


def _unsatisfiable(size: int) -> RangeNotSatisfiableError:
    return RangeNotSatisfiableError(
        f"the requested range is outside the content ({size} bytes)", details={"size": size}
    )
