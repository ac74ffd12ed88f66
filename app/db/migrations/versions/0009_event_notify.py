"""change events: a NOTIFY on PostgreSQL when event rows are written (issue 20, subscriptions)

Every statement that inserts into `event` (a write's outbox rows, the claim's CTE, an import's
chunk) sends `NOTIFY discounts_events` from the same transaction: PostgreSQL delivers it when
the transaction commits and never when it rolls back, and folds the notifications of one
transaction into one. The payload is empty: listeners read the new events from the table by
position (app.db.event_notify), so nothing is lost and NOTIFY's 8000-byte limit never matters.
A trigger rather than a statement of each write path: the claim and the fast path's prepared
claim are single statements, and a trigger costs them no round trip.

Revision ID: 0009_event_notify
Revises: 0007_change_events
Create Date: 2026-12-07 03:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0009_event_notify"
down_revision = "0008_webhooks"
branch_labels = None
depends_on = None

# The channel app.db.event_notify.CHANNEL listens on.
CHANNEL = "discounts_events"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: subscribers are woken in process after a commit
    op.execute(
        f"""CREATE FUNCTION discounts_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('{CHANNEL}', '');
          RETURN NULL;
        END $$"""
    )
    op.execute(
        """CREATE TRIGGER event_notify AFTER INSERT ON event
        FOR EACH STATEMENT EXECUTE FUNCTION discounts_notify_events()"""
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS event_notify ON event")
    op.execute("DROP FUNCTION IF EXISTS discounts_notify_events()")
