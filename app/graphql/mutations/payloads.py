"""The shape every mutation answers with, and running a use case into it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import GenericAlias
from typing import Any, TypeVar

import strawberry

from app.db.session import RequestDatabase
from app.db.time_budget import WriterLockTimeout
from app.graphql.errors import TIMEOUT, ExpectedError
from app.services.problems import ProblemCode, Problems

T = TypeVar("T")


@strawberry.type(description="A problem with the input; nothing was written.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "terms", "percentage"].'
    )
    code: ProblemCode = strawberry.field(description="Machine-readable problem.")
    message: str = strawberry.field(description="The problem in plain words.")


def user_errors(problems: Problems) -> list[UserError]:
    """Bad input as every operation that takes an input object reports it: one UserError a
    problem, each naming its field."""
    return [
        UserError(field=list(p.field) or None, code=p.code, message=p.message)
        for p in problems.problems
    ]


async def run_use_case(
    call: Callable[[], Awaitable[T]], db: RequestDatabase
) -> tuple[T | None, list[UserError]]:
    """The use case's result, or the user errors it raised (its transaction rolled back).

    The request's reads start a new snapshot afterwards, so the payload (and any later
    mutation of the same document) sees what was just written.
    """
    try:
        return await call(), []
    except Problems as problems:
        return None, user_errors(problems)
    except WriterLockTimeout as timeout:
        raise ExpectedError(str(timeout), code=TIMEOUT) from None
    finally:
        await db.after_write()


def written(description: str) -> Any:
    """A payload's field for the written object (a strawberry field, as `strawberry.field`)."""
    return strawberry.field(description=f"{description}; null when there are userErrors.")


def user_errors_field() -> Any:
    """Every payload's `userErrors` (a strawberry field, as `strawberry.field`)."""
    return strawberry.field(
        description="Problems with the input; when there are any, nothing was written."
    )


def payload_type(
    name: str, field: str, graphql_type: type | GenericAlias, description: str
) -> type:
    """A `<Mutation>Payload` type built at run time, for the state changes that are generated
    for every record type (app.graphql.mutations.state_changes): the written object under
    `field` and `userErrors`, as the payloads declared as classes have them."""
    namespace = {
        "__annotations__": {field: graphql_type | None, "user_errors": list[UserError]},
        "__module__": __name__,
        field: written(description),
        "user_errors": user_errors_field(),
    }
    mutation = name.removesuffix("Payload")
    mutation = mutation[0].lower() + mutation[1:]
    return strawberry.type(type(name, (), namespace), description=f"What {mutation} answers.")
