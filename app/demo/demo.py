"""The demo data set: `demo.toml` (what there is, as data) made into a plan and written.

The file says which organisations, sites, customers, coupons, codes and assignments there are
and how many redemptions each code gets; this module reads it (the file's header explains the
notation) and knows the few rules that make customers' details from their names. Every time
is relative to `now` and every random choice comes from one seeded generator, in the file's
order, so a seed and a minute give the same rows and ids every time.
"""

from __future__ import annotations

import time
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.tables import COMBINES_WITH_FLAGS
from app.demo.plan import TABLES, Item, Plan, Row
from app.demo.writer import ensure_empty, resolve_progress, write_plan
from app.domain.enums import (
    Channel,
    CustomerKind,
    DiscountKind,
    ExpirationUnit,
    ItemCategory,
    UsagePeriod,
)

Spec = dict[str, Any]  # a table of demo.toml, as tomllib reads it

DEFAULT_SEED = 20_240_601
DATA = Path(__file__).with_name("demo.toml")

_TIMES = {"created_at", "deleted_at", "disabled_at", "valid_from", "valid_to"}
_TIMES |= {"publish_from", "publish_to", "assigned_at", "expires_on"}
_ENUMS = {"usage_period": UsagePeriod, "expiration_unit": ExpirationUnit}
_MEMBER = {"member": True, "contact": False}
_REDEMPTION_KEYS = {"count", "by", "voided", "channel", "anonymous", "chance"}


@dataclass(frozen=True)
class SiteInfo:
    id: int
    name: str
    organisation: str
    organisation_id: int
    currency: str
    time_zone: str


@dataclass(frozen=True)
class NotableCode:
    """A code worth trying, and what it shows."""

    code: str
    type: str  # "DiscountCode" or "CouponCode"
    id: int
    site_id: int
    site: str
    shows: str
    coupon: str | None = None


@dataclass(frozen=True)
class DemoSummary:
    counts: dict[str, int]
    sites: list[SiteInfo]
    codes: list[NotableCode]
    seconds: float = 0.0
    organisations: dict[str, int] = field(default_factory=dict)

    def code(self, code: str) -> NotableCode:
        return next(c for c in self.codes if c.code == code)

    def lines(self) -> list[str]:
        counts = ", ".join(f"{name}: {n}" for name, n in self.counts.items())
        out = [f"Demo data written in {self.seconds:.1f} s: {counts}.", "Sites:"]
        for s in self.sites:
            out.append(
                f"  site {s.id:<3} {s.name} ({s.organisation}, organisation {s.organisation_id})"
                f" {s.currency} {s.time_zone}"
            )
        out.append("Codes to try:")
        width = max(len(c.code) for c in self.codes)
        for c in self.codes:
            where = f"{c.type} {c.id} at site {c.site_id}"
            if c.coupon:
                where += f", coupon {c.coupon!r}"
            out.append(f"  {c.code:<{width}}  {where}: {c.shows}")
        return out


def ascii_slug(text: str, sep: str = ".") -> str:
    """`text` as lower-case ASCII words joined by `sep` ("Chloé Martin" -> "chloe.martin")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return sep.join("".join(c if c.isalnum() else " " for c in plain.lower()).split())


def load(path: Path = DATA) -> Spec:
    with path.open("rb") as file:
        return tomllib.load(file)


def _check_keys(table: str, values: Spec, where: str, *extra: str) -> None:
    """A misspelt key in the file is an error, not a value silently left out."""
    if unknown := set(values) - set(TABLES[table].columns.keys()) - set(extra):
        raise ValueError(f"{where}: unknown keys {sorted(unknown)} (not columns of {table})")


class _Builder:
    """Turns the file's sections into plan rows; `notes` collects the codes worth trying."""

    def __init__(self, plan: Plan) -> None:
        self.p = plan
        self.sites: dict[str, Row] = {}
        self.people: dict[str, Row] = {}
        self.pools: dict[int, dict[str, list[Any]]] = {}
        self.notes: list[tuple[Row, str]] = []

    def when(self, value: Any, where: str, **earlier: datetime) -> datetime:
        """A time of the file: days from now, an earlier time by name, or [a, b] (random)."""
        if isinstance(value, list) and len(value) == 2:
            start, end = (self.when(v, where, **earlier) for v in value)
            return self.p.between(start, end)
        if isinstance(value, str) and value in earlier:
            return earlier[value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.p.now + timedelta(days=value)
        raise ValueError(f"{where}: {value!r} is not a time (days from now, [a, b] or a name)")

    def values(self, spec: Spec, where: str, **earlier: datetime) -> Spec:
        """The file's values as column values: times, enums, a percent as basis points."""
        out: Spec = {}
        for key, value in spec.items():
            if key in _TIMES:
                out[key] = self.when(value, f"{where}, {key}", **earlier)
            elif key in _ENUMS:
                out[key] = _ENUMS[key](value)
            elif key == "percent":
                out["percentage_bp"] = round(value * 100)
            elif key == "combines_with":  # the kinds, stored as a flag each
                kinds = {DiscountKind[name] for name in value}
                out |= {flag: k in kinds for k, flag in COMBINES_WITH_FLAGS.items()}
            else:
                out[key] = value
        return out

    def lookup(self, rows: dict[str, Row], name: Any, where: str, what: str = "customer") -> Row:
        if name not in rows:
            raise ValueError(f"{where}: no {what} is called {name!r}")
        return rows[name]

    def site(self, organisation: Row, spec: Spec) -> None:
        prices = spec.pop("items")
        items = [
            Item(ItemCategory[c], item, price) for c in prices for item, price in prices[c].items()
        ]
        values = self.values(spec, where := f"site {spec.get('name')!r}")
        _check_keys("site", values, where, "short", "vat_bp")
        self.sites[spec["name"]] = self.p.site(organisation, catalogue=items, **values)

    def customers(self, organisation: Row, spec: Spec) -> None:
        """People (email and external id made from their name and place) and companies; the
        organisation's pools: live members, live contacts, and all of them (members first)."""
        p, ids, rows = self.p, spec["customer_external_ids"], []
        for index, (name, status, *works_for) in enumerate(spec["people"]):
            first, _, last = name.partition(" ")
            company = works_for[0] if works_for else None
            created = p.between(p.ago(400), p.ago(20))
            deleted = p.between(created, p.ago(3)) if name == spec.get("deleted_customer") else None
            email = f"{ascii_slug(first)}.{ascii_slug(last)}@example.com"
            person = {"full_name": name, "is_member": _MEMBER[status], "email": email}
            person |= {"billing_name": company or name, "company_name": company}
            person |= {"external_id": f"{ids}{1040 + index * 3}", "deleted_at": deleted}
            rows.append(p.customer(organisation, created_at=created, **person))
        for index, (name, status) in enumerate(spec["companies"]):
            email = f"accounts@{ascii_slug(name.removesuffix(' Ltd'), '-')}.example"
            company = {"full_name": name, "is_member": _MEMBER[status], "email": email}
            company |= {"billing_name": f"{name} (Accounts)", "company_name": name}
            company |= {"kind": CustomerKind.COMPANY, "external_id": f"{ids}{2100 + index * 7}"}
            rows.append(
                p.customer(organisation, created_at=p.between(p.ago(500), p.ago(60)), **company)
            )
        for row in rows:
            if self.people.setdefault(row["full_name"], row) is not row:
                raise ValueError(f"two customers are called {row['full_name']!r}")
        members = [c for c in rows if c["deleted_at"] is None and c["is_member"]]
        contacts = [c for c in rows if c["deleted_at"] is None and not c["is_member"]]
        pools = {"members": members, "contacts": contacts, "all": [*members, *contacts]}
        self.pools[id(organisation)] = pools

    def offer(self, spec: Spec) -> None:
        """A discount code (`code`) or a coupon (`coupon`) with its codes, then redemptions."""
        spec = dict(spec)
        name = spec.pop("coupon", None)
        where = f"offer {name or spec.get('code')!r}"
        site = self.lookup(self.sites, spec.pop("site", None), where, "site")
        shows, redemptions = spec.pop("shows", None), spec.pop("redemptions", None)
        assign, each = spec.pop("assign", {}), spec.pop("each_code", {})
        codes = spec.pop("codes", [])
        eligible = {ItemCategory[c]: ids for c, ids in spec.pop("eligible", {}).items()}
        table = "discount_code" if name is None else "coupon"
        values = self.values(spec, where) | ({} if name is None else {"name": name})
        _check_keys(table, values, where)
        row = self.p.offer(table, site, eligible=eligible, **values)
        if name is None:
            self.note(row, shows)
            defaults = {k: v for k, v in assign.items() if k != "to"}
            for entry in assign.get("to", []):
                self.assignment(row, defaults | entry, where)
            self.redeem(row, redemptions, where)
            return
        made = [
            self.coupon_code(row, each | entry, where)
            for entry in codes
            for _ in range(entry.get("repeat", 1))
        ]
        for code in made:  # a coupon's own `redemptions`: each code's, once all of them exist
            self.redeem(code, redemptions, where)

    def coupon_code(self, coupon: Row, spec: Spec, where: str) -> Row:
        spec = {k: v for k, v in spec.items() if k != "repeat"}
        holder = self.lookup(self.people, spec.pop("to"), where) if "to" in spec else None
        credit = self.p.hex(24) if spec.pop("credit", False) and holder else None
        assignment, shows = spec.pop("assignment", {}), spec.pop("shows", None)
        redemptions = spec.pop("redemptions", None)
        values = self.values(spec, f"{where}, code", coupon=coupon["created_at"])
        _check_keys("coupon_code", values, where, "prefix")
        code = values.pop("code", None)
        code = self.p.coupon_code(
            coupon, code, customer_id=holder, customer_credit_id=credit, **values
        )
        if holder is not None:
            values = self.values(assignment, f"{where}, assignment")
            _check_keys("assignment", values, where)
            self.p.assignment(code, holder, assigned_at=code["created_at"], **values)
        self.note(code, shows)
        self.redeem(code, redemptions, where)
        return code

    def assignment(self, code: Row, spec: Spec, where: str) -> None:
        spec = dict(spec)
        customer = self.lookup(self.people, spec.pop("customer", None), where)
        if "referrer" in spec:
            spec["referrer_id"] = self.lookup(self.people, spec.pop("referrer"), where)
        assigned = self.when(spec.pop("assigned_at"), f"{where}, assigned_at")
        values = self.values(spec, f"{where}, assignment", assigned_at=assigned)
        _check_keys("assignment", values, where)
        self.p.assignment(code, customer, assigned_at=assigned, **values)

    def redeem(self, code: Row, spec: int | Spec | None, where: str) -> None:
        """Up to `count` accepted redemptions of `code` (the file's header says by whom)."""
        spec = {"count": spec} if isinstance(spec, int) else spec or {"count": 0}
        if unknown := set(spec) - _REDEMPTION_KEYS:
            raise ValueError(f"{where}, redemptions: unknown keys {sorted(unknown)}")
        rng = self.p.rng
        if "chance" in spec and rng.random() >= spec["chance"]:
            return
        count, voided = spec["count"], spec.get("voided", 0)
        channel = Channel(spec["channel"]) if "channel" in spec else None
        holders = [a["customer_id"] for a in self.p.assignments_of(code)]
        pool = self.pools[id(code["organisation_id"])][spec.get("by", "all")]
        if code.get("customer_id") is not None:
            pool = [code["customer_id"]]
        elif holders:
            pool = holders
        else:
            pool = [*pool, *[None] * spec.get("anonymous", 0)]
        made = 0
        for _ in range(count * 30):
            if made == count + voided:
                break
            customer = rng.choice(pool) if pool else None
            if self.p.redeem(code, customer=customer, channel=channel, voided=made < voided):
                made += 1

    def note(self, row: Row, shows: str | None) -> None:
        if shows:
            self.notes.append((row, shows))


def build_demo(
    seed: int = DEFAULT_SEED, now: datetime | None = None, data: Spec | None = None
) -> tuple[Plan, list[tuple[Row, str]]]:
    """The demo as a plan (nothing written), and the notable codes as (row, what it shows).
    Organisations first, then their sites, their customers, and the offers in file order."""
    data = load() if data is None else data
    b = _Builder(Plan(seed=seed, now=now or _this_minute(), updated_by="seed"))
    organisations = []
    for spec in data["organisation"]:
        known = {"name", "staff", "created_at", "external_id", "site", "people", "companies"}
        if unknown := set(spec) - known - {"customer_external_ids", "deleted_customer"}:
            raise ValueError(f"organisation {spec.get('name')!r}: unknown keys {sorted(unknown)}")
        values = b.values(
            {k: spec[k] for k in ("created_at", "external_id") if k in spec}, "organisation"
        )
        organisations.append(b.p.organisation(spec["name"], staff=spec["staff"], **values))
    pairs = list(zip(data["organisation"], organisations, strict=True))
    for spec, row in pairs:
        for site in spec.get("site", []):
            b.site(row, dict(site))
    for spec, row in pairs:
        b.customers(row, spec)
    for spec in data["offer"]:
        b.offer(spec)
    b.p.settle()
    return b.p, b.notes


def _this_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


async def seed_demo(
    engine: AsyncEngine,
    *,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    now: datetime | None = None,
    progress: bool | None = False,
) -> DemoSummary:
    """Write the demo data set into an empty (migrated) database and describe it.

    Raises DatabaseNotEmpty, writing nothing, when any table has rows, unless `reset`, which
    empties every table first (in the same transaction). Deterministic for a given `seed` and
    `now` (default: the current minute; every time in the data is relative to it).
    """
    started = time.perf_counter()
    if not reset:
        await ensure_empty(engine)
    plan, notes = build_demo(seed, now)
    counts = await write_plan(engine, plan, reset=reset, progress=resolve_progress(progress))
    sites = [
        SiteInfo(
            s["id"],
            s["name"],
            s["organisation_id"]["name"],
            s["organisation_id"]["id"],
            s["currency"],
            s["time_zone"],
        )
        for s in plan.rows["site"]
    ]
    codes = []
    for row, shows in notes:
        is_coupon_code = row["_table"] == "coupon_code"
        kind, coupon = (
            ("CouponCode", row["coupon_id"]["name"]) if is_coupon_code else ("DiscountCode", None)
        )
        site = row["site_id"]
        codes.append(
            NotableCode(row["code"], kind, row["id"], site["id"], site["name"], shows, coupon)
        )
    organisations = {o["name"]: o["id"] for o in plan.rows["organisation"]}
    return DemoSummary(counts, sites, codes, time.perf_counter() - started, organisations)
