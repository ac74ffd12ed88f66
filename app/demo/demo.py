"""The demo data set: two organisations, four sites, ~50 customers, and codes that show
every feature of the model (DESIGN.md), with a handful of memorable codes for the README.

Northwind Workspaces (coworking, Nexudus-like): members-only codes with a relative expiry,
referral codes assigned with a referrer, pre-allocated founding-member coupons. Bluebell
Leisure (a spa in Bath and a theatre in Madrid, Trybe- and nuwebgroup-like): campaigns with
usage periods, gift vouchers with customer credits, box-office-only and net-price codes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from app.demo.plan import Item, Plan, Row, ascii_slug, terms
from app.demo.writer import ensure_empty, resolve_progress, write_plan
from app.domain.enums import (
    Channel,
    CustomerKind,
    DiscountKind,
    ExpirationUnit,
    ItemCategory,
    UsagePeriod,
)

DEFAULT_SEED = 20_240_601

PCT, FIXED = DiscountKind.PERCENTAGE, DiscountKind.FIXED
PLAN, BOOKING, PRODUCT, EVENT, OFFERING = (
    ItemCategory.PRICE_PLAN,
    ItemCategory.BOOKING,
    ItemCategory.PRODUCT,
    ItemCategory.EVENT,
    ItemCategory.OFFERING,
)


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


# -- the world ----------------------------------------------------------------------------

_SHOREDITCH = (
    Item(PLAN, "plan-hot-desk", 22_000),
    Item(PLAN, "plan-fixed-desk", 32_000),
    Item(PLAN, "plan-private-office", 95_000),
    Item(BOOKING, "room-boardroom", 6_000),
    Item(BOOKING, "room-meeting-4", 2_500),
    Item(PRODUCT, "day-pass", 2_500),
    Item(PRODUCT, "coffee-bundle", 1_200),
    Item(PRODUCT, "locker", 1_500),
    Item(EVENT, "event-founders-breakfast", 1_500),
)
_MITTE = (
    Item(PLAN, "plan-flex-desk", 19_000),
    Item(PLAN, "plan-fixed-desk", 29_000),
    Item(BOOKING, "room-spree", 4_000),
    Item(BOOKING, "phone-booth", 800),
    Item(PRODUCT, "day-pass", 2_900),
    Item(PRODUCT, "mail-handling", 3_500),
    Item(EVENT, "event-kiez-meetup", 1_000),
)
_BATH = (
    Item(OFFERING, "spa-day-classic", 9_500),
    Item(OFFERING, "spa-day-deluxe", 14_500),
    Item(OFFERING, "twilight-spa", 6_500),
    Item(BOOKING, "massage-60", 7_500),
    Item(BOOKING, "facial-45", 6_000),
    Item(PRODUCT, "robe", 4_500),
    Item(PRODUCT, "gift-set", 3_000),
    Item(EVENT, "yoga-morning", 1_800),
)
_MADRID = (
    Item(EVENT, "flamenco-night", 3_500),
    Item(EVENT, "jazz-matinee", 2_200),
    Item(EVENT, "opera-gala", 8_000),
    Item(OFFERING, "ticket-stalls", 4_500),
    Item(OFFERING, "ticket-balcony", 2_800),
    Item(PRODUCT, "programme", 800),
    Item(PRODUCT, "cava-glass", 900),
    Item(BOOKING, "private-box", 25_000),
)

# (full name, member?, company they book for) / (company, member?)
_NORTHWIND_PEOPLE = (
    ("Ana López", True, None),
    ("Ben Carter", True, "Copperline Analytics Ltd"),
    ("Chloé Martin", False, None),
    ("Dev Patel", True, None),
    ("Emma Schulz", True, "Elbe Software GmbH"),
    ("Felix Wagner", True, None),
    ("Grace O'Neill", False, None),
    ("Hiro Tanaka", True, "Fable Games Ltd"),
    ("Isla McGregor", False, None),
    ("Jonas Becker", True, None),
    ("Kemi Adeyemi", True, None),
    ("Lena Fischer", False, None),
    ("Marco Rossi", True, None),
    ("Nina Petrova", False, None),
    ("Oscar Lindqvist", True, "Brightleaf Studio GmbH"),
    ("Priya Shah", True, None),
    ("Quentin Dubois", False, None),
    ("Rosa Jiménez", False, None),
    ("Sam Okafor", True, None),
    ("Tariq Hassan", False, None),
)
_NORTHWIND_COMPANIES = (
    ("Acme Robotics Ltd", True),
    ("Brightleaf Studio GmbH", True),
    ("Copperline Analytics Ltd", True),
    ("Dune & Pine Architects", False),
    ("Elbe Software GmbH", True),
    ("Fable Games Ltd", False),
)
_BLUEBELL_PEOPLE = (
    ("Alice Green", True, None),
    ("Bruno Sánchez", False, None),
    ("Carmen Ortega", True, "Gran Vía Producciones SL"),
    ("Daniel Kim", False, None),
    ("Elena García", False, None),
    ("Freya Thompson", True, None),
    ("George Hughes", False, "Pemberton & Hale LLP"),
    ("Hannah Lewis", True, None),
    ("Iván Moreno", False, None),
    ("Julia Novak", False, None),
    ("Kofi Mensah", True, None),
    ("Lucía Navarro", True, None),
    ("Mia Evans", False, None),
    ("Noah Walker", False, None),
    ("Olivia Brown", True, None),
    ("Pablo Ruiz", False, None),
    ("Ruby Clarke", False, None),
    ("Sofia Romero", True, None),
    ("Tom Baker", False, None),
)
_BLUEBELL_COMPANIES = (
    ("Avon Valley Events Ltd", False),
    ("Cotswold Wellness Co", True),
    ("Gran Vía Producciones SL", False),
    ("Pemberton & Hale LLP", True),
    ("Sierra Tours SL", False),
)


class _Demo:
    """Builds the demo plan; `notes` collects the codes the summary points to."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.p = Plan(seed=seed, now=now, updated_by="seed")
        self.notes: list[tuple[Row, str]] = []

    def note(self, row: Row, shows: str) -> Row:
        self.notes.append((row, shows))
        return row

    def customers(
        self,
        org: Row,
        people: tuple[tuple[str, bool, str | None], ...],
        companies: tuple[tuple[str, bool], ...],
        *,
        external: str,
        deleted: str,
    ) -> tuple[list[Row], list[Row]]:
        p = self.p
        rows = []
        for index, (name, member, works_for) in enumerate(people):
            first, _, last = name.partition(" ")
            created = p.between(p.ago(400), p.ago(20))
            rows.append(
                p.customer(
                    org,
                    name,
                    is_member=member,
                    email=f"{ascii_slug(first)}.{ascii_slug(last)}@example.com",
                    billing_name=works_for or name,
                    company_name=works_for,
                    external_id=f"{external}{1040 + index * 3}",
                    created_at=created,
                    deleted_at=p.between(created, p.ago(3)) if name == deleted else None,
                )
            )
        for index, (name, member) in enumerate(companies):
            rows.append(
                p.customer(
                    org,
                    name,
                    kind=CustomerKind.COMPANY,
                    is_member=member,
                    email=f"accounts@{ascii_slug(name.removesuffix(' Ltd'), '-')}.example",
                    billing_name=f"{name} (Accounts)",
                    company_name=name,
                    external_id=f"{external}{2100 + index * 7}",
                    created_at=p.between(p.ago(500), p.ago(60)),
                )
            )
        live = [c for c in rows if c["deleted_at"] is None]
        return [c for c in live if c["is_member"]], [c for c in live if not c["is_member"]]

    def redemptions(
        self,
        code: Row,
        count: int,
        pool: list[Row | None],
        *,
        voided: int = 0,
        channel: Channel | None = None,
    ) -> int:
        """Up to `count` accepted redemptions of `code` by customers drawn from `pool`."""
        p = self.p
        made = 0
        for _ in range(count * 30):
            if made == count + voided:
                break
            customer = p.rng.choice(pool) if pool else None
            if p.redeem(code, customer=customer, channel=channel, voided=made < voided):
                made += 1
        return made


def build_demo(
    seed: int = DEFAULT_SEED, now: datetime | None = None
) -> tuple[Plan, list[tuple[Row, str]]]:
    """The demo as a plan (nothing written), and the notable codes as (row, what it shows)."""
    d = _Demo(seed, now or _this_minute())
    p = d.p

    # -- organisations, sites, customers ------------------------------------------------------
    northwind = p.organisation(
        "Northwind Workspaces",
        created_at=p.ago(720),
        staff="ops@northwind.example",
        external_id="nexudus-business-1004",
    )
    bluebell = p.organisation(
        "Bluebell Leisure",
        created_at=p.ago(650),
        staff="marketing@bluebell.example",
        external_id="trybe-org-5f1c",
    )
    shoreditch = p.site(
        northwind,
        "Northwind Shoreditch",
        currency="GBP",
        time_zone="Europe/London",
        short="NWS",
        vat_bp=2000,
        catalogue=_SHOREDITCH,
        created_at=p.ago(700),
    )
    mitte = p.site(
        northwind,
        "Northwind Berlin Mitte",
        currency="EUR",
        time_zone="Europe/Berlin",
        short="NWB",
        vat_bp=1900,
        catalogue=_MITTE,
        created_at=p.ago(420),
    )
    bath = p.site(
        bluebell,
        "Bluebell Spa Bath",
        currency="GBP",
        time_zone="Europe/London",
        short="BSB",
        vat_bp=2000,
        catalogue=_BATH,
        created_at=p.ago(640),
    )
    madrid = p.site(
        bluebell,
        "Bluebell Teatro Madrid",
        currency="EUR",
        time_zone="Europe/Madrid",
        short="BTM",
        vat_bp=2100,
        catalogue=_MADRID,
        created_at=p.ago(300),
    )
    nw_members, nw_contacts = d.customers(
        northwind,
        _NORTHWIND_PEOPLE,
        _NORTHWIND_COMPANIES,
        external="NX-CW-",
        deleted="Tariq Hassan",
    )
    bb_members, bb_contacts = d.customers(
        bluebell, _BLUEBELL_PEOPLE, _BLUEBELL_COMPANIES, external="TRY-CUS-", deleted="Tom Baker"
    )
    nw_all: list[Row | None] = [*nw_members, *nw_contacts]
    bb_all: list[Row | None] = [*bb_members, *bb_contacts]

    def money(gbp: int, eur: int) -> dict[str, int]:
        return {"GBP": gbp, "EUR": eur}

    # -- Northwind Shoreditch (GBP): Nexudus-style discount codes -------------------------------
    welcome = d.note(
        p.discount_code(
            shoreditch,
            "WELCOME10",
            terms(PCT, percentage_bp=1000, max_uses_per_customer=1, valid_from=p.ago(200)),
            description="10% off anything for new customers, once each.",
            created_at=p.ago(210),
            external_id="nexudus-dc-880121",
        ),
        "10% off anything, open to every customer, once per customer (a first validateCode)",
    )
    d.redemptions(welcome, 14, nw_all, voided=1)

    members3m = d.note(
        p.discount_code(
            shoreditch,
            "MEMBERS-3M",
            terms(
                PCT,
                percentage_bp=1500,
                members_only=True,
                max_uses_per_customer=3,
                expiration_unit=ExpirationUnit.MONTH,
                expires_in=3,
            ),
            eligible={PLAN: [], PRODUCT: ["day-pass", "coffee-bundle"]},
            description="15% off plans and day passes for members, for 3 months after assignment.",
            created_at=p.ago(300),
            external_id="nexudus-dc-880140",
        ),
        "members only, expires 3 months after assignment (Nexudus MONTH x 3), assigned codes",
    )
    for index, member in enumerate(nw_members[:7]):
        assigned = p.between(p.ago(200), p.ago(5))
        p.assignment(
            members3m,
            member,
            assigned_at=assigned,
            valid_from=assigned,
            notes=[
                "Welcome pack",
                "Upgraded from contact",
                "Community manager's pick",
                None,
                "Renewal offer",
                None,
                "Moved from Berlin",
            ][index],
            booking_reference=f"NWS-TOUR-{4100 + index * 13}" if index % 3 == 0 else None,
            deleted_at=p.between(assigned, p.ago(1)) if index == 4 else None,
            external_id=f"nexudus-cdc-{77010 + index}",
        )
    d.redemptions(members3m, 12, nw_members[:7])

    referral = d.note(
        p.discount_code(
            shoreditch,
            "REFER-A-FRIEND",
            terms(
                FIXED,
                amounts=money(5_000, 5_500),
                contacts_only=True,
                is_referral=True,
                max_uses_per_customer=1,
                expiration_unit=ExpirationUnit.DAY,
                expires_in=30,
            ),
            eligible={PLAN: []},
            description="£50 off a first plan for friends referred by a member.",
            created_at=p.ago(250),
        ),
        "referral code: FIXED GBP/EUR amounts, contacts only, assignments with a referrer",
    )
    for index, contact in enumerate(nw_contacts[:5]):
        assigned = p.between(p.ago(70), p.ago(2))
        p.assignment(
            referral,
            contact,
            assigned_at=assigned,
            valid_from=assigned,
            referrer_id=nw_members[index + 2],
            notes=f"Referred by {nw_members[index + 2]['full_name']}",
            booking_reference=f"NWS-TOUR-{5200 + index * 17}",
        )
    d.redemptions(referral, 3, nw_contacts[:5])

    newyear = d.note(
        p.discount_code(
            shoreditch,
            "NEWYEAR-DESK",
            terms(PCT, percentage_bp=2000, max_uses=40, disabled_at=p.ago(20)),
            eligible={PLAN: ["plan-hot-desk"]},
            created_at=p.ago(150),
        ),
        "disabled (disabledAt set, not deleted); its past redemptions stay",
    )
    d.redemptions(newyear, 6, nw_all)

    old_party = p.discount_code(
        shoreditch,
        "SUMMER-PARTY",
        terms(FIXED, amounts=money(1_500, 1_700), valid_from=p.ago(400), valid_to=p.ago(330)),
        eligible={EVENT: []},
        created_at=p.ago(410),
        deleted_at=p.ago(300),
    )
    d.redemptions(old_party, 4, nw_all)
    d.note(
        p.discount_code(
            shoreditch,
            "SUMMER-PARTY",
            terms(FIXED, amounts=money(1_500, 1_700), valid_from=p.ago(10), valid_to=p.ahead(60)),
            eligible={EVENT: []},
            created_at=p.ago(12),
        ),
        "live code reusing the string of last year's soft-deleted one (see trashed: WITH)",
    )

    # -- Northwind Berlin Mitte (EUR) ---------------------------------------------------------
    willkommen = p.discount_code(
        mitte,
        "WILLKOMMEN",
        terms(FIXED, amounts=money(1_700, 2_000), contacts_only=True, max_uses=100),
        eligible={PLAN: []},
        created_at=p.ago(180),
    )
    d.redemptions(willkommen, 6, nw_contacts)
    team = d.note(
        p.discount_code(
            mitte,
            "TEAM-WEEKS",
            terms(
                PCT,
                percentage_bp=2500,
                members_only=True,
                lead_booker_only=True,
                expiration_unit=ExpirationUnit.WEEK,
                expires_in=2,
                max_uses_per_order=1,
            ),
            eligible={BOOKING: ["room-spree"]},
            created_at=p.ago(120),
        ),
        "members and lead booker only, assignments expire 2 weeks after assignment",
    )
    for index, member in enumerate(nw_members[3:7]):
        assigned = p.between(p.ago(40), p.ago(3))
        p.assignment(
            team,
            member,
            assigned_at=assigned,
            valid_from=assigned,
            booking_reference=f"NWB-BK-{8800 + index * 11}",
            notes="Team offsite",
        )
    d.redemptions(team, 4, nw_members[3:7])

    # -- Northwind coupons -----------------------------------------------------------------------
    founding = p.coupon(
        shoreditch,
        "Founding Members",
        terms(
            PCT,
            percentage_bp=2500,
            max_uses=30,
            max_uses_per_customer=1,
            valid_from=p.ago(300),
            valid_to=p.ahead(65),
        ),
        eligible={PLAN: ["plan-hot-desk", "plan-fixed-desk"]},
        description="25% off the first month for the founding members.",
        created_at=p.ago(310),
    )
    for member in nw_members[:5]:
        code = p.coupon_code(
            founding,
            prefix="MEMBER-",
            customer=member,
            customer_credit_id=p.hex(24),
            created_at=p.between(founding["created_at"], p.ago(30)),
        )
        p.assignment(code, member, assigned_at=code["created_at"], notes="Founding member")
        if p.rng.random() < 0.7:
            d.redemptions(code, 1, [member])
    thanks_nw = p.coupon_code(founding, "THANKYOU", multi_use=True)
    d.redemptions(thanks_nw, 3, nw_members)

    rooms = p.coupon(
        shoreditch,
        "Meeting Room Hours",
        terms(
            FIXED,
            amounts=money(1_000, 1_200),
            minimum_spend=money(2_000, 2_300),
            usage_period=UsagePeriod.P1M,
            max_uses=25,
        ),
        eligible={BOOKING: []},
        created_at=p.ago(220),
    )
    d.note(
        p.coupon_code(rooms, "ROOMS-MONTHLY", multi_use=True, created_at=p.ago(200)),
        "£10 off bookings over £20, at most 25 uses per calendar month (usage period P1M)",
    )
    for _ in range(3):
        p.coupon_code(rooms, prefix="MEET-", multi_use=True)
    for code in [r for r in p.rows["coupon_code"] if r["coupon_id"] is rooms]:
        d.redemptions(code, 5, nw_all)

    launch = p.coupon(
        mitte,
        "Berlin Launch",
        terms(PCT, percentage_bp=3000, max_uses=50, valid_from=p.ago(90), valid_to=p.ahead(30)),
        eligible={PLAN: []},
        created_at=p.ago(95),
    )
    d.note(
        p.coupon_code(launch, "BERLIN-LAUNCH", multi_use=True),
        "30% off plans in EUR, inside a validity window, once per customer (multi-use)",
    )
    for _ in range(6):
        p.coupon_code(launch, prefix="SPREE-")
    for code in [r for r in p.rows["coupon_code"] if r["coupon_id"] is launch]:
        d.redemptions(code, 3, nw_all)

    bundle = p.coupon(
        mitte,
        "Day Pass Bundle",
        terms(FIXED, amounts=money(1_300, 1_500), usage_period=UsagePeriod.P1W, max_uses=15),
        eligible={PRODUCT: ["day-pass"]},
        created_at=p.ago(60),
    )
    for index in range(4):
        window = (
            {"valid_from": p.ago(60), "valid_to": p.ago(30)}
            if index == 0
            else {"valid_from": p.ahead(10), "valid_to": p.ahead(40)}
            if index == 1
            else {}
        )
        code = p.coupon_code(bundle, prefix="PASS-", multi_use=index > 1, **window)
        d.redemptions(code, 3, nw_all)

    # -- Bluebell Spa Bath (GBP): Trybe coupons -------------------------------------------------
    summer = p.coupon(
        bath,
        "Summer Spa Days",
        terms(
            PCT,
            percentage_bp=2000,
            usage_period=UsagePeriod.P1D,
            max_uses=20,
            max_uses_per_customer=2,
            valid_from=p.ago(45),
            valid_to=p.ahead(60),
            publish_from=p.ago(50),
            publish_to=p.ahead(55),
        ),
        eligible={OFFERING: ["spa-day-classic", "spa-day-deluxe", "twilight-spa"]},
        description="20% off spa days all summer; at most 20 redemptions a day.",
        created_at=p.ago(55),
        external_id="trybe-coupon-64a1f0",
    )
    spa_summer = d.note(
        p.coupon_code(summer, "SPA-SUMMER", multi_use=True, created_at=p.ago(50)),
        "20% off spa days: at most 20 uses a day (P1D), twice per customer, multi-use code",
    )
    d.redemptions(spa_summer, 16, bb_all, voided=2)
    for index in range(6):
        member = bb_members[index] if index < 2 else None
        code = p.coupon_code(
            summer,
            prefix="SUM-",
            customer=member,
            customer_credit_id=p.hex(24) if member is not None else None,
            valid_to=p.ahead(20) if index == 5 else None,
        )
        if member is not None:
            p.assignment(
                code,
                member,
                assigned_at=code["created_at"],
                notes="Pre-allocated with a customer credit",
            )
        d.redemptions(code, 1, [member] if member else bb_all)

    vouchers = p.coupon(
        bath,
        "Gift Voucher £25",
        terms(FIXED, amounts=money(2_500, 3_000), minimum_spend=money(4_000, 4_500)),
        description="Gift vouchers sold at reception; each code is single use.",
        created_at=p.ago(240),
    )
    for index in range(8):
        owner = bb_all[index * 3] if index % 2 == 0 else None
        code = p.coupon_code(
            vouchers,
            "TREAT-25" if index == 0 else None,
            prefix="TREAT-",
            customer=owner,
            customer_credit_id=p.hex(24) if owner is not None else None,
            revenue=2_000 if index % 3 == 0 else None,
            created_at=p.between(vouchers["created_at"], p.ago(10)),
            deleted_at=p.ago(4) if index == 7 else None,
        )
        if owner is not None:
            p.assignment(code, owner, assigned_at=code["created_at"], notes="Bought as a gift")
        if index == 0:
            d.note(
                code,
                "single-use £25 gift voucher allocated to a customer (credit id, revenue £20)",
            )
        if index not in (0, 1):  # two unused vouchers, one of them allocated
            d.redemptions(code, 1, [owner] if owner else bb_all)

    massage = p.coupon(
        bath,
        "Midweek Massage",
        terms(
            PCT, percentage_bp=1500, members_only=True, usage_period=UsagePeriod.P1W, max_uses=10
        ),
        eligible={BOOKING: ["massage-60", "facial-45"]},
        created_at=p.ago(160),
    )
    for window in (
        {"valid_from": p.ago(160), "valid_to": p.ago(100)},
        {},
        {"valid_from": p.ahead(7), "valid_to": p.ahead(60)},
    ):
        code = p.coupon_code(massage, prefix="MASSAGE-", multi_use=True, **window)
        d.redemptions(code, 6, bb_members)

    winter = p.coupon(
        bath,
        "Winter Warmer",
        terms(
            PCT,
            percentage_bp=1000,
            usage_period=UsagePeriod.P1M,
            max_uses=50,
            disabled_at=p.ago(35),
        ),
        created_at=p.ago(200),
    )
    thanks_bb = p.coupon_code(winter, "THANKYOU", multi_use=True)
    d.note(
        thanks_bb,
        "same string as Northwind's THANKYOU (unique per coupon, not globally); coupon disabled",
    )
    d.redemptions(thanks_bb, 5, bb_all)
    for _ in range(2):
        d.redemptions(p.coupon_code(winter, prefix="WARM-"), 1, bb_all)

    # -- Bluebell Spa Bath: nuwebgroup-style discount codes --------------------------------------
    boxoffice = d.note(
        p.discount_code(
            bath,
            "BOXOFFICE5",
            terms(FIXED, amounts=money(500, 600), box_office_only=True, max_uses_per_order=1),
            description="£5 off at the reception desk only.",
            created_at=p.ago(180),
        ),
        "box office only (channel BOX_OFFICE), £5 / €6, one use per order",
    )
    d.redemptions(boxoffice, 10, [*bb_all, None, None], channel=Channel.BOX_OFFICE, voided=1)
    spanet = d.note(
        p.discount_code(
            bath,
            "SPA-NET15",
            terms(
                PCT,
                percentage_bp=1500,
                apply_to_net_price=True,
                minimum_spend=money(5_000, 6_000),
                maximum_discount=money(2_500, 3_000),
                max_uses=100,
                max_uses_per_customer=2,
                max_uses_per_order=1,
            ),
            eligible={OFFERING: [], BOOKING: []},
            created_at=p.ago(130),
        ),
        "15% of the net price, minimum spend £50, maximum discount £25 (per-currency maps)",
    )
    d.redemptions(spanet, 12, bb_all)
    easter = p.discount_code(
        bath,
        "EASTER-SPA",
        terms(PCT, percentage_bp=1000, valid_from=p.ago(120), valid_to=p.ago(90)),
        created_at=p.ago(125),
    )
    d.note(easter, "expired: its window closed in the past (EXPIRED)")
    d.redemptions(easter, 5, bb_all)

    # -- Bluebell Teatro Madrid (EUR) ------------------------------------------------------------
    opening = p.coupon(
        madrid,
        "Opening Night",
        terms(
            FIXED,
            amounts=money(450, 500),
            max_uses=200,
            max_uses_per_customer=4,
            publish_from=p.ago(80),
            publish_to=p.ahead(20),
        ),
        eligible={EVENT: ["flamenco-night", "opera-gala"]},
        created_at=p.ago(85),
    )
    for index in range(6):
        code = p.coupon_code(opening, prefix="DEBUT-", multi_use=index % 2 == 0)
        d.redemptions(code, 3 if code["multi_use"] else 1, bb_all)

    season = p.coupon(
        madrid,
        "Season Subscribers",
        terms(
            PCT,
            percentage_bp=1250,
            usage_period=UsagePeriod.P1M,
            max_uses=40,
            maximum_discount=money(2_500, 3_000),
            minimum_spend=money(1_800, 2_000),
        ),
        eligible={EVENT: [], OFFERING: ["ticket-stalls"]},
        created_at=p.ago(150),
    )
    for index in range(5):
        subscriber = bb_members[index + 2]
        assert index or subscriber["full_name"] == "Freya Thompson"  # README names her code
        code = p.coupon_code(
            season,
            "SEASON-FREYA" if index == 0 else None,
            prefix="TEMP-",
            customer=subscriber,
            multi_use=True,
            valid_from=p.ago(150),
            valid_to=p.ahead(200),
        )
        p.assignment(
            code,
            subscriber,
            assigned_at=code["created_at"],
            valid_from=p.ago(150),
            expires_on=p.ahead(200),
            notes="2024/25 season",
        )
        if index == 0:
            d.note(code, "12.50% (percentage_bp 1250) capped at €30, allocated to a subscriber")
        d.redemptions(code, 1, [subscriber])  # multi-use: once per customer

    flash = p.coupon(
        madrid,
        "Flash Sale (withdrawn)",
        terms(PCT, percentage_bp=5000, max_uses=20),
        eligible={EVENT: ["jazz-matinee"]},
        created_at=p.ago(40),
        deleted_at=p.ago(30),
    )
    for index in range(3):
        code = p.coupon_code(
            flash, "FLASH50" if index == 0 else None, prefix="FAST-", created_at=p.ago(40)
        )
        if index == 0:
            d.note(
                code,
                "under a soft-deleted coupon: hidden unless trashed: WITH; its redemptions stay",
            )
        d.redemptions(code, 1, bb_all)

    fixed10 = d.note(
        p.discount_code(
            madrid,
            "FIXED10",
            terms(
                FIXED,
                amounts=money(1_000, 1_000),
                max_uses=100,
                max_uses_per_customer=2,
                max_uses_per_order=1,
                minimum_spend=money(1_000, 1_000),
                maximum_discount=money(2_500, 3_000),
                valid_from=p.ago(100),
                valid_to=p.ahead(100),
            ),
            eligible={EVENT: ["flamenco-night", "jazz-matinee"]},
            created_at=p.ago(101),
        ),
        "the nuwebgroup example: €10 off two sale items, minimum spend, per-currency maximum",
    )
    d.redemptions(fixed10, 10, bb_all, voided=1)
    taquilla = p.discount_code(
        madrid,
        "TAQUILLA5",
        terms(
            PCT,
            percentage_bp=500,
            box_office_only=True,
            apply_to_net_price=True,
            max_uses_per_order=2,
        ),
        created_at=p.ago(90),
    )
    d.redemptions(taquilla, 8, [*bb_all, None], channel=Channel.BOX_OFFICE)
    d.note(
        p.discount_code(
            madrid,
            "PREVIEW-SOON",
            terms(
                PCT,
                percentage_bp=2000,
                valid_from=p.ahead(14),
                valid_to=p.ahead(44),
                publish_from=p.ago(7),
                publish_to=p.ahead(44),
            ),
            eligible={EVENT: ["opera-gala"]},
            created_at=p.ago(7),
        ),
        "published but not valid yet (validFrom in two weeks: NOT_YET_VALID)",
    )
    gone = p.discount_code(
        madrid,
        "VERANO-OLD",
        terms(PCT, percentage_bp=1500, max_uses=10, disabled_at=p.ago(70)),
        created_at=p.ago(100),
        deleted_at=p.ago(60),
    )
    d.redemptions(gone, 3, bb_all)

    p.settle()
    return p, d.notes


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
    return _summary(plan, notes, counts, time.perf_counter() - started)


def _summary(
    plan: Plan, notes: list[tuple[Row, str]], counts: dict[str, int], seconds: float
) -> DemoSummary:
    sites = [
        SiteInfo(
            id=s["id"],
            name=s["name"],
            organisation=s["organisation_id"]["name"],
            organisation_id=s["organisation_id"]["id"],
            currency=s["currency"],
            time_zone=s["time_zone"],
        )
        for s in plan.rows["site"]
    ]
    codes = [
        NotableCode(
            code=row["code"],
            type="DiscountCode" if row["_table"] == "discount_code" else "CouponCode",
            id=row["id"],
            site_id=row["site_id"]["id"],
            site=row["site_id"]["name"],
            shows=shows,
            coupon=row["coupon_id"]["name"] if row["_table"] == "coupon_code" else None,
        )
        for row, shows in notes
    ]
    organisations = {o["name"]: o["id"] for o in plan.rows["organisation"]}
    return DemoSummary(
        counts=counts, sites=sites, codes=codes, seconds=seconds, organisations=organisations
    )
