-- Evidence files of incidents (bodies content-addressed by SHA-256 outside the
-- database, like assessment evidence) and their chain of custody: one entry
-- for the acquisition and one for every later download, hand-over and check.
-- Nothing is deleted from either: custody is a record (merging two incidents
-- only moves evidence to the incident that absorbs the other).

CREATE TABLE incident_evidence (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    incident_id   TEXT NOT NULL REFERENCES incidents (id),
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    acquired_at   BIGINT NOT NULL,
    acquired_by   TEXT NOT NULL,
    added_by      TEXT NOT NULL,
    added_at      BIGINT NOT NULL
);
CREATE INDEX incident_evidence_incident ON incident_evidence (org_id, incident_id);

CREATE TABLE evidence_custody (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    evidence_id  TEXT NOT NULL REFERENCES incident_evidence (id),
    at           BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    holder       TEXT NOT NULL,
    note         TEXT NOT NULL
);
CREATE INDEX evidence_custody_evidence ON evidence_custody (evidence_id, at);
