"""schema.graphql at the repository root is exactly what the code's schema prints."""

from __future__ import annotations

from pathlib import Path

from registry.graphql.schema import schema

COMMITTED = Path(__file__).resolve().parents[3] / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    printed = schema.as_str() + "\n"
    assert COMMITTED.read_text(encoding="utf-8") == printed, (
        "schema.graphql drifted from registry.graphql.schema; regenerate it with "
        "`make graphql-schema`"
    )


def test_the_only_mutation_is_the_atomic_group_and_there_are_no_subscriptions() -> None:
    assert schema.mutation is not None and schema.subscription is None
    mutation = schema.schema_converter.type_map["Mutation"].definition
    assert [f.name for f in mutation.fields] == ["execute_transaction"]
