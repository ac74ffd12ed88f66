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
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.db import tables as t
from app.db.tables import CATEGORY_FLAGS, COMBINES_WITH_FLAGS
from app.domain.amounts import Basket, BasketLine
from app.domain.calendar import relative_expiry, usage_period_bounds
from app.domain.codes import charset_alphabet, code_key
from app.domain.combination import Combination
from app.domain.enums import Channel, CodeCharset, CustomerKind, DiscountKind, ItemCategory
from app.domain.rules import Attempt, CodeFacts, Usage, evaluate
from app.domain.rules import Customer as RuleCustomer
from app.domain.terms import Terms, validate_terms
from app.domain.windows import Window

Row = dict[str, Any]

# The tables written, parents before children (the order of `ALL_TABLES`, checked below).
TABLES: dict[str, sa.Table] = {model.__table__.name: model.__table__ for model in t.ALL_TABLES}
for _name, _table in TABLES.items():
    for _fk in _table.foreign_keys:
        if list(TABLES).index(_fk.column.table.name) >= list(TABLES).index(_name):
            raise RuntimeError(f"{_name} is listed before its parent {_fk.column.table.name}")

# Generated codes: upper-case letters and digits without look-alikes (no 0 O 1 I L). Random
# bytes beyond the largest multiple of the alphabet's size are dropped, so that every
# character is equally likely.
CODE_ALPHABET = charset_alphabet(CodeCharset.ALPHANUMERIC)
_USABLE = 256 - 256 % len(CODE_ALPHABET)
_TO_CODE = bytes(
    ord(CODE_ALPHABET[b % len(CODE_ALPHABET)]) if b < _USABLE else 0 for b in range(256)
)
_DROPPED = bytes(range(_USABLE, 256))
_ENDS = ("deleted_at", "disabled_at", "valid_to", "expires_on")
_TERMS_FIELDS = [f.name for f in fields(Terms)]


@dataclass(frozen=True)
class Item:
    """Something a site sells: what baskets are made of."""

    category: ItemCategory
    item_id: str
    unit_price: int  # gross, minor units

    def net(self, vat_bp: int) -> int:
        return (self.unit_price * 10_000 * 2 + (10_000 + vat_bp)) // ((10_000 + vat_bp) * 2)


def terms_of(row: Row) -> Terms:
    """The domain Terms of a coupon or discount code row (columns named as Terms' fields)."""
    given = {name: row[name] for name in _TERMS_FIELDS if row.get(name) is not None}
    bp = row.get("percentage_bp")
    percentage = None if bp is None else Decimal(bp) / 100
    window = Window(row.get("valid_from"), row.get("valid_to"))
    combination = Combination(
        exclusive=row.get("exclusive", True),
        combines_with=frozenset(k for k, flag in COMBINES_WITH_FLAGS.items() if row.get(flag)),
        priority=row.get("priority", 0),
    )
    return Terms(
        **given,
        percentage=percentage,
        eligible=row["_eligible"],
        window=window,
        combination=combination,
    )


class Plan:
    """The rows to write, and the bookkeeping that keeps them consistent."""

    def __init__(self, *, seed: int, now: datetime, updated_by: str) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.rng = random.Random(seed)
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.updated_by = updated_by
        self.rows: dict[str, list[Row]] = {name: [] for name in TABLES}
        # Live codes, case-insensitively: coupon codes per coupon, discount codes per site.
        self._live_codes: set[tuple[int, str]] = set()
        # Every code string used anywhere, so generated codes never repeat any of them.
        self._codes_seen: set[str] = set()
        self._assignments: dict[int, list[Row]] = defaultdict(list)
        # The ledger: non-voided uses, keyed by id() of the row (or (row, customer)) counted,
        # and when the uses of each coupon or discount code were (for usage periods).
        # id(row), or (id(rules or code), id(customer) or None) -> how many uses
        self._uses: Counter[int | tuple[int, int | None]] = Counter()
        self._use_times: dict[int, list[datetime]] = defaultdict(list)
        self._rule_customers: dict[int, RuleCustomer] = {}

    # -- values ---------------------------------------------------------------------------

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def hex(self, length: int) -> str:
        return f"{self.rng.getrandbits(4 * length):0{length}x}"

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def ahead(self, days: float) -> datetime:
        return self.now + timedelta(days=days)

    def between(self, start: datetime, end: datetime) -> datetime:
        """A whole-second instant strictly inside (start, end); start when there is none."""
        seconds = int((end - start).total_seconds())
        if seconds < 2:
            return start
        return start.replace(microsecond=0) + timedelta(seconds=self.rng.randint(1, seconds - 1))

    def new_codes(self, count: int, *, prefix: str = "", length: int = 8) -> list[str]:
        """`count` codes never used before in this plan: `prefix` and `length` characters."""
        codes: list[str] = []
        while len(codes) < count:
            wanted = (count - len(codes)) * length
            raw = self.rng.randbytes(wanted + wanted // 8 + length)
            chars = raw.translate(_TO_CODE, _DROPPED).decode("ascii")
            for start in range(0, len(chars) - length + 1, length):
                code = prefix + chars[start : start + length]
                if code.lower() not in self._codes_seen and len(codes) < count:
                    self._codes_seen.add(code.lower())
                    codes.append(code)
        return codes

    # -- records --------------------------------------------------------------------------

    def record(self, table: str, *, created_at: datetime, **values: Any) -> Row:
        """A row of `table`; last changed when it was created, disabled or deleted."""
        updated_at = created_at
        for change in (values.get("disabled_at"), values.get("deleted_at")):
            if change is not None and change < created_at:
                raise ValueError(f"{table}: changed before it was created")
            if change is not None and change > updated_at:
                updated_at = change
        if updated_at > self.now:
            raise ValueError(f"{table}: changed in the future")
        row: Row = {
            "_table": table,
            "unique_id": self.uuid(),
            "created_at": created_at,
            "updated_at": updated_at,
            "updated_by": self.updated_by,
            "deleted_at": None,
            **values,
        }
        self.rows[table].append(row)
        return row

    def organisation(self, name: str, *, staff: str, **values: Any) -> Row:
        return self.record("organisation", name=name, _staff=staff, **values)

    def site(
        self,
        organisation: Row,
        *,
        short: str,
        vat_bp: int,
        catalogue: Iterable[Item],
        **values: Any,
    ) -> Row:
        """A site; `short` starts its order references, `vat_bp` makes its items' net prices,
        its `catalogue` is what its baskets hold."""
        next_order = 100_000 + self.rng.randrange(1000)
        extra: Row = {"_short": short, "_vat_bp": vat_bp, "_next_order": next_order}
        extra["_catalogue"] = tuple(catalogue)
        staff = organisation["_staff"]
        return self.record(
            "site", organisation_id=organisation, updated_by=staff, **extra, **values
        )

    def customer(self, organisation: Row, **values: Any) -> Row:
        values = {"kind": CustomerKind.INDIVIDUAL, "updated_by": organisation["_staff"], **values}
        return self.record("customer", organisation_id=organisation, **values)

    def offer(
        self,
        table: str,
        site: Row,
        eligible: Mapping[ItemCategory, Iterable[str]] | None,
        **values: Any,
    ) -> Row:
        """A coupon (give `name`) or discount code (give `code`) at `site`: its Terms columns
        (`percentage_bp` makes it a PERCENTAGE discount, `amounts` a FIXED one), checked by the
        rules the API applies, and its eligible items."""
        where = f"{table} {values.get('name') or values.get('code')!r}"
        eligible = {c: tuple(dict.fromkeys(ids)) for c, ids in (eligible or {}).items()}
        flags: Row = {flag: c in eligible for c, flag in CATEGORY_FLAGS.items()}
        percentage = values.get("percentage_bp") is not None
        flags["kind"] = DiscountKind.PERCENTAGE if percentage else DiscountKind.FIXED
        if table == "discount_code":
            self._claim(id(site), values["code"], values.get("deleted_at"), where)
        org = site["organisation_id"]
        values = {"updated_by": org["_staff"], **flags, **values, "_eligible": eligible}
        row = self.record(table, site_id=site, organisation_id=org, **values)
        row["_terms"] = terms_of(row)
        problems = [f"{p.field}: {p.message}" for p in validate_terms(row["_terms"])]
        if row.get("disabled_at") is not None and row["disabled_at"] < row["created_at"]:
            problems.append("disabled before it was created")
        if problems:
            raise ValueError(f"{where}: {'; '.join(problems)}")
        owner = "coupon_id" if table == "coupon" else "discount_code_id"
        for category, ids in eligible.items():
            for item_id in ids:
                item = {"_table": "eligible_item", owner: row, "category": category}
                self.rows["eligible_item"].append({**item, "item_id": item_id})
        return row

    def coupon_code(self, coupon: Row, code: str | None, *, prefix: str = "", **values: Any) -> Row:
        """A code under `coupon` (generated after `prefix` when `code` is None), made when
        the coupon was unless `created_at` says otherwise, deleted with it."""
        code = code or self.new_codes(1, prefix=prefix, length=6)[0]
        values = {"created_at": coupon["created_at"], **_given(values)}
        values.setdefault("deleted_at", coupon["deleted_at"])
        self._claim(id(coupon), code, values["deleted_at"], coupon["name"])
        customer = values.get("customer_id")
        if values.get("customer_credit_id") and customer is None:
            raise ValueError("a customer credit needs a customer")
        if customer is not None and customer["organisation_id"] is not coupon["organisation_id"]:
            raise ValueError("a code can only be allocated to a customer of its organisation")
        parents = {"coupon_id": coupon, "site_id": coupon["site_id"]}
        parents["organisation_id"] = coupon["organisation_id"]
        values = {"updated_by": coupon["updated_by"], "customer_id": None, **values}
        return self.record("coupon_code", **parents, code=code, **values)

    def _claim(self, scope: int, code: str, deleted_at: datetime | None, where: str) -> None:
        """Note `code` as used, and refuse a second live code of that string in one scope."""
        key = code_key(code)
        self._codes_seen.add(key)
        if deleted_at is None and (scope, key) in self._live_codes:
            raise ValueError(f"code {code!r} is already live in {where}")
        if deleted_at is None:
            self._live_codes.add((scope, key))

    def assignment(self, code: Row, customer: Row, *, assigned_at: datetime, **values: Any) -> Row:
        """`code` (a discount code or coupon code) given to `customer` at `assigned_at`.

        Without an explicit `expires_on`, the relative expiry of the code's terms applies.
        """
        if customer["organisation_id"] is not code["organisation_id"]:
            raise ValueError("a code can only be assigned to a customer of its organisation")
        rules, time_zone = self.terms_row(code), code["site_id"]["time_zone"]
        expires_on, valid_from = values.get("expires_on"), values.get("valid_from")
        if expires_on is None and rules.get("expiration_unit") is not None:
            unit, count = rules["expiration_unit"], rules["expires_in"]
            expires_on = relative_expiry(assigned_at, unit, count, time_zone)
        if valid_from and expires_on and not expires_on > valid_from:
            raise ValueError("an assignment must expire after it starts")
        holders = self._assignments[id(code)]
        live = [a for a in holders if a["customer_id"] is customer and a["deleted_at"] is None]
        if live and values.get("deleted_at") is None:
            raise ValueError("the customer already holds this code")
        key = "discount_code_id" if code["_table"] == "discount_code" else "coupon_code_id"
        parents = {key: code, "customer_id": customer, "site_id": code["site_id"]}
        parents["organisation_id"] = code["organisation_id"]
        values = {
            "updated_by": code["updated_by"],
            "deleted_at": None,
            "valid_from": None,
            **values,
        }
        row = self.record("assignment", created_at=assigned_at, **parents, **values)
        row["expires_on"] = expires_on
        holders.append(row)
        return row

    # -- the ledger -----------------------------------------------------------------------

    @staticmethod
    def terms_row(code: Row) -> Row:
        """The row holding the Terms of a code: its coupon, or the discount code itself."""
        return code["coupon_id"] if code["_table"] == "coupon_code" else code

    def uses(self, row: Row) -> int:
        """Non-voided redemptions so far of a code, coupon, discount code or assignment."""
        return self._uses[id(row)]

    def assignments_of(self, code: Row) -> list[Row]:
        return self._assignments.get(id(code), [])

    def _rule_customer(self, row: Row) -> RuleCustomer:
        """The rules' view of a customer row (made once per customer)."""
        if id(row) not in self._rule_customers:
            customer = RuleCustomer(id=str(row["unique_id"]), is_member=row["is_member"])
            self._rule_customers[id(row)] = customer
        return self._rule_customers[id(row)]

    def redeem(
        self, code: Row, *, customer: Row | None, channel: Channel | None = None,
        voided: bool = False, tries: int = 3,
    ) -> Row | None:  # fmt: skip
        """A redemption of `code` by `customer` that the rules accept, or None when none fits.

        The time is drawn from when the code, its terms, its assignment and the customer were
        all live, in their windows and in the past; voided redemptions are voided a little
        later and do not count against caps.
        """
        rules, rng = self.terms_row(code), self.rng
        holders, assignment = self.assignments_of(code), None
        if holders:
            mine = [a for a in holders if a["customer_id"] is customer]
            if customer is None or not mine:
                return None
            assignment = rng.choice(mine)
        if customer is not None and customer["organisation_id"] is not code["organisation_id"]:
            raise ValueError("a customer can only redeem codes of their organisation")
        live = [row for row in (rules, code, assignment, customer) if row is not None]
        start = max(when for r in live for when in (r["created_at"], r.get("valid_from")) if when)
        ends = [when for r in live for when in map(r.get, _ENDS) if when is not None]
        end = min([self.now - timedelta(minutes=5), *ends])
        if end <= start:
            return None
        if channel is None:
            box_office = rules.get("box_office_only") or rng.random() < 0.12
            channel = Channel.BOX_OFFICE if box_office else Channel.ONLINE
        lead_booker = bool(rules.get("lead_booker_only")) or rng.random() < 0.7
        who = None if customer is None else self._rule_customer(customer)
        for _ in range(tries):
            when = self.between(start, end)
            basket = self._basket(code["site_id"], rules)
            attempt = Attempt(when, basket, who, lead_booker, channel, order_reference="pending")
            facts = self._facts(code, assignment, holders, when)
            outcome = evaluate(facts, attempt, self._usage(code, customer, when))
            if outcome.valid and outcome.discount is not None and outcome.discount.total > 0:
                amounts = list(outcome.discount.lines)
                return self._ledger_row(code, assignment, customer, attempt, amounts, voided)
        return None

    def _basket(self, site: Row, rules: Row) -> Basket:
        """A plausible basket: one or two eligible items, sometimes another one, reaching the
        minimum spend of the terms."""
        rng, vat = self.rng, site["_vat_bp"]
        if "_items" not in rules:  # the site's items the terms apply to, and the others
            fits = [(i, _is_eligible(rules["_terms"], i)) for i in site["_catalogue"]]
            rules["_items"] = [i for i, yes in fits if yes], [i for i, yes in fits if not yes]
        eligible, others = rules["_items"]
        picked = [rng.choice(eligible)] if eligible else []
        if len(eligible) > 1 and rng.random() < 0.5:
            second = rng.choice(eligible)
            if second is not picked[0]:
                picked.append(second)
        # Plans and bookings come one at a time (and draw nothing from the generator).
        quantities = [
            rng.choice(_QUANTITIES[i.category]) if i.category in _QUANTITIES else 1 for i in picked
        ]
        minimum = (rules.get("minimum_spend") or {}).get(site["currency"], 0)
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
        lines = [
            BasketLine(i.category, i.item_id, q, i.unit_price, i.net(vat))
            for q, i in zip(quantities, picked, strict=True)
        ]
        return Basket(currency=site["currency"], lines=tuple(lines))

    def _facts(
        self, code: Row, assignment: Row | None, holders: list[Row], when: datetime
    ) -> CodeFacts:
        """What the engine would read about the code at `when`."""
        rules = self.terms_row(code)
        coupon_code = code if code["_table"] == "coupon_code" else None
        windows = (
            [] if coupon_code is None else [Window(code.get("valid_from"), code.get("valid_to"))]
        )
        if assignment is not None:
            windows.append(Window(assignment["valid_from"], assignment["expires_on"]))
        owners = [r for r in (rules, coupon_code, assignment) if r is not None]
        allocated = coupon_code["customer_id"] if coupon_code else None
        multi_use = bool(coupon_code and coupon_code.get("multi_use"))
        return CodeFacts(
            terms=rules["_terms"],
            windows=tuple(windows),
            deleted=any(_by(r["deleted_at"], when) for r in owners),
            disabled=_by(rules.get("disabled_at"), when),
            single_use=coupon_code is not None and not multi_use,
            once_per_customer=multi_use,
            allocated_customer_id=None if allocated is None else self._rule_customer(allocated).id,
            assignees_only=bool(holders),
            # Holders as of `when`: an assignment deleted later still counted then.
            assigned_customer_ids=frozenset(
                self._rule_customer(a["customer_id"]).id
                for a in holders
                if not _by(a["deleted_at"], when)
            ),
        )

    def _usage(self, code: Row, customer: Row | None, when: datetime) -> Usage:
        """The uses so far that the caps count (every generated redemption is its own order)."""
        rules = self.terms_row(code)
        period, times = rules.get("usage_period"), self._use_times[id(rules)]
        if period is not None:
            first, after = usage_period_bounds(period, when, code["site_id"]["time_zone"])
            times = [used for used in times if first <= used < after]
        who = id(customer) if customer is not None else None
        by_customer, of_code_by_customer = self._uses[(id(rules), who)], self._uses[(id(code), who)]
        return Usage(len(times), by_customer, 0, self._uses[id(code)], of_code_by_customer)

    def _ledger_row(
        self, code: Row, assignment: Row | None, customer: Row | None, attempt: Attempt,
        amounts: list[int], voided: bool,
    ) -> Row:  # fmt: skip
        site, rules, basket, when = (
            code["site_id"],
            self.terms_row(code),
            attempt.basket,
            attempt.at,
        )
        site["_next_order"] += self.rng.randint(1, 7)
        order_reference = f"{site['_short']}-{site['_next_order']}"
        idempotency_key = str(self.uuid())
        request = {
            "code": code["code"],
            "site": str(site["unique_id"]),
            "customer": None if customer is None else str(customer["unique_id"]),
            "order": order_reference,
            "channel": attempt.channel.value,
            "leadBooker": attempt.is_lead_booker,
            "currency": basket.currency,
            "lines": [
                [x.category.value, x.item_id, x.quantity, x.unit_price] for x in basket.lines
            ],
        }
        text = json.dumps(request, sort_keys=True, separators=(",", ":"))
        voided_at = None
        if voided:
            latest = self.now - timedelta(minutes=1)
            voided_at = min(when + timedelta(minutes=self.rng.randint(5, 2 * 24 * 60)), latest)
            voided_at = max(voided_at, when + timedelta(seconds=1))
        is_coupon_code = code["_table"] == "coupon_code"
        box_office = attempt.channel is Channel.BOX_OFFICE
        row = self.record(
            "redemption",
            site_id=site,
            organisation_id=site["organisation_id"],
            discount_code_id=None if is_coupon_code else code,
            coupon_code_id=code if is_coupon_code else None,
            coupon_id=rules if is_coupon_code else None,
            assignment_id=assignment,
            customer_id=customer,
            order_reference=order_reference,
            channel=attempt.channel,
            is_lead_booker=attempt.is_lead_booker,
            amount=sum(amounts),
            currency=basket.currency,
            line_amounts=amounts,
            redeemed_at=when,
            voided_at=voided_at,
            idempotency_key=idempotency_key,
            request_fingerprint=hashlib.sha256(text.encode()).hexdigest(),
            created_at=when,
            updated_by=site["organisation_id"]["_staff"] if box_office or voided else "checkout",
        )
        row["updated_at"] = voided_at or when
        if not voided:
            counted: set[int | tuple[int, int]] = {
                id(code),
                id(rules),
            }  # one key for a discount code
            if assignment is not None:
                counted.add(id(assignment))
            if customer is not None:
                counted |= {(id(rules), id(customer)), (id(code), id(customer))}
            self._uses.update(counted)
            self._use_times[id(rules)].append(when)
        return row

    def settle(self) -> None:
        """Set `times_used` everywhere from the ledger (non-voided redemptions only)."""
        for table in ("coupon", "coupon_code", "discount_code", "assignment"):
            for row in self.rows[table]:
                row["times_used"] = self._uses[id(row)]

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.rows.items()}


# How many of an item a basket holds (events and offerings are bought for several people).
_QUANTITIES = {
    ItemCategory.EVENT: (1, 1, 2, 2, 3, 4),
    ItemCategory.OFFERING: (1, 1, 2, 2, 3, 4),
    ItemCategory.PRODUCT: (1, 1, 2),
}


def _is_eligible(terms: Terms, item: Item) -> bool:
    if not terms.eligible:
        return True
    ids = terms.eligible.get(item.category)
    return ids is not None and (not ids or item.item_id in ids)


def _by(moment: datetime | None, when: datetime) -> bool:
    """Whether `moment` (a deletion, a disabling) had happened by `when`."""
    return moment is not None and moment <= when


def _given(values: Row) -> Row:
    return {key: value for key, value in values.items() if value is not None}
