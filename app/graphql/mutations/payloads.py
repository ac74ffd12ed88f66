"""The shape every mutation answers with, and running a use case into it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from app.db.session import RequestDatabase
from app.db.time_budget import WriterLockTimeout
from app.graphql.errors import TIMEOUT, ExpectedError
from app.services.problems import ProblemCode, Problems

T = TypeVar("T")

UserErrorCode = strawberry.enum(
    ProblemCode, name="UserErrorCode", description="What is wrong with the input."
)


@strawberry.type(description="A problem with the input; nothing was written.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "terms", "percentage"].'
    )
    code: UserErrorCode = strawberry.field(description="Machine-readable problem.")  # type: ignore[valid-type]
    message: str = strawberry.field(description="The problem in plain words.")


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
        return None, [
            UserError(field=list(p.field) or None, code=p.code, message=p.message)
            for p in problems.problems
        ]
    except WriterLockTimeout as timeout:
        raise ExpectedError(str(timeout), code=TIMEOUT) from None
    finally:
        await db.after_write()


def payload_type(name: str, field: str, object_type: Any, description: str) -> Any:
    """A `<Mutation>Payload` type: the written object under `field` (null when there are user
    errors) and `userErrors`. Built by a function because every payload has this one shape."""
    namespace = {
        "__annotations__": {field: object_type | None, "user_errors": list[UserError]},
        "__module__": __name__,
        field: strawberry.field(description=f"{description}; null when there are userErrors."),
        "user_errors": strawberry.field(
            description="Problems with the input; when there are any, nothing was written."
        ),
    }
    mutation = name.removesuffix("Payload")
    mutation = mutation[0].lower() + mutation[1:]
    return strawberry.type(type(name, (), namespace), description=f"What {mutation} answers.")
