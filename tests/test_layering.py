"""SQL lives in one layer: app/db builds and runs every statement; app/services holds the use
cases, app/graphql the API, app/http its transport (GraphQL over HTTP), app/domain the rules,
app/auth tokens and roles.

Every module under app/ is parsed (not imported) and its imports and calls are checked, so a
statement added to the wrong layer fails here rather than in review.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

APP = Path(__file__).resolve().parents[1] / "app"

DATABASE_LIBRARIES = ("sqlalchemy", "sqlmodel", "asyncpg", "aiosqlite", "alembic")

# Method calls that run or shape a statement: a service doing any of these is writing SQL,
# even without importing sqlalchemy (a table from app.db.tables has .select(), .c, ...).
# (update, values, join, add and get are left out: dicts, sets and strings have them too.)
SQL_METHODS = frozenset({
    "execute", "exec_driver_sql", "scalar", "scalars", "scalar_one", "stream", "stream_scalars",
    "flush", "add_all", "merge", "refresh", "select", "select_from", "where", "order_by",
    "group_by", "with_for_update", "returning", "is_not_distinct_from", "in_",
})  # fmt: skip
# Attributes that reach into a table's columns.
SQL_ATTRIBUTES = frozenset({"c", "__table__"})

# app/graphql modules that import sqlalchemy, and why: each only names its types, in
# annotations or to hold what app.db built (checked by `sqlalchemy_use`). A new entry needs
# the same reason; a module that builds statements belongs in app/db instead.
GRAPHQL_TYPE_ONLY = {
    "app.graphql.loaders": "annotates loaders' tables and the clauses app.db builds, and rows",
    "app.graphql.lists": "Table: the tables whose columns the lists' filter and sort fields name",
    "app.graphql.types.base": "Row: what the row builders turn into API objects",
    "app.graphql.types.terms": "Row: Terms.from_row builds the API's Terms from a row",
    "app.graphql.subscriptions": "AsyncEngine: each read of a subscription takes its own connection",
}
# The same for app/http.
HTTP_TYPE_ONLY = {
    "app.http.endpoint": "AsyncEngine: the engine the endpoint is created with",
    "app.http.websocket": "AsyncEngine: the engine the subscriptions' endpoint is created with",
}
SQLALCHEMY_TYPES = frozenset({
    "Row", "Table", "Column", "ColumnElement", "AsyncEngine", "AsyncSession", "AsyncConnection",
})  # fmt: skip


class Module(NamedTuple):
    name: str  # dotted: app.services.records
    package: str  # what a relative import starts from: the package it is in (or is)
    tree: ast.Module


def modules(package: str) -> Iterator[Module]:
    """Every module of app.<package>, parsed."""
    for path in sorted((APP / package).rglob("*.py")):
        parts = path.relative_to(APP.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        yield Module(name, name if is_package else name.rpartition(".")[0], tree)


def parse(source: str, name: str) -> Module:
    return Module(name, name.rpartition(".")[0], ast.parse(source))


def imported(module: Module) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything `module` imports: `from a import b` gives a and a.b;
    relative imports are resolved; imports inside functions and TYPE_CHECKING count too."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # level 1 is the module's package, level 2 its parent, ...
                parts = module.package.split(".")
                anchor = parts[: len(parts) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def forbidden_imports(module: Module, prefixes: tuple[str, ...]) -> list[str]:
    found = {
        f"{module.name}:{line} imports {name}"
        for line, name in imported(module)
        if under(name, prefixes)
    }
    return sorted(found)


def sql_calls(module: Module) -> list[str]:
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in SQL_METHODS:
                found.append(f"{module.name}:{node.lineno} calls .{node.func.attr}()")
        elif isinstance(node, ast.Attribute) and node.attr in SQL_ATTRIBUTES:
            found.append(f"{module.name}:{node.lineno} reads .{node.attr}")
    return found


def sqlalchemy_use(module: Module) -> list[str]:
    """What `module` takes from sqlalchemy (or another database library) beyond type names:
    names imported from it, and attributes read from it when bound by `import sqlalchemy as sa`
    (an `import sqlalchemy.x` binds `sqlalchemy`, whose every attribute is then checked)."""
    found, bound = [], set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom) and under(node.module or "", DATABASE_LIBRARIES):
            for alias in node.names:
                if alias.name not in SQLALCHEMY_TYPES:
                    found.append(f"{module.name}:{node.lineno} imports {node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if under(alias.name, DATABASE_LIBRARIES):
                    bound.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(module.tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and node.attr not in SQLALCHEMY_TYPES
        ):
            found.append(f"{module.name}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_every_layer_is_parsed() -> None:
    for package in ("db", "domain", "services", "graphql", "http", "auth", "transfer"):
        assert len(list(modules(package))) > 1, package


# Libraries the rules may read, and why: each is data with no I/O beyond its own files.
DOMAIN_DATA_LIBRARIES = {
    "pycountry": "ISO 4217's list of currencies (app.domain.currencies), kept by its maintainers",
}


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    found = []
    for module in modules("domain"):
        for line, name in imported(module):
            top = name.split(".")[0]
            if top in DOMAIN_DATA_LIBRARIES:
                continue
            if top not in sys.stdlib_module_names and not under(name, ("app.domain",)):
                found.append(f"{module.name}:{line} imports {name}")
    assert not found, "app/domain is pure: the standard library and app.domain only\n" + "\n".join(
        found
    )


def test_services_hold_no_sql() -> None:
    found = []
    for module in modules("services"):
        found += forbidden_imports(module, (*DATABASE_LIBRARIES, "app.graphql"))
        found += sql_calls(module)
    assert not found, (
        "app/services holds use cases, not SQL: put the statement in an app/db module and "
        "call it (types: app.db.handles; errors: app.db.errors)\n" + "\n".join(found)
    )


# app/transfer modules that run statements of their own, and why (never on the service's database).
TRANSFER_SCRATCH = {
    "app.transfer.formats._lookup": "a scratch sqlite3 file of an export's own facts, bounded memory",
}


def test_transfer_holds_no_sql() -> None:
    # Import and export plan and convert records; their statements are app/db/transfer.py's.
    found = []
    for module in modules("transfer"):
        if module.name in TRANSFER_SCRATCH:
            continue
        found += forbidden_imports(module, DATABASE_LIBRARIES)
        found += sql_calls(module)
    assert not found, (
        "app/transfer holds no SQL: put the statement in app/db/transfer.py\n" + "\n".join(found)
    )


def test_transfer_needs_no_graphql() -> None:
    # Import and export sit beside the API, not on it: the wire forms and global ids they
    # share with it are app.domain's (wire_forms, global_ids), and the import's reading
    # worker starts without loading GraphQL.
    found = []
    for module in modules("transfer"):
        found += forbidden_imports(module, ("app.graphql", "strawberry", "graphql"))
    assert not found, "app/transfer imports no GraphQL\n" + "\n".join(found)


def test_graphql_builds_no_statements() -> None:
    found = []
    for module in modules("graphql"):
        if module.name in GRAPHQL_TYPE_ONLY:
            found += sqlalchemy_use(module)
        else:
            found += forbidden_imports(module, DATABASE_LIBRARIES)
    assert not found, (
        "app/graphql asks app/db for rows and clauses and builds no SQL itself; only the "
        "modules in GRAPHQL_TYPE_ONLY may name sqlalchemy's types\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    ("package", "allowed", "name"),
    [("graphql", "GRAPHQL_TYPE_ONLY", name) for name in sorted(GRAPHQL_TYPE_ONLY)]
    + [("http", "HTTP_TYPE_ONLY", name) for name in sorted(HTTP_TYPE_ONLY)],
)
def test_type_only_allow_lists_are_current(package: str, allowed: str, name: str) -> None:
    module = next((module for module in modules(package) if module.name == name), None)
    assert module is not None, f"{name} is gone: drop it from {allowed}"
    assert forbidden_imports(module, DATABASE_LIBRARIES), (
        f"{name} no longer imports sqlalchemy: drop it from {allowed}"
    )


def test_http_builds_no_statements() -> None:
    found = []
    for module in modules("http"):
        if module.name in HTTP_TYPE_ONLY:
            found += sqlalchemy_use(module)
        else:
            found += forbidden_imports(module, DATABASE_LIBRARIES)
    assert not found, (
        "app/http carries requests to the API and builds no SQL; only the modules in "
        "HTTP_TYPE_ONLY may name sqlalchemy's types\n" + "\n".join(found)
    )


# The rooms below the transport: none of them may know it is reached over HTTP.
BELOW_HTTP = ("domain", "db", "services", "graphql", "auth", "transfer")


@pytest.mark.parametrize("package", BELOW_HTTP)
def test_nothing_below_http_imports_it(package: str) -> None:
    found = []
    for module in modules(package):
        found += forbidden_imports(module, ("app.http",))
    assert not found, (
        f"app/{package} must not import app/http: the transport sits above the API (app.http "
        "may import app.graphql, never the reverse); move what both need below it\n"
        + "\n".join(found)
    )


def test_an_http_import_from_the_api_is_caught() -> None:
    for source in ("from app.http.responses import Outcome", "from ..http import masking"):
        assert forbidden_imports(parse(source, "app.graphql.schema"), ("app.http",))


def test_auth_knows_no_database_and_no_api() -> None:
    found = []
    for module in modules("auth"):
        found += forbidden_imports(module, (*DATABASE_LIBRARIES, "app.graphql", "app.db"))
    assert not found, "app/auth is tokens and roles only\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "import sqlalchemy as sa\nstatement = sa.select(TABLE)",
        "from sqlalchemy import text",
        "from sqlmodel import select",
        "from app.graphql.errors import masked",
        "async def f(session):\n    await session.execute(STATEMENT)",
        "async def f(session):\n    return (await session.scalars(STATEMENT)).all()",
        "from app.db.tables import COUPON\nkey = COUPON.c.code",
        "from app.db import tables as t\nquery = t.COUPON.select().where(t.COUPON.c.id == 1)",
        "def f():\n    from sqlalchemy.ext.asyncio import AsyncSession",
        "from app.db.tables import Coupon\ntable = Coupon.__table__",
        "from ..graphql import errors",
    ],
)
def test_sql_in_a_service_is_caught(source: str) -> None:
    module = parse(source, "app.services.example")
    assert forbidden_imports(module, (*DATABASE_LIBRARIES, "app.graphql")) + sql_calls(module)


@pytest.mark.parametrize(
    "source",
    [
        "import sqlalchemy as sa\nstatement = sa.select(TABLE)",
        "import sqlalchemy\nclause = sqlalchemy.func.lower(COLUMN)",
        "from sqlalchemy import text",
        "from sqlalchemy.sql import expression",
    ],
)
def test_statements_in_an_allowed_graphql_module_are_caught(source: str) -> None:
    assert sqlalchemy_use(parse(source, "app.graphql.loaders"))


def test_type_names_in_an_allowed_graphql_module_pass() -> None:
    source = (
        "import sqlalchemy as sa\nfrom sqlalchemy.engine import Row\n"
        "def f(table: sa.Table, row: Row) -> None: ...\n"
    )
    assert not sqlalchemy_use(parse(source, "app.graphql.loaders"))


def test_relative_imports_are_resolved() -> None:
    inside = Module("app.services", "app.services", ast.parse("from ..graphql import errors"))
    assert "app.graphql.errors" in {name for _, name in imported(inside)}
    beside = parse("from . import records\nfrom .kinds import SITES", "app.services.coupons")
    assert {name for _, name in imported(beside)} == {
        "app.services",
        "app.services.records",
        "app.services.kinds",
        "app.services.kinds.SITES",
    }


# --- who may import whom (docs/architecture.md, "The rooms") ---------------------------------

# The rooms of app/ and what each may import of app/ besides itself: domain <- db <- services
# <- graphql <- http, with the rooms beside them. app.main, the factory, wires them all and
# is the only importer of app/fast (below), which may import everything.
ROOM_IMPORTS: dict[str, frozenset[str]] = {
    "domain": frozenset(),
    "auth": frozenset({"domain", "settings"}),
    "db": frozenset({"domain", "clock", "settings"}),
    "services": frozenset({"domain", "db", "auth", "clock"}),
    "delivery": frozenset({"domain", "db", "clock", "settings"}),
    "demo": frozenset({"domain", "db"}),
    "transfer": frozenset({"domain", "db", "services", "clock", "settings", "runtime"}),
    "graphql": frozenset(
        {"domain", "db", "services", "auth", "clock", "settings", "delivery", "observability"}
    ),
    "http": frozenset(
        {"domain", "db", "services", "auth", "clock", "settings", "graphql", "observability"}
    ),
    "observability": frozenset({"db", "settings", "http"}),
}
# The imports above that go sideways or up, and why each is there.
SIDEWAYS = {
    ("graphql", "delivery"): "createWebhookEndpoint checks a URL with the delivery worker's "
    "SSRF guard (app.delivery.targets.Resolver), the one that checks every POST",
    ("graphql", "observability"): "the engine's operations count redemptions and refusals "
    "(app.observability.metrics)",
    ("observability", "http"): "the request middleware gives each request its id "
    "(app.http.request_id) before it counts and logs it",
    ("observability", "db"): "/readyz and /metrics read the pool (app.db.health)",
}


def room_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "app" else None


def undeclared_imports(module: Module, room: str) -> list[str]:
    allowed = ROOM_IMPORTS[room] | {room}
    return sorted({
        f"{module.name}:{line} imports {name}"
        for line, name in imported(module)
        if (other := room_of(name)) is not None and other not in allowed
    })  # fmt: skip


def test_every_room_is_declared() -> None:
    rooms = {path.name for path in APP.iterdir() if (path / "__init__.py").exists()}
    assert rooms - {"fast"} == set(ROOM_IMPORTS), "declare the room in ROOM_IMPORTS"


@pytest.mark.parametrize("room", sorted(ROOM_IMPORTS))
def test_each_room_imports_only_what_it_may(room: str) -> None:
    found = [line for module in modules(room) for line in undeclared_imports(module, room)]
    assert not found, (
        f"app/{room} may import only {sorted(ROOM_IMPORTS[room])} of app/ (ROOM_IMPORTS, "
        "docs/architecture.md); move what both need below, or declare the edge with a "
        "reason in SIDEWAYS\n" + "\n".join(found)
    )


def test_sideways_imports_are_allowed_and_still_made() -> None:
    made = {
        (room, other)
        for room in ROOM_IMPORTS
        for module in modules(room)
        for _, name in imported(module)
        if (other := room_of(name)) is not None
    }
    for edge, reason in SIDEWAYS.items():
        room, other = edge
        assert other in ROOM_IMPORTS[room], f"{edge} ({reason}) is not in ROOM_IMPORTS"
        assert edge in made, f"app/{room} no longer imports app/{other}: drop {edge}"


def test_an_import_up_the_rooms_is_caught() -> None:
    for source, room in (
        ("from app.services.records import transaction", "db"),
        ("from app.graphql import errors", "services"),
        ("from ..http import masking", "graphql"),
        ("import app.fast as fast", "http"),
    ):
        assert undeclared_imports(parse(source, f"app.{room}.example"), room), source


# --- the fast path (app/fast, docs/architecture.md) -------------------------------------------

FAST_PATH = ("app.fast",)
# app/fast may hold SQL, unlike every other room but app/db: rendering records as JSON in
# PostgreSQL and sending compiled statements straight to asyncpg are what it is for, and it
# goes as a whole when it is switched off; its statements kept in app/db would be fast-path
# code in the core, imported with it off. Its modules that import a database library are
# listed, so that another one is a decision.
FAST_PATH_SQL = {
    "app.fast": "AsyncEngine: the engine the prepared reads are installed on",
    "app.fast.json_sql": "the JSON expressions records are rendered with",
    "app.fast.rendering": "the lookup of one rendered record by id",
    "app.fast.prepared_reads": "compiled statements sent to asyncpg",
    "app.fast.prepared": "a shape's statement compiled once, its built-in sizes written in",
    "app.fast.readers": "asyncpg connections detached from SQLAlchemy's pool",
    "app.fast.prepared_writes": "a transaction's compiled statements sent to its asyncpg "
    "connection, failures wrapped as SQLAlchemy's",
    "app.fast.sqlite_driver": "the engine whose SQLite connections it makes",
    "app.fast.sqlite_writes": "SQLite's redemption steps compiled once and sent to the sqlite3 "
    "connection",
}


def app_modules() -> Iterator[Module]:
    for path in sorted(APP.glob("*.py")):
        name = f"app.{path.stem}" if path.stem != "__init__" else "app"
        yield Module(name, "app", ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    for package in sorted(p.name for p in APP.iterdir() if (p / "__init__.py").exists()):
        yield from modules(package)


def test_only_the_app_factory_imports_the_fast_path() -> None:
    found = []
    for module in app_modules():
        if module.name == "app.main" or under(module.name, FAST_PATH):
            continue
        found += forbidden_imports(module, FAST_PATH)
    assert not found, (
        "only the app factory (app.main) imports app.fast, and only with the fast path on: the "
        "core must work without it\n" + "\n".join(found)
    )


def test_the_fast_path_sql_is_where_it_is_listed() -> None:
    found = {
        module.name for module in modules("fast") if forbidden_imports(module, DATABASE_LIBRARIES)
    }
    assert found == set(FAST_PATH_SQL), "update FAST_PATH_SQL (with the reason)"


def test_private_library_names_are_used_only_by_the_fast_path() -> None:
    from app.fast.internals import PRIVATE_NAMES

    names = {private.name for private in PRIVATE_NAMES}
    found = []
    for module in app_modules():
        if under(module.name, FAST_PATH):
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Attribute) and node.attr in names:
                found.append(f"{module.name}:{node.lineno} reads .{node.attr}")
            elif isinstance(node, ast.ImportFrom):
                found += [
                    f"{module.name}:{node.lineno} imports {alias.name}"
                    for alias in node.names
                    if alias.name in names
                ]
    assert not found, (
        "private strawberry / graphql-core / SQLAlchemy names belong to app/fast (listed in "
        "app.fast.internals)\n" + "\n".join(found)
    )
