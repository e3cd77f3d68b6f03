-- Tasks of an incident, and the case templates that pre-create them for
-- every new incident of a category.

CREATE TABLE incident_tasks (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    title        TEXT NOT NULL,
    assignee_id  TEXT REFERENCES users (id),
    due_at       BIGINT,
    status       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, created_at);

CREATE TABLE case_templates (
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    category    TEXT NOT NULL,
    name        TEXT NOT NULL,
    tasks       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, category)
);
