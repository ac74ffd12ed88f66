"""What the directory's writes read of a site's discounts."""

from __future__ import annotations

import sqlalchemy as sa

from app.db import tables as t
from app.db.handles import Handle, Record

# The columns that say which currencies a discount is priced in.
PRICING = ("kind", "amounts", "minimum_spend", "maximum_discount")


async def live_pricing(db: Handle, site_id: int) -> list[Record]:
    """`PRICING` of every live coupon and discount code of the site, disabled ones included
    (they may be enabled again)."""
    statements = [
        sa.select(*(table.c[name] for name in PRICING)).where(
            table.c.site_id == site_id, table.c.deleted_at.is_(None)
        )
        for table in (t.COUPON, t.DISCOUNT_CODE)
    ]
    return list((await db.execute(sa.union_all(*statements))).all())


async def live_site(db: Handle, site_id: int) -> Record | None:
    """The site, when it and its organisation are live (None otherwise): one statement, as
    the engine reads it before every check and redemption."""
    site, organisation = t.SITE, t.ORGANISATION
    statement = (
        sa.select(site)
        .join(organisation, organisation.c.id == site.c.organisation_id)
        .where(
            site.c.id == site_id,
            site.c.deleted_at.is_(None),
            organisation.c.deleted_at.is_(None),
        )
    )
    return (await db.execute(statement)).first()
