"""Refusing to start, in one or two lines: what `uvicorn app.main:create_app --factory` and the
scripts do before they serve or write anything.

The settings are read from the environment, the token key is loaded and the database is
reached once. A problem ends the process with what is wrong, naming the environment variable
(`DISCOUNTS_MODE`, `DATABASE_URL`...), and how to fix it, on stderr, and exit status 2 (a usage
error, as for a bad command-line argument), instead of a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from app.auth.keys import KeyConfigurationError
from app.db.reachable import DatabaseUnreachable, check_reachable
from app.settings import Settings, SettingsError

REFUSED: Final = 2
# uvicorn's status for a worker that failed before it served: its supervisor (`--workers N`)
# then stops the server, where it restarts a worker that exits with any other status, forever.
UVICORN_STARTUP_FAILURE: Final = 3

PROBLEMS = (SettingsError, KeyConfigurationError, DatabaseUnreachable)


@contextlib.contextmanager
def refuse_to_start(program: str) -> Iterator[None]:
    """Ends the process, with a short message on stderr, on a settings, key or database
    problem raised inside the block."""
    try:
        yield
    except PROBLEMS as problem:
        first, *rest = str(problem).splitlines() or [type(problem).__name__]
        lines = [f"{program}: cannot start: {first}", *(f"{program}: {line}" for line in rest)]
        print("\n".join(lines), file=sys.stderr, flush=True)
        in_a_worker = multiprocessing.parent_process() is not None
        raise SystemExit(UVICORN_STARTUP_FAILURE if in_a_worker else REFUSED) from None


def check_database(settings: Settings) -> None:
    """`check_reachable`, from synchronous code that may run inside an event loop (uvicorn
    calls the app factory from its loop): the check runs on a loop of its own, in a thread."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, check_reachable(settings.database_url)).result()
