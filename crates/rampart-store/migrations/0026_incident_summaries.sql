-- Incident summaries shared in communities: which incident each came from
-- (for its owner only), and the observables it carries, so the same
-- observable in two organisations' summaries can be correlated.

CREATE TABLE incident_shares (
    item_id      TEXT PRIMARY KEY REFERENCES shared_items (id),
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    incident_id  TEXT NOT NULL REFERENCES incidents (id)
);
CREATE INDEX incident_shares_incident ON incident_shares (org_id, incident_id);

CREATE TABLE shared_item_observables (
    item_id  TEXT NOT NULL REFERENCES shared_items (id),
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (item_id, kind, value)
);
CREATE INDEX shared_item_observables_value ON shared_item_observables (kind, value);
