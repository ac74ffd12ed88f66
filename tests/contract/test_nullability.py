"""Why to-one relations stay nullable in the schema (docs/schema-contract.md, "Nullability"):
their foreign keys are never null, but a relation follows the request's `trashed` choice, so a
live parent of a soft-deleted record is null under `trashed: ONLY` (and a deleted parent of a
live record under the default WITHOUT). Were `site` non-null, the whole record would become an
error there."""

from __future__ import annotations

from datetime import UTC, datetime

from graphql import GraphQLNonNull, GraphQLObjectType
from sqlalchemy.ext.asyncio import AsyncEngine

from app.demo import seed_demo
from app.graphql.schema import build_schema
from tests.conftest import GraphQLClient

QUERY = """query($trashed: Trashed!) {
  discountCodes(trashed: $trashed, first: 100) { nodes { code deletedAt site { name } } }
}"""


async def test_the_live_site_of_a_deleted_record_is_null_under_only(
    gql: GraphQLClient, db: AsyncEngine
) -> None:
    await seed_demo(db, now=datetime.now(UTC).replace(second=0, microsecond=0))
    deleted = (await gql(QUERY, {"trashed": "ONLY"}))["discountCodes"]["nodes"]
    assert deleted and all(d["deletedAt"] and d["site"] is None for d in deleted)
    # With WITH the same records show their sites: the null is the request's view, not data.
    both = (await gql(QUERY, {"trashed": "WITH"}))["discountCodes"]["nodes"]
    deleted_codes = {d["code"] for d in deleted}
    assert all(d["site"] for d in both if d["code"] in deleted_codes)


def test_the_schema_keeps_them_nullable() -> None:
    schema = build_schema()._schema
    for type_name in ("Coupon", "DiscountCode", "CouponCode", "Assignment", "Redemption"):
        record = schema.type_map[type_name]
        assert isinstance(record, GraphQLObjectType)
        for relation in ("site", "organisation"):
            assert not isinstance(record.fields[relation].type, GraphQLNonNull), relation
