-- The threat catalog of the risk register: custom threats and techniques
-- imported from MITRE ATT&CK (identified by their ATT&CK id).

CREATE TABLE threats (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    name         TEXT NOT NULL,
    category     TEXT NOT NULL,
    description  TEXT NOT NULL,
    source       TEXT NOT NULL,
    external_id  TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (org_id, source, external_id)
);
CREATE INDEX threats_org_name ON threats (org_id, name, id);
