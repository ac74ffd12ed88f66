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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.db import tables as t
from app.db.tables import CATEGORY_FLAGS
from app.domain.amounts import Basket, BasketLine
from app.domain.calendar import relative_expiry, usage_period_bounds
from app.domain.codes import charset_alphabet, code_key
from app.domain.enums import Channel, CodeCharset, CustomerKind, DiscountKind, ItemCategory
from app.domain.rules import Attempt, CodeFacts, Usage, evaluate
from app.domain.rules import Customer as RuleCustomer
from app.domain.terms import Terms, validate_terms
from app.domain.windows import Window

Row = dict[str, Any]

# The tables written, parents before children (the order of `ALL_TABLES`, checked below).
TABLES: dict[str, sa.Table] = {model.__tablename__: model.__table__ for model in t.ALL_TABLES}
for _name, _table in TABLES.items():
    for _fk in _table.foreign_keys:
        if list(TABLES).index(_fk.column.table.name) >= list(TABLES).index(_name):
            raise RuntimeError(f"{_name} is listed before its parent {_fk.column.table.name}")

# Generated codes: upper-case letters and digits without look-alikes (no 0 O 1 I L).
CODE_ALPHABET = charset_alphabet(CodeCharset.ALPHANUMERIC)
_USABLE = 256 - 256 % len(CODE_ALPHABET)
_BYTE_TO_CODE = bytes(
    ord(CODE_ALPHABET[b % len(CODE_ALPHABET)]) if b < _USABLE else 0 for b in range(256)
)
_DROPPED_BYTES = bytes(range(_USABLE, 256))


@dataclass(frozen=True)
class Item:
    """Something a site sells: what baskets are made of."""

    category: ItemCategory
    item_id: str
    unit_price: int  # gross, minor units

    def net(self, vat_bp: int) -> int:
        return (self.unit_price * 10_000 * 2 + (10_000 + vat_bp)) // ((10_000 + vat_bp) * 2)


def terms_of(row: Row) -> Terms:
    """The domain Terms of a coupon or discount code row (as the engine would read them)."""
    bp = row.get("percentage_bp")
    return Terms(
        kind=row["kind"],
        percentage=None if bp is None else Decimal(bp) / 100,
        amounts=row.get("amounts") or {},
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
        # The ledger: non-voided uses, keyed by id() of the row (or (row, customer)) counted.
        self._uses: Counter[Any] = Counter()
        self._use_times: dict[int, list[datetime]] = defaultdict(list)

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
        """`count` codes never used before in this plan (random bytes mapped onto the alphabet,
        the bytes beyond the largest multiple of its size dropped, so every character is
        equally likely)."""
        codes: list[str] = []
        while len(codes) < count:
            wanted = (count - len(codes)) * length
            raw = self.rng.randbytes(wanted + wanted // 8 + length)
            chars = raw.translate(_BYTE_TO_CODE, _DROPPED_BYTES).decode("ascii")
            for start in range(0, len(chars) - length + 1, length):
                code = prefix + chars[start : start + length]
                if code.lower() not in self._codes_seen:
                    self._codes_seen.add(code.lower())
                    codes.append(code)
                    if len(codes) == count:
                        break
        return codes

    # -- records --------------------------------------------------------------------------

    def record(
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
        """A row of `table`; last changed when it was created, disabled or deleted."""
        if updated_at is None:
            changes = (created_at, values.get("disabled_at"), deleted_at)
            updated_at = max(when for when in changes if when is not None)
        row: Row = {
            "_table": table,
            "unique_id": self.uuid(),
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

    def organisation(self, name: str, *, staff: str, **kw: Any) -> Row:
        return self.record("organisation", name=name, _staff=staff, **kw)

    def site(
        self, organisation: Row, name: str, *, short: str, vat_bp: int, catalogue: Sequence[Item],
        **kw: Any,
    ) -> Row:  # fmt: skip
        """A site; `short` starts its order references, `vat_bp` gives its items' net prices."""
        next_order = 100_000 + self.rng.randrange(1000)
        return self.record(
            "site", organisation_id=organisation, name=name, updated_by=organisation["_staff"],
            _short=short, _vat_bp=vat_bp, _catalogue=tuple(catalogue), _next_order=next_order,
            **kw,
        )  # fmt: skip

    def customer(self, organisation: Row, full_name: str, **kw: Any) -> Row:
        kw.setdefault("kind", CustomerKind.INDIVIDUAL)
        kw.setdefault("updated_by", organisation["_staff"])
        return self.record("customer", organisation_id=organisation, full_name=full_name, **kw)

    def offer(
        self,
        table: str,
        site: Row,
        *,
        eligible: Mapping[ItemCategory, Iterable[str]] | None = None,
        **values: Any,
    ) -> Row:
        """A coupon (give `name`) or discount code (give `code`) at `site`: its Terms columns
        (`percentage_bp` makes it a PERCENTAGE discount, `amounts` a FIXED one), checked by the
        rules the API applies, and its eligible items."""
        where = f"{table} {values.get('name') or values.get('code')!r}"
        eligible = {c: tuple(dict.fromkeys(ids)) for c, ids in (eligible or {}).items()}
        flags = {flag: category in eligible for category, flag in CATEGORY_FLAGS.items()}
        kind = (
            DiscountKind.FIXED if values.get("percentage_bp") is None else DiscountKind.PERCENTAGE
        )
        if table == "discount_code":
            self._claim(
                id(site), values["code"], live=values.get("deleted_at") is None, where=where
            )
        values.setdefault("updated_by", site["organisation_id"]["_staff"])
        row = self.record(
            table, site_id=site, organisation_id=site["organisation_id"], kind=kind,
            **flags, **values, _eligible=eligible,
        )  # fmt: skip
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
            code = self.new_codes(1, prefix=prefix, length=length)[0]
        if kw.get("deleted_at") is None and coupon["deleted_at"] is not None:
            kw["deleted_at"] = coupon["deleted_at"]  # a deleted coupon's codes go with it
        self._claim(id(coupon), code, live=kw.get("deleted_at") is None, where=coupon["name"])
        if customer_credit_id is not None and customer is None:
            raise ValueError("a customer credit needs a customer")
        if customer is not None and customer["organisation_id"] is not coupon["organisation_id"]:
            raise ValueError("a code can only be allocated to a customer of its organisation")
        kw.setdefault("updated_by", coupon["updated_by"])
        return self.record(
            "coupon_code", coupon_id=coupon, site_id=coupon["site_id"],
            organisation_id=coupon["organisation_id"], code=code, customer_id=customer,
            customer_credit_id=customer_credit_id, created_at=created_at or coupon["created_at"],
            **kw,
        )  # fmt: skip

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
            unit, count, zone = rules["expiration_unit"], rules["expires_in"], code["site_id"]
            expires_on = relative_expiry(assigned_at, unit, count, zone["time_zone"])
        if valid_from and expires_on and not expires_on > valid_from:
            raise ValueError("an assignment must expire after it starts")
        holders = self._assignments[id(code)]
        if kw.get("deleted_at") is None and any(
            a["customer_id"] is customer and a["deleted_at"] is None for a in holders
        ):
            raise ValueError("the customer already holds this code")
        kw.setdefault("updated_by", code["updated_by"])
        key = "discount_code_id" if code["_table"] == "discount_code" else "coupon_code_id"
        row = self.record(
            "assignment", customer_id=customer, site_id=code["site_id"],
            organisation_id=code["organisation_id"], valid_from=valid_from, expires_on=expires_on,
            created_at=assigned_at, **{key: code}, **kw,
        )  # fmt: skip
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

    def _span(self, rows: Iterable[Row | None]) -> tuple[datetime, datetime]:
        """When all of `rows` existed, were live and in their windows, and it was the past."""
        start: list[datetime] = []
        end = [self.now - timedelta(minutes=5)]
        for row in filter(None, rows):
            start += [row["created_at"], *filter(None, [row.get("valid_from")])]
            end += filter(None, (row.get(name) for name in ("deleted_at", "disabled_at")))
            end += filter(None, (row.get(name) for name in ("valid_to", "expires_on")))
        return max(start), min(end)

    def _basket(self, site: Row, rules: Row) -> Basket:
        """A plausible basket: one or two eligible items, sometimes another one, reaching the
        minimum spend of the terms."""
        rng, vat, terms = self.rng, site["_vat_bp"], rules["_terms"]
        eligible = [i for i in site["_catalogue"] if _is_eligible(terms, i)]
        others = [i for i in site["_catalogue"] if not _is_eligible(terms, i)]
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
        channel: Channel | None = None,
        voided: bool = False,
        tries: int = 3,
    ) -> Row | None:
        """A redemption of `code` by `customer` that the rules accept, or None when none fits.

        The time is drawn from when the code, its terms, its assignment and the customer were
        all live; voided redemptions are voided a little later and do not count against caps.
        """
        rules = self.terms_row(code)
        assignment = None
        holders = self.assignments_of(code)
        if holders:
            mine = [a for a in holders if a["customer_id"] is customer]
            if customer is None or not mine:
                return None
            assignment = self.rng.choice(mine)
        if customer is not None and customer["organisation_id"] is not code["organisation_id"]:
            raise ValueError("a customer can only redeem codes of their organisation")
        start, end = self._span((rules, code, assignment, customer))
        if end <= start:
            return None
        if channel is None:
            box_office = rules.get("box_office_only") or self.rng.random() < 0.12
            channel = Channel.BOX_OFFICE if box_office else Channel.ONLINE
        lead_booker = bool(rules.get("lead_booker_only")) or self.rng.random() < 0.7
        for _ in range(tries):
            when = self.between(start, end)
            attempt = Attempt(
                at=when,
                basket=self._basket(code["site_id"], rules),
                customer=None if customer is None else _rule_customer(customer),
                is_lead_booker=lead_booker,
                channel=channel,
                order_reference="pending",
            )
            outcome = evaluate(self._facts(code, rules, assignment, holders, when), attempt,
                               self._usage(code, rules, customer, when))  # fmt: skip
            if outcome.valid and outcome.discount is not None and outcome.discount.total > 0:
                amounts = list(outcome.discount.lines)
                return self._ledger_row(code, assignment, customer, attempt, amounts, voided)
        return None

    def _facts(
        self, code: Row, rules: Row, assignment: Row | None, holders: list[Row], when: datetime
    ) -> CodeFacts:
        """What the engine would read about the code at `when`."""
        is_coupon_code = code["_table"] == "coupon_code"
        owners = (rules, code, assignment) if is_coupon_code else (rules, assignment)
        windows = [Window(code.get("valid_from"), code.get("valid_to"))] if is_coupon_code else []
        if assignment is not None:
            windows.append(Window(assignment.get("valid_from"), assignment.get("expires_on")))
        allocated = code.get("customer_id") if is_coupon_code else None
        return CodeFacts(
            terms=rules["_terms"],
            windows=tuple(windows),
            deleted=any(r is not None and _by(r.get("deleted_at"), when) for r in owners),
            disabled=_by(rules.get("disabled_at"), when),
            single_use=is_coupon_code and not code.get("multi_use", False),
            once_per_customer=is_coupon_code and bool(code.get("multi_use", False)),
            allocated_customer_id=None if allocated is None else _rule_customer(allocated).id,
            assignees_only=bool(holders),
            # Holders as of `when`: an assignment deleted later still counted then.
            assigned_customer_ids=frozenset(
                _rule_customer(a["customer_id"]).id
                for a in holders
                if not _by(a["deleted_at"], when)
            ),
        )

    def _usage(self, code: Row, rules: Row, customer: Row | None, when: datetime) -> Usage:
        """The uses so far that the caps count (every generated redemption is its own order)."""
        period, times = rules.get("usage_period"), self._use_times[id(rules)]
        if period is not None:
            first, after = usage_period_bounds(period, when, code["site_id"]["time_zone"])
            times = [used for used in times if first <= used < after]
        who = id(customer) if customer is not None else None
        return Usage(
            total=len(times),
            by_customer=self._uses[(id(rules), who)] if who is not None else 0,
            of_code=self._uses[id(code)],
            of_code_by_customer=self._uses[(id(code), who)] if who is not None else 0,
        )

    def _ledger_row(
        self, code: Row, assignment: Row | None, customer: Row | None, attempt: Attempt,
        amounts: list[int], voided: bool,
    ) -> Row:  # fmt: skip
        site, rules = code["site_id"], self.terms_row(code)
        site["_next_order"] += self.rng.randint(1, 7)
        order_reference = f"{site['_short']}-{site['_next_order']}"
        idempotency_key = str(self.uuid())
        basket = attempt.basket
        request = {
            "code": code["code"],
            "site": str(site["unique_id"]),
            "customer": None if customer is None else str(customer["unique_id"]),
            "order": order_reference,
            "channel": attempt.channel.value,
            "leadBooker": attempt.is_lead_booker,
            "currency": basket.currency,
            "lines": [[ln.category.value, ln.item_id, ln.quantity, ln.unit_price] for ln in basket.lines],
        }  # fmt: skip
        fingerprint = hashlib.sha256(
            json.dumps(request, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        when, voided_at = attempt.at, None
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
            request_fingerprint=fingerprint,
            created_at=when,
            updated_at=voided_at or when,
            updated_by=site["organisation_id"]["_staff"] if box_office or voided else "checkout",
        )
        if not voided:
            counted = {id(code), id(rules)}  # one key when the code is a discount code
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


def _is_eligible(terms: Terms, item: Item) -> bool:
    if not terms.eligible:
        return True
    ids = terms.eligible.get(item.category)
    return ids is not None and (not ids or item.item_id in ids)


def _rule_customer(row: Row) -> RuleCustomer:
    """The rules' view of a customer row (cached on the row)."""
    if "_rule" not in row:
        row["_rule"] = RuleCustomer(id=str(row["unique_id"]), is_member=row["is_member"])
    return row["_rule"]  # type: ignore[no-any-return]


def _by(moment: datetime | None, when: datetime) -> bool:
    """Whether `moment` (a deletion, a disabling) had happened by `when`."""
    return moment is not None and moment <= when
