"""GraphQL for analysts: artifacts, lineage and license checks (Strawberry)."""
