"""A breadth-first plan executor for the strawberry schema (issue 6).

graphql-core completes one value at a time: a resolve info, an awaitable check and a
completion call per field of every object (~7 µs a field). This executor compiles each
(document, operation) once into a plan (`plan`) and walks it level by level (`run`): plain
attributes are read for all parents at once, resolvers are called for all parents at once
(their dataloaders batch as before), leaf values are serialised straight into the response.
Responses are the standard executor's, errors included; what it does not plan goes to the
standard executor (`context`). `DISCOUNTS_PLAN_EXECUTOR` switches it on or off (`app.fast.fast_schema`).
"""

from app.fast.executor.cache import PLANS
from app.fast.executor.context import PlanExecutionContext

__all__ = ["PLANS", "PlanExecutionContext"]
