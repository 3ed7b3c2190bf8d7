"""The `registry` command line."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from registry.cli import main


def test_migrate_creates_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("REGISTRY_DATABASE_URL", f"sqlite:///{db}")
    assert main(["migrate"]) == 0
    assert "migrated" in capsys.readouterr().out
    tables = {
        row[0]
        for row in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"users", "tokens", "artifacts", "audit_entries", "jobs", "alembic_version"} <= tables


def test_invalid_configuration_stops_with_a_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REGISTRY_BLOB_BACKEND", "ftp")
    assert main(["migrate"]) == 2
    assert "invalid configuration" in capsys.readouterr().err


def test_module_entry_point_prints_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "registry", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "serve" in result.stdout and "migrate" in result.stdout
