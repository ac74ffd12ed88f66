"""At least 2,000 queries generated from the schema: the same answer with the fast path on and off.

The documents come from hypothesis-graphql (see `generated.py`: a stored corpus plus a few
fresh ones), shaped towards the demo data, and run as an administrator (and one in five as
a reader of one site, for the tenancy paths). Every response must be identical: data, errors
in order, extensions. Most documents must actually execute (not be refused by validation or
the limits), or the comparison would prove little.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from graphql import parse

from app.graphql.ids import parse_global_id
from tests.executor.generated import Shaper, generate, schema_digest, still_valid, stored_documents
from tests.executor.support import ADMIN, CRASHED, Executors, Stats, site_reader

MIN_DOCUMENTS = 2000
FRESH = 20  # generated on every run (for fields the stored corpus does not know yet)


@pytest.fixture(scope="module")
def documents(executors: Executors) -> list[str]:
    """A few fresh documents (which must validate), then the stored ones (a stored one that
    no longer validates is refused alike by both executors, and does not count)."""
    schema = executors.plan._schema
    fresh = generate(schema, FRESH, seed=int(schema_digest(schema)[:8], 16))
    return still_valid(schema, fresh) + stored_documents()


@pytest.mark.slow
async def test_generated_queries_get_the_same_response_from_both_executors(
    executors: Executors, demo: dict[str, list[str]], documents: list[str]
) -> None:
    schema = executors.plan._schema
    site = parse_global_id(demo["Site"][0])
    assert site is not None
    reader = site_reader(site[1])
    stats = Stats()
    seen: Counter[str] = Counter()
    failures: list[str] = []
    ran = 0
    for index, text in enumerate(documents):
        if seen["executed"] >= MIN_DOCUMENTS + FRESH:
            break  # enough: the stored corpus keeps a margin for documents that go stale
        ran += 1
        shaped, variables = Shaper(schema, demo, text).shape(parse(text))
        principal = reader if index % 5 == 4 else ADMIN
        outcome = await executors.both(shaped, variables, principal)
        if outcome.standard is CRASHED:
            seen["standard executor crashed (CancelledError)"] += 1
            seen.update(_kinds(outcome.plan))
            continue
        if not outcome.same:
            failures.append(outcome.explain(shaped, variables))
            if len(failures) == 3:
                break
        seen.update(_kinds(outcome.plan))
    assert not failures, "\n\n".join(failures)
    executed = seen["executed"]
    assert executed >= MIN_DOCUMENTS, (
        f"too many generated documents were refused ({seen}): if they no longer validate, "
        "regenerate them with `python -m tests.executor.generated`"
    )
    # The plan executor awaits all it starts before it answers (graphql-core may not).
    assert executors.left_running["PlanExecutionContext"] <= stats["replayed"]
    # what the run covered, for the curious (-s): errors, nulls, replays...
    print(f"\n{ran} generated documents: {dict(seen)};",
          {k: stats[k] for k in ("planned", "standard", "replayed", "rendered")},
          f"answered with tasks still running: {dict(executors.left_running)}")  # fmt: skip


def _kinds(response: dict[str, Any]) -> list[str]:
    errors = response["errors"]
    located = [e for e in errors if "path" in e]
    kinds = []
    if response["data"] is not None or located:
        kinds.append("executed")
    else:
        kinds.append("refused")
    if located:
        kinds.append("with field errors")
        if len(located) > 1:
            kinds.append("with several field errors")
    if response["data"] is None and located:
        kinds.append("data null")
    return kinds
