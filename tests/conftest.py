"""Session-wide test resources: the fake hub and GitHub, and a throwaway PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.postgres import throwaway_postgres_database

pytest_plugins = ["tests.fixtures.pytest_plugin", "tests.fixtures.error_recorder"]
# Fixture repositories hold code files (some named test_*.py) that are data, not our tests.
collect_ignore_glob = ["fixtures/data/*"]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session; dropped afterwards.

    Skipped only on a developer machine without PostgreSQL; when CI is set it is required.
    """
    with throwaway_postgres_database("registry_test") as url:
        yield url
