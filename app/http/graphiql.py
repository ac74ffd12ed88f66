"""GraphiQL, served whole by this app: the page and every file it loads, with a
Content-Security-Policy that lets the browser load and connect to nothing but this origin.

strawberry's own page (`strawberry.http.ides`) loads React, GraphiQL and its explorer plugin
from unpkg.com, so without the internet it stays at "Loading..." for ever. The same files, at
the same versions and with the same hashes, are committed under `graphiql_static/vendor` with
their licenses (`scripts/vendor-graphiql` fetched them from npm and checked them); the page's
script is a file too (`start.js`), since the policy refuses inline scripts and styles.
`data:` stays allowed for fonts and images only: GraphiQL's stylesheet carries its fonts
inline as `data:` URLs, which load nothing from anywhere.

Subscriptions: GraphiQL's bundle carries the `graphql-ws` client (graphiql-toolkit's
`createGraphiQLFetcher` loads it from the bundle, not from the network), and `start.js` gives
it the WebSocket URL of `/graphql` (app.http.websocket); `connect-src 'self'` lets the page
open a WebSocket to its own origin (CSP Level 3: 'self' covers ws:/wss: of the same host).
"""

from __future__ import annotations

from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).with_name("graphiql_static")
# Where the page's files are served; the page names them relative to /graphql.
ASSETS_PATH = "/graphiql"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def graphiql_page() -> HTMLResponse:
    return HTMLResponse(_PAGE, headers=SECURITY_HEADERS)


class _WithHeaders:
    """The security headers on every response of the wrapped app (the assets)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.raw = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *self.raw]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def graphiql_assets() -> Mount:
    """The page's files under `ASSETS_PATH`, gzipped for browsers that take it (GraphiQL's
    script is 3.5 MB, 0.9 MB gzipped), with ETag and Last-Modified from StaticFiles."""
    files = StaticFiles(directory=STATIC)
    return Mount(ASSETS_PATH, app=_WithHeaders(GZipMiddleware(files, minimum_size=1024)))


# Not among the assets: its relative links are written for the page at /graphql.
_PAGE = Path(__file__).with_name("graphiql.html").read_text(encoding="utf-8")
