-- Token lists page through an organisation's tokens newest first (by id, a
-- UUIDv7); without this index every page sorts all of them.
CREATE INDEX api_tokens_org_id ON api_tokens (org_id, id);
