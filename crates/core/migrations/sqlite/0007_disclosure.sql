-- 村务公开 (domain-spec §5): the county catalogue with village extensions, publications
-- hash-chained per village (SM3), the supervisors' review, and villagers' objections.
-- Timestamps are UTC milliseconds since the epoch (INTEGER); booleans are INTEGER 0/1.

CREATE TABLE disclosure_items (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    code TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    frequency TEXT NOT NULL,
    event_days INTEGER NOT NULL DEFAULT 0,
    due_day INTEGER NOT NULL DEFAULT 10,
    template TEXT NOT NULL DEFAULT '',
    legal_basis TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL,
    demand_note TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (area_code, code)
);
CREATE INDEX disclosure_items_county ON disclosure_items(county_code);

CREATE TABLE disclosure_settings (
    county_code TEXT PRIMARY KEY,
    settings_json TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE publications (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    item_code TEXT NOT NULL,
    period TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source_id TEXT,
    manual INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    review_until INTEGER,
    review_note TEXT,
    reviewed_by TEXT,
    seq INTEGER,
    released_at INTEGER,
    display_until INTEGER,
    prev_hash TEXT,
    hash TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (area_code, seq)
);
CREATE INDEX publications_area ON publications(area_code, status, released_at);
CREATE INDEX publications_item ON publications(area_code, item_code, period);

-- The head of each village's chain, bumped inside the releasing transaction.
CREATE TABLE publication_heads (
    area_code TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE objections (
    id TEXT PRIMARY KEY,
    publication_id TEXT NOT NULL REFERENCES publications(id),
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL,
    author_user_id TEXT,
    author_name TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    answer_due INTEGER NOT NULL,
    answer TEXT,
    answered_by TEXT,
    answered_at INTEGER,
    escalated_at INTEGER
);
CREATE INDEX objections_publication ON objections(publication_id);
CREATE INDEX objections_area ON objections(area_code, answered_at);
