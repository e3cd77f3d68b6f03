-- Vulnerabilities of the risk register and the assets they affect. The CVSS
-- score is kept in tenths (BIGINT) so both databases sort it the same way.

CREATE TABLE vulnerabilities (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organisations (id),
    title              TEXT NOT NULL,
    cve_id             TEXT,
    description        TEXT NOT NULL,
    cvss_vector        TEXT,
    cvss_score_tenths  BIGINT,
    severity           TEXT,
    status             TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX vulnerabilities_org ON vulnerabilities (org_id, id);

CREATE TABLE vulnerability_assets (
    org_id            TEXT NOT NULL REFERENCES organisations (id),
    vulnerability_id  TEXT NOT NULL REFERENCES vulnerabilities (id),
    asset_id          TEXT NOT NULL REFERENCES assets (id),
    PRIMARY KEY (vulnerability_id, asset_id)
);
CREATE INDEX vulnerability_assets_asset ON vulnerability_assets (asset_id);
