"""What app.db hands the use cases and takes back from them, by the driver's own types.

app.services holds no SQL (tests/test_layering.py keeps sqlalchemy out of it), so it names
these through here rather than importing the driver: a use case only passes them on to app.db's
functions and reads rows' columns.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

# The app's engine (app.db.engine.create_engine).
Engine: TypeAlias = AsyncEngine
# app.db.session.write_sessions: `async with sessions() as s, s.begin()` is one transaction.
Sessions: TypeAlias = async_sessionmaker[AsyncSession]
# One write transaction's session, as app.db's functions take it.
Session: TypeAlias = AsyncSession
# A row as stored: columns as attributes, and by name in `_mapping` (the Core tables' columns
# are untyped, hence Any).
Record: TypeAlias = Row[Any]
# One of app.db.tables' tables, which app.db's functions take.
Table: TypeAlias = sa.Table
