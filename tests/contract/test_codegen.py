"""The Python client that ariadne-codegen generates from schema.graphql and
examples/operations (tools/codegen/ariadne-codegen.toml) works against a live server: typed
answers with the scalars' wire forms read (Decimal, datetime), mutations chained, errors raised.

The generator is installed by scripts/install-codegen (pinned, in its own environment); the
client is generated afresh into a temporary folder, so it is never stale."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.demo import seed_demo
from tests.servers import ROOT, storm_environment, uvicorn_servers

CODEGEN = ROOT / "tools" / "codegen"
PACKAGE = "discounts_client"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding the freshly generated `discounts_client` package."""
    subprocess.run(
        [str(ROOT / "scripts" / "install-codegen"), "--python"], check=True, capture_output=True
    )
    folder = tmp_path_factory.mktemp("generated")
    config = (CODEGEN / "ariadne-codegen.toml").read_text()
    for relative in ('"../../schema.graphql"', '"../../examples/operations"', '"generated/python"'):
        assert relative in config, relative
    config = (
        config.replace('"../../schema.graphql"', json.dumps(str(ROOT / "schema.graphql")))
        .replace('"../../examples/operations"', json.dumps(str(ROOT / "examples" / "operations")))
        .replace('"generated/python"', json.dumps(str(folder)))
    )
    (folder / "ariadne-codegen.toml").write_text(config)
    subprocess.run(
        [str(CODEGEN / ".venv-python" / "bin" / "ariadne-codegen"), "--config",
         str(folder / "ariadne-codegen.toml"), "client"],
        check=True, capture_output=True, cwd=folder,
    )  # fmt: skip
    return folder


@pytest.fixture
def client_module(generated: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(generated))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(generated))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


async def test_the_generated_client_runs_against_a_live_server(
    db: AsyncEngine, database_url: str, admin_token: str, client_module: ModuleType
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    await seed_demo(db, now=now)
    headers = {"authorization": f"Bearer {admin_token}"}
    async with (
        uvicorn_servers(storm_environment(database_url), count=1) as (server,),
        client_module.DiscountsClient(url=f"{server.url}/graphql", headers=headers) as client,
    ):
        recent = await client.recent_coupons(first=2)
        coupons = recent.coupons
        assert len(coupons.nodes) == 2 and coupons.total_count > 2
        assert coupons.page_info.has_next_page is True
        percentages = [c.terms.percentage for c in coupons.nodes if c.terms.percentage]
        assert all(isinstance(p, Decimal) for p in percentages)

        found = await client.code_lookup(coupon_code="SPA-SUMMER")
        assert [c.code for c in found.coupon_codes.nodes] == ["SPA-SUMMER"]
        assert found.discount_code is not None and found.discount_code.terms.box_office_only

        search = await client.assignment_search(
            updated_from=now - timedelta(days=365), updated_to=now + timedelta(days=1)
        )
        assert search.assignments.nodes
        assert all("Becker" in a.customer.full_name for a in search.assignments.nodes)

        trashed = await client.trashed_discount_codes()
        assert trashed.discount_codes.nodes
        assert all(isinstance(d.deleted_at, datetime) for d in trashed.discount_codes.nodes)

        welcome = {"code": " welcome10 ", "site_id": "U2l0ZTox", "idempotency_key": "codegen-1"}
        redeemed = (await client.redeem_code(**welcome)).redeem_code
        assert (redeemed.valid, redeemed.discount_total) == (True, 535)
        assert redeemed.redemption is not None and redeemed.replayed is False
        again = (await client.redeem_code(**welcome)).redeem_code
        assert again.replayed is True and again.redemption == redeemed.redemption

        created = await client.create_coupon(site_id="U2l0ZTox", name="Codegen sale")
        coupon = created.create_coupon
        assert coupon.user_errors == [] and coupon.coupon is not None
        assert coupon.coupon.terms.percentage == Decimal("15.00")
        made = await client.create_coupon_code(coupon_id=coupon.coupon.id, code="CODEGEN15")
        assert made.create_coupon_code.coupon_code.code == "CODEGEN15"
        taken = await client.create_coupon_code(coupon_id=coupon.coupon.id, code="codegen15")
        [problem] = taken.create_coupon_code.user_errors
        assert problem.code == client_module.UserErrorCode.CODE_TAKEN

        # A bad argument is a GraphQL error: the client raises it, with the server's message.
        with pytest.raises(client_module.GraphQLClientGraphQLMultiError, match="first"):
            await client.recent_coupons(first=5000)
