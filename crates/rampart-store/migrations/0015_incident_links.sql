-- What an incident touches and leads to: affected assets, related incidents,
-- and the follow-up actions its lessons learned give risk scenarios (to
-- re-evaluate) and applied controls (that failed or are missing).

CREATE TABLE incident_assets (
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    asset_id     TEXT NOT NULL REFERENCES assets (id),
    PRIMARY KEY (incident_id, asset_id)
);

CREATE TABLE incident_relations (
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    related_id   TEXT NOT NULL REFERENCES incidents (id),
    PRIMARY KEY (incident_id, related_id)
);

CREATE TABLE incident_followups (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    kind         TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    action       TEXT NOT NULL,
    done         BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX incident_followups_target ON incident_followups (org_id, kind, target_id);
