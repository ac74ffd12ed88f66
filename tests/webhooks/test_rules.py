"""The rules of delivery without I/O: signatures, the retry schedule, refused addresses,
what an endpoint takes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.domain.webhooks import (
    FIRST_RETRY,
    MAX_RETRY,
    RETRY_WINDOW,
    after_failure,
    endpoint_filter,
    refused_address,
    retry_delay,
    signature,
    signature_header,
    url_problem,
    verify,
)

NOW = 1_800_000_000


@given(st.binary(max_size=300), st.text(min_size=1, max_size=40), st.integers(0, 2**40))
def test_a_signature_verifies_its_body_only(body: bytes, secret: str, stamp: int) -> None:
    header = signature_header(secret, stamp, body)
    assert verify(secret, header, body, stamp)
    assert not verify(secret, header, body + b" ", stamp)
    assert not verify(secret + "x", header, body, stamp)
    assert not verify(secret, header, body, stamp + 301)  # older than the tolerance
    # a header carrying a second v1 (a secret being rolled) still verifies by either
    assert verify(secret, f"{header},v1=00", body, stamp)


def test_malformed_headers_do_not_verify() -> None:
    for header in ("", "v1=ab", "t=x,v1=ab", f"t={NOW},t={NOW},v1=ab", f"t={NOW}"):
        assert not verify("s", header, b"{}", NOW)


@given(st.integers(1, 200))
def test_retries_back_off_with_jitter_within_bounds(attempts: int) -> None:
    ceiling = min(FIRST_RETRY * 2 ** min(attempts - 1, 30), MAX_RETRY)
    delay = retry_delay(attempts)
    assert ceiling / 2 <= delay <= ceiling


@given(st.integers(1, 100), st.integers(0, 4 * 86400))
def test_retried_until_the_window_ends_then_given_up(attempts: int, elapsed: int) -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    deadline = created + RETRY_WINDOW
    now = created + timedelta(seconds=elapsed)
    retry = after_failure(attempts, now, deadline)
    if now >= deadline:
        assert retry.at is None
    else:
        assert retry.at is not None and now < retry.at <= deadline


def test_addresses_inside_a_network_are_refused() -> None:
    for address in ("127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
                    "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "0.0.0.0", "224.0.0.1"):  # fmt: skip
        assert refused_address(address) is not None, address
    for address in ("93.184.215.14", "8.8.8.8", "2606:4700::1111"):
        assert refused_address(address) is None, address


def test_urls() -> None:
    assert url_problem("https://hooks.example.com/in?x=1") is None
    assert url_problem("http://example.com") is None
    assert url_problem("https://example.com/#frag") == "a URL without a #fragment"
    assert url_problem("https://" + "a" * 2050) == "at most 2048 characters"


def test_what_an_endpoint_takes() -> None:
    everything = endpoint_filter([], [])
    assert everything.takes("coupon.created", 1, 1) and everything.takes(
        "customer.updated", None, 9
    )
    site_one = endpoint_filter(["redemption.created"], [(1, 10)])
    assert site_one.takes("redemption.created", 1, 10)
    assert not site_one.takes("redemption.created", 2, 10)
    assert not site_one.takes("redemption.voided", 1, 10)
    # a customer's event (no site) goes to the endpoints of its organisation's sites
    customers = endpoint_filter([], [(1, 10)])
    assert customers.takes("customer.created", None, 10)
    assert not customers.takes("customer.created", None, 11)


def test_a_header_signed_under_two_secrets_verifies_under_either() -> None:
    body, now = b'{"id": "e"}', NOW
    header = signature_header("whsec_new", now, body, "whsec_old")
    assert header == (
        f"t={now},v1={signature('whsec_new', now, body)},v1={signature('whsec_old', now, body)}"
    )
    assert verify("whsec_new", header, body, now) and verify("whsec_old", header, body, now)
    assert not verify("whsec_other", header, body, now)
    assert (
        signature_header("whsec_new", now, body)
        == f"t={now},v1={signature('whsec_new', now, body)}"
    )
