"""schema.graphql is generated from the code; clients generate from it, so it must not drift."""

from __future__ import annotations

from pathlib import Path

from app.graphql.schema import build_schema, schema_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text() == schema_sdl(build_schema()), (
        "schema.graphql is stale: run scripts/export-schema and commit it"
    )


def test_every_type_and_field_is_described() -> None:
    schema = build_schema()._schema
    missing = []
    for name, gql_type in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Boolean", "ID", "Float"}:
            continue
        if not gql_type.description:
            missing.append(name)
        for field_name, field in getattr(gql_type, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
    assert not missing, missing
