"""npm range semantics, the registry's `A-B` spelling, tags, and malformed ranges."""

from __future__ import annotations

import pytest

from registry.errors import ValidationError
from registry.query.versions import Bounds, is_semver, parse_range, parse_version


@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        ("1.2.3", ["1.2.3"], ["1.2.4", "1.2.3-rc.1"]),
        ("1.2.3-2.1.0", ["1.2.3", "1.9.0", "2.1.0"], ["1.2.2", "2.1.1"]),
        ("1.2.3 - 2.1.0", ["2.1.0"], ["2.2.0"]),
        ("~1.2.0", ["1.2.0", "1.2.99"], ["1.3.0", "1.1.9"]),
        ("^1.2.0", ["1.2.0", "1.9.9"], ["2.0.0", "1.1.0", "2.0.0-rc.1"]),
        ("^0.2.3", ["0.2.3", "0.2.9"], ["0.3.0", "0.2.2"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4"]),
        ("~0.2.0", ["0.2.5"], ["0.3.0"]),
        ("^0.x", ["0.0.1", "0.9.0"], ["1.0.0"]),
        ("~0.x", ["0.5.0"], ["1.0.0"]),
        (">=1.0.0 <1.1.0 || 3.x", ["1.0.5", "3.4.0"], ["2.0.0", "1.1.0"]),
    ],
)
def test_npm_semantics(spec: str, inside: list[str], outside: list[str]) -> None:
    version_range = parse_range(spec)
    assert [v for v in inside if not version_range.satisfies(v)] == []
    assert [v for v in outside if version_range.satisfies(v)] == []


def test_bounds_cover_every_alternative() -> None:
    assert parse_range("^1.2.0").bounds() == [Bounds((1, 2, 0), (2, 0, 0))]
    assert parse_range("1.x || >=3.1.0").bounds() == [
        Bounds((1, 0, 0), (2, 0, 0)),
        Bounds((3, 1, 0), None),
    ]
    assert parse_range("*").bounds() == [Bounds(None, None)]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "malformed"),
        ("1.2.3.4", "malformed"),
        ("^", "malformed"),
        (">>1", "malformed"),
        ("2.0.0-1.0.0", "lower bound is above"),
        ("1" * 300, "longer than"),
        (5, "must be a string"),
        (None, "must be a string"),
    ],
)
def test_malformed_ranges_are_400(spec: object, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_range(spec)
    assert caught.value.status_code == 400
    assert problem in caught.value.message


def test_tags_parse_as_versions_only_when_they_spell_a_triple() -> None:
    assert [parse_version(t) for t in ["main", "release-2", "1.2", "x" * 200, ""]] == [None] * 5
    parsed = parse_version("v1.0.0")
    assert parsed is not None
    assert (parsed.version, parsed.raw) == ("1.0.0", "v1.0.0")
    rc = parse_version("2.0.0-rc.1")
    assert rc is not None
    assert (rc.major, rc.minor, rc.patch, rc.prerelease) == (2, 0, 0, "rc.1")


@pytest.mark.parametrize(
    "text",
    ["1.2.3", "0.0.0", "1.2.3-rc.1+build.5", "1.2.3-0a", "1.2.3--", "1.2.3+00", "10.20.30-x-y"],
)
def test_strict_semver_accepts_what_the_spec_does(text: str) -> None:
    assert is_semver(text)


@pytest.mark.parametrize(
    "text",
    # node-semver alone would take the `v`, `=`, padding, newline and Arabic-Indic digit cases.
    [
        *("v1.2.3", "=1.2.3", " 1.2.3", "1.2.3 ", "1.2.3\n", "\u0661.2.3", "1.2.3-\u0661"),
        *("01.2.3", "1.2.03", "1.2.3-01", "1.2", "1.2.3.4", "1.2.3-", "1.2.3+", "1.2.3-a..b", ""),
    ],
)
def test_strict_semver_refuses_what_the_spec_does(text: str) -> None:
    assert not is_semver(text)
