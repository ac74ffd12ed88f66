"""The ledger rows of a set of codes redeemed for one order (app.services.stacked_redemptions).

A set writes one redemption per code, each under its own idempotency key derived from the
set's key (`set_keys`): the unique (site, key) index then keeps a set from being written
twice exactly as it keeps one redemption from being, and a retry finds the set by its keys.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from app.db.handles import Handle, Record
from app.db.tables import REDEMPTION

# The keys of a set: the client's key and the code's position in the set as sent. A set's
# client key is shorter than a single redemption's, so that these fit the column (128).
SEPARATOR = "#"


def set_keys(key: str, count: int) -> list[str]:
    """The ledger keys of the first `count` codes of the set sent under `key`."""
    return [f"{key}{SEPARATOR}{position}" for position in range(count)]


def position_of(key: str, row_key: str) -> int:
    """The position in its set of the redemption stored under `row_key`."""
    return int(row_key.removeprefix(key + SEPARATOR))


async def redemptions_by_keys(db: Handle, site_id: int, keys: Sequence[str]) -> list[Record]:
    """The site's redemptions stored under any of `keys` (one statement, by the unique index)."""
    statement = sa.select(REDEMPTION).where(
        REDEMPTION.c.site_id == site_id, REDEMPTION.c.idempotency_key.in_(list(keys))
    )
    return list((await db.execute(statement)).all())
