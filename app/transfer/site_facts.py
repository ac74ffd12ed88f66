"""What a format knows of the site it imports into or exports from."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

Function = TypeVar("Function", bound=Callable[..., Any])


@dataclass(frozen=True)
class SiteFacts:
    """The `--site`'s own fields that vendor documents repeat on every record.

    Vendor documents carry them (Nexudus BusinessId, BusinessName, BusinessCurrencyCode) but
    the transfer records do not: the site is the import's `--site`, not a field. A writer takes
    them from here; a reader uses the currency for money the document gives without one.
    Each may be None (a writer then writes null).
    """

    external_id: str | None = None
    name: str | None = None
    currency: str | None = None

    @classmethod
    def of(cls, site: Any) -> SiteFacts:
        """The facts of a site row (anything with external_id, name and currency)."""
        return cls(external_id=site.external_id, name=site.name, currency=site.currency)


def given_site(function: Function, site: SiteFacts) -> Function:
    """A format's read or write with the site's facts bound, when it takes them (a keyword
    `site`); JSON Lines and CSV, which repeat nothing of the site, are returned as they are."""
    if "site" not in inspect.signature(function).parameters:
        return function
    return functools.partial(function, site=site)  # type: ignore[return-value]
