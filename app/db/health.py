"""What `/readyz` and `/metrics` ask of the database: does it answer, is its schema at the
migrations' head, and how many connections requests hold."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.migrate import alembic_config
from app.db.session import fast_reads_of


@dataclass(frozen=True)
class Readiness:
    ready: bool
    # What an operator reads when it is not: the database's error, or the revisions.
    problem: str | None = None
    current: tuple[str, ...] = ()
    head: tuple[str, ...] = ()


@functools.cache
def migration_heads() -> tuple[str, ...]:
    """The revisions `alembic upgrade head` leads to (read once: they ship with the code)."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


async def readiness(engine: AsyncEngine, timeout_seconds: float) -> Readiness:
    """Whether the database answers within `timeout_seconds` with its schema at head."""
    head = migration_heads()
    try:
        async with asyncio.timeout(timeout_seconds):
            async with engine.connect() as connection:
                has_versions = await connection.run_sync(
                    lambda sync: sync.dialect.has_table(sync, "alembic_version")
                )
                current: tuple[str, ...] = ()
                if has_versions:
                    rows = await connection.exec_driver_sql(
                        "SELECT version_num FROM alembic_version"
                    )
                    current = tuple(sorted(row[0] for row in rows))
    except TimeoutError:
        problem = f"the database did not answer within {timeout_seconds:g} s"
        return Readiness(False, problem, head=head)
    except Exception as error:  # whatever the driver raises: the probe reports it
        return Readiness(False, f"the database did not answer: {error!r}", head=head)
    if current != head:
        return Readiness(
            False,
            "the database's migrations are not at head: run alembic upgrade head",
            current=current,
            head=head,
        )
    return Readiness(True, current=current, head=head)


def connections_in_use(engine: AsyncEngine) -> int:
    """Connections out of SQLAlchemy's pool plus those the fast path lent to requests."""
    checkedout = getattr(engine.sync_engine.pool, "checkedout", None)
    in_use = checkedout() if callable(checkedout) else 0
    fast = fast_reads_of(engine)
    return in_use + (fast.lent if fast is not None else 0)
