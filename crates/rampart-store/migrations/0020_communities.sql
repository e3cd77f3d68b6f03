-- Communities of organisations (sharing groups), their members, the
-- communities connected to each other, the clients organisations record, and
-- the items shared in communities under TLP 2.0 and a distribution. Who sees
-- an item is decided in the query (docs/SHARING.md); `reach` is the item's
-- distribution narrowed by its marking, computed when it is shared.

CREATE TABLE communities (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    description     TEXT NOT NULL,
    created_by_org  TEXT NOT NULL REFERENCES organisations (id),
    created_at      BIGINT NOT NULL
);

CREATE TABLE community_members (
    community_id  TEXT NOT NULL REFERENCES communities (id),
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    role          TEXT NOT NULL,
    state         TEXT NOT NULL,
    invited_at    BIGINT NOT NULL,
    joined_at     BIGINT,
    PRIMARY KEY (community_id, org_id)
);
CREATE INDEX community_members_org ON community_members (org_id, state);

CREATE TABLE community_connections (
    community_id  TEXT NOT NULL REFERENCES communities (id),
    connected_id  TEXT NOT NULL REFERENCES communities (id),
    PRIMARY KEY (community_id, connected_id)
);

CREATE TABLE org_clients (
    org_id         TEXT NOT NULL REFERENCES organisations (id),
    client_org_id  TEXT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (org_id, client_org_id)
);
CREATE INDEX org_clients_client ON org_clients (client_org_id);

CREATE TABLE shared_items (
    id            TEXT PRIMARY KEY,
    owner_org     TEXT NOT NULL REFERENCES organisations (id),
    community_id  TEXT NOT NULL REFERENCES communities (id),
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    tlp           TEXT NOT NULL,
    distribution  TEXT NOT NULL,
    reach         TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX shared_items_community ON shared_items (community_id, created_at);

CREATE TABLE shared_item_recipients (
    item_id  TEXT NOT NULL REFERENCES shared_items (id),
    org_id   TEXT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (item_id, org_id)
);
