"""Git tag names become artifact versions when they are semver; anything else is ignored."""

from __future__ import annotations

from registry.query.versions import parse_version
from registry.versions.service import versions_from_tags


def test_tags_become_versions() -> None:
    parsed = versions_from_tags(["v1.0.0", "1.1.0", "main", "release-2", "1.2", "2.0.0-rc.1", 7])
    assert [p.version for p in parsed] == ["1.0.0", "1.1.0", "2.0.0-rc.1"]
    assert parsed[0].raw == "v1.0.0"
    assert parsed[2].prerelease == "rc.1"
    assert versions_from_tags(None) == []
    assert parse_version("x" * 200) is None
