-- Subscriptions to remote TAXII 2.1 collections, each pull they made, and
-- which pull brought each object version (its provenance).

CREATE TABLE taxii_subscriptions (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES organisations (id),
    -- The local collection the objects go to.
    collection_id       TEXT NOT NULL REFERENCES stix_collections (id),
    title               TEXT NOT NULL,
    api_root            TEXT NOT NULL,
    remote_collection   TEXT NOT NULL,
    -- none, basic or bearer; the password or token sealed with the
    -- instance's secret key (AES-256-GCM, bound to this row's id).
    auth_kind           TEXT NOT NULL,
    username            TEXT,
    secret_sealed       TEXT,
    -- 0: pulled only when asked.
    pull_every_minutes  BIGINT NOT NULL,
    next_pull_at        BIGINT,
    -- A pull in progress keeps the subscription from other servers until then.
    leased_until        BIGINT NOT NULL,
    -- The remote's X-TAXII-Date-Added-Last of the last page kept: the next
    -- pull asks only for what was added after it.
    added_after         TEXT,
    last_pull_at        BIGINT,
    last_error          TEXT,
    created_by          TEXT NOT NULL,
    created_at          BIGINT NOT NULL
);
CREATE INDEX taxii_subscriptions_org ON taxii_subscriptions (org_id, created_at);
CREATE INDEX taxii_subscriptions_due ON taxii_subscriptions (next_pull_at);

-- Where a pull fetched from is copied here, so an object's provenance
-- outlives its subscription.
CREATE TABLE taxii_pulls (
    id                 TEXT PRIMARY KEY,
    subscription_id    TEXT NOT NULL,
    org_id             TEXT NOT NULL REFERENCES organisations (id),
    collection_id      TEXT NOT NULL REFERENCES stix_collections (id),
    source_url         TEXT NOT NULL,
    started_at         BIGINT NOT NULL,
    finished_at        BIGINT,
    pages              BIGINT NOT NULL,
    added              BIGINT NOT NULL,
    present            BIGINT NOT NULL,
    refused            BIGINT NOT NULL,
    added_after_from   TEXT,
    added_after_to     TEXT,
    error              TEXT
);
CREATE INDEX taxii_pulls_subscription ON taxii_pulls (subscription_id, started_at);

-- The pull that brought a version; NULL for versions added here.
ALTER TABLE stix_objects ADD COLUMN pull_id TEXT;
