"""The four benchmark queries, written once for our API and once for PostGraphile 5.

Both sides ask for the same records and the same columns, so the comparison is about the
servers, not the payloads:
- soft-deleted rows: our API hides them by default; PostGraphile is told `deletedAt: null`.
- "all scalar fields" are the record's own columns (ids, audit fields, the entity's values).
  The big list keeps to those (~1,100 objects, as issue 6 measured); the one-coupon query adds
  the Terms columns (our `terms { ... }` block, PostGraphile's flat columns). Eligible items
  (a separate table on both sides) are left out of both.
- PostGraphile's field names come from introspecting its amber-preset schema
  (`allCoupons`, `couponCodesByCouponId`, `rowId`, `condition`, `orderBy: [X_DESC, ...]`).

Variables that depend on the data (a coupon id, a site id, page 1's end cursor) are filled in
by `scripts/bench` after seeding; the documents themselves are constants, validated against our
schema by tests/bench/test_bench_smoke.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RECORD = "id uniqueId createdAt updatedAt updatedBy deletedAt externalId"
COUPON = f"{RECORD} name description timesUsed"
CODE = f"{RECORD} code validFrom validTo multiUse customerCreditId revenue timesUsed"
ASSIGNMENT = f"{RECORD} validFrom expiresOn timesUsed notes bookingReference referrerUniqueId"
CUSTOMER = f"{RECORD} kind fullName billingName companyName email isMember"
MONEY = "{ currency amount }"
TERMS = (
    f"kind percentage amounts {MONEY} minimumSpend {MONEY} maximumDiscount {MONEY}"
    " applyToNetPrice membersOnly contactsOnly leadBookerOnly boxOfficeOnly maxUses"
    " maxUsesPerCustomer maxUsesPerOrder usagePeriod validFrom validTo publishFrom publishTo"
    " expirationUnit expiresIn disabledAt isReferral"
)

# PostGraphile exposes columns as they are: the same information, flat.
PG_COUPON = COUPON
PG_CODE = CODE
# Not quite the same for the referrer: our API has no scalar for the referrer's key, only its
# `referrerUniqueId` (a lookup of the customer row, soft deletion and scope included), where
# PostGraphile reads the key column. Ours does the more work; kept as it is so that figures
# compare across runs.
PG_ASSIGNMENT = f"{RECORD} validFrom expiresOn timesUsed notes bookingReference referrerId"
PG_CUSTOMER = CUSTOMER
PG_TERMS = (
    "kind percentageBp amounts minimumSpend maximumDiscount applyToNetPrice membersOnly"
    " contactsOnly leadBookerOnly boxOfficeOnly maxUses maxUsesPerCustomer maxUsesPerOrder"
    " usagePeriod validFrom validTo publishFrom publishTo expirationUnit expiresIn disabledAt"
    " isReferral"
)
LIVE = "condition: {deletedAt: null}"

BIG_LIST_COUPONS = 100
CODES_PER_COUPON = 10
DEEP_COUPONS = 50
ASSIGNMENTS_PAGE = 50


@dataclass
class Query:
    """One benchmark query on both APIs; `ours_vars` / `peer_vars` are completed at run time."""

    name: str
    title: str
    ours: str
    peer: str
    # The path (dotted, lists walked) to the top-level nodes, and how many there must be.
    ours_nodes: str
    peer_nodes: str
    expected_nodes: int
    ours_vars: dict[str, Any] = field(default_factory=dict)
    peer_vars: dict[str, Any] = field(default_factory=dict)


BIG_LIST = Query(
    name="big_list",
    title=f"{BIG_LIST_COUPONS} coupons x {CODES_PER_COUPON} codes",
    ours=f"""query BigList {{
  coupons(first: {BIG_LIST_COUPONS}) {{ nodes {{ {COUPON}
    codes(first: {CODES_PER_COUPON}) {{ nodes {{ {CODE} }} }} }} }}
}}""",
    peer=f"""query BigList {{
  allCoupons(first: {BIG_LIST_COUPONS}, {LIVE}, orderBy: [PRIMARY_KEY_ASC]) {{ nodes {{ {PG_COUPON}
    couponCodesByCouponId(first: {CODES_PER_COUPON}, {LIVE}, orderBy: [PRIMARY_KEY_ASC]) {{
      nodes {{ {PG_CODE} }} }} }} }}
}}""",
    ours_nodes="data.coupons.nodes",
    peer_nodes="data.allCoupons.nodes",
    expected_nodes=BIG_LIST_COUPONS,
)

ONE_COUPON = Query(
    name="one_coupon",
    title="one coupon by id",
    ours=f"""query OneCoupon($id: ID!) {{
  coupon(id: $id) {{ {COUPON} terms {{ {TERMS} }} }}
}}""",
    peer=f"""query OneCoupon($rowId: Int!) {{
  couponByRowId(rowId: $rowId) {{ {PG_COUPON} {PG_TERMS} }}
}}""",
    ours_nodes="data.coupon",
    peer_nodes="data.couponByRowId",
    expected_nodes=1,
)

DEEP = Query(
    name="deep",
    title="coupons > codes > assignments > customer",
    ours=f"""query Deep {{
  coupons(first: {DEEP_COUPONS}) {{ nodes {{ id uniqueId name
    codes(first: {CODES_PER_COUPON}) {{ nodes {{ id uniqueId code timesUsed
      assignments(first: 5) {{ nodes {{ id uniqueId validFrom expiresOn timesUsed
        customer {{ {CUSTOMER} }} }} }} }} }} }} }}
}}""",
    peer=f"""query Deep {{
  allCoupons(first: {DEEP_COUPONS}, {LIVE}, orderBy: [PRIMARY_KEY_ASC]) {{ nodes {{ id uniqueId name
    couponCodesByCouponId(first: {CODES_PER_COUPON}, {LIVE}, orderBy: [PRIMARY_KEY_ASC]) {{
      nodes {{ id uniqueId code timesUsed
      assignmentsByCouponCodeId(first: 5, {LIVE}, orderBy: [PRIMARY_KEY_ASC]) {{
        nodes {{ id uniqueId validFrom expiresOn timesUsed
        customerByCustomerId {{ {PG_CUSTOMER} }} }} }} }} }} }} }}
}}""",
    ours_nodes="data.coupons.nodes",
    peer_nodes="data.allCoupons.nodes",
    expected_nodes=DEEP_COUPONS,
)

# A site's assignments, newest first, page 2: `after` is page 1's end cursor on each API.
ASSIGNMENTS_PAGE_2 = Query(
    name="assignments_page",
    title=f"assignments: filtered, sorted, page 2 of {ASSIGNMENTS_PAGE}",
    ours=f"""query AssignmentsPage($site: ID!, $after: String) {{
  assignments(first: {ASSIGNMENTS_PAGE}, after: $after, filter: {{siteId: {{eq: $site}}}},
              orderBy: {{field: CREATED_AT, direction: DESC}}) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {ASSIGNMENT} }} }}
}}""",
    peer=f"""query AssignmentsPage($site: Int!, $after: Cursor) {{
  allAssignments(first: {ASSIGNMENTS_PAGE}, after: $after,
                 condition: {{siteId: $site, deletedAt: null}},
                 orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {PG_ASSIGNMENT} }} }}
}}""",
    ours_nodes="data.assignments.nodes",
    peer_nodes="data.allAssignments.nodes",
    expected_nodes=ASSIGNMENTS_PAGE,
)

QUERIES: tuple[Query, ...] = (BIG_LIST, ONE_COUPON, DEEP, ASSIGNMENTS_PAGE_2)


def pick(document: Any, path: str) -> Any:
    """The value at a dotted path; a list along the way is walked and flattened."""
    values = [document]
    for key in path.split("."):
        nxt = []
        for value in values:
            value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, list):
                nxt.extend(value)
            elif value is not None:
                nxt.append(value)
        values = nxt
    return values


def unique_ids(document: Any) -> list[str]:
    """Every `uniqueId` in document order: the records a response holds, to compare the APIs."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "uniqueId" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    return found
