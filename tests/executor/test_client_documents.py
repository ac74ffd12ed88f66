"""Generated documents respelled as clients write them: the same bytes from both executors.

The stored hypothesis-graphql corpus (see `generated.py`) is shaped towards the demo data,
then respelled by `ClientShaper` as codegen and Relay clients write documents: `edges {
cursor node }` for `nodes`, page cursors and counts, a named fragment per record selection or
fragments on its interfaces, lists asked again under an alias with another page size, page
sizes and ids as variables, `node(id:)` for root lookups (on top of the `@skip`/`@include`
variables, merged repeats and `__typename` the shaper already adds). The plan executor (with
rendering in PostgreSQL and prepared reads) and strawberry's standard execution must give
the same response, byte for byte once serialised: data in the same key order, errors in the
same order, wherever in the tree they occur. With tests/executor/test_generated.py, a run on
each database compares over 5,000 documents.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from graphql import parse

from app.graphql.ids import parse_global_id
from tests.executor.generated import ClientShaper, stored_documents
from tests.executor.support import ADMIN, CRASHED, Executors, Stats, site_reader

MIN_DOCUMENTS = 1000


@pytest.fixture(scope="module")
def documents() -> list[str]:
    return stored_documents()


@pytest.mark.slow
async def test_client_spelled_documents_get_the_same_bytes_from_both_executors(
    executors: Executors, demo: dict[str, list[str]], documents: list[str]
) -> None:
    schema = executors.plan._schema
    site = parse_global_id(demo["Site"][0])
    assert site is not None
    reader = site_reader(site[1])
    stats = Stats()
    seen: Counter[str] = Counter()
    failures: list[str] = []
    for index, text in enumerate(documents):
        if seen["executed"] >= MIN_DOCUMENTS:
            break
        # the corpus read from its other end: documents test_generated.py may not reach
        text = documents[-1 - index]
        shaped, variables = ClientShaper(schema, demo, text).shape(parse(text))
        seen.update(_spellings(shaped))
        principal = reader if index % 5 == 4 else ADMIN
        outcome = await executors.both(shaped, variables, principal)
        if outcome.standard is CRASHED:
            seen["standard executor crashed (CancelledError)"] += 1
            continue
        if not outcome.same:
            failures.append(outcome.explain(shaped, variables))
            if len(failures) == 3:
                break
        seen["executed" if _executed(outcome.plan) else "refused"] += 1
        if outcome.plan["errors"] and outcome.plan["data"] is not None:
            seen["errors inside the tree"] += 1
    assert not failures, "\n\n".join(failures)
    assert seen["executed"] >= MIN_DOCUMENTS, seen
    # the spellings were there: each in a good share of the documents
    for spelling in ("edges", "cursor", "fragment", "node(", "pageInfo", "@include", "again"):
        assert seen[spelling] >= MIN_DOCUMENTS // 20, (spelling, seen)
    assert seen["errors inside the tree"] >= 50, seen
    print(
        f"\n{dict(seen)};", {k: stats[k] for k in ("planned", "standard", "replayed", "rendered")}
    )


def _executed(response: dict[str, Any]) -> bool:
    return response["data"] is not None or any("path" in e for e in response["errors"])


def _spellings(document: str) -> list[str]:
    return [
        s
        for s in ("edges", "cursor", "fragment", "node(", "pageInfo", "@include", "again", "$v")
        if s in document
    ]
