"""CSV of the codes of a site, for printing or a mail merge (export only).

One row per coupon code and discount code, in the export's order (coupon codes first):
the code, which coupon it belongs to (empty for a discount code), its window and use.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

COLUMNS = (
    "type", "code", "couponExternalId", "couponUniqueId", "validFrom", "validTo", "multiUse",
    "timesUsed", "deletedAt", "externalId", "uniqueId", "id",
)  # fmt: skip


def write(records: Iterable[dict[str, Any]], stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    for record in records:
        if record["type"] not in ("CouponCode", "DiscountCode"):
            continue
        coupon = record.get("coupon") or {}
        terms = record.get("terms") or {}
        row = {
            **record,
            "couponExternalId": coupon.get("externalId"),
            "couponUniqueId": coupon.get("uniqueId"),
            "validFrom": record.get("validFrom", terms.get("validFrom")),
            "validTo": record.get("validTo", terms.get("validTo")),
        }
        writer.writerow(["" if row.get(name) is None else row[name] for name in COLUMNS])
