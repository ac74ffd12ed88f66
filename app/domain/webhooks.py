"""The rules of webhook delivery, without I/O: signing, the retry schedule, which addresses a
delivery may go to, which events an endpoint takes (docs/events.md, "Webhooks").

The signature is Stripe's scheme: `Discounts-Signature: t=<unix seconds>,v1=<hex>` where hex
is HMAC-SHA256 of `<t>.<body>` under the endpoint's secret. A receiver recomputes it over the
raw body, compares in constant time, and refuses a timestamp too far from its clock (a
replayed request). `verify` is that check, for receivers written in Python. While a rotated
secret is still valid (rotateWebhookSecret), each delivery carries one `v1` per secret.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import random
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

SIGNATURE_HEADER = "Discounts-Signature"
EVENT_ID_HEADER = "Discounts-Event-Id"
EVENT_TYPE_HEADER = "Discounts-Event-Type"
ATTEMPT_HEADER = "Discounts-Delivery-Attempt"
SECRET_PREFIX = "whsec_"
# A signature older (or newer) than this is refused by `verify`: a replay, or a bad clock.
DEFAULT_TOLERANCE_SECONDS = 300

# Retries: the first after about FIRST_RETRY, each about twice the last, at most MAX_RETRY
# apart, until the delivery's window (RETRY_WINDOW from its creation) ends.
FIRST_RETRY = timedelta(seconds=10)
MAX_RETRY = timedelta(hours=6)
RETRY_WINDOW = timedelta(days=3)


def new_secret() -> str:
    """A signing secret: 32 random bytes, URL-safe, with a prefix that says what it is."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `v1` of a delivery: HMAC-SHA256 of `<timestamp>.<body>`, hex."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes, *also: str) -> str:
    """The Discounts-Signature value: one `v1` under `secret`, then one under each of `also`
    (a rolled secret not yet expired), as Stripe signs while a secret is rolled."""
    signatures = "".join(f",v1={signature(s, timestamp, body)}" for s in (secret, *also))
    return f"t={timestamp}{signatures}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """Whether `header` (the Discounts-Signature value) signs `body` under `secret` within
    `tolerance` seconds of `now` (a Unix time). Any `v1` may match (a header may carry more
    than one while a secret is rolled)."""
    fields = [part.partition("=") for part in header.split(",")]
    stamps = [value for key, _, value in fields if key.strip() == "t"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit():
        return False
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(
        hmac.compare_digest(expected, value.strip()) for key, _, value in fields if key == "v1"
    )


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """How long after its `attempts`-th failed attempt a delivery is tried again: exponential
    (FIRST_RETRY doubled each time, at most MAX_RETRY) with jitter, half of it random, so that
    the deliveries of one outage do not come back all at once."""
    ceiling = min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 30), MAX_RETRY)
    fraction: float = (rng or random).uniform(0.5, 1.0)
    delay: timedelta = ceiling * fraction
    return delay


@dataclass(frozen=True)
class Retry:
    """After a failed attempt: when the next one is due, or None when the window is over."""

    at: datetime | None


def after_failure(attempts: int, now: datetime, deadline: datetime) -> Retry:
    """The next attempt of a delivery that has failed `attempts` times, the last at `now`:
    retried while its window lasts, the last attempt at the window's end."""
    if now >= deadline:
        return Retry(None)
    return Retry(min(now + retry_delay(attempts), deadline))


def refused_address(address: str) -> str | None:
    """Why a delivery may not go to `address` (an IP address), or None. Private, loopback,
    link-local (cloud metadata services live there), multicast, reserved and unspecified
    addresses are inside someone's network, not a receiver's (server-side request forgery);
    an IPv4 address written as IPv6 is judged as IPv4."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, is_it in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("unspecified", ip.is_unspecified),
    ):
        if is_it:
            return f"{address} is a {kind} address"
    return None


MAX_URL_LENGTH = 2048


def url_problem(url: str) -> str | None:
    """What is wrong with an endpoint's URL, or None: an absolute http(s) URL with a host,
    no credentials and no fragment."""
    if len(url) > MAX_URL_LENGTH:
        return f"at most {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"not a URL ({error})"
    del port
    if parts.scheme not in ("http", "https"):
        return "an http:// or https:// URL"
    if not parts.hostname:
        return "a URL with a host"
    if parts.username is not None or parts.password is not None:
        return "a URL without credentials (the signature authenticates deliveries)"
    if parts.fragment:
        return "a URL without a #fragment"
    return None


@dataclass(frozen=True)
class EndpointFilter:
    """What an endpoint takes: event types (empty: all) and sites (empty: all), with the
    organisations of those sites (a customer's or an organisation's event has no site)."""

    types: frozenset[str]
    site_ids: frozenset[int]
    organisation_ids: frozenset[int]

    def takes(self, event_type: str, site_id: int | None, organisation_id: int) -> bool:
        if self.types and event_type not in self.types:
            return False
        if not self.site_ids:
            return True
        if site_id is None:
            return organisation_id in self.organisation_ids
        return site_id in self.site_ids


def endpoint_filter(types: Collection[str], sites: Collection[tuple[int, int]]) -> EndpointFilter:
    """`sites`: (site id, organisation id) pairs."""
    return EndpointFilter(
        frozenset(types),
        frozenset(site for site, _ in sites),
        frozenset(organisation for _, organisation in sites),
    )
