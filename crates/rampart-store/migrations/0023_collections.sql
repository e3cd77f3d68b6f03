-- STIX objects kept in collections (what TAXII serves), each version by
-- its `modified`, in the order they were added.

CREATE TABLE stix_collections (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL,
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    -- NULL: the organisation's own collection; else one of its community's.
    community_id  TEXT REFERENCES communities (id),
    created_at    BIGINT NOT NULL
);

CREATE TABLE stix_objects (
    collection_id  TEXT NOT NULL REFERENCES stix_collections (id),
    id             TEXT NOT NULL,
    -- `modified` (else `created`) as written; '' for objects without either.
    version        TEXT NOT NULL,
    version_us     BIGINT NOT NULL,
    type           TEXT NOT NULL,
    spec_version   TEXT NOT NULL,
    -- The most restrictive TLP 2.0 marking, '' when unmarked.
    tlp            TEXT NOT NULL,
    body           TEXT NOT NULL,
    -- Microseconds; with seq, the order objects were added in.
    date_added     BIGINT NOT NULL,
    seq            BIGINT NOT NULL,
    PRIMARY KEY (collection_id, id, version)
);
CREATE INDEX stix_objects_added ON stix_objects (collection_id, date_added, seq);
