"""The database schema: migrations match the models, lookups and sorts are indexed."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from app.graphql.lists import ALL_LISTS
from app.main import create_app
from app.settings import Settings


async def test_migrations_produce_exactly_the_models(engine: Any) -> None:
    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        with warnings.catch_warnings():
            # Expression indexes (lower(code)) cannot be reflected on SQLite; the migration
            # creates them by hand and test_code_uniqueness exercises them.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
            warnings.filterwarnings("ignore", "autogenerate skipping", UserWarning)
            return compare_metadata(context, SQLModel.metadata)

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


def _indexed_leading_columns(table: sa.Table) -> set[str]:
    leading = {table.primary_key.columns.values()[0].name}
    for index in table.indexes:
        first = index.expressions[0]
        if isinstance(first, sa.Column):
            leading.add(first.name)
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and constraint.columns:
            leading.add(constraint.columns.values()[0].name)
    return leading


# Sortable but deliberately unindexed: counters every redemption moves. An index on one keeps
# PostgreSQL from updating its row in place (HOT), so each claim would add an entry to every
# index of the row under the code's lock (migration 0014). A list sorted by one sorts its
# rows in memory instead (top-N heapsort): on the benchmark's database, a page of a site's
# 25,000 coupon codes 25 ms, of all 100,000 40-70 ms (EXPLAIN ANALYZE, 2026-12-07, busy
# machine). Only these; any other sortable column needs its index.
UNINDEXED_COUNTERS = frozenset(
    {
        ("coupon", "times_used"),
        ("discount_code", "times_used"),
        ("coupon_code", "times_used"),
        ("assignment", "times_used"),
    }
)


# Filterable but deliberately unindexed: columns no row ever sets. A ledger row is voided,
# never deleted (there is no deleteRedemption), so redemption.deleted_at is null on every row
# and an index on it would narrow nothing, while every redemption paid an entry into it
# (migration 0016). Only these; any other filterable column needs its index.
NEVER_SET = frozenset({("redemption", "deleted_at")})


def test_every_sort_and_own_filter_column_is_indexed() -> None:
    unindexed = []
    for spec in ALL_LISTS:
        indexed = _indexed_leading_columns(spec.table)
        for field in spec.fields:
            column = field.column
            # Low-selectivity flags and free text are filtered alongside an indexed condition.
            if field.via is not None or not isinstance(column, sa.Column):
                continue
            indexable = field.sortable or field.kind.name in {"ID", "UUID", "DATETIME"}
            if (spec.table.name, column.name) in UNINDEXED_COUNTERS | NEVER_SET:
                continue
            if indexable and column.name not in indexed:
                unindexed.append(f"{spec.table.name}.{column.name}")
    assert unindexed == []


def test_the_unindexed_counters_are_sortable_counters_without_an_index() -> None:
    """The exception stays narrow: each entry is a sortable column that really has no index
    and that the redemption moves, so a stale entry (an index came back, a list stopped
    sorting by it) fails here."""
    from app.db.ledger import TABLES

    sortable = {
        (spec.table.name, field.column.name)
        for spec in ALL_LISTS
        for field in spec.fields
        if field.sortable and field.via is None and isinstance(field.column, sa.Column)
    }
    for table_name, column_name in sorted(UNINDEXED_COUNTERS):
        assert (table_name, column_name) in sortable
        assert table_name in TABLES and column_name == "times_used"
        table = TABLES[table_name]
        assert column_name not in _indexed_leading_columns(table)
        assert not any(
            column_name in {column.name for column in index.columns} for index in table.indexes
        )


def test_the_never_set_columns_have_no_writer_and_no_index() -> None:
    """The exception stays true: no mutation deletes what NEVER_SET names (a deleteRedemption
    would set deleted_at, and its filter would need the index back), and the column really has
    no index."""
    from app.db.tables import SQLModel as Models

    schema = (Path(__file__).parents[2] / "schema.graphql").read_text()
    for table_name, column_name in sorted(NEVER_SET):
        assert column_name == "deleted_at"
        type_name = next(spec.name for spec in ALL_LISTS if spec.table.name == table_name)
        assert f"delete{type_name}(" not in schema
        table = Models.metadata.tables[table_name]
        assert not any(
            column_name in {column.name for column in index.columns} for index in table.indexes
        )


async def test_the_ledger_keeps_its_code_s_site_and_organisation(make: Any) -> None:
    """A ledger row's site and organisation are its code's, checked by its key to the code's
    owner (migration 0016), on either kind of code; a coupon code's use names its coupon."""
    from app.db.tables import Redemption

    organisation = await make.organisation()
    site, other = await make.site(organisation), await make.site(organisation)
    elsewhere = await make.site(await make.organisation())
    discount_code = await make.discount_code(site)
    coupon_code = await make.coupon_code(await make.coupon(site))
    codes = [
        {"discount_code_id": discount_code.id},
        {"coupon_code_id": coupon_code.id, "coupon_id": coupon_code.coupon_id},
    ]
    keys = iter(range(1_000))

    async def ledger_row(**values: Any) -> Any:
        return await make.add(
            Redemption(
                amount=1,
                currency="GBP",
                idempotency_key=f"ledger-{next(keys)}",
                request_fingerprint="0" * 64,
                **values,
            )
        )

    wrong = [
        (other.id, organisation.id),
        (elsewhere.id, elsewhere.organisation_id),
        (site.id, elsewhere.organisation_id),
    ]
    for code in codes:
        await ledger_row(site_id=site.id, organisation_id=organisation.id, **code)
        for site_id, organisation_id in wrong:
            with pytest.raises(sa.exc.IntegrityError):
                await ledger_row(site_id=site_id, organisation_id=organisation_id, **code)
    with pytest.raises(sa.exc.IntegrityError):
        await ledger_row(
            site_id=site.id, organisation_id=organisation.id, coupon_code_id=coupon_code.id
        )


async def test_app_migrates_a_fresh_sqlite_database_on_start(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    app = create_app(Settings(database_url=url, jwt_secret="x" * 40, migrate_on_start=True))
    async with app.router.lifespan_context(app), app.state.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
    assert {"coupon", "coupon_code", "discount_code", "assignment", "redemption"} <= set(tables)


async def test_migrations_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    from app.db.engine import create_engine
    from app.db.migrate import downgrade, upgrade

    engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"))
    try:
        await upgrade(engine)
        await downgrade(engine)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
        assert tables == ["alembic_version"]
        await upgrade(engine)
    finally:
        await engine.dispose()
