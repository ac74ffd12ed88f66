"""change events: the trigger's NOTIFY stays silent for the server, which notifies itself

A transaction that has queued a notification takes PostgreSQL's one database-wide notify lock
at commit and holds it through its commit record's flush (PreCommit_Notify, PostgreSQL 15),
so with migration 0009's trigger every redemption's commit waited for every other's: a
redemption's own writes from pgbench over 200 codes did 527-608 tps with the trigger and
1,148-1,284 without (2026-12-07). The server now sends the NOTIFY after its commits, from a
statement of its own, coalesced (app.db.event_notify.Notifier), and says so on its
connections with the session setting `discounts.notify_by_app = on`, which the trigger reads.
Every other writer (psql, scripts/import, generate-codes) still notifies from its transaction.

Revision ID: 0015_notify_coalesced
Revises: 0014_counters_unindexed
Create Date: 2026-12-07 17:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0015_notify_coalesced"
down_revision = "0014_counters_unindexed"
branch_labels = None
depends_on = None

# app.db.event_notify.CHANNEL and NOTIFY_BY_APP.
CHANNEL = "discounts_events"
NOTIFY_BY_APP = "discounts.notify_by_app"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: subscribers are woken in process after a commit
    # missing_ok: NULL where the session never set it; '' where it was set and reset.
    op.execute(
        f"""CREATE OR REPLACE FUNCTION discounts_notify_events() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF current_setting('{NOTIFY_BY_APP}', true) IS DISTINCT FROM 'on' THEN
            PERFORM pg_notify('{CHANNEL}', '');
          END IF;
          RETURN NULL;
        END $$"""
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Migration 0009's function.
    op.execute(
        f"""CREATE OR REPLACE FUNCTION discounts_notify_events() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('{CHANNEL}', '');
          RETURN NULL;
        END $$"""
    )
