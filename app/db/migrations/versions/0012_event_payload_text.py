"""change events: the payload stored as text on PostgreSQL (issue 16, generated codes' events)

PostgreSQL's json type parses every value written to check it. The payloads of a bulk write
(code generation, an import's batch) are built as JSON text by the database itself
(app.db.event_batches) and the others by the application's JSON encoder: that check paid
~0.26 s of PostgreSQL's CPU per 100,000 generated codes (2026-12-07) for nothing. Nothing
reads the column as JSON in SQL; the application (app.db.tables.PayloadJSON) writes and reads
the same JSON text as before, so subscribers and webhooks receive the same events. The
conversion keeps every stored payload's text as it is (json to text and back are casts of
the text). SQLite stores JSON as text already: nothing changes there.

Revision ID: 0012_event_payload_text
Revises: 0011_webhook_secret_roll
Create Date: 2026-12-07 13:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0012_event_payload_text"
down_revision = "0011_webhook_secret_roll"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE event ALTER COLUMN payload TYPE text USING payload::text")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE event ALTER COLUMN payload TYPE json USING payload::json")
