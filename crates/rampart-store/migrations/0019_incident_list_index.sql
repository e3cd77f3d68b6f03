-- The incident list filtered by state reads this index in the list's order
-- (newest first, ties by id) instead of sorting what it finds.

DROP INDEX incidents_org_state;
CREATE INDEX incidents_org_state ON incidents (org_id, state, created_at, id);
