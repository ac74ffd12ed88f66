"""What validating a set costs in statements: the site, the customer and every code with all
its facts in one statement (app.services.engine_facts.look_all, read with the site once its
zone is known: find_place), so five codes cost what one does."""

from __future__ import annotations

from typing import Any

from tests.engine.support import open_shop
from tests.graphql.test_statement_count import count_statements
from tests.stacking.support import BOTH_KINDS, VALIDATE_CODES, codes_input


async def test_five_codes_cost_what_one_does(gql: Any, make: Any, app: Any) -> None:
    shop = await open_shop(make)
    names = [f"SET{i}" for i in range(5)]
    for name in names:
        await make.discount_code(shop.site, code=name, percentage_bp=500, **BOTH_KINDS)

    async def statements(codes: list[str]) -> list[str]:
        await gql(VALIDATE_CODES, {"input": codes_input(shop, codes)})  # warm: compiled once
        with count_statements(app.state.engine) as seen:
            answer = await gql(VALIDATE_CODES, {"input": codes_input(shop, codes)})
        assert answer["validateCodes"]["valid"], answer
        return seen

    one, five = await statements(names[:1]), await statements(names)
    # The statements' openings in the message: a count alone does not say what was added.
    assert len(five) == len(one) == 1, [[s[:120] for s in one], [s[:120] for s in five]]
