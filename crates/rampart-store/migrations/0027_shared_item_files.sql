-- Files attached to shared items (a report's PDF, say): the bodies are kept
-- content-addressed by the server; each is read by whoever may see its item.

CREATE TABLE shared_item_files (
    id            TEXT PRIMARY KEY,
    item_id       TEXT NOT NULL REFERENCES shared_items (id),
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    added_by      TEXT NOT NULL,
    added_at      BIGINT NOT NULL
);
CREATE INDEX shared_item_files_item ON shared_item_files (item_id, added_at);
