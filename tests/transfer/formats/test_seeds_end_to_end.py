"""Each seed's document imported through scripts/import into a site and exported back through
scripts/export, on the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL).

The seeds' Nexudus examples are API templates with placeholder ids (CoworkerId 0, a
DiscountCodeId of 0 naming no code, no coworker name); the CoworkerDiscountCode here is seed
000's with those filled in consistently with seed 001's code, as a real Nexudus export has them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from app.db import tables as t
from app.graphql.ids import to_global_id
from tests.mutations.helpers import count
from tests.transfer.formats.support import fixture, without
from tests.transfer.formats.test_nuweb import comparable
from tests.transfer.helpers import last_line, run_export, run_import

# What the importing database sets itself: the time and author of the import, and the
# server-rendered display text; and the page's echo of the request (size, order).
NEXUDUS_ASIDE = frozenset({"UpdatedOn", "UpdatedBy", "ToStringText"})


def seed(name: str) -> Any:
    return json.loads(fixture(name))


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def coworker_discount_code() -> dict[str, Any]:
    code = seed("seed_001_nexudus_discount_code.json")
    assignment = seed("seed_000_nexudus_coworker_discount_code.json")
    assignment.update(
        CoworkerId=17, CoworkerCoworkerType="Individual", CoworkerFullName="Ada Lovelace",
        BusinessId=code["BusinessId"], BusinessName=code["BusinessName"],
        DiscountCodeId=code["Id"], DiscountCodeCode=code["Code"], DiscountCodeActive=code["Active"],
        DiscountCodeValidFrom=code["ValidFrom"], DiscountCodeValidTo=code["ValidTo"],
        Notes="from the newsletter", TimesUsed=2, Id=55501,
    )  # fmt: skip
    return assignment


async def test_nexudus_seeds_import_with_their_uses_and_export_back_equal(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    organisation = await make.organisation()
    site = await make.site(
        organisation,
        name="Acme Manhattan",
        currency="USD",
        external_id="1004",
        time_zone="America/New_York",
    )
    codes = write(tmp_path / "discountcodes.json", seed("seed_001_nexudus_discount_code.json"))
    assignments = write(
        tmp_path / "coworkerdiscountcodes.json", {"Records": [coworker_discount_code()]}
    )

    imported = await run_import(database_url, site.id, "--format", "nexudus", codes, assignments)

    assert imported.status == 0, imported.err
    # The code; the coworker, the assignment and its two past uses.
    assert last_line(imported) == "5 created, 0 updated, 0 unchanged, 0 refused"
    assert await count(db, t.Redemption, t.REDEMPTION.c.site_id == site.id) == 2
    again = await run_import(database_url, site.id, "--format", "nexudus", codes, assignments)
    assert last_line(again) == "0 created, 0 updated, 5 unchanged, 0 refused"

    exported = await run_export(
        database_url, site.id, "--format", "nexudus", "--out", tmp_path / "out.json"
    )
    assert exported.status == 0, exported.err
    page = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    code, assignment = page["Records"]
    assert without(code, NEXUDUS_ASIDE) == without(
        seed("seed_001_nexudus_discount_code.json"), NEXUDUS_ASIDE
    )
    assert without(assignment, NEXUDUS_ASIDE) == without(coworker_discount_code(), NEXUDUS_ASIDE)
    assert assignment["TimesUsed"] == 2  # recounted from the imported ledger rows

    # Nexudus counts one more use: the re-import adds that one ledger row, nothing else.
    used_again = write(
        tmp_path / "coworkerdiscountcodes.json",
        {"Records": [coworker_discount_code() | {"TimesUsed": 3}]},
    )
    third = await run_import(database_url, site.id, "--format", "nexudus", codes, used_again)
    assert last_line(third) == "1 created, 0 updated, 5 unchanged, 0 refused"
    assert await count(db, t.Redemption, t.REDEMPTION.c.site_id == site.id) == 3


async def test_the_nexudus_search_page_seed_imports_its_assignment(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    organisation = await make.organisation()
    site = await make.site(organisation, external_id="1004", currency="USD")
    await make.customer(organisation, external_id="0", full_name="Placeholder Coworker")
    code = await make.discount_code(site, code="ZERO", external_id="0")
    page = write(
        tmp_path / "page.json",
        json.loads(fixture("seed_002_nexudus_coworker_discount_codes_page.json")),
    )

    imported = await run_import(database_url, site.id, "--format", "nexudus", page)

    assert imported.status == 0, imported.err
    # The coworker was there already, unchanged; the assignment is new.
    assert last_line(imported) == "1 created, 0 updated, 1 unchanged, 0 refused"
    assert await count(db, t.Assignment, t.ASSIGNMENT.c.discount_code_id == code.id) == 1


async def test_the_nuweb_seed_imports_and_exports_back_equal(
    make: Any, database_url: str, tmp_path: Path
) -> None:
    site = await make.site(await make.organisation(), currency="GBP")
    document = write(tmp_path / "code.json", seed("seed_004_nuweb_discount_code.json"))

    imported = await run_import(database_url, site.id, "--format", "nuweb", document)
    assert imported.status == 0, imported.err
    assert last_line(imported) == "1 created, 0 updated, 0 unchanged, 0 refused"

    exported = await run_export(
        database_url, site.id, "--format", "nuweb", "--out", tmp_path / "out.json"
    )
    assert exported.status == 0, exported.err
    written = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    original = seed("seed_004_nuweb_discount_code.json")
    [resource] = written["data"]
    # updatedAt is the import's own time.
    for document in (resource, original["data"]):
        document["attributes"].pop("updatedAt")
    assert comparable({"data": resource, "included": written["included"]}) == comparable(original)


STATS = """query ($code: String!, $date: DateOrDateTime!, $site: ID!) {
  codeUsageStats(code: $code, bookingDate: $date, siteId: $site) { limit used remaining usagePeriod }
}"""


async def test_the_trybe_seed_imports_and_exports_back_equal(
    make: Any, db: Any, gql: Any, database_url: str, tmp_path: Path
) -> None:
    site = await make.site(
        await make.organisation(), currency="GBP", external_id="65a1f0c2e4b0a1b2c3d40001"
    )
    document = write(tmp_path / "coupon.json", seed("seed_003_trybe_coupon.json"))

    imported = await run_import(database_url, site.id, "--format", "trybe", document)
    assert imported.status == 0, imported.err
    assert last_line(imported) == "5 created, 0 updated, 0 unchanged, 0 refused"
    assert await count(db, t.Redemption, t.REDEMPTION.c.site_id == site.id) == 1
    # The imported use counts in its month's usage statistics (max_uses 200 per P1M), not in the next.
    variables = {"code": "SPRING15", "site": to_global_id("Site", site.id)}
    march = (await gql(STATS, variables | {"date": "2025-03-20"}))["codeUsageStats"]
    assert march == {"limit": 200, "used": 1, "remaining": 199, "usagePeriod": "P1M"}
    april = (await gql(STATS, variables | {"date": "2025-04-20"}))["codeUsageStats"]
    assert april["used"] == 0

    exported = await run_export(
        database_url, site.id, "--format", "trybe", "--out", tmp_path / "out.json"
    )
    assert exported.status == 0, exported.err
    written = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    original = seed("seed_003_trybe_coupon.json")
    assert without(written, frozenset({"updated_at"})) == without(
        original, frozenset({"updated_at"})
    )


async def test_a_malformed_vendor_record_refuses_the_import_naming_file_record_and_field(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    site = await make.site(await make.organisation(), currency="USD")
    good = seed("seed_001_nexudus_discount_code.json")
    bad = copy.deepcopy(good) | {"Id": 2, "Code": "BOTH", "DiscountAmount": 5}
    path = write(tmp_path / "codes.json", [good, bad])

    imported = await run_import(database_url, site.id, "--format", "nexudus", path)

    assert imported.status == 1
    assert (
        f"{path}: record 2: DiscountAmount: DiscountPercentage and DiscountAmount exclude each other"
        in imported.err
    )
    assert await count(db, t.DiscountCode, t.DISCOUNT_CODE.c.site_id == site.id) == 0
