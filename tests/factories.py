"""Builds records straight into the database for tests (no API round trips)."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import tables as t
from app.db import usage_counters
from app.db.session import write_sessions
from app.domain.enums import DiscountKind

_counter = itertools.count(1)


class Factory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = write_sessions(engine)

    async def add(self, *records: Any) -> Any:
        async with self.sessions() as session, session.begin():
            session.add_all(records)
        return records[0] if len(records) == 1 else records

    async def organisation(self, **kw: Any) -> t.Organisation:
        return await self.add(t.Organisation(**{"name": f"Org {next(_counter)}", **kw}))  # type: ignore[no-any-return]

    async def site(self, organisation: t.Organisation, **kw: Any) -> t.Site:
        values = {
            "name": f"Site {next(_counter)}",
            "currency": "GBP",
            "time_zone": "Europe/London",
            **kw,
        }
        return await self.add(t.Site(organisation_id=organisation.id, **values))  # type: ignore[no-any-return]

    async def customer(self, organisation: t.Organisation, **kw: Any) -> t.Customer:
        values = {"full_name": f"Customer {next(_counter)}", **kw}
        return await self.add(t.Customer(organisation_id=organisation.id, **values))  # type: ignore[no-any-return]

    @staticmethod
    def _terms(kw: dict[str, Any]) -> dict[str, Any]:
        if kw.get("kind", DiscountKind.PERCENTAGE) is DiscountKind.PERCENTAGE:
            kw.setdefault("percentage_bp", 1000)
        return {"kind": DiscountKind.PERCENTAGE, **kw}

    async def coupon(self, site: t.Site, **kw: Any) -> t.Coupon:
        values = self._terms({"name": f"Coupon {next(_counter)}", **kw})
        return await self.add(  # type: ignore[no-any-return]
            t.Coupon(site_id=site.id, organisation_id=site.organisation_id, **values)
        )

    async def coupon_code(self, coupon: t.Coupon, **kw: Any) -> t.CouponCode:
        values = {"code": f"CODE{next(_counter)}", **kw}
        return await self.add(  # type: ignore[no-any-return]
            t.CouponCode(
                coupon_id=coupon.id,
                site_id=coupon.site_id,
                organisation_id=coupon.organisation_id,
                **values,
            )
        )

    async def discount_code(self, site: t.Site, **kw: Any) -> t.DiscountCode:
        values = self._terms({"code": f"DC{next(_counter)}", **kw})
        return await self.add(  # type: ignore[no-any-return]
            t.DiscountCode(site_id=site.id, organisation_id=site.organisation_id, **values)
        )

    async def assignment(self, customer: t.Customer, code: Any, **kw: Any) -> t.Assignment:
        key = "discount_code_id" if isinstance(code, t.DiscountCode) else "coupon_code_id"
        return await self.add(  # type: ignore[no-any-return]
            t.Assignment(
                customer_id=customer.id,
                site_id=code.site_id,
                organisation_id=code.organisation_id,
                **{key: code.id},
                **kw,
            )
        )

    async def redemption(self, code: Any, **kw: Any) -> t.Redemption:
        values: dict[str, Any] = {
            "amount": 100,
            "currency": "GBP",
            "idempotency_key": f"key-{next(_counter)}",
            "request_fingerprint": "0" * 64,
            **kw,
        }
        if isinstance(code, t.DiscountCode):
            values["discount_code_id"] = code.id
        else:
            values.update(coupon_code_id=code.id, coupon_id=code.coupon_id)
        row = t.Redemption(site_id=code.site_id, organisation_id=code.organisation_id, **values)
        # As an import would: the ledger row and every counter it counts against, together.
        async with self.sessions() as session, session.begin():
            session.add(row)
            await session.flush()
            await usage_counters.count_ledger_rows(session, [row.id])
        return row
