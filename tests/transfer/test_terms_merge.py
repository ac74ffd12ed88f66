"""What the planner's short cut for unchanged Terms relies on (planner._merged_terms): merging a
record's Terms changes over their own create-time result gives that result, with no problem.

A re-import of unchanged codes then needs no merge of its own: the stored Terms already are
what the record's changes make over nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.terms_input import merge_terms
from app.transfer.fields import Item, read_terms

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SITE = {"time_zone": "America/New_York", "currency": "GBP", "now": NOW}

amount = st.fixed_dictionaries(
    {"currency": st.sampled_from(["GBP", "EUR", "USD"]), "amount": st.integers(1, 10**6)}
)
money = st.lists(amount, max_size=2)
bound = st.one_of(
    st.none(),
    st.dates(min_value=datetime(2024, 1, 1).date(), max_value=datetime(2028, 1, 1).date()).map(str),
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 1, 1)).map(
        lambda moment: moment.replace(tzinfo=UTC).isoformat()
    ),
)
count = st.one_of(st.none(), st.integers(1, 1000))
# Mostly valid Terms (the short cut is for those), some not.
kinds = st.one_of(
    st.fixed_dictionaries(
        {
            "kind": st.just("PERCENTAGE"),
            "percentage": st.integers(1, 10_000).map(lambda n: f"{n // 100}.{n % 100:02d}"),
        }
    ),
    st.fixed_dictionaries(
        {"kind": st.just("FIXED"), "amounts": st.lists(amount, min_size=1, max_size=1)}
    ),
    st.fixed_dictionaries(
        {"kind": st.sampled_from(["PERCENTAGE", "FIXED"])},
        optional={
            "percentage": st.integers(0, 120_000).map(lambda n: f"{n // 1000}.{n % 1000:03d}"),
            "amounts": money,
        },
    ),
)
terms = st.tuples(
    kinds,
    st.fixed_dictionaries(
        {},
        optional={
            "minimumSpend": money,
            "maximumDiscount": money,
            "applyToNetPrice": st.booleans(),
            "membersOnly": st.booleans(),
            "boxOfficeOnly": st.booleans(),
            "maxUses": count,
            "maxUsesPerCustomer": count,
            "maxUsesPerOrder": count,
            "usagePeriod": st.sampled_from([None, "P1D", "P1W", "P1M", "P1Y"]),
            "validFrom": bound,
            "validTo": bound,
            "publishFrom": bound,
            "publishTo": bound,
            "expirationUnit": st.sampled_from([None, "DAY", "WEEK", "MONTH", "YEAR"]),
            "expiresIn": count,
            "active": st.booleans(),
            "isReferral": st.booleans(),
            "eligibleCategories": st.lists(
                st.fixed_dictionaries(
                    {
                        "category": st.sampled_from(["OFFERING", "EVENT", "BOOKING"]),
                        "itemIds": st.lists(st.sampled_from(["1", "2", "x"]), max_size=3),
                    }
                ),
                max_size=2,
            ),
        },
    ),
).map(lambda parts: {**parts[1], **parts[0]})


@settings(max_examples=300, deadline=None)
@given(terms)
def test_merging_changes_over_their_own_result_changes_nothing(given_terms: dict[str, Any]) -> None:
    item = Item("f", 1, None)
    read_terms(item, given_terms)
    assert not item.problems
    changes = item.terms or {}
    created, problems = merge_terms(changes, None, {}, path=("terms",), **SITE)
    if problems:
        return  # refused on create: the short cut is only taken for a valid result
    again, problems = merge_terms(
        changes, created.columns, created.eligible, path=("terms",), **SITE
    )
    assert problems == []
    assert again.columns == created.columns
    assert again.eligible == created.eligible
