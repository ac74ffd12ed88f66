"""The database as the use cases hold it: what app.db hands out and takes back.

SQL lives in app.db; a use case only passes these on to app.db's functions and reads rows'
columns, so they are typed loosely here rather than with the driver's classes (and
tests/test_layering.py keeps sqlalchemy out of app.services).
"""

from __future__ import annotations

from typing import Any, TypeAlias

Engine: TypeAlias = Any  # the app's engine (app.db.engine.create_engine)
Sessions: TypeAlias = Any  # app.db.session.write_sessions: `async with sessions() as s, s.begin()`
Session: TypeAlias = Any  # one write transaction's session, as app.db's functions take it
Record: TypeAlias = Any  # a row as stored: columns as attributes, and by name in `_mapping`
Table: TypeAlias = Any  # one of app.db.tables' tables, which app.db's functions take
