"""Which currency codes money may be in: the codes ISO 4217 lists today, less those that are
not money a shop can charge.

The list is pycountry's copy of ISO 4217 (Debian's iso-codes, kept current by its
maintainers: the 2025 Caribbean guilder XCG is in it, the withdrawn HRK is not), rather than a
pattern: `XXQ` has the shape of a code and names nothing. ISO 4217 also lists codes with no
minor unit that are not a means of payment: precious metals (XAU, XAG, XPD, XPT), bond-market
units (XBA to XBD), units of account (XDR, XSU, XUA, XAD), the testing code XTS and XXX, "no
currency". An amount in one of those could never match a basket, so they are refused too.
"""

from __future__ import annotations

import functools

import pycountry

NOT_MONEY = frozenset({
    "XAU", "XAG", "XPD", "XPT",  # precious metals
    "XBA", "XBB", "XBC", "XBD",  # bond-market units
    "XDR", "XSU", "XUA", "XAD",  # units of account
    "XTS", "XXX",  # testing, no currency
})  # fmt: skip


@functools.cache
def currency_codes() -> frozenset[str]:
    """The alphabetic codes money may be in (read from pycountry's data once)."""
    return frozenset(c.alpha_3 for c in pycountry.currencies) - NOT_MONEY


def is_currency_code(value: object) -> bool:
    """Whether `value` is the alphabetic code of a current ISO 4217 currency (e.g. "GBP")."""
    return isinstance(value, str) and value in currency_codes()


def currency_problem(value: str) -> str:
    """Why `value` is not a currency code money may be in (for a value that is not)."""
    if value in NOT_MONEY:
        return f"{value!r} is an ISO 4217 code for something that is not money (metal, unit, test)"
    return f"{value!r} is not a current ISO 4217 currency code (like 'GBP' or 'EUR')"
