-- Members acknowledge the advisories shared with them; the owner sees who did.

CREATE TABLE shared_item_acks (
    item_id          TEXT NOT NULL REFERENCES shared_items (id),
    org_id           TEXT NOT NULL REFERENCES organisations (id),
    acknowledged_by  TEXT NOT NULL,
    acknowledged_at  BIGINT NOT NULL,
    PRIMARY KEY (item_id, org_id)
);
