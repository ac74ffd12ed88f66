"""claim lock: a redemption's lock, freshness check and counts in one function (issue 16)

A redemption on PostgreSQL is two statements sent in autocommit (app.db.claim.claim_at_once):
the first look, then one statement that locks, decides and writes. That statement's own
snapshot is taken before it waits for the owner's row lock, so counts it read itself would
miss a counter row committed by the transaction it waited for (a customer's first use: a new
key) and a cap could be passed. `discounts_claim_lock` is what the statement reads instead
(its CTE `locked`, MATERIALIZED): a VOLATILE plpgsql function, each of whose statements takes
a fresh snapshot under READ COMMITTED. It

1. locks the owner (coupon or discount code), then the coupon code, then the customer's
   assignments of the code: the one lock order of every engine transaction (no deadlocks);
2. compares what the first look decided on with the rows as they are now (the owner's
   updated_at, deleted_at, disabled_at and caps; the coupon code's window, use and customer;
   the customer's first live assignment): `fresh` is false when anything changed, and the
   caller writes nothing and takes the transaction path;
3. reads the counts the caps weigh, in a statement of its own begun after the locks, so
   with a snapshot that sees every use committed before them.

Revision ID: 0010_claim_lock
Revises: 0009_event_notify
Create Date: 2026-12-07 10:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0010_claim_lock"
down_revision = "0009_event_notify"
branch_labels = None
depends_on = None

# The argument types, in order (the downgrade names the function by them).
ARGUMENTS = (
    "text, integer, timestamptz, timestamptz, timestamptz, integer, integer, integer, "
    "integer, timestamptz, timestamptz, timestamptz, boolean, integer, "
    "integer, integer, timestamptz, timestamptz, "
    "text, text, text, text, text"
)

FUNCTION = """
CREATE FUNCTION discounts_claim_lock(
    p_owner_type text, p_owner_id integer,
    p_owner_updated_at timestamptz, p_owner_deleted_at timestamptz,
    p_owner_disabled_at timestamptz, p_max_uses integer, p_max_uses_per_customer integer,
    p_max_uses_per_order integer,
    p_code_id integer, p_code_deleted_at timestamptz, p_code_valid_from timestamptz,
    p_code_valid_to timestamptz, p_code_multi_use boolean, p_code_customer_id integer,
    p_customer_id integer, p_assignment_id integer, p_assignment_valid_from timestamptz,
    p_assignment_expires_on timestamptz,
    p_k_total text, p_k_customer text, p_k_code text, p_k_code_customer text,
    p_order_reference text)
RETURNS TABLE (fresh boolean, total integer, by_customer integer, in_order integer,
               of_code integer, of_code_by_customer integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  o record;
  c record;
  a record;
  ok boolean;
BEGIN
  -- 1. The locks, in the engine's one order: owner, coupon code, assignments.
  IF p_owner_type = 'coupon' THEN
    SELECT x.updated_at, x.deleted_at, x.disabled_at, x.max_uses, x.max_uses_per_customer,
           x.max_uses_per_order
      INTO o FROM coupon x WHERE x.id = p_owner_id FOR NO KEY UPDATE;
  ELSE
    SELECT x.updated_at, x.deleted_at, x.disabled_at, x.max_uses, x.max_uses_per_customer,
           x.max_uses_per_order
      INTO o FROM discount_code x WHERE x.id = p_owner_id FOR NO KEY UPDATE;
  END IF;
  -- 2. What the first look decided on, unchanged (times_used is not compared: it is not
  -- read by the rules, and every claim moves it).
  ok := FOUND AND o.updated_at = p_owner_updated_at
        AND o.deleted_at IS NOT DISTINCT FROM p_owner_deleted_at
        AND o.disabled_at IS NOT DISTINCT FROM p_owner_disabled_at
        AND o.max_uses IS NOT DISTINCT FROM p_max_uses
        AND o.max_uses_per_customer IS NOT DISTINCT FROM p_max_uses_per_customer
        AND o.max_uses_per_order IS NOT DISTINCT FROM p_max_uses_per_order;
  IF p_code_id IS NOT NULL THEN
    SELECT x.deleted_at, x.valid_from, x.valid_to, x.multi_use, x.customer_id
      INTO c FROM coupon_code x WHERE x.id = p_code_id FOR NO KEY UPDATE;
    ok := ok AND FOUND AND c.deleted_at IS NOT DISTINCT FROM p_code_deleted_at
          AND c.valid_from IS NOT DISTINCT FROM p_code_valid_from
          AND c.valid_to IS NOT DISTINCT FROM p_code_valid_to
          AND c.multi_use = p_code_multi_use
          AND c.customer_id IS NOT DISTINCT FROM p_code_customer_id;
  END IF;
  IF p_assignment_id IS NOT NULL THEN
    IF p_code_id IS NOT NULL THEN
      PERFORM 1 FROM assignment x
        WHERE x.coupon_code_id = p_code_id AND x.customer_id = p_customer_id
        ORDER BY x.id FOR NO KEY UPDATE;
      SELECT x.id, x.valid_from, x.expires_on INTO a FROM assignment x
        WHERE x.coupon_code_id = p_code_id AND x.customer_id = p_customer_id
          AND x.deleted_at IS NULL
        ORDER BY x.id LIMIT 1;
    ELSE
      PERFORM 1 FROM assignment x
        WHERE x.discount_code_id = p_owner_id AND x.customer_id = p_customer_id
        ORDER BY x.id FOR NO KEY UPDATE;
      SELECT x.id, x.valid_from, x.expires_on INTO a FROM assignment x
        WHERE x.discount_code_id = p_owner_id AND x.customer_id = p_customer_id
          AND x.deleted_at IS NULL
        ORDER BY x.id LIMIT 1;
    END IF;
    ok := ok AND FOUND AND a.id = p_assignment_id
          AND a.valid_from IS NOT DISTINCT FROM p_assignment_valid_from
          AND a.expires_on IS NOT DISTINCT FROM p_assignment_expires_on;
  END IF;
  -- 3. The counts: a statement of its own, whose snapshot is taken now, after the locks.
  RETURN QUERY SELECT
    ok,
    coalesce((SELECT u.uses FROM usage_counter u WHERE u.owner_type = p_owner_type
              AND u.owner_id = p_owner_id AND u.key = p_k_total), 0),
    coalesce((SELECT u.uses FROM usage_counter u WHERE u.owner_type = p_owner_type
              AND u.owner_id = p_owner_id AND u.key = p_k_customer), 0),
    CASE WHEN p_order_reference IS NULL THEN 0
         WHEN p_owner_type = 'coupon' THEN
           (SELECT count(*) FROM redemption r WHERE r.order_reference = p_order_reference
              AND r.coupon_id + 0 = p_owner_id AND r.voided_at IS NULL)::integer
         ELSE
           (SELECT count(*) FROM redemption r WHERE r.order_reference = p_order_reference
              AND r.discount_code_id + 0 = p_owner_id AND r.voided_at IS NULL)::integer
    END,
    coalesce((SELECT u.uses FROM usage_counter u WHERE u.owner_type = p_owner_type
              AND u.owner_id = p_owner_id AND u.key = p_k_code), 0),
    coalesce((SELECT u.uses FROM usage_counter u WHERE u.owner_type = p_owner_type
              AND u.owner_id = p_owner_id AND u.key = p_k_code_customer), 0);
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: its transaction holds the writer lock from BEGIN (app.db.claim)
    op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS discounts_claim_lock({ARGUMENTS})")
