"""Property: a JSON Lines document of the unified model, imported into an empty site and
exported again, gives back every field it gave (in the API's canonical forms), and importing
it a second time changes nothing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.transfer.helpers import last_line, read_jsonl, run_export, run_import, write_jsonl

CURRENCIES = ("EUR", "GBP", "USD")
CATEGORIES = ("PRICE_PLAN", "BOOKING", "PRODUCT", "EVENT", "OFFERING")
BASE = datetime(2024, 1, 1, tzinfo=UTC)
_sites = itertools.count(1)


def instants(low_days: int = 0, high_days: int = 700) -> st.SearchStrategy[datetime]:
    return st.integers(low_days * 86400, high_days * 86400).map(
        lambda s: BASE + timedelta(seconds=s)
    )


def iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def money(min_size: int = 0) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(
        st.sampled_from(CURRENCIES), min_size=min_size, max_size=3, unique=True
    ).flatmap(
        lambda currencies: st.tuples(*[st.integers(1, 100_000) for _ in currencies]).map(
            lambda amounts: [
                {"currency": c, "amount": a}
                for c, a in sorted(zip(currencies, amounts, strict=False))
            ]
        )
    )


def window() -> st.SearchStrategy[tuple[str | None, str | None]]:
    return st.one_of(
        st.just((None, None)),
        st.tuples(instants(), st.integers(1, 400 * 86400)).map(
            lambda pair: (iso(pair[0]), iso(pair[0] + timedelta(seconds=pair[1])))
        ),
        instants().map(lambda at: (None, iso(at))),
    )


@st.composite
def terms(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(("PERCENTAGE", "FIXED")))
    caps = draw(st.lists(st.one_of(st.none(), st.integers(1, 1000)), min_size=3, max_size=3))
    audience = draw(st.sampled_from(((False, False), (True, False), (False, True))))
    valid, publish = draw(window()), draw(window())
    expiry = draw(
        st.one_of(
            st.just((None, None)),
            st.tuples(st.sampled_from(("DAY", "WEEK", "MONTH", "YEAR")), st.integers(1, 24)),
        )
    )
    disabled = draw(st.one_of(st.none(), instants()))
    categories = draw(st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=3))
    # Kinds are answered in enum order; a discount that combines names at least one.
    combines = draw(st.sampled_from(([], ["PERCENTAGE"], ["FIXED"], ["PERCENTAGE", "FIXED"])))
    exclusive = not combines or draw(st.booleans())
    return {
        "kind": kind,
        "percentage": f"{draw(st.integers(1, 10_000)) / 100:.2f}" if kind == "PERCENTAGE" else None,
        "amounts": draw(money(1)) if kind == "FIXED" else [],
        "minimumSpend": draw(money()),
        "maximumDiscount": draw(money()),
        "applyToNetPrice": draw(st.booleans()),
        "membersOnly": audience[0],
        "contactsOnly": audience[1],
        "leadBookerOnly": draw(st.booleans()),
        "boxOfficeOnly": draw(st.booleans()),
        "maxUses": caps[0],
        "maxUsesPerCustomer": caps[1],
        "maxUsesPerOrder": caps[2],
        "usagePeriod": draw(st.sampled_from(("P1D", "P1W", "P1M", "P1Y")))
        if caps[0] and draw(st.booleans())
        else None,
        "validFrom": valid[0],
        "validTo": valid[1],
        "publishFrom": publish[0],
        "publishTo": publish[1],
        "expirationUnit": expiry[0],
        "expiresIn": expiry[1],
        "active": disabled is None,
        "disabledAt": iso(disabled),
        "isReferral": draw(st.booleans()),
        "exclusive": exclusive,
        "combinesWith": combines,
        "priority": draw(st.integers(0, 1000)),
        "eligibleCategories": [
            {
                "category": c,
                "itemIds": sorted(
                    draw(st.sets(st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True), max_size=3))
                ),
            }
            for c in CATEGORIES
            if c in categories
        ],
    }


names = (
    st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
codes = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,11}", fullmatch=True)


@st.composite
def documents(draw: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    created = lambda: iso(draw(instants()))  # noqa: E731
    customers = [f"cu-{i}" for i in range(draw(st.integers(0, 3)))]
    for external_id in customers:
        records.append({
            "type": "Customer", "externalId": external_id, "createdAt": created(), "deletedAt": None,
            "kind": draw(st.sampled_from(("INDIVIDUAL", "COMPANY"))), "fullName": draw(names),
            "billingName": draw(st.one_of(st.none(), names)), "companyName": draw(st.one_of(st.none(), names)),
            "email": draw(st.sampled_from((None, "ana@example.com", "b.c@example.org"))), "isMember": draw(st.booleans()),
        })  # fmt: skip
    coupon_codes = []
    for c in range(draw(st.integers(0, 2))):
        records.append({
            "type": "Coupon", "externalId": f"cp-{c}", "createdAt": created(), "deletedAt": None,
            "name": draw(names), "description": draw(st.one_of(st.none(), names)), "terms": draw(terms()),
        })  # fmt: skip
        for k, code in enumerate(draw(st.lists(codes, max_size=3, unique_by=str.lower))):
            valid = draw(window())
            customer = draw(st.one_of(st.none(), st.sampled_from(customers))) if customers else None
            coupon_codes.append(f"cc-{c}-{k}")
            records.append({
                "type": "CouponCode", "externalId": f"cc-{c}-{k}", "createdAt": created(), "deletedAt": None,
                "coupon": {"externalId": f"cp-{c}"}, "code": code, "validFrom": valid[0], "validTo": valid[1],
                "multiUse": draw(st.booleans()), "customer": None if customer is None else {"externalId": customer},
                "customerCreditId": draw(st.one_of(st.none(), st.just("credit-1"))) if customer else None,
                "revenue": draw(st.one_of(st.none(), st.integers(0, 10_000))),
            })  # fmt: skip
    discount_codes = []
    for k, code in enumerate(draw(st.lists(codes, max_size=3, unique_by=str.lower))):
        discount_codes.append(f"dc-{k}")
        records.append({
            "type": "DiscountCode", "externalId": f"dc-{k}", "createdAt": created(), "deletedAt": None,
            "code": code, "description": draw(st.one_of(st.none(), names)), "terms": draw(terms()),
        })  # fmt: skip
    pairs = [(cu, ("discountCode", dc)) for cu in customers for dc in discount_codes]
    pairs += [(cu, ("couponCode", cc)) for cu in customers for cc in coupon_codes]
    for n, (customer, (field, code)) in enumerate(
        draw(st.lists(st.sampled_from(pairs), unique=True, max_size=4)) if pairs else []
    ):
        valid = draw(window())
        other = field == "discountCode" and "couponCode" or "discountCode"
        records.append({
            "type": "Assignment", "externalId": f"as-{n}", "createdAt": created(), "deletedAt": None,
            "customer": {"externalId": customer}, field: {"externalId": code}, other: None,
            "validFrom": valid[0], "expiresOn": valid[1], "notes": draw(st.one_of(st.none(), names)),
            "bookingReference": draw(st.one_of(st.none(), codes)),
            "referrer": draw(st.one_of(st.none(), st.sampled_from([{"externalId": c} for c in customers]))),
        })  # fmt: skip
    targets = [("discountCode", dc) for dc in discount_codes] + [
        ("couponCode", cc) for cc in coupon_codes
    ]
    for n in range(draw(st.integers(0, 4)) if targets else 0):
        field, code = draw(st.sampled_from(targets))
        redeemed = draw(instants())
        voided = draw(
            st.one_of(
                st.none(),
                st.integers(1, 86400).map(
                    lambda s, redeemed=redeemed: redeemed + timedelta(seconds=s)
                ),
            )
        )
        customer = draw(st.one_of(st.none(), st.sampled_from(customers))) if customers else None
        records.append({
            "type": "Redemption", "externalId": f"use-{n}", field: {"externalId": code},
            "customer": None if customer is None else {"externalId": customer},
            "orderReference": draw(st.one_of(st.none(), codes)), "channel": draw(st.sampled_from(("ONLINE", "BOX_OFFICE"))),
            "isLeadBooker": draw(st.booleans()), "amount": draw(st.integers(0, 50_000)), "currency": draw(st.sampled_from(CURRENCIES)),
            "lineAmounts": draw(st.lists(st.integers(0, 10_000), max_size=3)), "redeemedAt": iso(redeemed), "voidedAt": iso(voided),
        })  # fmt: skip
    return records


def _given(record: dict[str, Any], exported: dict[str, Any]) -> dict[str, Any]:
    """The exported record's values of the fields the record gave; references by externalId."""
    out = {}
    for name, value in record.items():
        got = exported.get(name)
        if isinstance(value, dict) and set(value) == {"externalId"} and isinstance(got, dict):
            got = {"externalId": got.get("externalId")}
        elif name == "terms":
            got = {k: got[k] for k in value}
        out[name] = got
    return out


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(document=documents())
async def test_a_json_lines_document_comes_back_as_it_was_given(
    document: list[dict[str, Any]], make: Any, database_url: str, tmp_path: Path
) -> None:
    site = await make.site(await make.organisation())  # a fresh site and organisation each time
    path = write_jsonl(tmp_path / f"doc-{next(_sites)}.jsonl", document)
    ran = await run_import(database_url, site.id, "--format", "jsonl", path)
    assert ran.status == 0, ran.err
    out = tmp_path / f"out-{next(_sites)}.jsonl"
    ran = await run_export(
        database_url, site.id, "--format", "jsonl", "--trashed", "WITH", "--out", out
    )
    assert ran.status == 0, ran.err
    exported = {(r["type"], r["externalId"]): r for r in read_jsonl(out)}
    assert len(exported) == len(document)
    for record in document:
        assert _given(record, exported[(record["type"], record["externalId"])]) == record
    again = await run_import(database_url, site.id, "--format", "jsonl", out)
    assert last_line(again) == f"0 created, 0 updated, {len(document)} unchanged, 0 refused", (
        again.err
    )
