-- An organisation's public report page: anyone with its address reports an
-- incident to the organisation without an account (ISO/IEC 27032: users
-- report to their providers and to authorities).

CREATE TABLE public_report_pages (
    org_id      TEXT PRIMARY KEY REFERENCES organisations (id),
    slug        TEXT NOT NULL UNIQUE,
    is_open     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
