-- Attachments of cases (photos, documents). The bytes live in the blob store (a local
-- directory by default); the database keeps what is needed to find and check them.
-- Timestamps are UTC milliseconds since the epoch (BIGINT); booleans are BIGINT 0/1 (PostgreSQL twin of the SQLite file).

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    county_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    digest TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    width BIGINT,
    height BIGINT,
    name TEXT NOT NULL,
    uploaded_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id, created_at);
