"""scripts/bench's queries are valid against our schema (no servers, no npm: only validation).

The PostGraphile side of each query is checked by the bench itself against the running peer;
here it only has to parse.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate

from app.graphql.schema import build_schema

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from benchmarks.queries import QUERIES, Query, pick, unique_ids  # noqa: E402


@pytest.fixture(scope="module")
def schema():
    return build_schema()._schema


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_our_query_is_valid(schema, query: Query) -> None:
    errors = validate(schema, parse(query.ours))
    assert not errors, [error.message for error in errors]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_the_peer_query_parses(query: Query) -> None:
    parse(query.peer)


def test_the_floor_comparisons_ask_valid_queries(schema) -> None:
    from benchmarks import floors, redemptions

    for document in (floors.VALIDATE, floors.NODE, redemptions.REDEEM):
        errors = validate(schema, parse(document))
        assert not errors, [error.message for error in errors]


def test_the_four_queries_are_there() -> None:
    assert [q.name for q in QUERIES] == ["big_list", "one_coupon", "deep", "assignments_page"]


def test_pick_walks_lists_and_unique_ids_keeps_document_order() -> None:
    response = {"data": {"coupons": {"nodes": [
        {"uniqueId": "a", "codes": {"nodes": [{"uniqueId": "b"}, {"uniqueId": "c"}]}},
        {"uniqueId": "d", "codes": {"nodes": []}},
    ]}}}  # fmt: skip
    assert len(pick(response, "data.coupons.nodes")) == 2
    assert len(pick(response, "data.coupons.nodes.codes.nodes")) == 2
    assert unique_ids(response) == ["a", "b", "c", "d"]


@pytest.mark.slow
async def test_the_soak_runs_for_a_few_seconds(database_url: str, db: Any) -> None:
    from benchmarks import soak

    # when the soak runs briefly against the test's database (its own site, its own server)
    figures = await soak.run(database_url, duration=4, warmup=1, concurrency=4, log=print)
    # then every kind of request was sent and answered right, and the figures are there
    assert figures["failures"] == {}
    assert all(figures["per_kind"][kind] > 0 for kind in soak.KINDS), figures["per_kind"]
    assert figures["p99_ms_per_window"] and all(p > 0 for p in figures["p99_ms_per_window"])
    assert figures["rss_mib"]["start"] > 0 and figures["rss_mib"]["end"] > 0
    assert figures["targets"]["rss_growth"] in ("pass", "fail")


def test_windows_p99_takes_each_window_apart() -> None:
    from benchmarks.soak import windows_p99

    # given 100 quick requests in the first window and 100 slow ones in the second
    quick = [(10.0 + i / 100, 0.001) for i in range(100)]
    slow = [(11.0 + i / 100, 0.5) for i in range(100)]
    ragged = [(12.5, 9.0)]  # a last window of one request is left out
    assert windows_p99(quick + slow + ragged, start=10.0, window=1.0) == [1.0, 500.0]


def test_the_cpu_sections_validate_code_is_valid(schema) -> None:
    from benchmarks.cpu import VALIDATE

    assert not validate(schema, parse(VALIDATE))


def test_the_cpu_section_counts_a_servers_children() -> None:
    """A server's CPU includes what its children spend (uvicorn may fork workers)."""
    import subprocess
    import time

    from benchmarks.cpu import _process_cpu

    spin = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    wait = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {spin!r}]); input()"
    parent = subprocess.Popen([sys.executable, "-c", wait], stdin=subprocess.PIPE)
    try:
        spent = 0.0
        for _ in range(400):  # the child's 0.3 s, alive or waited for by the parent
            spent = _process_cpu(parent.pid)
            if spent >= 0.25:
                break
            time.sleep(0.05)
        assert spent >= 0.25  # the parent alone spends a few hundredths
    finally:
        assert parent.stdin is not None
        parent.stdin.close()
        parent.kill()
        parent.wait()


def test_the_schema_floor_names_only_its_own_pgbench_variables() -> None:
    """pgbench takes `:name` for a variable even inside a string: a literal such as
    ':customer:4' would become a parameter the script never sets, and abort the run."""
    import re

    from benchmarks.floors import SCHEMA_SCRIPT

    script = SCHEMA_SCRIPT.format(pick="random(1, 200)", who="random(0, 999)", site=1,
                                  organisation=2)  # fmt: skip
    named = set(re.findall(r"(?<!:):([A-Za-z_][A-Za-z0-9_]*)", script))
    set_or_stored = {"k", "w", "r", "c", "u", "redemption", "client_id"}  # \set, \gset, pgbench's
    assert named == set_or_stored


def test_backends_that_came_and_went_count_from_what_was_seen() -> None:
    from benchmarks.floors import cpu_between

    # 10 spent 0.5 s; 11 connected during the run (counted from nothing); 12 left before its end
    assert cpu_between({10: 1.0, 12: 3.0}, {10: 1.5, 11: 0.25}) == 0.75


@pytest.mark.slow
@pytest.mark.parametrize("tool", ["wrk", "httpx"])
async def test_each_body_goes_once_and_its_answer_is_sorted(
    database_url: str, db: Any, tool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bodies.lua (wrk) and the httpx fallback send every body once and sort the answers
    alike: the checkout sections' counts and ledger check depend on both."""
    import shutil
    import tempfile

    from benchmarks import load, redemptions
    from benchmarks.run_api import serve

    if tool == "wrk" and shutil.which("wrk") is None:
        pytest.skip("wrk is not installed")
    if tool == "httpx":
        monkeypatch.setenv("BENCH_NO_WRK", "1")
    seeded = await redemptions.seed_site(database_url, 2, cap=1000)
    line = {"category": "BOOKING", "itemId": "room", "quantity": 1, "unitPrice": 12_000}
    where = {"siteId": seeded["site"], "customerId": seeded["customer"], "currency": "GBP"}

    def redeem(code: str, key: str, quantity: int = 1) -> dict[str, Any]:
        values = {**where, "code": code, "lines": [{**line, "quantity": quantity}],
                  "idempotencyKey": key}  # fmt: skip
        return {"query": redemptions.REDEEM, "variables": {"input": values}}

    # given 24 redemptions with keys of their own, 3 of a code that does not exist (refused),
    # 2 of a negative quantity (userErrors), and reads of a code and of nothing
    bodies = [redeem(seeded["hot"], f"{tool}-{i}") for i in range(24)]
    bodies += [redeem("NO-SUCH-CODE", f"{tool}-none-{i}") for i in range(3)]
    bodies += [redeem(seeded["hot"], f"{tool}-bad-{i}", quantity=-1) for i in range(2)]
    node = "query One($id: ID!) { node(id: $id) { id } }"
    bodies += [{"query": node, "variables": {"id": seeded["code_ids"][0]}}]
    bodies += [{"query": node, "variables": {"id": "RGlzY291bnRDb2RlOjk5OTk5OTk="}}]
    with tempfile.TemporaryDirectory() as logs:
        server = serve(database_url, Path(logs))
        try:
            # when they are sent from 4 connections
            answers = await load.send_bodies(server.url, server.headers, bodies, concurrency=4)
        finally:
            server.stop()
    # then each was answered once, by the tool asked for, and sorted by its answer
    assert answers.tool == tool and answers.sent == len(bodies)
    assert answers.outcomes == {
        "valid": 24, "invalid": 3, "found": 1, "empty": 1, "errors": 2, "bad_status": 0,
        **({"socket": 0} if tool == "wrk" else {}),
    }  # fmt: skip
    # and every redemption is a ledger row of its own: no key went twice
    assert await redemptions._ledger_count(database_url, seeded["site_id"]) == 24
    assert answers.p50_ms > 0 and answers.seconds > 0


def test_the_peer_is_never_installed_through_a_linked_node_modules(tmp_path, monkeypatch) -> None:
    # `npm ci` empties node_modules first: through a link it would empty another checkout's
    from benchmarks import peer

    (tmp_path / "package-lock.json").write_text("{}")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "kept").write_text("")
    (tmp_path / "node_modules").symlink_to(elsewhere)
    monkeypatch.setattr(peer, "PEER_DIR", tmp_path)
    monkeypatch.setattr(peer, "NODE", tmp_path / "node_modules" / ".bin" / "node")
    monkeypatch.setattr(peer, "STAMP", tmp_path / "node_modules" / ".bench-installed")
    with pytest.raises(RuntimeError, match="symbolic link"):
        peer.install(log=lambda _: None)
    assert (elsewhere / "kept").exists()
