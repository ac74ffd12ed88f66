"""Large generated data sets for benchmarks: `seed_scale(engine, codes=100_000)`.

The shape follows the demo (organisations of two sites each, one GBP and one EUR site per
organisation), with randomised Terms covering every column, codes spread over coupons, and
discount codes, customers, assignments and redemptions in proportion to the number of codes.
Every row satisfies the constraints, and redemptions go through the rules engine, so a
benchmark sees realistic caps, windows and `times_used` counters.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.demo.demo import DEFAULT_SEED
from app.demo.plan import Item, Plan, Row
from app.demo.writer import ensure_empty, resolve_progress, write_plan
from app.domain.enums import CustomerKind, ExpirationUnit, ItemCategory, UsagePeriod

DEFAULT_CODES_PER_COUPON = 10

_FIRST = ["Ana", "Ben", "Chloé", "Dev", "Emma", "Felix", "Grace", "Hiro", "Isla", "Jonas", "Kemi", "Lena", "Marco", "Nina", "Oscar", "Priya", "Quentin", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Xavier", "Yara", "Zoe", "Alice", "Bruno", "Carmen", "Daniel"]  # fmt: skip
_LAST = ["López", "Carter", "Martin", "Patel", "Schulz", "Wagner", "O'Neill", "Tanaka", "McGregor", "Becker", "Adeyemi", "Fischer", "Rossi", "Petrova", "Lindqvist", "Shah", "Dubois", "Jiménez", "Okafor", "Hassan", "Green", "Sánchez", "Ortega", "Kim"]  # fmt: skip
_COMPANY = [
    "Acme",
    "Brightleaf",
    "Copperline",
    "Dune",
    "Elbe",
    "Fable",
    "Granite",
    "Harbour",
    "Ironwood",
    "Juniper",
]
_SUFFIX = ("Ltd", "GmbH", "SL", "LLP", "Co")
_SITE_KINDS = (("GBP", "Europe/London", 2000), ("EUR", "Europe/Berlin", 1900))
_CATEGORY_ITEMS = {
    ItemCategory.PRICE_PLAN: ("plan", (15_000, 95_000)),
    ItemCategory.BOOKING: ("booking", (800, 25_000)),
    ItemCategory.PRODUCT: ("product", (300, 5_000)),
    ItemCategory.EVENT: ("event", (1_000, 9_000)),
    ItemCategory.OFFERING: ("offering", (2_500, 15_000)),
}
_EXPIRES_IN = {
    ExpirationUnit.DAY: (7, 14, 30, 90),
    ExpirationUnit.WEEK: (1, 2, 4, 8),
    ExpirationUnit.MONTH: (1, 3, 6, 12),
}


@dataclass(frozen=True)
class ScaleSummary:
    counts: dict[str, int]
    codes: int
    coupons: int
    seed: int
    plan_seconds: float
    write_seconds: float
    cpu_seconds: float = 0.0  # this process only (the database server's work is not in it)

    @property
    def seconds(self) -> float:
        return self.plan_seconds + self.write_seconds

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        counts = ", ".join(f"{name}: {n:,}" for name, n in self.counts.items())
        return [
            f"Scale data: {self.codes:,} coupon codes under {self.coupons:,} coupons (seed"
            f" {self.seed}).",
            f"Rows: {counts} ({self.rows:,} in all).",
            f"Took {self.seconds:.1f} s: planned in {self.plan_seconds:.1f} s, written in"
            f" {self.write_seconds:.1f} s ({self.rows / max(self.write_seconds, 1e-9):,.0f}"
            f" rows/s); {self.cpu_seconds:.1f} s of CPU in this process.",
        ]


def _spread(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def scale_sizes(
    codes: int,
    *,
    coupons: int | None = None,
    codes_per_coupon: int | None = None,
    discount_codes: int | None = None,
    customers: int | None = None,
    assignments: int | None = None,
    redemptions: int | None = None,
) -> dict[str, int]:
    """How many of each thing `codes` coupon codes come with (explicit values win)."""
    if codes < 1:
        raise ValueError(f"codes must be at least 1, got {codes}")
    if coupons is None:
        per = DEFAULT_CODES_PER_COUPON if codes_per_coupon is None else codes_per_coupon
        if per < 1:
            raise ValueError(f"codes_per_coupon must be at least 1, got {per}")
        coupons = math.ceil(codes / per)
    elif codes_per_coupon is not None and coupons * codes_per_coupon != codes:
        raise ValueError(
            f"{coupons} coupons of {codes_per_coupon} codes is not {codes} codes;"
            " give coupons or codes_per_coupon, not both"
        )
    if not 1 <= coupons <= codes:
        raise ValueError(f"coupons must be between 1 and codes ({codes}), got {coupons}")
    given = {"discount_codes": discount_codes, "customers": customers,
             "assignments": assignments, "redemptions": redemptions}  # fmt: skip
    defaults = {"discount_codes": max(10, codes // 10), "customers": max(50, codes // 20),
                "assignments": codes // 20, "redemptions": codes // 10}  # fmt: skip
    sizes = {"codes": codes, "coupons": coupons}
    sizes |= {k: defaults[k] if v is None else v for k, v in given.items()}
    for name, value in sizes.items():
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")
    if sizes["customers"] < 1:
        raise ValueError("at least one customer is needed")
    return sizes


class _Scale:
    def __init__(self, plan: Plan) -> None:
        self.p = plan
        self.customers: dict[int, list[Row]] = defaultdict(list)

    def window(self) -> Row:
        p, r, randint = self.p, self.p.rng.random(), self.p.rng.randint
        if r < 0.45:
            return {}
        if r < 0.70:
            return {"valid_from": p.ago(randint(30, 300))}
        if r < 0.85:
            return {"valid_from": p.ago(randint(10, 200)), "valid_to": p.ahead(randint(5, 200))}
        if r < 0.95:
            start = randint(60, 360)
            return {"valid_from": p.ago(start), "valid_to": p.ago(randint(1, start - 30))}
        return {"valid_from": p.ahead(randint(1, 30)), "valid_to": p.ahead(randint(31, 120))}

    def money(self, low: int, high: int) -> dict[str, int]:
        gbp = self.p.rng.randrange(low, high, 50)
        return {"GBP": gbp, "EUR": round(gbp * 1.17 / 50) * 50 or 50}

    def terms(self, *, standalone: bool) -> Row:
        """Random Terms columns; `standalone` (discount codes) adds what only they use."""
        p, rng = self.p, self.p.rng
        values: Row = self.window()
        if rng.random() < 0.25:
            values["usage_period"] = rng.choice(list(UsagePeriod))
            values["max_uses"] = rng.choice((5, 10, 20, 50, 100))
        elif rng.random() < 0.3:
            values["max_uses"] = rng.choice((10, 50, 100, 500, 1000))
        for chance, draw in (
            (0.3, lambda: {"max_uses_per_customer": rng.choice((1, 2, 3, 5))}),
            (0.15, lambda: {"max_uses_per_order": rng.choice((1, 2))}),
            (0.15, lambda: {"minimum_spend": self.money(1_000, 10_000)}),
            (0.1, lambda: {"apply_to_net_price": True}),
            (
                0.1,
                lambda: {
                    "publish_from": p.ago(rng.randint(1, 100)),
                    "publish_to": p.ahead(rng.randint(1, 100)),
                },
            ),
        ):
            if rng.random() < chance:
                values |= draw()
        audience = rng.random()
        if audience < (0.10 if standalone else 0.05):
            values["members_only"] = True
        elif audience < (0.18 if standalone else 0.08):
            values["contacts_only"] = True
        values |= {"lead_booker_only": True} if rng.random() < 0.03 else {}
        values |= {"box_office_only": True} if rng.random() < (0.05 if standalone else 0.02) else {}
        if standalone and rng.random() < 0.2:
            unit = values["expiration_unit"] = rng.choice(list(ExpirationUnit))
            # One count drawn for every unit, the unit's kept: the draws the data set has
            # always made, so that --scale data (and the benchmarks on it) stay the same.
            drawn = {each: rng.choice(counts) for each, counts in _EXPIRES_IN.items()}
            values["expires_in"] = drawn.get(unit, 1)  # a year: one
        values |= {"is_referral": True} if standalone and rng.random() < 0.05 else {}
        if rng.random() < 0.6:
            if rng.random() < 0.15:
                values["maximum_discount"] = self.money(1_000, 5_000)
            bp = rng.choice((500, 750, 1000, 1250, 1500, 2000, 2500, 3000, 5000, 10_000))
            return values | {"percentage_bp": bp}
        return values | {"amounts": self.money(200, 5_000)}

    def eligible(self, site: Row) -> dict[ItemCategory, list[str]] | None:
        rng = self.p.rng
        if rng.random() < 0.6:
            return None
        chosen = {}
        for category in rng.sample(list(_CATEGORY_ITEMS), rng.randint(1, 2)):
            items = [i.item_id for i in site["_catalogue"] if i.category is category]
            chosen[category] = rng.sample(items, rng.randint(0, 3))
        return chosen

    def offer(self, table: str, site: Row, **values: Any) -> Row:
        """A coupon or discount code created in the last 400 days, now and then disabled or
        deleted since."""
        p = self.p
        created = p.ago(p.rng.uniform(20, 400)).replace(microsecond=0)
        terms = self.terms(standalone=table == "discount_code")
        eligible = self.eligible(site)
        r = p.rng.random()
        if r < 0.02:
            values["disabled_at"] = p.between(created, p.now)
        elif r < 0.03:
            values["deleted_at"] = p.between(created, p.now)
        return p.offer(table, site, eligible=eligible, created_at=created, **terms, **values)

    def world(self, sites: int, customers: int) -> list[Row]:
        """Organisations of two sites each (GBP, EUR), six items of each category per site,
        and `customers` spread over the organisations, now and then deleted."""
        p, rng = self.p, self.p.rng
        organisations = []
        for n in range(math.ceil(sites / 2)):
            name, staff = f"Scale Organisation {n + 1}", f"admin@org{n + 1}.example"
            organisations.append(p.organisation(name, staff=staff, created_at=p.ago(800)))
        site_rows = []
        for n in range(sites):
            currency, time_zone, vat = _SITE_KINDS[n % 2]
            catalogue = [
                Item(category, f"{stem}-{k + 1}", rng.randrange(low, high, 50))
                for category, (stem, (low, high)) in _CATEGORY_ITEMS.items()
                for k in range(6)
            ]
            site: Row = {
                "name": f"Scale Site {n + 1}",
                "currency": currency,
                "time_zone": time_zone,
            }
            site |= {"short": f"S{n + 1}", "vat_bp": vat, "created_at": p.ago(780)}
            site_rows.append(p.site(organisations[n // 2], catalogue=catalogue, **site))
        for n, count in enumerate(_spread(customers, len(organisations))):
            org = organisations[n]
            for k in range(count):
                created = p.ago(rng.uniform(30, 700)).replace(microsecond=0)
                deleted = p.between(created, p.now) if rng.random() < 0.01 else None
                if rng.random() < 0.2:
                    name = f"{rng.choice(_COMPANY)} {k} {rng.choice(_SUFFIX)}"
                    person = {"kind": CustomerKind.COMPANY, "is_member": rng.random() < 0.5}
                    person |= {"company_name": name, "billing_name": f"{name} (Accounts)"}
                    person |= {"email": f"accounts{k}@org{n + 1}-company.example"}
                    person |= {"external_id": f"EXT-C{n + 1}-{k}"}
                else:
                    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
                    person = {"is_member": rng.random() < 0.4, "billing_name": name}
                    person |= {"email": f"customer{k}@org{n + 1}.example"}
                    person |= {"external_id": f"EXT-P{n + 1}-{k}"}
                row = p.customer(
                    org, full_name=name, created_at=created, deleted_at=deleted, **person
                )
                if deleted is None:
                    self.customers[id(org)].append(row)
        return site_rows

    def coupons(self, sites: list[Row], coupons: int, codes: int) -> list[Row]:
        p, rng = self.p, self.p.rng
        code_rows = []
        strings = iter(p.new_codes(codes, length=8))
        for n, count in enumerate(_spread(codes, coupons)):
            site = sites[n % len(sites)]
            coupon = self.offer("coupon", site, name=f"Campaign {n + 1}")
            members = self.customers[id(site["organisation_id"])]
            for _ in range(count):
                kw: Row = {}
                if rng.random() < 0.3:
                    kw["multi_use"] = True
                if rng.random() < 0.05:
                    kw["valid_from"] = p.ago(rng.randint(10, 100))
                    kw["valid_to"] = p.ahead(rng.randint(1, 100))
                if rng.random() < 0.03:
                    kw["revenue"] = rng.randrange(500, 5_000, 100)
                if rng.random() < 0.01 and coupon["deleted_at"] is None:
                    kw["deleted_at"] = p.between(coupon["created_at"], p.now)
                owner = rng.choice(members) if members and rng.random() < 0.02 else None
                if owner is not None and rng.random() < 0.7:
                    kw["customer_credit_id"] = p.hex(24)
                code = p.coupon_code(coupon, next(strings), customer_id=owner, **kw)
                if owner is not None:
                    p.assignment(
                        code, owner, assigned_at=coupon["created_at"], notes="Pre-allocated"
                    )
                code_rows.append(code)
        return code_rows

    def discount_codes(self, sites: list[Row], count: int) -> list[Row]:
        strings = self.p.new_codes(count, length=8)
        return [
            self.offer("discount_code", sites[n % len(sites)], code=c)
            for n, c in enumerate(strings)
        ]

    def assignments(self, discount_codes: list[Row], count: int) -> None:
        p, rng = self.p, self.p.rng
        live = [c for c in discount_codes if c["deleted_at"] is None]
        taken: set[tuple[int, int]] = set()
        made = 0
        for _ in range(count * 3 if live else 0):
            if made == count:
                break
            code = rng.choice(live)
            holders = self.customers[id(code["organisation_id"])]
            customer = rng.choice(holders) if holders else None
            if customer is None or (id(code), id(customer)) in taken:
                continue
            taken.add((id(code), id(customer)))
            assigned = p.between(max(code["created_at"], customer["created_at"]), p.now)
            explicit = code.get("expiration_unit") is None and rng.random() < 0.4
            values: Row = {"valid_from": assigned, "expires_on": None}
            if explicit:
                values["expires_on"] = assigned + timedelta(days=rng.randint(7, 365))
            values["notes"] = rng.choice((None, None, "Welcome offer", "Loyalty", "Apology"))
            if rng.random() < 0.2:
                values["booking_reference"] = f"BK-{rng.randrange(10**7):07d}"
            if rng.random() < 0.01:
                values["deleted_at"] = p.between(assigned, p.now)
            p.assignment(code, customer, assigned_at=assigned, **values)
            made += 1

    def redemptions(self, coupon_codes: list[Row], discount_codes: list[Row], count: int) -> None:
        p, rng = self.p, self.p.rng
        # A few popular multi-use codes get many of the redemptions.
        multi_use = [c for c in coupon_codes if c.get("multi_use")]
        hot_codes = multi_use[: max(1, len(coupon_codes) // 100)]
        made = 0
        for _ in range(count * 4):
            if made == count:
                break
            r = rng.random()
            if r < 0.15 and hot_codes:
                code = rng.choice(hot_codes)
            elif r < 0.75 or not discount_codes:
                code = rng.choice(coupon_codes)
                if not code.get("multi_use") and p.uses(code):
                    continue  # single use, and used
            else:
                code = rng.choice(discount_codes)
            holders = p.assignments_of(code)
            if holders:
                customer = rng.choice(holders)["customer_id"]
            else:
                pool = self.customers[id(code["organisation_id"])]
                customer = rng.choice(pool) if pool and rng.random() < 0.9 else None
            voided = rng.random() < 0.03
            if p.redeem(code, customer=customer, voided=voided, tries=2) is not None:
                made += 1


def build_scale(
    *, codes: int, sites: int = 4, seed: int = DEFAULT_SEED, now: datetime | None = None,
    **sizes: int | None,
) -> Plan:  # fmt: skip
    """The scale data set as a plan (nothing written); see `seed_scale` for `sizes`."""
    counts = scale_sizes(codes, **sizes)
    if sites < 1:
        raise ValueError(f"sites must be at least 1, got {sites}")
    now = now or datetime.now(UTC).replace(second=0, microsecond=0)
    plan = Plan(seed=seed, now=now, updated_by="seed-scale")
    s = _Scale(plan)
    site_rows = s.world(sites, counts["customers"])
    coupon_codes = s.coupons(site_rows, counts["coupons"], counts["codes"])
    discount_rows = s.discount_codes(site_rows, counts["discount_codes"])
    s.assignments(discount_rows, counts["assignments"])
    s.redemptions(coupon_codes, discount_rows, counts["redemptions"])
    plan.settle()
    return plan


async def seed_scale(
    engine: AsyncEngine, *, codes: int, seed: int = DEFAULT_SEED, reset: bool = False,
    progress: bool | None = None, **options: Any,
) -> ScaleSummary:  # fmt: skip
    """Write a large data set: exactly `codes` coupon codes, spread evenly over `coupons`.

    `coupons` defaults to codes / `codes_per_coupon` (10), rounded up. By default there are
    codes/10 `discount_codes`, codes/20 `customers` (at least 50), codes/20 discount-code
    `assignments` (plus one per pre-allocated coupon code, about 2 %) and up to codes/10
    `redemptions` (fewer when caps and windows refuse the random attempts; the summary counts
    what was written). `sites` (4) come in pairs (GBP Europe/London, EUR Europe/Berlin) under
    one organisation each; `now` defaults to the current minute.

    Raises DatabaseNotEmpty, writing nothing, when any table has rows, unless `reset`.
    `progress`: a tqdm bar on stderr; None shows it when stderr is a terminal.
    """
    if not reset:
        await ensure_empty(engine)
    started, cpu = time.perf_counter(), time.process_time()
    plan = build_scale(codes=codes, seed=seed, **options)
    planned = time.perf_counter()
    counts = await write_plan(engine, plan, reset=reset, progress=resolve_progress(progress))
    return ScaleSummary(
        counts=counts,
        codes=len(plan.rows["coupon_code"]),
        coupons=len(plan.rows["coupon"]),
        seed=seed,
        plan_seconds=planned - started,
        write_seconds=time.perf_counter() - planned,
        cpu_seconds=time.process_time() - cpu,
    )
