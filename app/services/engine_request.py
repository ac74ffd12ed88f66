"""What a checkout asks the engine: a code, where, for whom, on what basket; checked and hashed.

`build_request` turns API input into a `CodeRequest`, reporting every problem at once under the
camelCase input path, so that `validateCode` can answer with one clear error and `redeemCode`
with `userErrors`, and neither touches the rules with a malformed basket.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import orjson

from app.domain.amounts import BasketLine
from app.domain.codes import code_key
from app.domain.currencies import currency_problem, is_currency_code
from app.domain.enums import Channel, ItemCategory
from app.services.problems import Problem, ProblemCode, Problems

Path = tuple[str, ...]
INPUT: Path = ("input",)

# Bounds on what one request may carry: a basket is a checkout's, not a catalogue, and the
# stored strings have column limits.
MAX_LINES = 500
MAX_ORDER_REFERENCE = 128
MAX_IDEMPOTENCY_KEY = 128
MAX_ITEM_ID = 128
# Amounts are 32-bit in the ledger and in GraphQL's Int: a basket, and so its discount, must
# fit (21 million in a two-decimal currency).
MAX_BASKET_TOTAL = 2**31 - 1


class LineInput(Protocol):
    category: ItemCategory
    item_id: str
    quantity: int
    unit_price: int
    net_unit_price: int | None


@dataclass(frozen=True)
class CodeRequest:
    """One attempt to use a code; `at` None means "now" (the server's clock)."""

    site_id: int
    code: str
    currency: str
    lines: tuple[BasketLine, ...]
    coupon_id: int | None = None
    customer_id: int | None = None
    is_lead_booker: bool = False
    channel: Channel = Channel.ONLINE
    order_reference: str | None = None
    at: datetime | None = None
    idempotency_key: str | None = None  # redemptions only

    def fingerprint(self) -> str:
        """SHA-256 of the request in a canonical form, the idempotency key itself left out.

        The code is compared as matched (trimmed, any case) and `at` as given, so that a retry
        that leaves `at` out again is the same request even though "now" has moved on.
        """
        canonical = {
            "site": self.site_id,
            "code": code_key(self.code),
            "currency": self.currency,
            "lines": [
                [
                    line.category.value,
                    line.item_id,
                    line.quantity,
                    line.unit_price,
                    line.net_unit_price,
                ]
                for line in self.lines
            ],
            "coupon": self.coupon_id,
            "customer": self.customer_id,
            "leadBooker": self.is_lead_booker,
            "channel": self.channel.value,
            "order": self.order_reference,
            "at": None if self.at is None else self.at.isoformat(),
        }
        return hashlib.sha256(canonical_json(canonical)).hexdigest()


def canonical_json(value: object) -> bytes:
    """`json.dumps(value, sort_keys=True, separators=(",", ":"))` as UTF-8: the text every
    stored fingerprint was made from, which must never change (a retry's key is matched by
    it). Written by orjson (~3 µs against ~20 µs of a redemption's CPU) when that is the same
    text: printable ASCII with nothing escaped, where the two encoders agree byte for byte
    (the standard library escapes non-ASCII and DEL, orjson does not); else by the standard
    library. Its values are a fingerprint's: strings, integers, booleans, None, lists and
    objects of them (orjson and Python spell a float differently)."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer beyond 64 bits
        pass
    else:
        if text.isascii() and b"\\" not in text and b"\x7f" not in text:
            return text
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _line_problems(line: LineInput, path: Path) -> list[Problem]:
    problems = []
    for name, api_name in (
        ("quantity", "quantity"),
        ("unit_price", "unitPrice"),
        ("net_unit_price", "netUnitPrice"),
    ):
        value = getattr(line, name)
        if value is not None and value < 0:
            message = f"{api_name} must not be negative (refunds are not discounted)"
            problems.append(Problem((*path, api_name), ProblemCode.OUT_OF_RANGE, message))
    net = line.net_unit_price
    if net is not None and net > line.unit_price >= 0:
        message = "netUnitPrice must not be above unitPrice (net is the price before tax)"
        problems.append(Problem((*path, "netUnitPrice"), ProblemCode.OUT_OF_RANGE, message))
    if len(line.item_id) > MAX_ITEM_ID:
        message = f"itemId must be at most {MAX_ITEM_ID} characters long"
        problems.append(Problem((*path, "itemId"), ProblemCode.OUT_OF_RANGE, message))
    return problems


def _text(value: str | None, limit: int, path: Path, problems: list[Problem]) -> str | None:
    """`value` trimmed, None when blank; a problem when longer than `limit`."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > limit:
        message = f"{path[-1]} must be at most {limit} characters long"
        problems.append(Problem(path, ProblemCode.OUT_OF_RANGE, message))
    return value


def build_request(
    *,
    site_id: int,
    code: str,
    currency: str,
    lines: Sequence[LineInput],
    coupon_id: int | None = None,
    customer_id: int | None = None,
    is_lead_booker: bool = False,
    channel: Channel = Channel.ONLINE,
    order_reference: str | None = None,
    at: datetime | None = None,
    idempotency_key: str | None = None,
    redeeming: bool = False,
    problems: Sequence[Problem] = (),
) -> CodeRequest:
    """The checked request, or `Problems` naming each bad field (with `problems` found earlier,
    e.g. ids that did not decode)."""
    found = list(problems)
    if not code.strip():
        found.append(Problem((*INPUT, "code"), ProblemCode.REQUIRED, "the code must not be empty"))
    if not is_currency_code(currency):
        message = currency_problem(currency)
        found.append(Problem((*INPUT, "currency"), ProblemCode.INVALID_CURRENCY, message))
    if len(lines) > MAX_LINES:
        message = f"a basket has at most {MAX_LINES} lines"
        found.append(Problem((*INPUT, "lines"), ProblemCode.OUT_OF_RANGE, message))
    for index, line in enumerate(lines):
        found += _line_problems(line, (*INPUT, "lines", str(index)))
    gross = sum(line.quantity * line.unit_price for line in lines)
    net = sum(line.quantity * (line.net_unit_price or 0) for line in lines)
    if max(gross, net) > MAX_BASKET_TOTAL:
        message = f"the basket's total must be at most {MAX_BASKET_TOTAL} minor units"
        found.append(Problem((*INPUT, "lines"), ProblemCode.OUT_OF_RANGE, message))
    reference = _text(order_reference, MAX_ORDER_REFERENCE, (*INPUT, "orderReference"), found)
    key = _text(idempotency_key, MAX_IDEMPOTENCY_KEY, (*INPUT, "idempotencyKey"), found)
    if redeeming and key is None:
        message = "an idempotency key is required; a retry with the same key gets the same result"
        found.append(Problem((*INPUT, "idempotencyKey"), ProblemCode.REQUIRED, message))
    if found:
        raise Problems(found)
    return CodeRequest(
        site_id=site_id,
        code=code.strip(),
        currency=currency,
        lines=tuple(
            BasketLine(
                line.category, line.item_id, line.quantity, line.unit_price, line.net_unit_price
            )
            for line in lines
        ),
        coupon_id=coupon_id,
        customer_id=customer_id,
        is_lead_booker=is_lead_booker,
        channel=channel,
        order_reference=reference,
        at=at,
        idempotency_key=key,
    )
