"""Money: an amount in minor units of a currency, as the API shows it (a list, by currency)."""

from __future__ import annotations

import strawberry


@strawberry.type(description="An amount of money in minor units (cents, pence) of a currency.")
class Money:
    currency: str = strawberry.field(description="ISO 4217 currency code.")
    amount: int = strawberry.field(description="Amount in minor units.")


def money_list(mapping: dict[str, int] | None) -> list[Money]:
    return [Money(currency=c, amount=a) for c, a in sorted((mapping or {}).items())]
