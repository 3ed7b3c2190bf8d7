"""Settings checks that stop start-up with a clear message."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from registry.cli import main
from registry.config import Settings


def test_a_group_must_expire_well_inside_the_collectors_grace() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(transaction_ttl_seconds=3600, blob_gc_grace_seconds=3600)
    message = str(refused.value)
    assert "REGISTRY_TRANSACTION_TTL_SECONDS (3600)" in message
    assert "half of REGISTRY_BLOB_GC_GRACE_SECONDS (3600)" in message
    with pytest.raises(ValidationError):
        Settings(transaction_ttl_seconds=1801, blob_gc_grace_seconds=3600)


def test_half_the_grace_or_less_is_accepted() -> None:
    assert Settings(transaction_ttl_seconds=1800, blob_gc_grace_seconds=3600)
    defaults = Settings()
    assert defaults.transaction_ttl_seconds <= defaults.blob_gc_grace_seconds / 2


def test_the_cli_reports_it_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REGISTRY_TRANSACTION_TTL_SECONDS", "7200")
    monkeypatch.setenv("REGISTRY_BLOB_GC_GRACE_SECONDS", "3600")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "invalid configuration" in err and "REGISTRY_TRANSACTION_TTL_SECONDS" in err
