"""scripts/import and scripts/export through their command lines, on the test database."""

from __future__ import annotations

import copy
import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.db import tables as t
from app.db import usage_counters
from app.graphql.ids import to_global_id
from tests.mutations.helpers import count
from tests.transfer.helpers import last_line, read_jsonl, run_export, run_import, write_jsonl

ROOT = Path(__file__).resolve().parents[2]


def records() -> list[dict[str, Any]]:
    """A small site: a customer, a coupon with two codes, a capped discount code given to the
    customer, and two past uses of it."""
    return [
        {
            "type": "Customer",
            "externalId": "cw-1",
            "fullName": "Ana López",
            "email": "ana@example.com",
            "isMember": True,
        },
        {
            "type": "Coupon",
            "externalId": "cp-1",
            "name": "Spring",
            "terms": {
                "kind": "PERCENTAGE",
                "percentage": "12.5",
                "maxUses": 100,
                "usagePeriod": "P1M",
            },
        },
        {
            "type": "CouponCode",
            "externalId": "cc-1",
            "coupon": {"externalId": "cp-1"},
            "code": "SPRING-A",
            "multiUse": True,
        },
        {
            "type": "CouponCode",
            "externalId": "cc-2",
            "coupon": {"externalId": "cp-1"},
            "code": "SPRING-B",
            "validTo": "2031-05-31",
        },
        {
            "type": "DiscountCode",
            "externalId": "dc-1",
            "code": "TWICE",
            "terms": {
                "kind": "FIXED",
                "amounts": [{"currency": "GBP", "amount": 500}],
                "maxUses": 2,
                "eligibleCategories": [{"category": "BOOKING", "itemIds": []}],
            },
        },
        {
            "type": "Assignment",
            "externalId": "as-1",
            "customer": {"externalId": "cw-1"},
            "discountCode": {"externalId": "dc-1"},
            "notes": "welcome",
        },
        {
            "type": "Redemption",
            "externalId": "dc-1#use-1",
            "discountCode": {"externalId": "dc-1"},
            "customer": {"externalId": "cw-1"},
            "amount": 500,
            "redeemedAt": "2025-03-01T10:00:00Z",
            "orderReference": "o-1",
        },
        {
            "type": "Redemption",
            "externalId": "dc-1#use-2",
            "discountCode": {"externalId": "dc-1"},
            "amount": 0,
            "redeemedAt": "2025-03-02T10:00:00Z",
        },
    ]


async def _site(make: Any) -> Any:
    return await make.site(await make.organisation())


async def _drift(db: Any) -> list[Any]:
    """Every usage counter and `timesUsed` that differs from the ledger."""
    async with db.connect() as connection:
        return await usage_counters.recount(connection, fix=False)


REDEEM = """mutation($input: RedeemCodeInput!) { redeemCode(input: $input) { valid reason userErrors { code } } }"""


def twice(site: Any, key: str) -> dict[str, Any]:
    return {
        "code": "twice", "siteId": to_global_id("Site", site.id), "currency": "GBP", "idempotencyKey": key,
        "lines": [{"category": "BOOKING", "itemId": "room", "quantity": 1, "unitPrice": 2000}],
    }  # fmt: skip


async def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    site = await _site(make)
    path = write_jsonl(tmp_path / "site.jsonl", records())
    first = await run_import(database_url, site.id, "--format", "jsonl", path)
    assert first.status == 0, first.err
    assert last_line(first) == "8 created, 0 updated, 0 unchanged, 0 refused"
    second = await run_import(
        database_url, to_global_id("Site", site.id), "--format", "jsonl", path
    )
    assert second.status == 0, second.err
    assert last_line(second) == "0 created, 0 updated, 8 unchanged, 0 refused"
    assert await count(db, t.CouponCode) == 2 and await count(db, t.Redemption) == 2


async def test_an_edited_file_updates_what_changed(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    site = await _site(make)
    edited = records()
    await run_import(
        database_url, site.id, "--format", "jsonl", write_jsonl(tmp_path / "a.jsonl", edited)
    )
    edited[1]["terms"] = {"maxUses": 50}  # only maxUses: the rest of the terms stay
    edited[3]["code"] = "SPRING-C"
    ran = await run_import(
        database_url, site.id, "--format", "jsonl", write_jsonl(tmp_path / "b.jsonl", edited)
    )
    assert ran.status == 0, ran.err
    assert last_line(ran) == "0 created, 2 updated, 6 unchanged, 0 refused"
    async with db.connect() as connection:
        coupon = (await connection.execute(t.COUPON.select())).one()
        codes = sorted(
            (
                await connection.execute(
                    t.COUPON_CODE.select().with_only_columns(t.COUPON_CODE.c.code)
                )
            ).scalars()
        )
    assert (coupon.max_uses, coupon.percentage_bp, coupon.usage_period.name) == (50, 1250, "P1M")
    assert codes == ["SPRING-A", "SPRING-C"]


async def test_a_dry_run_says_what_would_happen_and_writes_nothing(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    site = await _site(make)
    path = write_jsonl(tmp_path / "site.jsonl", records())
    ran = await run_import(database_url, site.id, "--format", "jsonl", "--dry-run", path)
    assert ran.status == 0, ran.err
    assert "CouponCode: 2 would be created, 0 would be updated, 0 unchanged, 0 refused" in ran.out
    assert "8 would be created" in ran.out and "dry run: nothing was written" in ran.out
    for model in (t.Customer, t.Coupon, t.CouponCode, t.DiscountCode, t.Assignment, t.Redemption):
        assert await count(db, model) == 0


def _bad_records() -> list[dict[str, Any]]:
    bad = records()
    bad[2]["code"] = "has space"  # record 3
    bad[4]["terms"]["amounts"] = [{"currency": "XXX", "amount": 500}]  # record 5
    bad[6]["discountCode"] = {"externalId": "nowhere"}  # record 7
    return bad


async def test_refused_records_are_named_by_file_record_and_field_and_nothing_is_written(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    site = await _site(make)
    path = write_jsonl(tmp_path / "bad.jsonl", _bad_records())
    ran = await run_import(database_url, site.id, "--format", "jsonl", path)
    assert ran.status == 1
    lines = ran.err.splitlines()
    assert any(
        line.startswith(f"{path}: record 3: code: ") and "not ' '" in line for line in lines
    ), ran.err
    assert any(
        line.startswith(f"{path}: record 5: terms.amounts") and "XXX" in line for line in lines
    ), ran.err
    assert f"{path}: record 7: discountCode: no DiscountCode with externalId 'nowhere'" in ran.err
    # The assignment and the other use name the refused discount code: refused with it.
    assert f"{path}: record 6: discountCode: no DiscountCode with externalId 'dc-1'" in ran.err
    assert "refused: 5 records refused; nothing was written" in ran.err
    assert await count(db, t.Customer) == 0 and await count(db, t.CouponCode) == 0


async def test_skip_invalid_writes_the_rest_and_the_refused_records_to_the_rejects_file(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    site = await _site(make)
    path = write_jsonl(tmp_path / "bad.jsonl", _bad_records())
    rejects = tmp_path / "rejects.jsonl"
    ran = await run_import(
        database_url, site.id, "--format", "jsonl", "--skip-invalid", "--rejects", rejects, path
    )
    assert ran.status == 0, ran.err
    # What names a refused record is refused with it (the assignment and uses of dc-1).
    assert "3 created, 0 updated, 0 unchanged, 5 refused" in ran.out.splitlines()
    assert last_line(ran) == f"refused records written to {rejects}"
    rejected = read_jsonl(rejects)
    assert [(r["recordNumber"], r["problems"][0]["field"]) for r in rejected] == [
        (3, "code"),
        (5, "terms.amounts"),
        (6, "discountCode"),
        (7, "discountCode"),
        (8, "discountCode"),
    ]
    assert rejected[0]["record"] == _bad_records()[2]
    assert await count(db, t.CouponCode) == 1 and await count(db, t.Redemption) == 0


async def test_imported_uses_are_ledger_entries_and_caps_hold_after_the_import(
    make: Any, db: Any, gql: Any, database_url: str, tmp_path: Path
) -> None:
    site = await _site(make)
    ran = await run_import(
        database_url, site.id, "--format", "jsonl", write_jsonl(tmp_path / "s.jsonl", records())
    )
    assert ran.status == 0, ran.err
    data = await gql(
        """{ discountCodes { nodes { id code timesUsed assignments { nodes { timesUsed } }
               redemptions { nodes { amount currency orderReference redeemedAt customer { fullName } } } } } }"""
    )
    code = data["discountCodes"]["nodes"][0]
    assert code["timesUsed"] == 2 and code["assignments"]["nodes"] == [{"timesUsed": 1}]
    assert code["redemptions"]["nodes"][0] == {
        "amount": 500, "currency": "GBP", "orderReference": "o-1",
        "redeemedAt": "2025-03-01T10:00:00+00:00", "customer": {"fullName": "Ana López"},
    }  # fmt: skip
    async with db.connect() as connection:
        imported = (
            await connection.execute(
                t.REDEMPTION.select().where(t.REDEMPTION.c.imported_at.is_not(None))
            )
        ).all()
    assert len(imported) == 2
    assert await _drift(db) == []  # the caps' usage counters count the imported uses
    answer = (await gql(REDEEM, {"input": twice(site, "k-3")}))["redeemCode"]
    assert answer["valid"] is False and answer["reason"] == "USAGE_LIMIT_REACHED", answer


async def test_voiding_an_imported_use_on_a_reimport_gives_it_back(
    make: Any, db: Any, gql: Any, database_url: str, tmp_path: Path
) -> None:
    site = await _site(make)
    first = records()
    await run_import(
        database_url, site.id, "--format", "jsonl", write_jsonl(tmp_path / "a.jsonl", first)
    )
    voided = copy.deepcopy(first)
    voided[6]["voidedAt"] = "2025-03-03T09:00:00Z"
    ran = await run_import(
        database_url, site.id, "--format", "jsonl", write_jsonl(tmp_path / "b.jsonl", voided)
    )
    assert last_line(ran) == "0 created, 1 updated, 7 unchanged, 0 refused", ran.err
    data = await gql(
        "{ discountCodes { nodes { timesUsed assignments { nodes { timesUsed } } } } }"
    )
    assert data["discountCodes"]["nodes"] == [
        {"timesUsed": 1, "assignments": {"nodes": [{"timesUsed": 0}]}}
    ]
    assert await _drift(db) == []
    customer = (await gql("{ customers { nodes { id } } }"))["customers"]["nodes"][0]["id"]
    attempt = twice(site, "k-after-void") | {"customerId": customer}
    answer = (await gql(REDEEM, {"input": attempt}))["redeemCode"]
    assert answer["valid"] is True, answer  # the voided use gave its place under the cap back
    changed = copy.deepcopy(voided)
    changed[7]["amount"] = 100
    ran = await run_import(
        database_url, site.id, "--format", "jsonl", write_jsonl(tmp_path / "c.jsonl", changed)
    )
    assert ran.status == 1 and "record 8: amount: a redemption is a ledger entry" in ran.err


async def test_export_writes_every_record_and_the_export_imports_back_unchanged(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    site = await _site(make)
    await run_import(
        database_url, site.id, "--format", "jsonl", write_jsonl(tmp_path / "a.jsonl", records())
    )
    out = tmp_path / "export.jsonl"
    ran = await run_export(database_url, site.id, "--format", "jsonl", "--out", out)
    assert ran.status == 0, ran.err
    exported = read_jsonl(out)
    assert [r["type"] for r in exported] == [
        "Customer", "Coupon", "CouponCode", "CouponCode", "DiscountCode", "Assignment", "Redemption", "Redemption"
    ]  # fmt: skip
    code = exported[4]
    assert (
        code["terms"]["amounts"] == [{"currency": "GBP", "amount": 500}] and code["timesUsed"] == 2
    )
    assert code["terms"]["eligibleCategories"] == [{"category": "BOOKING", "itemIds": []}]
    assert exported[1]["terms"]["percentage"] == "12.50"
    assert exported[3]["validTo"] == "2031-05-31T22:59:59.999999+00:00"
    assert exported[6]["customer"]["externalId"] == "cw-1" and exported[6]["importedAt"]
    again = await run_import(database_url, site.id, "--format", "jsonl", out)
    assert last_line(again) == "0 created, 0 updated, 8 unchanged, 0 refused", again.err


async def test_export_of_trashed_records_and_of_codes_as_csv(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    site = await _site(make)
    deleted = records()
    deleted[3]["deletedAt"] = "2026-01-01T00:00:00Z"
    await run_import(
        database_url, site.id, "--format", "jsonl", write_jsonl(tmp_path / "a.jsonl", deleted)
    )
    codes = {}
    for trashed in ("WITHOUT", "WITH", "ONLY"):
        out = tmp_path / f"{trashed}.jsonl"
        await run_export(
            database_url, site.id, "--format", "jsonl", "--trashed", trashed, "--out", out
        )
        codes[trashed] = [r["code"] for r in read_jsonl(out) if r["type"] == "CouponCode"]
    assert codes == {
        "WITHOUT": ["SPRING-A"],
        "WITH": ["SPRING-A", "SPRING-B"],
        "ONLY": ["SPRING-B"],
    }
    out = tmp_path / "codes.csv"
    ran = await run_export(database_url, site.id, "--format", "csv", "--out", out)
    assert ran.status == 0, ran.err
    with out.open() as lines:
        rows = list(csv.DictReader(lines))
    assert [(r["type"], r["code"], r["couponExternalId"]) for r in rows] == [
        ("CouponCode", "SPRING-A", "cp-1"),
        ("DiscountCode", "TWICE", ""),
    ]


@pytest.mark.slow
async def test_the_scripts_run_as_commands(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    site = await _site(make)
    path = write_jsonl(tmp_path / "site.jsonl", records())
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOUNTS_")}

    def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            str(ROOT / "scripts" / script),
            "--database-url",
            database_url,
            *args,
        ]
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    ran = run("import", "--format", "jsonl", "--site", str(site.id), str(path))
    assert ran.returncode == 0 and ran.stdout.strip().endswith(
        "8 created, 0 updated, 0 unchanged, 0 refused"
    ), ran.stderr
    ran = run("export", "--format", "jsonl", "--site", str(site.id))
    assert ran.returncode == 0, ran.stderr
    assert len([json.loads(line) for line in ran.stdout.splitlines()]) == 8
    ran = run("import", "--format", "jsonl", "--site", "999999", str(path))
    assert ran.returncode == 1 and "refused: no site has the id 999999" in ran.stderr


async def test_a_restore_that_breaks_a_uniqueness_rule_stops_the_import_and_writes_nothing(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    site = await _site(make)
    given = records()[:5]
    given += [
        {"type": "Assignment", "externalId": "as-old", "customer": {"externalId": "cw-1"},
         "discountCode": {"externalId": "dc-1"}, "deletedAt": "2025-01-01T00:00:00Z"},
        {"type": "Assignment", "externalId": "as-new", "customer": {"externalId": "cw-1"},
         "discountCode": {"externalId": "dc-1"}},
    ]  # fmt: skip
    ran = await run_import(
        database_url, site.id, "--format", "jsonl", write_jsonl(tmp_path / "a.jsonl", given)
    )
    assert ran.status == 0, ran.err
    given[5]["deletedAt"] = None  # restoring the old one would give the customer the code twice
    given[0]["fullName"] = "Ana María López"
    ran = await run_import(
        database_url, site.id, "--format", "jsonl", write_jsonl(tmp_path / "b.jsonl", given)
    )
    assert ran.status == 1 and "refused: the database refused a write" in ran.err
    async with db.connect() as connection:
        names = (
            (
                await connection.execute(
                    t.CUSTOMER.select().with_only_columns(t.CUSTOMER.c.full_name)
                )
            )
            .scalars()
            .all()
        )
    assert names == ["Ana López"]


async def test_a_vendor_export_of_records_made_here_imports_back_into_the_same_site(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    # Records made here have no vendor id: the export writes their uniqueId as the id, and
    # reading that file back must find them by it (not refuse their codes as taken).
    site = await _site(make)
    code_id, use_id = "0f6f5b1c-1d7e-4b5e-9a55-3a9d4c1e2b01", "0f6f5b1c-1d7e-4b5e-9a55-3a9d4c1e2b02"
    made_here = [
        {"type": "DiscountCode", "uniqueId": code_id, "code": "TEN", "terms": {
            "kind": "FIXED", "amounts": [{"currency": "GBP", "amount": 1000}], "maxUses": 5,
            "eligibleCategories": [{"category": "OFFERING", "itemIds": ["1", "2"]}]}},
        {"type": "Redemption", "uniqueId": use_id, "discountCode": {"uniqueId": code_id}, "amount": 1000,
         "redeemedAt": "2026-03-01T10:00:00Z"},
    ]  # fmt: skip
    ran = await run_import(
        database_url, site.id, "--format", "jsonl", write_jsonl(tmp_path / "a.jsonl", made_here)
    )
    assert last_line(ran) == "2 created, 0 updated, 0 unchanged, 0 refused", ran.err
    out = tmp_path / "nuweb.json"
    ran = await run_export(database_url, site.id, "--format", "nuweb", "--out", out)
    assert ran.status == 0, ran.err
    assert json.loads(out.read_text())["data"][0]["id"] == code_id
    ran = await run_import(database_url, site.id, "--format", "nuweb", out)
    # Found by uniqueId; the vendor's id is kept as their externalId from then on.
    assert last_line(ran) == "0 created, 2 updated, 0 unchanged, 0 refused", ran.err
    ran = await run_import(database_url, site.id, "--format", "nuweb", out)
    assert last_line(ran) == "0 created, 0 updated, 2 unchanged, 0 refused", ran.err
    assert await count(db, t.DiscountCode) == 1 and await count(db, t.Redemption) == 1
    assert await _drift(db) == []


async def test_a_create_given_a_null_coupon_or_customer_is_refused_naming_the_field(
    make: Any, db: Any, database_url: str, tmp_path: Path
) -> None:
    """`"coupon": null` on a new code, `"customer": null` on a new assignment: refused with
    the field named (the planner once read the id of the None they resolve to)."""
    site = await _site(make)
    given = records()
    given[2]["coupon"] = None
    given[5]["customer"] = None
    path = write_jsonl(tmp_path / "nulls.jsonl", given)
    ran = await run_import(database_url, site.id, "--format", "jsonl", path)
    assert ran.status == 1, ran.err
    assert f"{path}: record 3: coupon: is required to create a CouponCode" in ran.err
    assert f"{path}: record 6: customer: is required to create an Assignment" in ran.err
    assert await count(db, t.CouponCode) == 0
