-- Framework libraries loaded by an organisation: the library's header and its
-- requirement tree in document order. Nodes are matched by ref_id when a newer
-- version of the same URN upgrades the library in place.

CREATE TABLE frameworks (
    id                     TEXT PRIMARY KEY,
    org_id                 TEXT NOT NULL REFERENCES organisations (id),
    urn                    TEXT NOT NULL,
    version                BIGINT NOT NULL,
    name                   TEXT NOT NULL,
    provider               TEXT NOT NULL,
    description            TEXT NOT NULL,
    copyright              TEXT NOT NULL,
    score_scale            TEXT NOT NULL,
    implementation_groups  TEXT NOT NULL,
    source                 TEXT NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    UNIQUE (org_id, urn)
);
CREATE INDEX frameworks_org_name ON frameworks (org_id, name, id);

CREATE TABLE requirement_nodes (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations (id),
    framework_id   TEXT NOT NULL REFERENCES frameworks (id),
    ref_id         TEXT NOT NULL,
    parent_ref     TEXT,
    seq            BIGINT NOT NULL,
    depth          BIGINT NOT NULL,
    title          TEXT NOT NULL,
    statement      TEXT NOT NULL,
    guidance       TEXT NOT NULL,
    evidence       TEXT NOT NULL,
    assessable     BIGINT NOT NULL,
    weight         BIGINT NOT NULL,
    importance     TEXT,
    node_groups    TEXT NOT NULL,
    node_function  TEXT,
    withdrawn      BIGINT NOT NULL,
    extra          TEXT,
    UNIQUE (framework_id, ref_id)
);
CREATE INDEX requirement_nodes_tree ON requirement_nodes (framework_id, seq);
