"""The private library names the fast path relies on (app.fast.internals) are all there."""

from __future__ import annotations

from app.fast.internals import PRIVATE_NAMES, Private, _has, missing


def test_every_private_name_the_fast_path_uses_is_in_the_installed_versions() -> None:
    assert missing() == [], "see app.fast.internals: check these against the new version"


def test_a_name_that_is_gone_is_reported() -> None:
    gone = [
        Private("strawberry.types.info:Info", "_no_such_field", "test", "field"),
        Private("strawberry.schema.schema:Schema", "_no_such_method", "test"),
        Private("strawberry.schema.schema_converter", "_no_such_function", "test", "function name"),
        Private("graphql.execution.executor:Executor", "no_such_attribute", "test", "field"),
    ]
    assert [private for private in gone if _has(private)] == []
    assert len(PRIVATE_NAMES) > 10
