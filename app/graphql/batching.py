"""Resolvers written once for many parents: `batch(parents, info, **arguments)`.

A relationship (a record's coupon, a coupon's page of codes) is resolved for every parent
of a response level at once by the plan executor (`app.fast.executor`): one call, the
field's arguments converted once, one loader request for all the keys. graphql-core's
standard executor calls resolvers one parent at a time; for it, `batched` makes the
per-parent resolver strawberry registers, which is the same batch for a list of one parent
(the request's dataloaders still merge those calls into one statement).

A batch returns one result per parent, in order; an `Exception` in place of a result is that
parent's error (raised by its per-parent resolver), and an exception the batch raises is the
error of every parent.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

Batch = Callable[..., Awaitable[list[Any]]]

# per-parent resolver (what strawberry calls) -> its batch (what the plan executor calls)
BATCHES: dict[Callable[..., Any], Batch] = {}


def batched(batch: Batch, *, returns: Any) -> Callable[..., Awaitable[Any]]:
    """The strawberry resolver for `batch`, one parent (`root`) at a time, of type `returns`.

    The batch's first parameter is the list of parents; the resolver has `root` in its
    place and every other parameter (`info`, the field's arguments with their annotations
    and defaults) as the batch declares them, so strawberry builds the field from it.
    """
    signature = inspect.signature(batch)
    parents, *others = signature.parameters.values()
    root = inspect.Parameter("root", inspect.Parameter.POSITIONAL_OR_KEYWORD)

    async def resolver(root: Any, **arguments: Any) -> Any:
        (result,) = await batch([root], **arguments)
        if isinstance(result, Exception):
            raise result
        return result

    resolver.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[root, *others], return_annotation=returns
    )
    resolver.__annotations__ = {
        **{name: kind for name, kind in batch.__annotations__.items() if name != parents.name},
        "return": returns,
    }
    # strawberry resolves string annotations in the resolver's module
    resolver.__module__ = batch.__module__
    resolver.__name__ = resolver.__qualname__ = batch.__name__
    BATCHES[resolver] = batch
    return resolver


def batch_of(resolver: Callable[..., Any] | None) -> Batch | None:
    """The batch behind a per-parent resolver made by `batched`, if it is one."""
    return None if resolver is None else BATCHES.get(resolver)
