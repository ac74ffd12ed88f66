"""GraphiQL's page and files come from the app itself, pinned, with their licenses, under a
Content-Security-Policy that allows this origin only (tests/browser runs it in Chromium)."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import httpx

from tests.http.test_exposure import production  # noqa: F401  (the fixture)

HTML = {"accept": "text/html,*/*;q=0.8"}


async def page(gql: Any) -> httpx.Response:
    response = await gql.http.get("/graphql", headers=HTML)
    assert response.status_code == 200
    return response


async def test_the_page_loads_nothing_from_another_origin(gql: Any) -> None:
    response = await page(gql)
    assert not re.search(r"(src|href)=\"(https?:)?//", response.text), response.text
    assert "unpkg" not in response.text
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    for name in ("script-src", "style-src", "connect-src"):
        assert directives[name] == "'self'", name  # no inline code, no other host


async def test_every_file_the_page_names_is_served_as_its_pinned_hash(gql: Any) -> None:
    text = (await page(gql)).text
    references = re.findall(r'(?:src|href)="([^"]+)"(?:\s+integrity="sha384-([^"]+)")?', text)
    assert len(references) >= 8, references
    for path, sha384 in references:
        response = await gql.http.get(f"/{path}")
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        if sha384:
            assert base64.b64encode(hashlib.sha384(response.content).digest()).decode() == sha384
        kind = response.headers["content-type"]
        assert kind.split(";")[0] in {"text/javascript", "application/javascript", "text/css",
                                      "image/svg+xml"}, (path, kind)  # fmt: skip


async def test_each_vendored_package_comes_with_its_license(gql: Any) -> None:
    text = (await page(gql)).text
    folders = set(re.findall(r'"graphiql/vendor/([^/"]+)/', text))
    assert folders == {"react-18.2.0", "react-dom-18.2.0", "graphiql-3.8.3",
                       "graphiql-plugin-explorer-1.0.2"}  # fmt: skip
    for folder in folders:
        response = await gql.http.get(f"/graphiql/vendor/{folder}/LICENSE")
        assert response.status_code == 200 and "MIT License" in response.text, folder


async def test_the_big_script_is_sent_gzipped(gql: Any) -> None:
    path = "/graphiql/vendor/graphiql-3.8.3/graphiql.min.js"
    async with gql.http.stream("GET", path, headers={"accept-encoding": "gzip"}) as response:
        sent = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.headers["content-encoding"] == "gzip"
    assert len(sent) < 1_000_000  # of 3.5 MB


async def test_production_serves_no_graphiql_files(production: httpx.AsyncClient) -> None:  # noqa: F811
    response = await production.get("/graphiql/vendor/graphiql-3.8.3/graphiql.min.js")
    assert response.status_code == 404
