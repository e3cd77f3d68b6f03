-- Incidents: the case, its regimes and submitted reports, its timeline and
-- observables, and the reporting rules an organisation adds to the built-in
-- ones (NIS2, GDPR, DORA, which Rampart ships as data).

CREATE TABLE incidents (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organisations (id),
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    category          TEXT NOT NULL,
    severity          BIGINT NOT NULL,
    tlp               TEXT NOT NULL,
    pap               TEXT NOT NULL,
    determination     TEXT NOT NULL,
    impact_c          BIGINT NOT NULL,
    impact_i          BIGINT NOT NULL,
    impact_a          BIGINT NOT NULL,
    estimated_cost    BIGINT,
    people_affected   BIGINT,
    cross_border      BIGINT NOT NULL,
    reporter          TEXT NOT NULL,
    owner             TEXT NOT NULL,
    team              TEXT NOT NULL,
    occurred_at       BIGINT,
    detected_at       BIGINT,
    aware_at          BIGINT NOT NULL,
    classified_at     BIGINT,
    state             TEXT NOT NULL,
    state_changed_at  BIGINT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX incidents_org_created ON incidents (org_id, created_at, id);
CREATE INDEX incidents_org_state ON incidents (org_id, state, created_at);

CREATE TABLE incident_regimes (
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    regime       TEXT NOT NULL,
    PRIMARY KEY (incident_id, regime)
);

CREATE TABLE incident_submissions (
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    incident_id   TEXT NOT NULL REFERENCES incidents (id),
    regime        TEXT NOT NULL,
    obligation    TEXT NOT NULL,
    submitted_at  BIGINT NOT NULL,
    reference     TEXT NOT NULL,
    submitted_by  TEXT NOT NULL,
    PRIMARY KEY (incident_id, regime, obligation)
);

CREATE TABLE incident_events (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    at           BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    from_state   TEXT,
    to_state     TEXT,
    text         TEXT NOT NULL,
    tactic       TEXT,
    technique    TEXT
);
CREATE INDEX incident_events_timeline ON incident_events (incident_id, at, id);

CREATE TABLE observables (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    ioc          BIGINT NOT NULL,
    sighted      BIGINT NOT NULL,
    tlp          TEXT NOT NULL,
    added_by     TEXT NOT NULL,
    added_at     BIGINT NOT NULL,
    UNIQUE (incident_id, kind, value)
);
CREATE INDEX observables_correlation ON observables (org_id, kind, value);

CREATE TABLE regulatory_rules (
    id                     TEXT PRIMARY KEY,
    org_id                 TEXT NOT NULL REFERENCES organisations (id),
    regime                 TEXT NOT NULL,
    obligation             TEXT NOT NULL,
    name                   TEXT NOT NULL,
    anchor                 TEXT NOT NULL,
    offset_minutes         BIGINT NOT NULL,
    latest_anchor          TEXT,
    latest_offset_minutes  BIGINT,
    seq                    BIGINT NOT NULL
);
