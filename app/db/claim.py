"""A redemption's write: the ledger row and every counter it moves, in one statement.

Once a redemption has decided under its owner's row lock, what is left is writing: the ledger
row, `times_used` on the owner, the coupon code and the assignment, and the usage counters.
On PostgreSQL that is one statement: the INSERT of the ledger row, with ON CONFLICT on the
(site, idempotency key) unique key doing nothing, and data-modifying CTEs that move the
counters only when that INSERT returned a row. A key already taken (a retry, or a duplicate
that committed meanwhile) thus costs no extra round trip and raises nothing: the statement
answers no row, and the caller answers the earlier redemption. SQLite cannot put an INSERT or
UPDATE in a CTE; there the same writes are separate statements, under its writer lock.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from app.db import ledger, usage_counters
from app.db.tables import REDEMPTION, USAGE_COUNTER

_KEY = ["site_id", "idempotency_key"]
_COLUMNS = tuple(name for name in REDEMPTION.c.keys() if name != "id")  # noqa: SIM118 (a ColumnCollection iterates columns)


@functools.cache
def _statement(columns: tuple[str, ...], tables: tuple[str, ...]) -> Any:
    """The PostgreSQL statement for one shape (the redemption's columns, the tables whose
    `times_used` move), built once: every value a parameter. No parameter is named as a
    column of a table the statement writes: SQLAlchemy would take it for a value to SET."""
    inserted = (
        postgresql.insert(REDEMPTION)
        .values(
            {name: sa.bindparam(f"r_{name}", type_=REDEMPTION.c[name].type) for name in columns}
        )
        .on_conflict_do_nothing(index_elements=_KEY)
        .returning(*REDEMPTION.c)
        .cte("inserted")
    )
    one = sa.literal_column("1", sa.Integer)
    written = sa.exists(sa.select(one).select_from(inserted))
    moves = []
    for index, name in enumerate(tables):
        table = ledger.TABLES[name]
        moves.append(
            sa.update(table)
            .where(table.c.id == sa.bindparam(f"row_{index}"), written)
            .values(times_used=table.c.times_used + one)
            .cte(f"moved_{index}")
        )
    c = USAGE_COUNTER
    # Every counter of one use belongs to one owner: its keys go as one array parameter.
    keys = sa.func.unnest(sa.bindparam("use_keys", type_=postgresql.ARRAY(sa.String)))
    counted = postgresql.insert(c).from_select(
        ["owner_type", "owner_id", "key", "uses"],
        sa.select(
            sa.bindparam("use_owner_type", type_=sa.String),
            sa.bindparam("use_owner_id", type_=sa.Integer),
            keys,
            one,
        ).where(written),
    )
    counted = counted.on_conflict_do_update(
        index_elements=list(c.primary_key.columns), set_={"uses": c.c.uses + counted.excluded.uses}
    ).cte("counted_uses")
    return sa.select(inserted).add_cte(*moves, counted)


async def claim(
    db: Any,
    values: Mapping[str, Any],
    counters: Sequence[ledger.Counter],
    use: usage_counters.Use,
) -> Row[Any] | None:
    """Inserts the redemption `values` and moves `counters` (in lock order) and `use`'s usage
    counters by one; None, with nothing written, when the site already has a redemption with
    its idempotency key."""
    if usage_counters._dialect_name(db) != "postgresql":
        return await _claim_in_steps(db, values, counters, use)
    tables = tuple(table.name for table, _ in counters)
    # Every column is given (None where `values` leaves it out): one shape for every call.
    parameters = {f"r_{name}": values.get(name) for name in _COLUMNS}
    for index, (_, db_id) in enumerate(counters):
        parameters[f"row_{index}"] = db_id
    parameters.update(
        use_owner_type=use.owner_type, use_owner_id=use.owner_id, use_keys=sorted(use.keys())
    )
    statement = _statement(_COLUMNS, tables)
    return (await db.execute(statement, parameters)).first()  # type: ignore[no-any-return]


async def _claim_in_steps(
    db: Any,
    values: Mapping[str, Any],
    counters: Sequence[ledger.Counter],
    use: usage_counters.Use,
) -> Row[Any] | None:
    statement = (
        sqlite.insert(REDEMPTION)
        .values(dict(values))
        .on_conflict_do_nothing(index_elements=_KEY)
        .returning(*REDEMPTION.c)
    )
    row = (await db.execute(statement)).first()
    if row is None:
        return None
    await ledger.add_uses(db, counters, +1)
    await usage_counters.move(db, [use], +1)
    return row  # type: ignore[no-any-return]
