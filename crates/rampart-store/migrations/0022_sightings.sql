-- Shared indicators matched against the observables of incidents: the
-- pattern of every indicator, the exact values of those that are nothing
-- more (for lookup both ways), and the sightings found.

CREATE TABLE indicator_patterns (
    item_id  TEXT PRIMARY KEY REFERENCES shared_items (id),
    pattern  TEXT NOT NULL,
    -- 1 when every value the pattern tests is in indicator_values.
    exact    BIGINT NOT NULL
);
CREATE INDEX indicator_patterns_general ON indicator_patterns (exact);

CREATE TABLE indicator_values (
    item_id  TEXT NOT NULL REFERENCES shared_items (id),
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (item_id, kind, value)
);
CREATE INDEX indicator_values_lookup ON indicator_values (kind, value);

CREATE TABLE sightings (
    id             TEXT PRIMARY KEY,
    item_id        TEXT NOT NULL REFERENCES shared_items (id),
    org_id         TEXT NOT NULL REFERENCES organisations (id),
    observable_id  TEXT NOT NULL REFERENCES observables (id),
    incident_id    TEXT NOT NULL REFERENCES incidents (id),
    seen_at        BIGINT NOT NULL,
    UNIQUE (item_id, observable_id)
);
CREATE INDEX sightings_item ON sightings (item_id, seen_at);
CREATE INDEX sightings_incident ON sightings (org_id, incident_id);
