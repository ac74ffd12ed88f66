"""GraphQL documents and steps shared by the webhook tests."""

from __future__ import annotations

from typing import Any

ENDPOINT_FIELDS = "id url types siteIds disabledAt disabledReason failingSince deletedAt updatedBy"
CREATE = f"""mutation($input: CreateWebhookEndpointInput!) {{
  createWebhookEndpoint(input: $input) {{
    endpoint {{ {ENDPOINT_FIELDS} }} secret userErrors {{ field code message }} }} }}"""
UPDATE = f"""mutation($input: UpdateWebhookEndpointInput!) {{
  updateWebhookEndpoint(input: $input) {{
    endpoint {{ {ENDPOINT_FIELDS} }} userErrors {{ field code message }} }} }}"""
STATE = """mutation($id: ID!) {{
  {name}(id: $id) {{ endpoint {{ id deletedAt disabledAt disabledReason }}
    userErrors {{ field code message }} }} }}"""
ENDPOINTS = f"""query($deleted: Boolean! = false, $after: String, $first: Int! = 100) {{
  webhookEndpoints(deleted: $deleted, after: $after, first: $first) {{
    nodes {{ {ENDPOINT_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
DELIVERIES = """query($endpoint: ID, $event: UUID, $state: WebhookDeliveryState) {
  webhookDeliveries(endpointId: $endpoint, eventId: $event, state: $state) {
    nodes { id endpointId eventId eventType state attemptCount nextAttemptAt lastError
            deliveredAt attempts { number statusCode succeeded error durationMs } } } }"""
CODE = """mutation($s: ID!, $c: String!) { createDiscountCode(input: {siteId: $s, code: $c,
  terms: {kind: PERCENTAGE, percentage: "5"}}) { userErrors { code } } }"""
REDELIVER = """mutation($event: UUID!, $endpoint: ID!) {
  redeliverEvent(eventId: $event, endpointId: $endpoint) {
    delivery { eventId state attemptCount } userErrors { field code message } } }"""


async def create_endpoint(gql: Any, url: str, **fields: Any) -> tuple[dict[str, Any], str]:
    """The endpoint made and its secret (the test fails on userErrors)."""
    answer = (await gql(CREATE, {"input": {"url": url, **fields}}))["createWebhookEndpoint"]
    assert answer["userErrors"] == [], answer
    return answer["endpoint"], answer["secret"]


async def state_change(gql: Any, name: str, endpoint_id: str, **kw: Any) -> dict[str, Any]:
    answer: dict[str, Any] = (await gql(STATE.format(name=name), {"id": endpoint_id}, **kw))[name]
    return answer


async def delivered(gql: Any, site_id: str, code: str, receiver: Any, worker: Any) -> Any:
    """The one delivery of a new discount code's event at `site_id` (the receiver's earlier
    deliveries forgotten first)."""
    receiver.received.clear()
    await gql(CODE, {"s": site_id, "c": code})
    await worker.round()
    (got,) = receiver.received
    return got
