"""Semver parsing and npm range semantics, delegated to `node-semver` (a port of npm's semver).

npm's rules are subtle (`^0.2.3` means <0.3.0, `^0.0.3` means <0.0.4, prereleases only match
comparators on the same major.minor.patch), so we use the port rather than re-deriving them. This
module adds the registry's own spelling `1.2.3-2.1.0` for a bounded range, input caps, and the
tuple bounds SQL uses to narrow candidates before node-semver decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nodesemver

from registry.errors import ValidationError

MAX_RANGE_LENGTH = 256
MAX_VERSION_LENGTH = 128
# `1.2.3-2.1.0` would be a prerelease in npm syntax; with two full triples it means a bounded
# range (the registry's documented spelling), exactly like npm's `1.2.3 - 2.1.0`.
# Tags count as versions only when they spell a full triple (`v1.2.3`, `1.2.3-rc.1`), not `1.2`.
_TAG = re.compile(r"^[=v]?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$")
_BOUNDED = re.compile(r"^\s*v?(\d+\.\d+\.\d+)\s*-\s*v?(\d+\.\d+\.\d+)\s*$")
Triple = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class ParsedVersion:
    """A version normalised by semver rules."""

    version: str
    major: int
    minor: int
    patch: int
    prerelease: str
    raw: str


@dataclass(frozen=True, slots=True)
class Bounds:
    """Inclusive (major, minor, patch) bounds holding every version one comparator set accepts."""

    low: Triple | None
    high: Triple | None


class VersionRange:
    """An npm-semantics range: `satisfies` decides, `bounds` narrows SQL scans."""

    def __init__(self, text: str, npm_range: nodesemver.Range) -> None:
        self.text = text
        self._range = npm_range

    def satisfies(self, version: str) -> bool:
        """Tell whether a normalised version is inside the range (npm rules, prereleases too)."""
        return bool(nodesemver.satisfies(version, self._range, loose=False))

    def bounds(self) -> list[Bounds]:
        """One Bounds per `||` alternative; inclusive so prerelease edge cases stay candidates."""
        out: list[Bounds] = []
        for comparators in self._range.set:
            low: Triple | None = None
            high: Triple | None = None
            for comparator in comparators:
                semver = comparator.semver
                if not isinstance(semver, nodesemver.SemVer):
                    continue  # "*": no bound
                triple = (semver.major, semver.minor, semver.patch)
                if comparator.operator in ("", "=", ">=", ">"):
                    low = triple if low is None else max(low, triple)
                if comparator.operator in ("", "=", "<=", "<"):
                    high = triple if high is None else min(high, triple)
            out.append(Bounds(low, high))
        return out


def is_semver(text: str) -> bool:
    """Tell whether text is exactly a SemVer 2.0.0 version (`1.2.3-rc.1+build.5`, no `v`)."""
    # node-semver's strict parse still strips whitespace and takes a leading `v` and non-ASCII
    # digits; the spec (and upload's contract) takes none of them.
    if not text.isascii() or not text[:1].isdigit() or text != text.strip():
        return False
    try:
        nodesemver.make_semver(text, loose=False)
    except (ValueError, TypeError):
        return False
    return True


def parse_version(text: str) -> ParsedVersion | None:
    """Parse a tag or version (`v1.2.3`, `1.2.3-rc.1`); None when it is not semver."""
    if not text or len(text) > MAX_VERSION_LENGTH or not _TAG.match(text.strip()):
        return None
    try:
        semver = nodesemver.make_semver(text.strip(), loose=True)
    except (ValueError, TypeError):
        return None
    prerelease = ".".join(str(p) for p in semver.prerelease)
    return ParsedVersion(
        semver.version, semver.major, semver.minor, semver.patch, prerelease, text.strip()
    )


def parse_range(text: object) -> VersionRange:
    """Parse a client's range (exact, `A-B`, `~`, `^`, comparators, `||`); 400 when malformed."""
    if not isinstance(text, str):
        raise ValidationError("version range must be a string")
    if not text.strip():
        raise ValidationError("version range must not be empty")
    if len(text) > MAX_RANGE_LENGTH:
        raise ValidationError(f"version range is longer than {MAX_RANGE_LENGTH} characters")
    bounded = _BOUNDED.match(text)
    spelled = f"{bounded.group(1)} - {bounded.group(2)}" if bounded else text.strip()
    try:
        npm_range = nodesemver.make_range(spelled, loose=False)
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            f"malformed version range '{text[:64]}': {exc}; expected e.g. 1.2.3, "
            "1.2.3-2.1.0, ~1.2.0 or ^1.2.0"
        ) from None
    if bounded and nodesemver.gt(bounded.group(1), bounded.group(2), loose=False):
        raise ValidationError(
            f"version range '{text[:64]}' is empty: its lower bound is above its upper bound"
        )
    return VersionRange(text, npm_range)
