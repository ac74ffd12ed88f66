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

# -- client documents (issue 18) ------------------------------------------------------------
# The same records asked the way client code writes documents: inline fields and `nodes` (the
# spelling above), a fragment per component (graphql-codegen's client preset: each component
# declares the fields it shows, the page's query spreads them), Relay's connections (`edges
# { cursor node { ...Fragment } }` and `pageInfo`, `__typename` where the compiler adds it),
# and a Relay node refetch (`node(id:)`, an inline fragment, three levels of relations). The
# first three ask for the same 20 coupons x 10 codes: their figures compare spellings.

CLIENT_COUPONS = 20
CLIENT_COUPON = "id uniqueId name description timesUsed createdAt"
CLIENT_CODE = "id uniqueId code validFrom validTo multiUse timesUsed createdAt"
PG_PAGE = f"{LIVE}, orderBy: [PRIMARY_KEY_ASC]"

CLIENT_INLINE = Query(
    name="client_inline",
    title=f"client documents: {CLIENT_COUPONS} x {CODES_PER_COUPON}, nodes + inline fields",
    ours=f"""query CouponsInline {{
  coupons(first: {CLIENT_COUPONS}) {{ nodes {{ {CLIENT_COUPON}
    codes(first: {CODES_PER_COUPON}) {{ nodes {{ {CLIENT_CODE} }} }} }} }}
}}""",
    peer=f"""query CouponsInline {{
  allCoupons(first: {CLIENT_COUPONS}, {PG_PAGE}) {{ nodes {{ {CLIENT_COUPON}
    couponCodesByCouponId(first: {CODES_PER_COUPON}, {PG_PAGE}) {{
      nodes {{ {CLIENT_CODE} }} }} }} }}
}}""",
    ours_nodes="data.coupons.nodes",
    peer_nodes="data.allCoupons.nodes",
    expected_nodes=CLIENT_COUPONS,
)

CLIENT_CODEGEN = Query(
    name="client_codegen",
    title=f"client documents: {CLIENT_COUPONS} x {CODES_PER_COUPON}, a fragment per component",
    ours=f"""query CouponsPage {{
  coupons(first: {CLIENT_COUPONS}) {{ nodes {{ ...CouponCard }} }}
}}
fragment CouponCard on Coupon {{ id ...RecordMeta name description timesUsed
  codes(first: {CODES_PER_COUPON}) {{ nodes {{ ...CodeRow }} }} }}
fragment CodeRow on CouponCode {{ id ...RecordMeta code validFrom validTo multiUse timesUsed }}
fragment RecordMeta on Record {{ uniqueId createdAt }}""",
    # PostGraphile has no shared interface for the audit columns: a fragment per type.
    peer=f"""query CouponsPage {{
  allCoupons(first: {CLIENT_COUPONS}, {PG_PAGE}) {{ nodes {{ ...CouponCard }} }}
}}
fragment CouponCard on Coupon {{ id ...CouponMeta name description timesUsed
  couponCodesByCouponId(first: {CODES_PER_COUPON}, {PG_PAGE}) {{ nodes {{ ...CodeRow }} }} }}
fragment CodeRow on CouponCode {{ id ...CodeMeta code validFrom validTo multiUse timesUsed }}
fragment CouponMeta on Coupon {{ uniqueId createdAt }}
fragment CodeMeta on CouponCode {{ uniqueId createdAt }}""",
    ours_nodes="data.coupons.nodes",
    peer_nodes="data.allCoupons.nodes",
    expected_nodes=CLIENT_COUPONS,
)

CLIENT_RELAY = Query(
    name="client_relay",
    title=f"client documents: {CLIENT_COUPONS} x {CODES_PER_COUPON}, Relay edges + fragments",
    ours=f"""query CouponsRelayQuery($first: Int!, $after: String) {{
  coupons(first: $first, after: $after) {{
    edges {{ cursor node {{ id ...CouponCard_coupon __typename }} }}
    pageInfo {{ endCursor hasNextPage }} }}
}}
fragment CouponCard_coupon on Coupon {{ {CLIENT_COUPON}
  codes(first: {CODES_PER_COUPON}) {{
    edges {{ cursor node {{ id ...CodeRow_code __typename }} }}
    pageInfo {{ endCursor hasNextPage }} }} }}
fragment CodeRow_code on CouponCode {{ {CLIENT_CODE} }}""",
    peer=f"""query CouponsRelayQuery($first: Int!, $after: Cursor) {{
  allCoupons(first: $first, after: $after, {PG_PAGE}) {{
    edges {{ cursor node {{ id ...CouponCard_coupon __typename }} }}
    pageInfo {{ endCursor hasNextPage }} }}
}}
fragment CouponCard_coupon on Coupon {{ {CLIENT_COUPON}
  couponCodesByCouponId(first: {CODES_PER_COUPON}, {PG_PAGE}) {{
    edges {{ cursor node {{ id ...CodeRow_code __typename }} }}
    pageInfo {{ endCursor hasNextPage }} }} }}
fragment CodeRow_code on CouponCode {{ {CLIENT_CODE} }}""",
    ours_nodes="data.coupons.edges",
    peer_nodes="data.allCoupons.edges",
    expected_nodes=CLIENT_COUPONS,
    ours_vars={"first": CLIENT_COUPONS, "after": None},
    peer_vars={"first": CLIENT_COUPONS, "after": None},
)

# `id` is each API's own global id (a code's is filled in at run time).
CLIENT_NODE = Query(
    name="client_node",
    title="client documents: node(id:) refetch, three levels below",
    ours="""query CodeRefetchQuery($id: ID!) {
  node(id: $id) { __typename id ...CodeDetail_code }
}
fragment CodeDetail_code on CouponCode { uniqueId code validFrom validTo multiUse timesUsed
  coupon { id uniqueId name site { id uniqueId name organisation { id uniqueId name } } } }""",
    peer="""query CodeRefetchQuery($id: ID!) {
  node(id: $id) { __typename id ...CodeDetail_code }
}
fragment CodeDetail_code on CouponCode { uniqueId code validFrom validTo multiUse timesUsed
  couponByCouponId { id uniqueId name siteBySiteId { id uniqueId name
    organisationByOrganisationId { id uniqueId name } } } }""",
    ours_nodes="data.node",
    peer_nodes="data.node",
    expected_nodes=1,
)

CLIENT_DOCUMENTS: tuple[Query, ...] = (CLIENT_INLINE, CLIENT_CODEGEN, CLIENT_RELAY, CLIENT_NODE)
# Pairs of the same records in two spellings: (spelling, baseline) -> the bench's ratio.
SPELLING_PAIRS = (("client_relay", "client_inline"), ("client_codegen", "client_inline"))


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
