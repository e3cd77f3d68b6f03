-- TAXII status resources: what became of each object a client added.

CREATE TABLE taxii_statuses (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
