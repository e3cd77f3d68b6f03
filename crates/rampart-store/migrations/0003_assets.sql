-- The asset inventory of the risk register, and what depends on what.

CREATE TABLE assets (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations (id),
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    description      TEXT NOT NULL,
    owner            TEXT NOT NULL,
    confidentiality  TEXT NOT NULL,
    integrity        TEXT NOT NULL,
    availability     TEXT NOT NULL,
    critical         BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

-- `asset_id` depends on `depends_on_id`; both belong to `org_id`.
CREATE TABLE asset_dependencies (
    org_id         TEXT NOT NULL REFERENCES organisations (id),
    asset_id       TEXT NOT NULL REFERENCES assets (id),
    depends_on_id  TEXT NOT NULL REFERENCES assets (id),
    PRIMARY KEY (asset_id, depends_on_id)
);
CREATE INDEX asset_dependencies_target ON asset_dependencies (depends_on_id);
