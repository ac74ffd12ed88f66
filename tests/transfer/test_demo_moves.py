"""The demo moved to another instance: each site exported as JSON Lines (with trashed records)
and imported into an empty database with the same organisations and sites gives the same API
answers, record for record (global ids, cursors and the write stamps aside)."""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from app.db import tables as t
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.db.session import write_sessions
from app.demo import seed_demo
from app.main import create_app
from app.services.actor import Actor
from app.services.organisations import create_organisation
from app.services.sites import create_site
from app.settings import Settings
from tests.conftest import TEST_SECRET, GraphQLClient, scratch_database
from tests.transfer.helpers import last_line, run_export, run_import

TERMS = """terms { kind percentage amounts { currency amount } minimumSpend { currency amount }
  maximumDiscount { currency amount } applyToNetPrice membersOnly contactsOnly leadBookerOnly
  boxOfficeOnly maxUses maxUsesPerCustomer maxUsesPerOrder usagePeriod validFrom validTo
  publishFrom publishTo expirationUnit expiresIn active disabledAt isReferral exclusive
  combinesWith priority
  eligibleCategories { category itemIds } }"""
REDEMPTIONS = """redemptions(trashed: WITH, first: 100) { totalCount nodes { amount currency
  orderReference channel isLeadBooker lineAmounts redeemedAt voidedAt customer { fullName }
  assignment { customer { fullName } } couponCode { code } discountCode { code } coupon { name } } }"""
ASSIGNMENTS = """assignments(trashed: WITH, first: 30) { totalCount nodes { externalId uniqueId
  createdAt deletedAt validFrom expiresOn timesUsed notes bookingReference referrerUniqueId
  customer { fullName } referrer { fullName } } }"""
QUERIES = {
    "coupons": f"""{{ coupons(trashed: WITH, first: 50) {{ totalCount nodes {{ externalId uniqueId
      createdAt deletedAt name description timesUsed site {{ name }} {TERMS}
      codes(trashed: WITH, first: 50) {{ totalCount nodes {{ code timesUsed }} }} }} }} }}""",
    "couponCodes": f"""{{ couponCodes(trashed: WITH, first: 60) {{ totalCount nodes {{ externalId
      uniqueId createdAt deletedAt code validFrom validTo multiUse customerCreditId revenue
      timesUsed coupon {{ name }} customer {{ fullName }} {ASSIGNMENTS} {REDEMPTIONS} }} }} }}""",
    "discountCodes": f"""{{ discountCodes(trashed: WITH, first: 40) {{ totalCount nodes {{
      externalId uniqueId createdAt deletedAt code description timesUsed site {{ name }} {TERMS}
      {ASSIGNMENTS} {REDEMPTIONS} }} }} }}""",
    "customers": """{ customers(trashed: WITH, first: 200) { totalCount nodes { externalId uniqueId
      createdAt deletedAt kind fullName billingName companyName email isMember
      organisation { name } preallocatedCodes(trashed: WITH) { nodes { code } } } } }""",
    "redemptions": f"{{ {REDEMPTIONS.replace('first: 100', 'first: 1000')} }}",
    "assignments": f"""{{ {
        ASSIGNMENTS.replace("first: 30", "first: 1000").replace(
            "customer {", "discountCode { code } couponCode { code } customer {"
        )
    } }}""",
}
# Set by whichever system did the write, not part of what was moved.
STAMPS = frozenset(
    {"id", "updatedAt", "updatedBy", "importedAt", "cursor", "startCursor", "endCursor"}
)


def normalised(value: Any) -> Any:
    """Without write stamps; lists as multisets (the two databases number rows differently)."""
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items() if k not in STAMPS}
    if isinstance(value, list):
        return sorted((normalised(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


@contextlib.asynccontextmanager
async def empty_database() -> AsyncIterator[str]:
    async with scratch_database("discounts_moved") as url:
        yield url


@contextlib.asynccontextmanager
async def client(url: str, token: str) -> AsyncIterator[GraphQLClient]:
    settings = Settings(
        database_url=url, jwt_secret=TEST_SECRET, migrate_on_start=False,
        demo_secret_file=Path(tempfile.gettempdir()) / "unused-demo-secret",
    )  # fmt: skip
    application = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http, token)
    finally:
        await application.state.engine.dispose()


async def _same_sites(source: Any, url: str) -> dict[int, int]:
    """The source's organisations and sites, created in the database at `url`: site id there by
    site id in the source."""
    async with source.connect() as connection:
        organisations = (
            await connection.execute(sa.select(t.ORGANISATION).order_by(t.ORGANISATION.c.id))
        ).all()
        sites = (await connection.execute(sa.select(t.SITE).order_by(t.SITE.c.id))).all()
    engine = create_engine(Settings(database_url=url))
    try:
        await upgrade(engine)
        actor = Actor(subject="mover@example.com")

        sessions = write_sessions(engine)
        made = {
            o.id: (await create_organisation(sessions, actor, {"name": o.name})).id
            for o in organisations
        }
        fields = ("name", "currency", "time_zone")
        return {
            s.id: (await create_site(
                sessions, actor, organisation_id=made[s.organisation_id],
                fields={name: getattr(s, name) for name in fields},
            )).id
            for s in sites
        }  # fmt: skip
    finally:
        await engine.dispose()


async def test_the_json_lines_export_of_the_demo_gives_the_same_answers_in_an_empty_database(
    db: Any, admin_token: str, database_url: str, tmp_path: Path
) -> None:
    # Two databases, so two clients rather than the `gql` fixture; the import numbers rows in
    # its own order, so lists are compared as multisets (tests/graphql/test_default_order.py
    # holds the one order within a database).
    await seed_demo(db, progress=False)
    async with empty_database() as url:
        sites = await _same_sites(db, url)
        for source_site, target_site in sites.items():
            path = tmp_path / f"site-{source_site}.jsonl"
            ran = await run_export(
                database_url, source_site, "--format", "jsonl", "--trashed", "WITH", "--out", path
            )
            assert ran.status == 0, ran.err
            ran = await run_import(url, target_site, "--format", "jsonl", path)
            assert ran.status == 0, ran.err
            assert last_line(ran).endswith(" 0 refused"), ran.out
        async with client(database_url, admin_token) as source, client(url, admin_token) as moved:
            for name, query in QUERIES.items():
                before, after = await source(query), await moved(query)
                found = list(before.values())[0]
                # Whole lists: a page cut at a different place in each database would differ.
                assert 0 < found["totalCount"] == len(found["nodes"]), name
                assert normalised(after) == normalised(before), name
