-- Cases: one workflow engine for reports, service requests, disputes, hazards, emergencies and tips.
-- Timestamps are UTC milliseconds since the epoch (BIGINT); booleans are BIGINT 0/1 (PostgreSQL twin of the SQLite file).

-- The county's catalogue of case types (事项清单), inherited by townships and villages.
CREATE TABLE case_types (
    code TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    description_zh TEXT NOT NULL,
    description_en TEXT NOT NULL,
    category TEXT NOT NULL,
    keywords TEXT NOT NULL,
    raisers TEXT NOT NULL,
    fields_json TEXT NOT NULL,
    workflow TEXT NOT NULL,
    sla_json TEXT NOT NULL,
    first_level TEXT NOT NULL,
    orgs_json TEXT NOT NULL,
    visibility TEXT NOT NULL,
    anonymous_allowed BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);

-- The county holiday calendar: days off, and weekend days that are worked (调休).
CREATE TABLE holidays (
    county_code TEXT NOT NULL,
    day TEXT NOT NULL,
    workday BIGINT NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    PRIMARY KEY (county_code, day)
);

-- County settings of the case engine (one row per county).
CREATE TABLE case_settings (
    county_code TEXT PRIMARY KEY,
    unsatisfied_policy TEXT NOT NULL,
    max_reopens BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE case_counters (
    county_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (county_code, year)
);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    county_code TEXT NOT NULL,
    type_code TEXT NOT NULL REFERENCES case_types(code),
    category TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    grid_code TEXT,
    status TEXT NOT NULL,
    is_open BIGINT NOT NULL DEFAULT 1,
    priority TEXT NOT NULL,
    level TEXT NOT NULL,
    org TEXT NOT NULL,
    slipped_level TEXT,
    escalations BIGINT NOT NULL DEFAULT 0,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    attrs_json TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    address TEXT,
    source TEXT NOT NULL,
    reporter_user_id TEXT,
    reporter_name TEXT,
    reporter_phone_enc BYTEA,
    anonymous BIGINT NOT NULL DEFAULT 0,
    assignee_user_id TEXT,
    handler_user_id TEXT,
    due_at BIGINT NOT NULL,
    reopen_count BIGINT NOT NULL DEFAULT 0,
    rating TEXT,
    public_note TEXT,
    idem_key TEXT UNIQUE,
    duplicate_of TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    handled_at BIGINT,
    closed_at BIGINT,
    pending_extension_hours BIGINT,
    CONSTRAINT cases_number UNIQUE (county_code, number)
);
CREATE INDEX cases_area ON cases(area_code, is_open, due_at);
CREATE INDEX cases_open_due ON cases(county_code, is_open, due_at);
CREATE INDEX cases_grid ON cases(grid_code);
CREATE INDEX cases_dupe ON cases(area_code, type_code, is_open, created_at);
CREATE INDEX cases_reporter ON cases(reporter_user_id);
CREATE INDEX cases_updated ON cases(county_code, updated_at);
CREATE INDEX cases_created ON cases(county_code, created_at);

-- The timeline of a case: every transition and note, in order.
CREATE TABLE case_events (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    county_code TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT NOT NULL,
    public BIGINT NOT NULL DEFAULT 1,
    data_json TEXT
);
CREATE INDEX case_events_case ON case_events(case_id, at);
CREATE INDEX case_events_county_at ON case_events(county_code, at);

-- In-app inbox. A notification goes to a user, or to everyone holding a role on an area.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    user_id TEXT,
    role TEXT,
    area_code TEXT,
    case_id TEXT,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);
CREATE INDEX notifications_area ON notifications(area_code, role, created_at);

-- Keys of Open311 integrations (stored as hashes).
CREATE TABLE api_keys (
    key_hash TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Duty roster (值守, 错时): who is on duty for an area, when.
CREATE TABLE duty_roster (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    user_id TEXT NOT NULL REFERENCES users(id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL
);
CREATE INDEX duty_roster_area ON duty_roster(area_code, starts_at);

-- Confidential tips (扫黑除恶 线索, R-TIP-1..4): kept apart from cases, body and reporter encrypted.
CREATE TABLE tips (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    receipt_hash TEXT NOT NULL UNIQUE,
    body_enc BYTEA NOT NULL,
    reporter_enc BYTEA,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tips_area ON tips(area_code, created_at);
