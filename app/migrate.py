"""`python -m app.migrate`: bring the database `DATABASE_URL` names to the migrations' head,
then exit. The release step of a deployment (docker-compose.yml's `migrate` service), for
servers started with `DISCOUNTS_MIGRATE_ON_START=false`. It refuses, as the server does, in
two lines on a bad setting or a database it cannot reach, and takes the same lock as servers
migrating on start (app.db.migrate), so running it beside them is safe.
"""

from __future__ import annotations

import asyncio
import logging

from app.db.engine import create_engine
from app.db.health import migration_heads
from app.db.migrate import upgrade
from app.observability.logs import configure_logging
from app.settings import Settings, settings_from_environment
from app.startup import check_database, refuse_to_start

logger = logging.getLogger("app.migrate")


async def migrate(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def main() -> None:
    with refuse_to_start("discounts-migrate"):
        settings = settings_from_environment()
        configure_logging(settings.log_format, settings.log_level)
        check_database(settings)
    asyncio.run(migrate(settings))
    logger.info("the database is at %s", ", ".join(migration_heads()))


if __name__ == "__main__":
    main()
