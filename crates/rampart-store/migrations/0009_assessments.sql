-- Assessments of a loaded framework: scope, workflow, the people involved,
-- one answer per requirement node, the applied controls that implement it,
-- and score snapshots for the trend. `summary` caches the current scores
-- (written in the same transaction as every change) so lists and the
-- dashboard read them without walking each tree.

CREATE TABLE assessments (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations (id),
    framework_id     TEXT NOT NULL REFERENCES frameworks (id),
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    scope_asset_id   TEXT REFERENCES assets (id),
    selected_groups  TEXT NOT NULL,
    roll_up          TEXT NOT NULL,
    status           TEXT NOT NULL,
    due_date         TEXT,
    summary          TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX assessments_org ON assessments (org_id, created_at, id);
CREATE INDEX assessments_framework ON assessments (framework_id);

CREATE TABLE assessment_people (
    org_id         TEXT NOT NULL REFERENCES organisations (id),
    assessment_id  TEXT NOT NULL REFERENCES assessments (id),
    user_id        TEXT NOT NULL REFERENCES users (id),
    role           TEXT NOT NULL,
    PRIMARY KEY (assessment_id, user_id, role)
);

CREATE TABLE requirement_results (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations (id),
    assessment_id  TEXT NOT NULL REFERENCES assessments (id),
    node_id        TEXT NOT NULL REFERENCES requirement_nodes (id),
    result         TEXT NOT NULL,
    score          BIGINT,
    target         BIGINT,
    observation    TEXT NOT NULL,
    justification  TEXT NOT NULL,
    owner          TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (assessment_id, node_id)
);

CREATE TABLE result_controls (
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    result_id   TEXT NOT NULL REFERENCES requirement_results (id),
    control_id  TEXT NOT NULL REFERENCES applied_controls (id),
    PRIMARY KEY (result_id, control_id)
);

CREATE TABLE assessment_snapshots (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations (id),
    assessment_id  TEXT NOT NULL REFERENCES assessments (id),
    taken_at       BIGINT NOT NULL,
    reason         TEXT NOT NULL,
    status         TEXT NOT NULL,
    summary        TEXT NOT NULL
);
CREATE INDEX assessment_snapshots_trend ON assessment_snapshots (assessment_id, taken_at);
