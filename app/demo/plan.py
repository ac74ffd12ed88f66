"""Generated data, planned in memory before anything is written.

A `Plan` holds the rows of every table as plain dicts, in the shape of `app.db.tables`. A
foreign key column holds the parent's row dict until the rows are written (`app.demo.writer`
replaces it by the parent's id), so a plan is built without a database and children can read
their parents' values. Keys starting with `_` are planning notes and are never written.

Every redemption goes through `app.domain.rules.evaluate` with the uses counted so far, so the
ledger only holds redemptions the engine would have accepted at their time, and `times_used`
on codes, coupons, discount codes and assignments is set from the ledger at the end.
"""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.db import tables as t
from app.domain.amounts import Basket, BasketLine
from app.domain.calendar import relative_expiry, usage_period_bounds
from app.domain.codes import charset_alphabet, code_key
from app.domain.enums import (
    Channel,
    CodeCharset,
    CustomerKind,
    DiscountKind,
    ItemCategory,
)
from app.domain.rules import Attempt, CodeFacts, Outcome, Usage, evaluate
from app.domain.rules import Customer as RuleCustomer
from app.domain.terms import Terms
from app.domain.windows import Window

Row = dict[str, Any]

# The tables written, parents before children (the order of `ALL_TABLES`, checked below).
TABLES: dict[str, sa.Table] = {model.__tablename__: model.__table__ for model in t.ALL_TABLES}
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)
for _name, _table in TABLES.items():
    for _fk in _table.foreign_keys:
        _parent = _fk.column.table.name
        if TABLE_ORDER.index(_parent) >= TABLE_ORDER.index(_name):
            raise RuntimeError(f"{_name} is listed before its parent {_parent}")

# The Terms' category flags (DESIGN "eligible categories").
CATEGORY_FLAGS: dict[ItemCategory, str] = {
    ItemCategory.PRICE_PLAN: "discount_price_plans",
    ItemCategory.BOOKING: "discount_bookings",
    ItemCategory.PRODUCT: "discount_products",
    ItemCategory.EVENT: "discount_events",
    ItemCategory.OFFERING: "discount_offerings",
}

# Generated codes: upper-case letters and digits without look-alikes (no 0 O 1 I L).
CODE_ALPHABET = charset_alphabet(CodeCharset.ALPHANUMERIC)

_USABLE = 256 - 256 % len(CODE_ALPHABET)
_BYTE_TO_CODE = bytes(
    ord(CODE_ALPHABET[b % len(CODE_ALPHABET)]) if b < _USABLE else 0 for b in range(256)
)
_DROPPED_BYTES = bytes(range(_USABLE, 256))

_TERMS_KEYS = (
    frozenset(c.name for c in TABLES["coupon"].columns if c.name in TABLES["discount_code"].columns)
    - {c.name for c in TABLES["organisation"].columns}
    - {"site_id", "organisation_id", "description"}
)


@dataclass(frozen=True)
class Item:
    """Something a site sells: what baskets are made of."""

    category: ItemCategory
    item_id: str
    unit_price: int  # gross, minor units

    def net(self, vat_bp: int) -> int:
        return (self.unit_price * 10_000 * 2 + (10_000 + vat_bp)) // ((10_000 + vat_bp) * 2)


def ascii_slug(text: str, sep: str = ".") -> str:
    """`text` as lower-case ASCII words joined by `sep` ("Chloé Martin" -> "chloe.martin")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = "".join(c if c.isalnum() else " " for c in plain.lower()).split()
    return sep.join(words)


def terms(
    kind: DiscountKind,
    *,
    percentage_bp: int | None = None,
    amounts: Mapping[str, int] | None = None,
    **values: Any,
) -> Row:
    """The Terms columns for a coupon or discount code, checked against the table's rules."""
    if kind is DiscountKind.PERCENTAGE:
        if percentage_bp is None or amounts is not None or not 0 < percentage_bp <= 10_000:
            raise ValueError("PERCENTAGE terms need percentage_bp in (0, 10000] and no amounts")
    elif percentage_bp is not None or not amounts:
        raise ValueError("FIXED terms need amounts and no percentage_bp")
    unknown = set(values) - _TERMS_KEYS
    if unknown:
        raise ValueError(f"not Terms columns: {sorted(unknown)}")
    if values.get("members_only") and values.get("contacts_only"):
        raise ValueError("members_only and contacts_only exclude each other")
    if (values.get("expiration_unit") is None) != (values.get("expires_in") is None):
        raise ValueError("expiration_unit and expires_in go together")
    for name in ("max_uses", "max_uses_per_customer", "max_uses_per_order", "expires_in"):
        if values.get(name) is not None and values[name] <= 0:
            raise ValueError(f"{name} must be positive")
    for start, end in (("valid_from", "valid_to"), ("publish_from", "publish_to")):
        if values.get(start) and values.get(end) and not values[end] > values[start]:
            raise ValueError(f"{end} must be after {start}")
    return {
        "kind": kind,
        "percentage_bp": percentage_bp,
        "amounts": dict(amounts) if amounts is not None else None,
        **values,
    }


class Plan:
    """The rows to write, and the bookkeeping that keeps them consistent."""

    def __init__(self, *, seed: int, now: datetime, updated_by: str) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.rng = random.Random(seed)
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.updated_by = updated_by
        self.rows: dict[str, list[Row]] = {name: [] for name in TABLE_ORDER}
        # Live codes, case-insensitively: coupon codes per coupon, discount codes per site.
        self._live_codes: set[tuple[int, str]] = set()
        # Every code string used anywhere, so generated codes never repeat any of them.
        self._codes_seen: set[str] = set()
        self._assignments: dict[int, list[Row]] = defaultdict(list)
        # The ledger: non-voided uses, keyed by id() of the row they count against.
        self._uses: Counter[int] = Counter()
        self._use_times: dict[int, list[datetime]] = defaultdict(list)
        self._by_customer: Counter[tuple[int, int]] = Counter()
        self._code_by_customer: Counter[tuple[int, int]] = Counter()
        self._idempotency_keys: set[tuple[int, str]] = set()
        self._terms_cache: dict[int, Terms] = {}
        self._items_cache: dict[tuple[Any, ...], tuple[list[Item], list[Item]]] = {}
        self._window_cache: dict[tuple[int, str, str], Window] = {}

    # -- values ---------------------------------------------------------------------------

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def hex(self, length: int) -> str:
        return f"{self.rng.getrandbits(4 * length):0{length}x}"

    def ago(self, days: float = 0, hours: float = 0) -> datetime:
        return self.now - timedelta(days=days, hours=hours)

    def ahead(self, days: float = 0, hours: float = 0) -> datetime:
        return self.now + timedelta(days=days, hours=hours)

    def between(self, start: datetime, end: datetime) -> datetime:
        """A whole-second instant strictly inside (start, end); start when there is none."""
        seconds = int((end - start).total_seconds())
        if seconds < 2:
            return start
        return start.replace(microsecond=0) + timedelta(seconds=self.rng.randint(1, seconds - 1))

    def new_code(self, *, prefix: str = "", length: int = 8) -> str:
        """A code not used before in this plan: `prefix`, then `length` random characters."""
        return self.new_codes(1, prefix=prefix, length=length)[0]

    def new_codes(self, count: int, *, prefix: str = "", length: int = 8) -> list[str]:
        """`count` codes never used before in this plan (random bytes mapped onto the alphabet,
        the bytes beyond the largest multiple of its size dropped, so every character is
        equally likely)."""
        codes: list[str] = []
        seen = self._codes_seen
        while len(codes) < count:
            wanted = (count - len(codes)) * length
            raw = self.rng.randbytes(wanted + wanted // 8 + length)
            chars = raw.translate(_BYTE_TO_CODE, _DROPPED_BYTES).decode("ascii")
            for start in range(0, len(chars) - length + 1, length):
                code = prefix + chars[start : start + length]
                key = code.lower()
                if key not in seen:
                    seen.add(key)
                    codes.append(code)
                    if len(codes) == count:
                        break
        return codes

    # -- records --------------------------------------------------------------------------

    def _record(
        self,
        table: str,
        *,
        created_at: datetime,
        deleted_at: datetime | None = None,
        updated_at: datetime | None = None,
        updated_by: str | None = None,
        external_id: str | None = None,
        **values: Any,
    ) -> Row:
        if updated_at is None:
            updated_at = created_at
            disabled_at = values.get("disabled_at")
            if disabled_at is not None and disabled_at > updated_at:
                updated_at = disabled_at
            if deleted_at is not None and deleted_at > updated_at:
                updated_at = deleted_at
        row: Row = {
            "_table": table,
            "unique_id": uuid.UUID(int=self.rng.getrandbits(128), version=4),
            "created_at": created_at,
            "updated_at": updated_at,
            "updated_by": updated_by or self.updated_by,
            "deleted_at": deleted_at,
            "external_id": external_id,
            **values,
        }
        if updated_at > self.now:
            raise ValueError(f"{table}: changed in the future")
        if updated_at < created_at or (deleted_at is not None and deleted_at < created_at):
            raise ValueError(f"{table}: changed before it was created")
        self.rows[table].append(row)
        return row

    def organisation(self, name: str, *, created_at: datetime, staff: str, **kw: Any) -> Row:
        return self._record("organisation", name=name, created_at=created_at, _staff=staff, **kw)

    def site(
        self,
        organisation: Row,
        name: str,
        *,
        currency: str,
        time_zone: str,
        short: str,
        vat_bp: int,
        catalogue: Sequence[Item],
        created_at: datetime,
        **kw: Any,
    ) -> Row:
        return self._record(
            "site",
            organisation_id=organisation,
            name=name,
            currency=currency,
            time_zone=time_zone,
            created_at=created_at,
            updated_by=organisation["_staff"],
            _short=short,
            _vat_bp=vat_bp,
            _catalogue=tuple(catalogue),
            _next_order=100_000 + self.rng.randrange(1000),
            **kw,
        )

    def customer(
        self,
        organisation: Row,
        full_name: str,
        *,
        kind: CustomerKind = CustomerKind.INDIVIDUAL,
        is_member: bool = False,
        created_at: datetime,
        **kw: Any,
    ) -> Row:
        return self._record(
            "customer",
            organisation_id=organisation,
            full_name=full_name,
            kind=kind,
            is_member=is_member,
            created_at=created_at,
            updated_by=kw.pop("updated_by", organisation["_staff"]),
            **kw,
        )

    def _terms_owner(
        self,
        table: str,
        site: Row,
        rules: Row,
        eligible: Mapping[ItemCategory, Iterable[str]] | None,
        kw: dict[str, Any],
    ) -> Row:
        eligible = {c: tuple(ids) for c, ids in (eligible or {}).items()}
        flags = {flag: category in eligible for category, flag in CATEGORY_FLAGS.items()}
        row = self._record(
            table,
            site_id=site,
            organisation_id=site["organisation_id"],
            updated_by=kw.pop("updated_by", site["organisation_id"]["_staff"]),
            **rules,
            **flags,
            **kw,
            _eligible=eligible,
        )
        if row.get("disabled_at") is not None and row["disabled_at"] < row["created_at"]:
            raise ValueError(f"{table}: disabled before it was created")
        owner = "coupon_id" if table == "coupon" else "discount_code_id"
        for category, ids in eligible.items():
            for item_id in dict.fromkeys(ids):
                self.rows["eligible_item"].append(
                    {
                        "_table": "eligible_item",
                        owner: row,
                        "category": category,
                        "item_id": item_id,
                    }
                )
        return row

    def coupon(
        self,
        site: Row,
        name: str,
        rules: Row,
        *,
        eligible: Mapping[ItemCategory, Iterable[str]] | None = None,
        created_at: datetime,
        **kw: Any,
    ) -> Row:
        return self._terms_owner(
            "coupon", site, rules, eligible, {"name": name, "created_at": created_at, **kw}
        )

    def discount_code(
        self,
        site: Row,
        code: str,
        rules: Row,
        *,
        eligible: Mapping[ItemCategory, Iterable[str]] | None = None,
        created_at: datetime,
        **kw: Any,
    ) -> Row:
        self._claim(id(site), code, live=kw.get("deleted_at") is None, where=site["name"])
        return self._terms_owner(
            "discount_code", site, rules, eligible, {"code": code, "created_at": created_at, **kw}
        )

    def coupon_code(
        self,
        coupon: Row,
        code: str | None = None,
        *,
        created_at: datetime | None = None,
        customer: Row | None = None,
        customer_credit_id: str | None = None,
        prefix: str = "",
        length: int = 6,
        **kw: Any,
    ) -> Row:
        """A code under `coupon`; generated (with `prefix`) when `code` is None."""
        if code is None:
            code = self.new_code(prefix=prefix, length=length)
        if kw.get("deleted_at") is None and coupon["deleted_at"] is not None:
            kw["deleted_at"] = coupon["deleted_at"]  # a deleted coupon's codes go with it
        self._claim(id(coupon), code, live=kw.get("deleted_at") is None, where=coupon["name"])
        if customer_credit_id is not None and customer is None:
            raise ValueError("a customer credit needs a customer")
        if customer is not None and customer["organisation_id"] is not coupon["organisation_id"]:
            raise ValueError("a code can only be allocated to a customer of its organisation")
        return self._record(
            "coupon_code",
            coupon_id=coupon,
            site_id=coupon["site_id"],
            organisation_id=coupon["organisation_id"],
            code=code,
            customer_id=customer,
            customer_credit_id=customer_credit_id,
            created_at=created_at or coupon["created_at"],
            updated_by=kw.pop("updated_by", coupon["updated_by"]),
            **kw,
        )

    def _claim(self, scope: int, code: str, *, live: bool, where: str) -> None:
        key = code_key(code)
        self._codes_seen.add(key)
        if not live:
            return
        if (scope, key) in self._live_codes:
            raise ValueError(f"code {code!r} is already live in {where}")
        self._live_codes.add((scope, key))

    def assignment(
        self,
        code: Row,
        customer: Row,
        *,
        assigned_at: datetime,
        valid_from: datetime | None = None,
        expires_on: datetime | None = None,
        **kw: Any,
    ) -> Row:
        """`code` (a discount code or coupon code) given to `customer` at `assigned_at`.

        Without an explicit `expires_on`, the relative expiry of the code's terms applies.
        """
        if customer["organisation_id"] is not code["organisation_id"]:
            raise ValueError("a code can only be assigned to a customer of its organisation")
        rules = self.terms_row(code)
        if expires_on is None and rules.get("expiration_unit") is not None:
            expires_on = relative_expiry(
                assigned_at,
                rules["expiration_unit"],
                rules["expires_in"],
                code["site_id"]["time_zone"],
            )
        key = "discount_code_id" if code["_table"] == "discount_code" else "coupon_code_id"
        row = self._record(
            "assignment",
            customer_id=customer,
            site_id=code["site_id"],
            organisation_id=code["organisation_id"],
            valid_from=valid_from,
            expires_on=expires_on,
            created_at=assigned_at,
            updated_by=kw.pop("updated_by", code["updated_by"]),
            **{key: code},
            **kw,
        )
        if row["valid_from"] and row["expires_on"] and not row["expires_on"] > row["valid_from"]:
            raise ValueError("an assignment must expire after it starts")
        live = [
            a
            for a in self._assignments[id(code)]
            if a["customer_id"] is customer and a["deleted_at"] is None
        ]
        if live and row["deleted_at"] is None:
            raise ValueError("the customer already holds this code")
        self._assignments[id(code)].append(row)
        return row

    # -- the ledger -----------------------------------------------------------------------

    @staticmethod
    def terms_row(code: Row) -> Row:
        """The row holding the Terms of a code: its coupon, or the discount code itself."""
        return code["coupon_id"] if code["_table"] == "coupon_code" else code

    def _terms(self, row: Row) -> Terms:
        cached = self._terms_cache.get(id(row))
        if cached is None:
            bp = row["percentage_bp"]
            cached = Terms(
                kind=row["kind"],
                percentage=None if bp is None else Decimal(bp) / 100,
                amounts=row["amounts"] or {},
                minimum_spend=row.get("minimum_spend") or {},
                maximum_discount=row.get("maximum_discount") or {},
                apply_to_net_price=row.get("apply_to_net_price", False),
                eligible={c: frozenset(ids) for c, ids in row["_eligible"].items()},
                members_only=row.get("members_only", False),
                contacts_only=row.get("contacts_only", False),
                lead_booker_only=row.get("lead_booker_only", False),
                box_office_only=row.get("box_office_only", False),
                max_uses=row.get("max_uses"),
                max_uses_per_customer=row.get("max_uses_per_customer"),
                max_uses_per_order=row.get("max_uses_per_order"),
                usage_period=row.get("usage_period"),
                window=Window(row.get("valid_from"), row.get("valid_to")),
                expiration_unit=row.get("expiration_unit"),
                expires_in=row.get("expires_in"),
            )
            self._terms_cache[id(row)] = cached
        return cached

    def _window(self, row: Row, start: str, end: str) -> Window:
        key = (id(row), start, end)
        window = self._window_cache.get(key)
        if window is None:
            window = self._window_cache[key] = Window(row.get(start), row.get(end))
        return window

    def uses(self, row: Row) -> int:
        """Non-voided redemptions so far of a code, coupon, discount code or assignment."""
        return self._uses[id(row)]

    def assignments_of(self, code: Row) -> list[Row]:
        return self._assignments.get(id(code), [])

    def _span(self, rows: Iterable[Row | None]) -> tuple[datetime, datetime]:
        """When all of `rows` existed, were live and in their windows, and it was the past."""
        start: list[datetime] = []
        end = [self.now - timedelta(minutes=5)]
        for row in rows:
            if row is None:
                continue
            start.append(row["created_at"])
            for name in ("valid_from",):
                if row.get(name) is not None:
                    start.append(row[name])
            for name in ("deleted_at", "disabled_at", "valid_to", "expires_on"):
                if row.get(name) is not None:
                    end.append(row[name])
        return max(start), min(end)

    def _items(self, site: Row, rules: Row) -> tuple[list[Item], list[Item]]:
        """The site's items the terms apply to, and the others (cached per terms)."""
        eligible = rules["_eligible"]
        key = (
            id(site),
            tuple(sorted((c.value, tuple(sorted(ids))) for c, ids in eligible.items())),
        )
        cached = self._items_cache.get(key)
        if cached is None:
            terms = self._terms(rules)
            catalogue: tuple[Item, ...] = site["_catalogue"]
            cached = (
                [i for i in catalogue if _is_eligible(terms, i)],
                [i for i in catalogue if not _is_eligible(terms, i)],
            )
            self._items_cache[key] = cached
        return cached

    def _basket(self, site: Row, rules: Row) -> Basket:
        """A plausible basket: one or two eligible items, sometimes another one, reaching the
        minimum spend of the terms."""
        rng, vat = self.rng, site["_vat_bp"]
        eligible, others = self._items(site, rules)
        picked = [rng.choice(eligible)] if eligible else []
        if len(eligible) > 1 and rng.random() < 0.5:
            second = rng.choice(eligible)
            if second is not picked[0]:
                picked.append(second)
        quantities = [self._quantity(item) for item in picked]
        currency = site["currency"]
        minimum = (rules.get("minimum_spend") or {}).get(currency, 0)
        if picked and minimum:
            # Enough of the first item to reach the minimum spend (on net or gross prices).
            net = bool(rules.get("apply_to_net_price"))
            price = [i.net(vat) if net else i.unit_price for i in picked]
            total = sum(q * p for q, p in zip(quantities, price, strict=True))
            if total < minimum and price[0] > 0:
                quantities[0] += -(-(minimum - total) // price[0])
        if others and rng.random() < 0.4:
            picked.append(rng.choice(others))
            quantities.append(1)
        lines = tuple(
            BasketLine(i.category, i.item_id, q, i.unit_price, i.net(vat))
            for q, i in zip(quantities, picked, strict=True)
        )
        return Basket(currency=currency, lines=lines)

    def _quantity(self, item: Item) -> int:
        if item.category in (ItemCategory.EVENT, ItemCategory.OFFERING):
            return self.rng.choice((1, 1, 2, 2, 3, 4))
        if item.category is ItemCategory.PRODUCT:
            return self.rng.choice((1, 1, 2))
        return 1

    def redeem(
        self,
        code: Row,
        *,
        customer: Row | None,
        at: datetime | None = None,
        channel: Channel | None = None,
        voided: bool = False,
        tries: int = 3,
    ) -> Row | None:
        """A redemption of `code` by `customer` that the rules accept, or None when none fits.

        The time is drawn from when the code, its terms, its assignment and the customer were
        all live (unless `at` is given); voided redemptions are voided a little later and do
        not count against any cap.
        """
        rules = self.terms_row(code)
        assignment = None
        holders = self.assignments_of(code)
        if holders:
            if customer is None:
                return None
            mine = [a for a in holders if a["customer_id"] is customer]
            if not mine:
                return None
            assignment = self.rng.choice(mine)
        if customer is not None and customer["organisation_id"] is not code["organisation_id"]:
            raise ValueError("a customer can only redeem codes of their organisation")
        start, end = self._span((rules, code, assignment, customer))
        if at is None and end <= start:
            return None
        if channel is None:
            box_office = rules.get("box_office_only") or self.rng.random() < 0.12
            channel = Channel.BOX_OFFICE if box_office else Channel.ONLINE
        lead_booker = bool(rules.get("lead_booker_only")) or self.rng.random() < 0.7
        for _ in range(tries):
            when = at or self.between(start, end)
            accepted = self._evaluate(
                code, rules, assignment, customer, when, channel, lead_booker, holders
            )
            if accepted is not None:
                outcome, basket = accepted
                return self._ledger_row(
                    code,
                    rules,
                    assignment,
                    customer,
                    when,
                    channel,
                    lead_booker,
                    outcome,
                    basket,
                    voided=voided,
                )
        return None

    def _evaluate(
        self,
        code: Row,
        rules: Row,
        assignment: Row | None,
        customer: Row | None,
        when: datetime,
        channel: Channel,
        lead_booker: bool,
        holders: list[Row],
    ) -> tuple[Outcome, Basket] | None:
        """The rules' verdict on this attempt with the uses so far, or None when refused."""
        site = code["site_id"]
        is_coupon_code = code["_table"] == "coupon_code"
        owners = (rules, code, assignment) if is_coupon_code else (rules, assignment)
        deleted = any(r is not None and _at_or_before(r.get("deleted_at"), when) for r in owners)
        disabled = _at_or_before(rules.get("disabled_at"), when)
        windows = [self._window(code, "valid_from", "valid_to")] if is_coupon_code else []
        if assignment is not None:
            windows.append(self._window(assignment, "valid_from", "expires_on"))
        allocated = code.get("customer_id") if is_coupon_code else None
        facts = CodeFacts(
            terms=self._terms(rules),
            windows=tuple(windows),
            deleted=deleted,
            disabled=disabled,
            single_use=is_coupon_code and not code.get("multi_use", False),
            once_per_customer=is_coupon_code and bool(code.get("multi_use", False)),
            allocated_customer_id=None if allocated is None else _rule_customer(allocated).id,
            assignees_only=bool(holders),
            # Holders as of `when`: an assignment deleted later still counted then.
            assigned_customer_ids=frozenset(
                _rule_customer(a["customer_id"]).id
                for a in holders
                if not _at_or_before(a["deleted_at"], when)
            ),
        )
        period = rules.get("usage_period")
        times = self._use_times[id(rules)]
        if period is not None:
            first, after = usage_period_bounds(period, when, site["time_zone"])
            total = sum(1 for used in times if first <= used < after)
        else:
            total = len(times)
        who = id(customer) if customer is not None else None
        usage = Usage(
            total=total,
            by_customer=self._by_customer[(id(rules), who)] if who is not None else 0,
            in_order=0,  # every generated redemption is its own order
            of_code=self._uses[id(code)],
            of_code_by_customer=self._code_by_customer[(id(code), who)] if who else 0,
        )
        attempt = Attempt(
            at=when,
            basket=self._basket(site, rules),
            customer=None if customer is None else _rule_customer(customer),
            is_lead_booker=lead_booker,
            channel=channel,
            order_reference="pending",
        )
        outcome = evaluate(facts, attempt, usage)
        if not outcome.valid or outcome.discount is None or outcome.discount.total <= 0:
            return None
        return outcome, attempt.basket

    def _ledger_row(
        self,
        code: Row,
        rules: Row,
        assignment: Row | None,
        customer: Row | None,
        when: datetime,
        channel: Channel,
        lead_booker: bool,
        outcome: Outcome,
        basket: Basket,
        *,
        voided: bool,
    ) -> Row:
        assert outcome.discount is not None
        site = code["site_id"]
        site["_next_order"] += self.rng.randint(1, 7)
        order_reference = f"{site['_short']}-{site['_next_order']}"
        while True:
            idempotency_key = str(self.uuid())
            if (id(site), idempotency_key) not in self._idempotency_keys:
                self._idempotency_keys.add((id(site), idempotency_key))
                break
        request = {
            "code": code["code"],
            "site": str(site["unique_id"]),
            "customer": None if customer is None else str(customer["unique_id"]),
            "order": order_reference,
            "channel": channel.value,
            "leadBooker": lead_booker,
            "currency": basket.currency,
            "lines": [
                [line.category.value, line.item_id, line.quantity, line.unit_price]
                for line in basket.lines
            ],
        }
        fingerprint = hashlib.sha256(
            json.dumps(request, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        voided_at = None
        if voided:
            latest = self.now - timedelta(minutes=1)
            voided_at = min(when + timedelta(minutes=self.rng.randint(5, 2 * 24 * 60)), latest)
            if voided_at <= when:
                voided_at = when + timedelta(seconds=1)
        is_coupon_code = code["_table"] == "coupon_code"
        staff = site["organisation_id"]["_staff"]
        row = self._record(
            "redemption",
            site_id=site,
            organisation_id=site["organisation_id"],
            discount_code_id=None if is_coupon_code else code,
            coupon_code_id=code if is_coupon_code else None,
            coupon_id=rules if is_coupon_code else None,
            assignment_id=assignment,
            customer_id=customer,
            order_reference=order_reference,
            channel=channel,
            is_lead_booker=lead_booker,
            amount=outcome.discount.total,
            currency=basket.currency,
            line_amounts=list(outcome.discount.lines),
            redeemed_at=when,
            voided_at=voided_at,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
            created_at=when,
            updated_at=voided_at or when,
            updated_by=staff if channel is Channel.BOX_OFFICE or voided else "checkout",
        )
        if not voided:
            counted = {id(code), id(rules)}  # one row when the code is a discount code
            if assignment is not None:
                counted.add(id(assignment))
            for key in counted:
                self._uses[key] += 1
            self._use_times[id(rules)].append(when)
            if customer is not None:
                self._by_customer[(id(rules), id(customer))] += 1
                self._code_by_customer[(id(code), id(customer))] += 1
        return row

    def settle(self) -> None:
        """Set `times_used` everywhere from the ledger (non-voided redemptions only)."""
        for table in ("coupon", "coupon_code", "discount_code", "assignment"):
            for row in self.rows[table]:
                row["times_used"] = self._uses[id(row)]

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.rows.items()}


def _is_eligible(terms: Terms, item: Item) -> bool:
    if not terms.eligible:
        return True
    ids = terms.eligible.get(item.category)
    return ids is not None and (not ids or item.item_id in ids)


def _rule_customer(row: Row) -> RuleCustomer:
    """The rules' view of a customer row (cached on the row)."""
    customer = row.get("_rule")
    if customer is None:
        customer = row["_rule"] = RuleCustomer(id=str(row["unique_id"]), is_member=row["is_member"])
    return customer  # type: ignore[no-any-return]


def _at_or_before(moment: datetime | None, when: datetime) -> bool:
    return moment is not None and moment <= when


__all__ = [
    "CATEGORY_FLAGS",
    "CODE_ALPHABET",
    "TABLES",
    "TABLE_ORDER",
    "Item",
    "Plan",
    "Row",
    "ascii_slug",
    "terms",
]
