"""A coupon's or discount code's Terms, kept by value (`engine_facts.terms_from_row`): the
Terms it answers are always those its row's values make now, never those of an earlier row
of the same code, whichever way the row is read (a `code_facts` row's owner side, or a
table row)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.db.tables import CATEGORY_FLAGS
from app.domain.enums import DiscountKind, ExpirationUnit, ItemCategory, UsagePeriod
from app.services import engine_facts
from app.services.engine_facts import _Part, _Row, _terms, terms_from_row

_SMALL = st.none() | st.integers(min_value=0, max_value=3)
_PRICES = st.none() | st.dictionaries(
    st.sampled_from(["GBP", "EUR"]), st.integers(0, 3), max_size=2
)
_WHEN = st.none() | st.sampled_from(
    [datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)]
)
_OWNER = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(DiscountKind),
        "percentage_bp": st.none() | st.sampled_from([1000, 1250]),
        "amounts": _PRICES,
        "minimum_spend": _PRICES,
        "maximum_discount": _PRICES,
        "apply_to_net_price": st.booleans(),
        **{flag: st.booleans() for flag in CATEGORY_FLAGS.values()},
        "members_only": st.booleans(),
        "contacts_only": st.booleans(),
        "lead_booker_only": st.booleans(),
        "box_office_only": st.booleans(),
        "max_uses": _SMALL,
        "max_uses_per_customer": _SMALL,
        "max_uses_per_order": _SMALL,
        "usage_period": st.none() | st.sampled_from(UsagePeriod),
        "valid_from": _WHEN,
        "valid_to": _WHEN,
        "expiration_unit": st.none() | st.sampled_from(ExpirationUnit),
        "expires_in": _SMALL,
    }
)
_ITEMS = st.lists(st.tuples(st.sampled_from(ItemCategory), st.sampled_from(["a", "b"])), max_size=3)


def _as_facts_row(owner: dict[str, Any]) -> _Part:
    """The owner side of a `code_facts` row, as `_gathered` reads it."""
    return _Part(_Row({f"owner_{name}": value for name, value in owner.items()}), "owner_")


@settings(max_examples=300)
@given(st.lists(st.tuples(_OWNER, _ITEMS, st.booleans()), min_size=1, max_size=6))
def test_the_terms_are_those_of_the_rows_values_now(
    rows: list[tuple[dict[str, Any], list[tuple[ItemCategory, str]], bool]],
) -> None:
    # given rows read one after another (few values: the same values come back often)
    for owner, items, from_facts in rows:
        row = _as_facts_row(owner) if from_facts else SimpleNamespace(**owner)
        # then each answer is what its values make, freshly built
        assert terms_from_row(row, items) == _terms(SimpleNamespace(**owner), items)


def test_the_same_values_give_the_terms_made_before() -> None:
    owner = {
        "kind": DiscountKind.PERCENTAGE, "percentage_bp": 1000, "amounts": None,
        "minimum_spend": {"GBP": 500}, "maximum_discount": None, "apply_to_net_price": False,
        **dict.fromkeys(CATEGORY_FLAGS.values(), False), "members_only": False,
        "contacts_only": False, "lead_booker_only": False, "box_office_only": False,
        "max_uses": 5, "max_uses_per_customer": None, "max_uses_per_order": None,
        "usage_period": None, "valid_from": None, "valid_to": None, "expiration_unit": None,
        "expires_in": None,
    }  # fmt: skip
    # given the Terms of a code's row
    first = terms_from_row(_as_facts_row(owner), [])
    # when the same values are read again, from either kind of row
    again = terms_from_row(SimpleNamespace(**owner), [])
    # then they are the Terms made before; and a changed price is not
    assert again is first
    changed = terms_from_row(_as_facts_row({**owner, "minimum_spend": {"GBP": 600}}), [])
    assert changed is not first and changed.minimum_spend == {"GBP": 600}


def test_a_row_whose_prices_cannot_be_kept_is_built_each_time() -> None:
    # a price map holding a list (never written by the API) has no key: built, not kept
    row = SimpleNamespace(
        kind=DiscountKind.FIXED, percentage_bp=None, amounts={"GBP": [1]}, minimum_spend=None,
        maximum_discount=None, apply_to_net_price=False,
        **dict.fromkeys(CATEGORY_FLAGS.values(), False), members_only=False,
        contacts_only=False, lead_booker_only=False, box_office_only=False, max_uses=None,
        max_uses_per_customer=None, max_uses_per_order=None, usage_period=None,
        valid_from=None, valid_to=None, expiration_unit=None, expires_in=None,
    )  # fmt: skip
    kept = len(engine_facts._TERMS)
    assert terms_from_row(row, []) is not terms_from_row(row, [])
    assert len(engine_facts._TERMS) <= kept


def test_the_key_holds_every_column_the_terms_are_made_of() -> None:
    """A column `_terms` reads that the key leaves out would let two codes differing only in
    it share Terms: the key's columns are exactly those read."""
    read: set[str] = set()

    class Recording(SimpleNamespace):
        def __getattribute__(self, name: str) -> Any:
            if not name.startswith("__"):
                read.add(name)
            return super().__getattribute__(name)

    owner = {
        "kind": DiscountKind.PERCENTAGE, "percentage_bp": 1000, "amounts": {"GBP": 1},
        "minimum_spend": {"GBP": 500}, "maximum_discount": {"GBP": 900},
        "apply_to_net_price": True, **dict.fromkeys(CATEGORY_FLAGS.values(), True),
        "members_only": True, "contacts_only": True, "lead_booker_only": True,
        "box_office_only": True, "max_uses": 5, "max_uses_per_customer": 1,
        "max_uses_per_order": 1, "usage_period": UsagePeriod.P1D,
        "valid_from": datetime(2026, 1, 1, tzinfo=UTC),
        "valid_to": datetime(2026, 6, 1, tzinfo=UTC), "expiration_unit": ExpirationUnit.DAY,
        "expires_in": 3,
    }  # fmt: skip
    _terms(Recording(**owner), [(ItemCategory.BOOKING, "a")])
    assert read == set(engine_facts._TERMS_COLUMNS)
