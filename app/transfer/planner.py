"""Planning and writing one batch of records of one type: create, update, unchanged or refused.

Every check is the API's (app/services/*: texts, codes, windows, Terms, customers' e-mail),
run over a whole batch with one lookup per table for the batch's keys and references, and
creates are written in one multi-row INSERT. What a record refers to must be in the database
by the time its batch runs: earlier batches of the import are (they are written as they go,
in the import's one transaction), and within a batch the types run in the order of
records.RECORD_TYPES.
"""

from __future__ import annotations

import enum
import os
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias, cast

from app.db import ledger
from app.db import tables as t
from app.db import transfer as stored
from app.db.errors import unique_violations
from app.db.handles import Record, Session, Table
from app.domain.calendar import relative_expiry
from app.domain.codes import code_key
from app.domain.currencies import currency_problem, is_currency_code
from app.domain.enums import Channel, ItemCategory
from app.services import assignments, coupon_codes, coupons, customers, discount_codes
from app.services.engine_request import MAX_ORDER_REFERENCE
from app.services.input_checks import code_problems, text_problems, window_changes
from app.services.problems import Problem
from app.services.terms_input import TermsValues
from app.transfer.fields import Item, Key
from app.transfer.terms_cache import TermsCache

TABLES: dict[str, Table] = {
    "Customer": t.CUSTOMER,
    "Coupon": t.COUPON,
    "CouponCode": t.COUPON_CODE,
    "DiscountCode": t.DISCOUNT_CODE,
    "Assignment": t.ASSIGNMENT,
    "Redemption": t.REDEMPTION,
}
TEXT_LIMITS: dict[str, Mapping[str, int]] = {
    "Customer": customers.TEXTS,
    "Coupon": coupons.OWNER.texts,
    "DiscountCode": {**discount_codes.OWNER.texts, "code": 64},
    "CouponCode": coupon_codes.TEXTS,
    "Assignment": assignments.TEXTS,
    "Redemption": {"order_reference": MAX_ORDER_REFERENCE, "external_id": 128},
}
OWNER_COLUMN = {"Coupon": "coupon_id", "DiscountCode": "discount_code_id"}
# What a ledger row records of a use: never changed by a re-import.
_LEDGER_FIELDS = (
    "order_reference",
    "channel",
    "is_lead_booker",
    "amount",
    "currency",
    "line_amounts",
    "redeemed_at",
)


class Outcome(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass
class Context:
    """What every batch of one import shares."""

    session: Session
    site: Record
    now: datetime
    subject: str
    # Rows this import inserted per table, and how many there were at its last ANALYZE.
    inserted: dict[str, int] = field(default_factory=dict)
    analyzed: dict[str, int] = field(default_factory=dict)
    _terms: TermsCache | None = None

    @property
    def terms(self) -> TermsCache:
        """The import's Terms validation, each distinct Terms input validated once."""
        if self._terms is None:
            self._terms = TermsCache(
                time_zone=self.site.time_zone, currency=self.site.currency, now=self.now
            )
        return self._terms

    async def grew(self, table: Table, rows: int) -> None:
        """Counts rows inserted into `table`; each time the import has doubled what it put
        there (from 1,000 rows), the table's statistics are refreshed."""
        name = table.name
        self.inserted[name] = self.inserted.get(name, 0) + rows
        if self.inserted[name] >= max(1000, 2 * self.analyzed.get(name, 0)):
            await stored.refresh_statistics(self.session, table)
            self.analyzed[name] = self.inserted[name]

    @property
    def scope(self) -> tuple[str, int]:
        return ("site_id", self.site.id)

    def scope_of(self, type_name: str) -> tuple[str, int]:
        if type_name == "Customer":
            return ("organisation_id", self.site.organisation_id)
        return self.scope


# The stored rows an import's items update, by id(item) (an item without one is created).
Rows: TypeAlias = dict[int, Record]
# (id(item), field) -> the row its reference names (None: the item gave null).
Refs: TypeAlias = dict[tuple[int, str], Record | None]


@dataclass
class Planned:
    """An item that passed its checks: what to write."""

    item: Item
    row: Record | None  # the stored row it updates, or None to create
    values: dict[str, Any]  # create: every column; update: the changed ones
    eligible: list[tuple[ItemCategory, str]] | None = None  # Terms owners: the list to store
    eligible_changed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def stored(self) -> Record:
        """The stored row of an update (every update has one)."""
        assert self.row is not None, "a create has no stored row"
        return self.row


def _current(row: Record | None) -> Mapping[str, Any]:
    """A stored row's columns by name (none for a create). `RowMapping` is keyed by names,
    columns and positions alike; the planner reads names only."""
    return {} if row is None else cast(Mapping[str, Any], row._mapping)


def _problem_field(problem: Problem) -> str:
    return ".".join(problem.field)


def _refuse_problems(item: Item, problems: Sequence[Problem]) -> None:
    for problem in problems:
        item.refuse(_problem_field(problem), problem.message)


async def plan_and_write(ctx: Context, type_name: str, items: list[Item]) -> list[Outcome]:
    """Plans `items` (all of `type_name`) and writes what changes; returns each one's outcome,
    a refused item's reasons being in its `problems`."""
    outcomes: dict[int, Outcome] = {}
    pending = list(enumerate(items))
    # A key given twice in a batch: the later record is planned in a later round, against what
    # the earlier one wrote (so a repeated record is "unchanged", as it would be a batch later).
    while pending:
        round_items, seen, later = [], set(), []
        for index, item in pending:
            if item.key and item.key in seen:
                later.append((index, item))
                continue
            if item.key:
                seen.add(item.key)
            round_items.append((index, item))
        for (index, _), outcome in zip(
            round_items,
            await _round(ctx, type_name, [item for _, item in round_items]),
            strict=True,
        ):
            outcomes[index] = outcome
        pending = later
    return [outcomes[index] for index in range(len(items))]


async def _round(ctx: Context, type_name: str, items: list[Item]) -> list[Outcome]:
    table = TABLES[type_name]
    live = [item for item in items if not item.problems]
    by_external, by_unique = await stored.rows_by_keys(
        ctx.session,
        table,
        ctx.scope_of(type_name),
        {i.key.external_id for i in live if i.key.external_id is not None},
        {i.key.unique_id for i in live if i.key.unique_id is not None},
    )
    rows = {}
    for item in live:
        row = _found(item.key, by_external, by_unique)
        if row is not None:
            rows[id(item)] = row
    fresh_uids = {i.unique_id for i in live if id(i) not in rows and i.unique_id is not None}
    taken = await stored.unique_ids_taken(ctx.session, table, fresh_uids) if fresh_uids else set()
    for item in live:
        if id(item) not in rows and item.unique_id in taken:
            item.refuse(
                "uniqueId",
                "another record has this uniqueId (on another site, or under another externalId)",
            )
    refs = await _resolve_references(ctx, [i for i in live if not i.problems])
    planner = PLANNERS[type_name]
    planned = await planner(ctx, [i for i in live if not i.problems], rows, refs)
    outcomes = []
    by_item = {id(p.item): p for p in planned}
    creates, updates = [], []
    for item in items:
        plan = by_item.get(id(item))
        if item.problems or plan is None:
            outcomes.append(Outcome.REFUSED)
        elif plan.row is None:
            creates.append(plan)
            outcomes.append(Outcome.CREATED)
        elif plan.values or plan.eligible_changed:
            updates.append(plan)
            outcomes.append(Outcome.UPDATED)
        else:
            outcomes.append(Outcome.UNCHANGED)
    # The checks above make this rare (a restore meeting a live twin the batch did not look
    # up); the import then stops, naming the rule, and nothing is written.
    with unique_violations():
        await WRITERS.get(type_name, _write)(ctx, type_name, creates, updates)
    return outcomes


def _found(
    key: Key, by_external: Mapping[str, Record], by_unique: Mapping[uuid.UUID, Record]
) -> Record | None:
    """The row a key names among those looked up: by externalId when it has one."""
    if key.external_id is not None:
        return by_external.get(key.external_id)
    return None if key.unique_id is None else by_unique.get(key.unique_id)


async def _resolve_references(ctx: Context, items: list[Item]) -> Refs:
    """(id(item), field) -> the referenced row, for every reference given (None: null given);
    an unresolved reference refuses its item."""
    from app.transfer.records import REFERENCE_FIELDS

    wanted: dict[str, list[Key]] = {}
    for item in items:
        for name, key in item.refs.items():
            if key is not None:
                wanted.setdefault(REFERENCE_FIELDS[item.type][name], []).append(key)
    found: dict[str, tuple[dict[str, Record], dict[uuid.UUID, Record]]] = {}
    for target, keys in wanted.items():
        found[target] = await stored.rows_by_keys(
            ctx.session,
            TABLES[target],
            ctx.scope_of(target),
            {k.external_id for k in keys if k.external_id is not None},
            {k.unique_id for k in keys if k.unique_id is not None},
        )
    resolved: Refs = {}
    for item in items:
        for name, key in item.refs.items():
            if key is None:
                resolved[(id(item), name)] = None
                continue
            target = REFERENCE_FIELDS[item.type][name]
            by_external, by_unique = found[target]
            row = _found(key, by_external, by_unique)
            if row is None:
                place = (
                    "in this import or on this site"
                    if target != "Customer"
                    else "in this import or in the site's organisation"
                )
                item.refuse(name, f"no {target} with {key} {place}")
            resolved[(id(item), name)] = row
    return resolved


def _record_columns(ctx: Context, item: Item, row: Record | None) -> dict[str, Any]:
    """Common columns: on create every one; on update those given that differ."""
    given = {
        name: item.columns[name] for name in ("external_id", "deleted_at") if name in item.columns
    }
    if row is not None:
        return _changed(row, given)
    return {
        "unique_id": item.unique_id or next(_FRESH_IDS),
        "created_at": item.columns.get("created_at", ctx.now),
        "updated_at": ctx.now,
        "updated_by": ctx.subject,
        "deleted_at": None,
        "external_id": None,
        **given,
    }


def _fresh_ids() -> Iterator[uuid.UUID]:
    """Version 4 UUIDs as uuid.uuid4() makes them (16 bytes of os.urandom each), the random
    bytes drawn 1,024 ids at a time: os.urandom lets go of the GIL, and while another thread
    holds it (aiosqlite's, a reading thread once tried) getting it back waits for that thread's
    turn to end (profiled at ~90 us an id then, against ~6 us alone)."""
    while True:
        block = os.urandom(16 * 1024)
        for start in range(0, len(block), 16):
            yield uuid.UUID(bytes=block[start : start + 16], version=4)


_FRESH_IDS = _fresh_ids()


def _changed(row: Record, values: Mapping[str, Any]) -> dict[str, Any]:
    mapping = row._mapping
    return {name: value for name, value in values.items() if mapping[name] != value}


_COMMON_COLUMNS = frozenset({"external_id", "deleted_at", "created_at"})


def _own_columns(item: Item, type_name: str) -> dict[str, Any]:
    return {name: value for name, value in item.columns.items() if name not in _COMMON_COLUMNS}


def _check_texts(item: Item, values: Mapping[str, Any], required: tuple[str, ...] = ()) -> None:
    _refuse_problems(item, text_problems(values, TEXT_LIMITS[item.type], (), required=required))


# ---- per type -------------------------------------------------------------------------------


async def _plan_customers(ctx: Context, items: list[Item], rows: Rows, refs: Refs) -> list[Planned]:
    planned = []
    for item in items:
        row = rows.get(id(item))
        own = _own_columns(item, "Customer")
        checked = {**own, "external_id": item.columns.get("external_id")}
        if row is None:
            checked.setdefault("full_name", None)
        _refuse_problems(item, customers.customer_problems(checked, ()))
        if item.problems:
            continue
        if row is None:
            values = {**customers.DEFAULTS, **own, **_record_columns(ctx, item, None)}
            values["organisation_id"] = ctx.site.organisation_id
        else:
            values = {**_changed(row, own), **_record_columns(ctx, item, row)}
        planned.append(Planned(item, row, values))
    return planned


async def _plan_terms_owners(
    ctx: Context, items: list[Item], rows: Rows, refs: Refs
) -> list[Planned]:
    if not items:
        return []
    type_name = items[0].type
    owner_column = OWNER_COLUMN[type_name]
    existing = [rows[id(i)] for i in items if id(i) in rows]
    stored_lists = await stored.eligible_lists(ctx.session, owner_column, [r.id for r in existing])
    planned = []
    for item in items:
        row = rows.get(id(item))
        own = _own_columns(item, type_name)
        if "code" in own and own["code"] is not None:
            own["code"] = own["code"].strip()
        required = ("name",) if type_name == "Coupon" else ("code",)
        if row is None:
            for name in required:
                own.setdefault(name, None)
        _check_texts(item, own, required=required)
        if (
            type_name == "DiscountCode"
            and own.get("code")
            and not any(f == "code" for f, _ in item.problems)
        ):
            _refuse_problems(item, code_problems(own["code"], ("code",)))
        if row is None and not item.has_terms:
            item.refuse("terms", f"is required to create a {type_name}")
        current_eligible = None if row is None else _eligible_of(row, stored_lists.get(row.id, []))
        columns, eligible = {}, None
        if item.has_terms:
            merged, problems = _merged_terms(ctx, item, row, current_eligible)
            _refuse_problems(item, problems)
            columns = dict(merged.columns)
            eligible = merged.eligible
            _disabled_at(item, columns)
        if item.problems:
            continue
        if row is None:
            values = {**own, **columns, **_record_columns(ctx, item, None), "times_used": 0}
            values.update(site_id=ctx.site.id, organisation_id=ctx.site.organisation_id)
            values.setdefault("description", None)
            planned.append(Planned(item, None, values, _eligible_rows(eligible or {})))
            continue
        changed = {
            **_changed(row, own),
            **_changed(row, columns),
            **_record_columns(ctx, item, row),
        }
        eligible_changed = eligible is not None and eligible != current_eligible
        planned.append(
            Planned(
                item,
                row,
                changed,
                _eligible_rows(eligible or {}) if eligible_changed else None,
                eligible_changed,
            )
        )
    if type_name == "DiscountCode":
        await _check_codes(ctx, planned, t.DISCOUNT_CODE, "site_id", lambda p: ctx.site.id)
    return [p for p in planned if not p.item.problems]


def _merged_terms(
    ctx: Context,
    item: Item,
    row: Record | None,
    current_eligible: Mapping[ItemCategory, frozenset[str]] | None,
) -> tuple[TermsValues, list[Problem]]:
    """merge_terms' answer for the item's Terms over the stored row (None: a create).

    The reading worked out the answer over nothing (`item.created`: columns, eligible lists and
    problems; see app/transfer/reading.py).
    A create takes it as it is. An update whose stored Terms are already that answer takes it
    too: merging the same changes again over their own result gives that result (each given
    field is set as before, every other one is the result's, which was valid), which
    tests/transfer/test_terms_merge.py checks; it is the common case of a re-import. Any other
    update is merged over what is stored.
    """
    if item.created is None:
        merged, problems = ctx.terms.validated(item.terms or {}, None, {}, ("terms",))
    else:
        columns, eligible, problems = item.created
        merged = TermsValues(columns, eligible)
    if row is None or (
        not problems and current_eligible == merged.eligible and _holds(row, merged.columns)
    ):
        return merged, problems
    return ctx.terms.validated(item.terms or {}, _current(row), current_eligible or {}, ("terms",))


def _holds(row: Record, columns: Mapping[str, Any]) -> bool:
    """Whether the stored row has exactly these Terms columns (type and value)."""
    mapping = row._mapping
    for name, value in columns.items():
        held = mapping[name]
        if held != value or type(held) is not type(value):
            return False
    return True


def _disabled_at(item: Item, columns: dict[str, Any]) -> None:
    """`disabledAt` given: the instant it was disabled (null: enabled); with `active` it must agree."""
    if item.disabled_at is ...:
        return
    active = item.terms_active
    if active is not None and active != (item.disabled_at is None):
        item.refuse("terms.disabledAt", "disagrees with terms.active")
        return
    columns["disabled_at"] = item.disabled_at


def _eligible_of(
    row: Record, items: list[tuple[ItemCategory, str]]
) -> dict[ItemCategory, frozenset[str]]:
    from app.db.tables import CATEGORY_FLAGS

    lists: dict[ItemCategory, set[str]] = {
        c: set() for c, flag in CATEGORY_FLAGS.items() if getattr(row, flag)
    }
    for category, item_id in items:
        if category in lists:
            lists[category].add(item_id)
    return {category: frozenset(ids) for category, ids in lists.items()}


def _eligible_rows(
    eligible: Mapping[ItemCategory, frozenset[str]],
) -> list[tuple[ItemCategory, str]]:
    return [(category, item_id) for category, ids in eligible.items() for item_id in sorted(ids)]


async def _check_codes(
    ctx: Context,
    planned: list[Planned],
    table: Table,
    scope_column: str,
    scope_of: Callable[[Planned], int],
) -> None:
    """Codes are unique among the live codes of their scope (site, or coupon) in any letter case:
    against the database and within the batch."""
    wanted: dict[tuple[int, str], list[Planned]] = {}
    for plan in planned:
        if plan.item.problems:
            continue
        if plan.row is not None and "code" not in plan.values and "deleted_at" not in plan.values:
            continue  # a stored code keeping its string and state is already unique
        final = {**_current(plan.row), **plan.values}
        if final.get("deleted_at") is not None or not final.get("code"):
            continue
        plan.extra["code_key"] = (scope_of(plan), code_key(final["code"]))
        wanted.setdefault(plan.extra["code_key"], []).append(plan)
    taken = await stored.live_codes(ctx.session, table, scope_column, list(wanted))
    where = (
        "the site's live discount codes" if scope_column == "site_id" else "the coupon's live codes"
    )
    for pair, plans in wanted.items():
        holder = taken.get(pair)
        for position, plan in enumerate(plans):
            own_id = None if plan.row is None else plan.row.id
            if holder is not None and holder != own_id:
                plan.item.refuse("code", f"{pair[1]!r} is taken among {where} (in any letter case)")
            elif position > 0:
                first = plans[0].item
                plan.item.refuse(
                    "code", f"{pair[1]!r} is also the code of record {first.number} of {first.file}"
                )


async def _plan_coupon_codes(
    ctx: Context, items: list[Item], rows: Rows, refs: Refs
) -> list[Planned]:
    planned = []
    for item in items:
        row = rows.get(id(item))
        own = _own_columns(item, "CouponCode")
        coupon = refs.get((id(item), "coupon"))
        if row is None and "coupon" not in item.refs:
            item.refuse("coupon", "is required to create a CouponCode")
        elif (
            row is not None
            and "coupon" in item.refs
            and (coupon is None or coupon.id != row.coupon_id)
        ):
            item.refuse("coupon", "a code cannot move to another coupon")
        if "code" in own:
            if own["code"] is None:
                item.refuse("code", "must not be null")
            else:
                own["code"] = own["code"].strip()
                _refuse_problems(item, code_problems(own["code"], ("code",)))
        elif row is None:
            item.refuse("code", "is required to create a CouponCode")
        _check_texts(item, {k: v for k, v in own.items() if k != "code"})
        if own.get("revenue") is not None and own["revenue"] < 0:
            item.refuse("revenue", "revenue must not be negative")
        if "customer" in item.refs:
            customer = refs.get((id(item), "customer"))
            own["customer_id"] = None if customer is None else customer.id
        current = _current(row)
        window, problems = window_changes(
            item.bounds, current, ("valid_from", "valid_to"), ctx.site.time_zone, ()
        )
        _refuse_problems(item, problems)
        own.update(window)
        final = {**current, **own}
        if final.get("customer_credit_id") is not None and final.get("customer_id") is None:
            item.refuse("customerCreditId", "a customer credit needs the customer it belongs to")
        if row is None and coupon is None and not item.problems:  # `coupon: null`
            item.refuse("coupon", "is required to create a CouponCode")
        if item.problems:
            continue
        if row is None:
            assert coupon is not None  # refused above otherwise
            values = {
                "valid_from": None, "valid_to": None, "multi_use": False, "customer_id": None,
                "customer_credit_id": None, "revenue": None, **own, **_record_columns(ctx, item, None),
                "coupon_id": coupon.id, "site_id": ctx.site.id,
                "organisation_id": ctx.site.organisation_id, "times_used": 0,
            }  # fmt: skip
            planned.append(Planned(item, None, values))
        else:
            planned.append(
                Planned(item, row, {**_changed(row, own), **_record_columns(ctx, item, row)})
            )
    await _check_codes(
        ctx, planned, t.COUPON_CODE, "coupon_id",
        lambda p: p.values.get("coupon_id") or p.stored.coupon_id,
    )  # fmt: skip
    return [p for p in planned if not p.item.problems]


def _code_of(item: Item, row: Record | None, refs: Refs) -> tuple[str | None, Record | None]:
    """The code column ("discount_code_id" or "coupon_code_id") and code row a record names;
    exactly one must be given on create, and neither can change on update."""
    given = [
        (name, refs.get((id(item), name)))
        for name in ("discountCode", "couponCode")
        if item.refs.get(name)
    ]
    if len(given) > 1:
        item.refuse("couponCode", "give discountCode or couponCode, not both")
        return None, None
    if not given:
        if row is None:
            item.refuse("discountCode", "discountCode or couponCode is required")
        return None, None
    name, code = given[0]
    column = "discount_code_id" if name == "discountCode" else "coupon_code_id"
    if row is not None and code is not None and row._mapping[column] != code.id:
        item.refuse(name, "the code of an existing record cannot change")
    return column, code


async def _plan_assignments(
    ctx: Context, items: list[Item], rows: Rows, refs: Refs
) -> list[Planned]:
    # A record whose key matches nothing may still be the live assignment of its customer and
    # code (the one-live-assignment rule would refuse a second).
    natural: dict[str, list[tuple[int, int]]] = {"discount_code_id": [], "coupon_code_id": []}
    codes: dict[int, tuple[str | None, Record | None]] = {}
    for item in items:
        codes[id(item)] = _code_of(item, rows.get(id(item)), refs)
        column, code = codes[id(item)]
        customer = refs.get((id(item), "customer"))
        if column and code is not None and customer is not None:
            natural[column].append((customer.id, code.id))
    held = {
        column: await stored.live_assignments(ctx.session, column, pairs)
        for column, pairs in natural.items()
        if pairs
    }
    coupon_ids = {
        code.coupon_id
        for column, code in codes.values()
        if column == "coupon_code_id" and code is not None
    }
    coupons_by_id = await stored.rows_by_ids(ctx.session, t.COUPON, coupon_ids)
    planned: list[Planned] = []
    claimed: dict[int | tuple[str, int, int], Item] = {}
    for item in items:
        row = rows.get(id(item))
        column, code = codes[id(item)]
        customer = refs.get((id(item), "customer"))
        if row is None and "customer" not in item.refs:
            item.refuse("customer", "is required to create an Assignment")
        elif (
            row is not None
            and "customer" in item.refs
            and (customer is None or customer.id != row.customer_id)
        ):
            item.refuse("customer", "the customer of an existing assignment cannot change")
        if row is None and column and code is not None and customer is not None:
            row = held.get(column, {}).get((customer.id, code.id))
        own = _own_columns(item, "Assignment")
        _check_texts(item, own)
        if "referrer" in item.refs:
            referrer = refs.get((id(item), "referrer"))
            own["referrer_id"] = None if referrer is None else referrer.id
        current = _current(row)
        window, problems = window_changes(
            item.bounds, current, ("valid_from", "expires_on"), ctx.site.time_zone, ()
        )
        _refuse_problems(item, problems)
        own.update(window)
        if item.problems:
            continue
        if row is not None:
            if row.id in claimed:
                first = claimed[row.id]
                item.refuse(
                    "customer",
                    f"the customer already holds this code (record {first.number} of {first.file})",
                )
                continue
            claimed[row.id] = item
            planned.append(
                Planned(item, row, {**_changed(row, own), **_record_columns(ctx, item, row)})
            )
            continue
        if customer is None or code is None or column is None:  # `customer: null`
            item.refuse("customer", "is required to create an Assignment")
            continue
        values: dict[str, Any] = {
            "valid_from": None, "notes": None, "booking_reference": None, "referrer_id": None,
            **own, **_record_columns(ctx, item, None),
            "customer_id": customer.id, "discount_code_id": None, "coupon_code_id": None,
            column: code.id, "site_id": ctx.site.id, "organisation_id": ctx.site.organisation_id,
            "times_used": 0,
        }  # fmt: skip
        if "expires_on" not in own:
            terms = code if column == "discount_code_id" else coupons_by_id[code.coupon_id]
            values["expires_on"] = _default_expiry(terms, values["created_at"], ctx.site.time_zone)
            if (
                values["expires_on"] is not None
                and values["valid_from"] is not None
                and values["expires_on"] <= values["valid_from"]
            ):
                item.refuse("expiresOn", "expiresOn must be after validFrom")
                continue
        pair = (column, customer.id, code.id)
        if pair in claimed and values["deleted_at"] is None:
            first = claimed[pair]
            item.refuse(
                "customer",
                f"the customer already holds this code (record {first.number} of {first.file})",
            )
            continue
        if values["deleted_at"] is None:  # only a live assignment holds the code
            claimed[pair] = item
        planned.append(Planned(item, None, values))
    return planned


def _default_expiry(terms: Record, assigned_at: datetime, time_zone: str) -> datetime | None:
    """The expiry the Terms row `terms` (a discount code's or a coupon's) gives an assignment."""
    if terms.expiration_unit is None or terms.expires_in is None:
        return None
    return relative_expiry(assigned_at, terms.expiration_unit, terms.expires_in, time_zone)


async def _plan_redemptions(
    ctx: Context, items: list[Item], rows: Rows, refs: Refs
) -> list[Planned]:
    pairs: dict[str, list[tuple[int, int]]] = {"discount_code_id": [], "coupon_code_id": []}
    codes: dict[int, tuple[str | None, Record | None]] = {}
    for item in items:
        if not item.key:
            item.refuse(
                "externalId",
                "a Redemption needs an externalId or uniqueId, so that importing it again cannot count the use twice",
            )
            continue
        codes[id(item)] = _code_of(item, rows.get(id(item)), refs)
        column, code = codes[id(item)]
        customer = refs.get((id(item), "customer"))
        if (
            rows.get(id(item)) is None
            and column
            and code is not None
            and customer is not None
            and "assignment" not in item.refs
        ):
            pairs[column].append((customer.id, code.id))
    held = {
        column: await stored.live_assignments(ctx.session, column, found)
        for column, found in pairs.items()
        if found
    }
    planned = []
    for item in items:
        if item.problems:
            continue
        row = rows.get(id(item))
        own = _own_columns(item, "Redemption")
        _check_texts(item, own)
        if own.get("amount") is not None and own["amount"] < 0:
            item.refuse("amount", "amount must not be negative")
        if any(a < 0 for a in own.get("line_amounts", ())):
            item.refuse("lineAmounts", "line amounts must not be negative")
        currency = own.get("currency")
        if currency is not None and not is_currency_code(currency):
            item.refuse("currency", currency_problem(currency))
        if own.get("redeemed_at") is not None and own["redeemed_at"] > ctx.now:
            item.refuse("redeemedAt", "a use cannot be recorded ahead of now")
        if row is not None:
            others = {name: own[name] for name in _LEDGER_FIELDS if name in own}
            differs = sorted(_changed(row, others))
            if differs:
                item.refuse(
                    differs[0],
                    "a redemption is a ledger entry: only voidedAt can change on a re-import",
                )
            for name in ("customer", "assignment"):
                if name in item.refs:
                    target = refs.get((id(item), name))
                    if (None if target is None else target.id) != row._mapping[f"{name}_id"]:
                        item.refuse(
                            name,
                            "a redemption is a ledger entry: only voidedAt can change on a re-import",
                        )
            if item.problems:
                continue
            changes = _changed(row, {name: own[name] for name in ("voided_at",) if name in own})
            changes |= _changed(
                row,
                {n: item.columns[n] for n in ("external_id", "deleted_at") if n in item.columns},
            )
            if changes:
                changes.update(updated_at=ctx.now, updated_by=ctx.subject)
            planned.append(Planned(item, row, changes))
            continue
        for name in ("amount", "redeemed_at"):
            if name not in own:
                item.refuse({"amount": "amount", "redeemed_at": "redeemedAt"}[name], "is required")
        column, code = codes[id(item)]
        if item.problems or column is None or code is None:
            continue
        customer = refs.get((id(item), "customer"))
        if "assignment" in item.refs:
            assignment = refs.get((id(item), "assignment"))
        else:
            assignment = (
                None if customer is None else held.get(column, {}).get((customer.id, code.id))
            )
        if assignment is not None and assignment._mapping[column] != code.id:
            item.refuse("assignment", "the assignment is of another code")
            continue
        key = item.key
        idempotency = (
            f"import:{key.external_id}"
            if key.external_id is not None
            else f"import:uuid:{key.unique_id}"
        )
        if len(idempotency) > 128:
            item.refuse("externalId", "must be at most 120 characters long for a Redemption")
            continue
        values = {
            "order_reference": None, "channel": Channel.ONLINE, "is_lead_booker": False, "line_amounts": [],
            "voided_at": None, "currency": ctx.site.currency, **own, **_record_columns(ctx, item, None),
            "site_id": ctx.site.id, "organisation_id": ctx.site.organisation_id,
            "discount_code_id": None, "coupon_code_id": None, column: code.id,
            "coupon_id": code.coupon_id if column == "coupon_code_id" else None,
            "assignment_id": None if assignment is None else assignment.id,
            "customer_id": None if customer is None else customer.id,
            "idempotency_key": idempotency, "request_fingerprint": "import",
        }  # fmt: skip
        planned.append(Planned(item, None, values))
    return planned


# ---- writing --------------------------------------------------------------------------------


async def _write(
    ctx: Context, type_name: str, creates: list[Planned], updates: list[Planned]
) -> None:
    table = TABLES[type_name]
    needing = [p.values["unique_id"] for p in creates if p.eligible]
    ids = await stored.insert_many(ctx.session, table, [p.values for p in creates], ids_of=needing)
    await ctx.grew(table, len(creates))
    for plan in updates:
        values = dict(plan.values)
        if values and "updated_at" not in values:
            values.update(updated_at=ctx.now, updated_by=ctx.subject)
        if values:
            await stored.update_one(ctx.session, table, plan.stored.id, values)
    owner_column = OWNER_COLUMN.get(type_name)
    if owner_column is None:
        return
    fresh = {ids[p.values["unique_id"]]: p.eligible for p in creates if p.eligible}
    await stored.replace_eligible_lists(ctx.session, owner_column, fresh, fresh=True)
    changed = {p.stored.id: p.eligible or [] for p in updates if p.eligible_changed}
    await stored.replace_eligible_lists(ctx.session, owner_column, changed, fresh=False)


async def _write_redemptions(
    ctx: Context, type_name: str, creates: list[Planned], updates: list[Planned]
) -> None:
    await ledger.insert_imported(ctx.session, [p.values for p in creates], ctx.now)
    await ctx.grew(t.REDEMPTION, len(creates))
    voided = [p for p in updates if p.values]
    for plan in voided:
        await stored.update_one(ctx.session, t.REDEMPTION, plan.stored.id, plan.values)
    if voided:
        await ledger.recount_owners_of(ctx.session, [p.stored for p in voided])


PLANNERS = {
    "Customer": _plan_customers,
    "Coupon": _plan_terms_owners,
    "DiscountCode": _plan_terms_owners,
    "CouponCode": _plan_coupon_codes,
    "Assignment": _plan_assignments,
    "Redemption": _plan_redemptions,
}
WRITERS = {"Redemption": _write_redemptions}
