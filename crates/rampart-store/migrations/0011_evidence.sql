-- Evidence for an answer: a file (its body kept content-addressed by SHA-256
-- outside the database, so several servers share it on a volume) or a link,
-- each with an optional expiry date.

CREATE TABLE evidence (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    result_id     TEXT NOT NULL REFERENCES requirement_results (id),
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    url           TEXT,
    sha256        TEXT,
    size          BIGINT,
    content_type  TEXT,
    expires_on    TEXT,
    added_by      TEXT NOT NULL,
    added_at      BIGINT NOT NULL
);
CREATE INDEX evidence_result ON evidence (result_id);
