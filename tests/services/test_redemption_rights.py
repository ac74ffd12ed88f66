"""The engine's use cases take the caller's rights as data (app.services.code_rights), computed
before they run, and open their own transaction: they can be called without the API, and what
the rights say is decided inside the use case, before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from app.auth.principal import EVERYTHING, Scope
from app.db.session import write_sessions
from app.domain.enums import ItemCategory
from app.services import redemptions
from app.services.code_rights import CodeRights
from app.services.engine_request import CodeRequest, build_request
from app.services.problems import NotPermitted, Problems, TooManyGuesses
from tests.engine.support import ledger_rows, open_shop


@dataclass(frozen=True)
class Line:
    category: ItemCategory = ItemCategory.BOOKING
    item_id: str = "room-1"
    quantity: int = 1
    unit_price: int = 1000
    net_unit_price: int | None = None


def request(site_id: int, code: str, key: str) -> CodeRequest:
    return build_request(
        site_id=site_id,
        code=code,
        currency="GBP",
        lines=[Line()],
        idempotency_key=key,
        redeeming=True,
    )


def on_site(site: Any) -> Scope:
    return Scope(everything=False, site_ids=frozenset({site.id}))


async def test_a_checkout_redeems_with_its_rights_given_as_data(make: Any, db: Any) -> None:
    # Given a discount code, and a checkout that may redeem discount codes at its site
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="TEN")
    rights = CodeRights(redeem={"DiscountCode": on_site(shop.site)})
    redeemer = redemptions.Redeemer(rights, by="checkout@example.com")
    # When the use case is called directly, without the API
    redeemed = await redemptions.redeem(
        write_sessions(db), request(shop.site.id, "TEN", "k1"), redeemer
    )
    # Then it redeems, and answers the rights it found at the site
    assert redeemed.redemption is not None and redeemed.redemption.amount == 100
    assert redeemed.rights.redeemable == {"DiscountCode"} and not redeemed.rights.readable
    assert [row.updated_by for row in await ledger_rows(db)] == ["checkout@example.com"]


async def test_rights_elsewhere_are_refused_before_anything_is_written(make: Any, db: Any) -> None:
    # Given a code, and callers whose rights do not reach its site
    shop = await open_shop(make)
    other = await make.site(shop.organisation)
    await make.discount_code(shop.site, code="TEN")
    elsewhere = CodeRights(redeem={"DiscountCode": on_site(other)})
    reader_only = CodeRights(read={"DiscountCode": on_site(shop.site)})
    for rights in (CodeRights(), elsewhere, reader_only):
        # When they redeem, then they are refused with the roles they lack
        with pytest.raises(NotPermitted) as refused:
            await redemptions.redeem(
                write_sessions(db),
                request(shop.site.id, "TEN", "k"),
                redemptions.Redeemer(rights, by="x"),
            )
        assert refused.value.roles == ["CouponCode-Redeem", "DiscountCode-Redeem"]
    assert await ledger_rows(db) == []


async def test_the_guess_brake_holds_only_where_the_caller_gets_the_safe_view(
    make: Any, db: Any
) -> None:
    # Given a code, and two callers the brake has stopped: one who may only redeem, and one
    # who may also read every code there (nothing to guess)
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="TEN")
    redeemer = CodeRights(redeem={"DiscountCode": on_site(shop.site)})
    reader = CodeRights(read={"CouponCode": EVERYTHING, "DiscountCode": EVERYTHING}, redeem={
        "DiscountCode": EVERYTHING
    })  # fmt: skip
    # When each redeems, then the first must wait, and nothing of theirs is written
    with pytest.raises(TooManyGuesses) as braked:
        await redemptions.redeem(
            write_sessions(db),
            request(shop.site.id, "TEN", "k1"),
            redemptions.Redeemer(redeemer, by="x", retry_after=12.0),
        )
    assert braked.value.retry_after == 12.0
    assert await ledger_rows(db) == []
    redeemed = await redemptions.redeem(
        write_sessions(db),
        request(shop.site.id, "TEN", "k2"),
        redemptions.Redeemer(reader, by="x", retry_after=12.0),
    )
    assert redeemed.redemption is not None


async def test_a_dated_redemption_needs_the_dating_right_at_the_site(make: Any, db: Any) -> None:
    # Given a code, and a use of it made on New Year's Day
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="TEN")
    dated = replace(request(shop.site.id, "TEN", "k"), at=datetime(2026, 1, 1, tzinfo=UTC))
    redeem = {"DiscountCode": EVERYTHING}
    # When a checkout records it, then it may not date it
    with pytest.raises(Problems) as problems:
        await redemptions.redeem(
            write_sessions(db), dated, redemptions.Redeemer(CodeRights(redeem=redeem), by="x")
        )
    assert [(p.field, p.code.value) for p in problems.value.problems] == [
        (("input", "at"), "FORBIDDEN")
    ]
    # And an import, with the Redemption-Create right on the site, may
    importer = CodeRights(redeem=redeem, date=on_site(shop.site))
    redeemed = await redemptions.redeem(
        write_sessions(db), dated, redemptions.Redeemer(importer, by="import")
    )
    assert redeemed.redemption is not None
    assert redeemed.redemption.redeemed_at == datetime(2026, 1, 1, tzinfo=UTC)
