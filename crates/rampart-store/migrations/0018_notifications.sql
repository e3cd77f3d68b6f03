-- Notifications: the channels an organisation is told through, the outbox of
-- deliveries (written in the transaction of the change that causes them,
-- delivered at least once, retried with backoff), and marks for the events
-- that time causes (a clock falling due), so each is sent once however many
-- servers sweep.

CREATE TABLE notification_channels (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    target      TEXT NOT NULL,
    secret      TEXT NOT NULL,
    events      TEXT NOT NULL,
    enabled     BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX notification_channels_org ON notification_channels (org_id);

CREATE TABLE notification_outbox (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations (id),
    channel_id       TEXT NOT NULL REFERENCES notification_channels (id),
    event            TEXT NOT NULL,
    subject          TEXT NOT NULL,
    payload          TEXT NOT NULL,
    state            TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    lease_until      BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT
);
CREATE INDEX notification_outbox_due ON notification_outbox (state, next_attempt_at);
CREATE INDEX notification_outbox_org ON notification_outbox (org_id, created_at);

CREATE TABLE notification_marks (
    org_id     TEXT NOT NULL REFERENCES organisations (id),
    mark       TEXT NOT NULL,
    marked_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, mark)
);
