-- Mapping sets between two frameworks (by URN) and their mappings by ref id,
-- so that framework upgrades, which keep ref ids, keep the mappings.

CREATE TABLE mapping_sets (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    urn          TEXT NOT NULL,
    version      BIGINT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    source_urn   TEXT NOT NULL,
    target_urn   TEXT NOT NULL,
    source       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (org_id, urn)
);

CREATE TABLE requirement_mappings (
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    set_id        TEXT NOT NULL REFERENCES mapping_sets (id),
    source_ref    TEXT NOT NULL,
    target_ref    TEXT NOT NULL,
    relationship  TEXT NOT NULL,
    strength      BIGINT NOT NULL,
    PRIMARY KEY (set_id, source_ref, target_ref)
);
