"""assignments: an index for a site's page in creation order

`assignments(filter: {siteId: {eq: ...}}, orderBy: {field: CREATED_AT})` reads a site's live
assignments by `created_at, id` (either direction) a page at a time. With only the
`created_at` index PostgreSQL walked it backwards and dropped the other sites' rows until it
had a page (on the benchmark's four sites, ~370 rows read for a page of 51); with
`(site_id, created_at, id)` it reads the page's rows in order and stops. The page's statement
(EXPLAIN ANALYZE, pgbench, alternated, 2026-12-07): 0.43 -> 0.23 ms median.

Revision ID: 0013_assignment_site_created
Revises: 0012_event_payload_text
Create Date: 2026-12-07 13:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0013_assignment_site_created"
down_revision = "0012_event_payload_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_assignment_site_created", "assignment", ["site_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_assignment_site_created", table_name="assignment")
