-- Applied controls: the organisation's measures, shared by risk treatment and
-- assessments. The annual cost is in whole currency units.

CREATE TABLE applied_controls (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    status       TEXT NOT NULL,
    owner        TEXT NOT NULL,
    eta          TEXT,
    effort       TEXT,
    annual_cost  BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX applied_controls_org ON applied_controls (org_id, id);
