"""What a writer knows of the site it exports, and a reader of the site it imports into."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SiteFacts:
    """The `--site`'s own fields that vendor documents repeat on every record.

    Vendor documents carry them (Nexudus BusinessId, BusinessName, BusinessCurrencyCode) but
    the unified records do not: the site is the import's `--site`, not a field. A writer takes
    them from here; a reader uses the currency for money the document gives without one.
    Each may be None (a writer then writes null).
    """

    external_id: str | None = None
    name: str | None = None
    currency: str | None = None
