"""Generated data: the demo data set (`seed_demo`, from demo.toml) and large sets for
benchmarks (`seed_scale`).

Both are planned in memory (`plan.Plan`), then written through SQLAlchemy Core bulk inserts in
one transaction (`writer`), refusing a database that already holds data unless asked to reset
it. `scripts/seed` is the command-line front end.
"""

from app.demo.demo import DEFAULT_SEED, DemoSummary, NotableCode, SiteInfo, build_demo, seed_demo
from app.demo.scale import ScaleSummary, build_scale, seed_scale
from app.demo.writer import DatabaseNotEmpty, reset_database, table_counts

__all__ = [
    "DEFAULT_SEED",
    "DatabaseNotEmpty",
    "DemoSummary",
    "NotableCode",
    "ScaleSummary",
    "SiteInfo",
    "build_demo",
    "build_scale",
    "reset_database",
    "seed_demo",
    "seed_scale",
    "table_counts",
]
