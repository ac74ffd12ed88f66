"""Persisted operations over HTTP (app.http.persisted_queries): Automatic Persisted Queries by
Apollo's protocol over GET and POST, and the trusted documents mode, with real tokens."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.main import create_app
from app.settings import Settings, SettingsError
from tests.conftest import token
from tests.http.conftest import GRAPHQL_RESPONSE_JSON, accept, error_codes, probe_client

ROOT = Path(__file__).resolve().parents[2]
COUPONS = "query CouponNames { coupons { totalCount nodes { name } } }"
RENAME = 'mutation Rename($id: ID!) { updateCoupon(input: {id: $id, name: "x"}) { userErrors { code } } }'


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def persisted(document: str, *, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256(document)}}


class Client:
    """Sends a document as Apollo's persisted-query link does, over POST or GET."""

    def __init__(self, http: httpx.AsyncClient, bearer: str) -> None:
        self.http = http
        self.headers = {"authorization": f"Bearer {bearer}"}

    async def post(self, body: dict[str, Any], media_type: str = "application/json") -> Any:
        headers = {**self.headers, **accept(media_type)}
        return await self.http.post("/graphql", json=body, headers=headers)

    async def get(self, body: dict[str, Any]) -> Any:
        params = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in body.items()}
        return await self.http.get("/graphql", params=params, headers=self.headers)


@pytest.fixture
async def shop(make: Any) -> Any:
    organisation = await make.organisation()
    site = await make.site(organisation)
    await make.coupon(site, name="Spring")
    return site


@pytest.fixture
def reader(shop: Any) -> str:
    return token(
        subject="reader@example.com",
        grants=[{"roles": ["Coupon-List", "Coupon-Read"], "sites": [shop.id]}],
    )


@pytest.fixture
async def apq(settings: Settings, db: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own, so that what it stores starts empty."""
    async with probe_client(settings) as http:
        yield http


EXPECTED = {"coupons": {"totalCount": 1, "nodes": [{"name": "Spring"}]}}


def data(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


async def test_a_hash_is_unknown_until_sent_with_its_query_then_runs_alone(
    apq: httpx.AsyncClient, reader: str
) -> None:
    client = Client(apq, reader)
    # given a hash the server has never seen
    missing = await client.post({"extensions": persisted(COUPONS)})
    # then it asks for the query, by the protocol's code and message, without data
    assert missing.status_code == 200
    assert missing.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    # when the hash comes with its query, it runs
    sent = await client.post({"query": COUPONS, "extensions": persisted(COUPONS)})
    assert data(sent) == EXPECTED
    # and from then on the hash alone runs it, over POST and over GET
    by_post = await client.post({"extensions": persisted(COUPONS)})
    assert data(by_post) == EXPECTED
    by_get = await client.get({"extensions": persisted(COUPONS), "operationName": "CouponNames"})
    assert by_get.status_code == 200
    assert data(by_get) == EXPECTED


async def test_a_hash_registered_over_get_runs_alone_over_get(
    apq: httpx.AsyncClient, reader: str
) -> None:
    client = Client(apq, reader)
    assert error_codes(await client.get({"extensions": persisted(COUPONS)})) == [
        "PERSISTED_QUERY_NOT_FOUND"
    ]
    assert data(await client.get({"query": COUPONS, "extensions": persisted(COUPONS)})) == EXPECTED
    assert data(await client.get({"extensions": persisted(COUPONS)})) == EXPECTED


async def test_not_found_is_404_in_graphql_response_json(
    apq: httpx.AsyncClient, reader: str
) -> None:
    # 404, as Apollo Server and Router answer: older Apollo clients stop using hashes on a 400
    response = await Client(apq, reader).post(
        {"extensions": persisted(COUPONS)}, GRAPHQL_RESPONSE_JSON
    )
    assert response.status_code == 404
    assert error_codes(response) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert "data" not in response.json()


async def test_a_hash_that_is_not_the_querys_is_refused_and_nothing_is_stored(
    apq: httpx.AsyncClient, reader: str
) -> None:
    client = Client(apq, reader)
    other = "{ __typename }"
    # given the hash of one document sent with another
    response = await client.post({"query": other, "extensions": persisted(COUPONS)})
    # then nothing runs, and the error names the field
    assert error_codes(response) == ["PERSISTED_QUERY_HASH_MISMATCH"]
    assert "data" not in response.json()
    message = response.json()["errors"][0]["message"]
    assert message.startswith("extensions.persistedQuery.sha256Hash: ")
    assert sha256(other) in message
    strict = await client.post(
        {"query": other, "extensions": persisted(COUPONS)}, GRAPHQL_RESPONSE_JSON
    )
    assert strict.status_code == 400
    # and the hash is still unknown
    again = await client.post({"extensions": persisted(COUPONS)})
    assert error_codes(again) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_a_document_that_does_not_validate_is_not_stored(
    apq: httpx.AsyncClient, reader: str
) -> None:
    client = Client(apq, reader)
    invalid = "{ coupons { nope } }"
    response = await client.post({"query": invalid, "extensions": persisted(invalid)})
    assert "Cannot query field 'nope'" in response.json()["errors"][0]["message"]
    again = await client.post({"extensions": persisted(invalid)})
    assert error_codes(again) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_a_stored_document_runs_for_the_caller_who_sends_the_hash(
    apq: httpx.AsyncClient, reader: str, make: Any
) -> None:
    # given a document stored by a reader of the site
    await Client(apq, reader).post({"query": COUPONS, "extensions": persisted(COUPONS)})
    # when the reader of another organisation's site sends its hash
    elsewhere = await make.site(await make.organisation())
    stranger = token(
        subject="stranger@example.com",
        grants=[{"roles": ["Coupon-List", "Coupon-Read"], "sites": [elsewhere.id]}],
    )
    response = await Client(apq, stranger).post({"extensions": persisted(COUPONS)})
    # then it runs with that caller's rights: nothing of the site is shown
    assert response.json()["data"]["coupons"] == {"totalCount": 0, "nodes": []}


async def test_a_mutation_by_hash_still_needs_post(
    apq: httpx.AsyncClient, admin_token: str, shop: Any
) -> None:
    client = Client(apq, admin_token)
    variables = {"id": "nope"}
    await client.post({"query": RENAME, "variables": variables, "extensions": persisted(RENAME)})
    response = await client.get({"variables": variables, "extensions": persisted(RENAME)})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("extensions", "code", "field"),
    [
        ({"persistedQuery": "abc"}, "BAD_REQUEST", "extensions.persistedQuery:"),
        (persisted(COUPONS, version=2), "PERSISTED_QUERY_NOT_SUPPORTED", "extensions.persistedQuery.version:"),
        ({"persistedQuery": {"version": 1, "sha256Hash": "ABC"}}, "BAD_REQUEST", "extensions.persistedQuery.sha256Hash:"),
    ],
)  # fmt: skip
async def test_a_malformed_persisted_query_is_refused_naming_the_field(
    apq: httpx.AsyncClient, reader: str, extensions: dict[str, Any], code: str, field: str
) -> None:
    response = await Client(apq, reader).post({"extensions": extensions})
    assert error_codes(response) == [code]
    assert response.json()["errors"][0]["message"].startswith(field)


async def test_the_store_is_bounded_least_recently_used_first(
    settings: Settings, db: Any, reader: str
) -> None:
    first, second = "query A { __typename }", "query B { __typename }"
    # given room for one of the two documents
    async with probe_client(settings, persisted_query_cache_bytes=len(first) + 5) as http:
        client = Client(http, reader)
        for document in (first, second):
            await client.post({"query": document, "extensions": persisted(document)})
        # then the first was let go of for the second
        assert error_codes(await client.post({"extensions": persisted(first)})) == [
            "PERSISTED_QUERY_NOT_FOUND"
        ]
        assert data(await client.post({"extensions": persisted(second)})) == {"__typename": "Query"}


async def test_persisted_queries_turned_off_say_so(
    settings: Settings, db: Any, reader: str
) -> None:
    async with probe_client(settings, persisted_query_cache_bytes=0) as http:
        client = Client(http, reader)
        response = await client.post({"query": COUPONS, "extensions": persisted(COUPONS)})
        assert response.json()["errors"] == [
            {
                "message": "PersistedQueryNotSupported",
                "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
            }
        ]
        # a document sent as usual still runs
        assert data(await client.post({"query": COUPONS})) == EXPECTED


async def test_a_browser_get_with_a_persisted_query_is_not_graphiql(
    apq: httpx.AsyncClient, reader: str
) -> None:
    response = await apq.get(
        "/graphql",
        params={"extensions": json.dumps(persisted(COUPONS))},
        headers={"accept": "text/html,application/json;q=0.9"},
    )
    assert error_codes(response) == ["PERSISTED_QUERY_NOT_FOUND"]


# Trusted documents.


def manifest_file(tmp_path: Path, *documents: str) -> Path:
    path = tmp_path / "trusted-documents.json"
    path.write_text(json.dumps({sha256(document): document for document in documents}))
    return path


@pytest.fixture
async def trusted(settings: Settings, db: Any, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with probe_client(settings, trusted_documents=manifest_file(tmp_path, COUPONS)) as http:
        yield http


async def test_a_trusted_document_runs_by_hash_or_in_full(
    trusted: httpx.AsyncClient, reader: str
) -> None:
    client = Client(trusted, reader)
    assert data(await client.post({"extensions": persisted(COUPONS)})) == EXPECTED
    assert data(await client.get({"extensions": persisted(COUPONS)})) == EXPECTED
    assert data(await client.post({"query": COUPONS})) == EXPECTED
    both = await client.post({"query": COUPONS, "extensions": persisted(COUPONS)})
    assert data(both) == EXPECTED


async def test_only_trusted_documents_run(trusted: httpx.AsyncClient, reader: str) -> None:
    client = Client(trusted, reader)
    other = "query Other { coupons { totalCount } }"
    for body in (
        {"query": other},
        {"extensions": persisted(other)},
        # a client cannot add a document the way automatic persisted queries would
        {"query": other, "extensions": persisted(other)},
        {"extensions": persisted(other)},
    ):
        response = await client.post(body)
        assert error_codes(response) == ["PERSISTED_QUERY_NOT_IN_LIST"], body
        assert "data" not in response.json()
        assert "trusted documents manifest" in response.json()["errors"][0]["message"]
    # the same text with a space more is another document
    assert error_codes(await client.post({"query": COUPONS + " "})) == [
        "PERSISTED_QUERY_NOT_IN_LIST"
    ]
    strict = await client.post({"query": other}, GRAPHQL_RESPONSE_JSON)
    assert strict.status_code == 403


async def test_a_manifest_that_does_not_hold_up_stops_the_app(
    settings: Settings, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({sha256("{ a }"): "{ b }"}))
    for path, problem in (
        (wrong, f"{sha256('{ a }')} is not the SHA-256 of its document"),
        (tmp_path / "absent.json", "cannot be read"),
    ):
        with pytest.raises(SettingsError) as refused:
            create_app(settings.model_copy(update={"trusted_documents": path}))
        assert str(refused.value).startswith(f"DISCOUNTS_TRUSTED_DOCUMENTS: {path}: ")
        assert problem in str(refused.value)


async def test_the_manifest_script_writes_what_the_server_trusts(
    settings: Settings, db: Any, reader: str, tmp_path: Path
) -> None:
    # given the clients' documents as files
    document = tmp_path / "coupons.graphql"
    document.write_text(COUPONS + "\n")
    output = tmp_path / "manifest.json"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "persisted-manifest"), str(document),
         "--output", str(output)],
        check=True, capture_output=True,
    )  # fmt: skip
    # then the server runs them, by the hash of the file's text
    async with probe_client(settings, trusted_documents=output) as http:
        response = await Client(http, reader).post({"extensions": persisted(COUPONS + "\n")})
        assert data(response) == EXPECTED


def test_the_manifest_script_refuses_a_document_the_schema_does_not_validate(
    tmp_path: Path,
) -> None:
    document = tmp_path / "typo.graphql"
    document.write_text("{ coupns { totalCount } }")
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "persisted-manifest"), str(document)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 1
    assert f"{document}: Cannot query field 'coupns'" in run.stderr
    assert run.stdout == ""
