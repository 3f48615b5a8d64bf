-- Foundation schema: areas, people, households, accounts, sessions, audit chain.
-- Every table that holds county data carries `county_code` so a province deployment can shard by county.
-- Timestamps are UTC milliseconds since the epoch (INTEGER); booleans are INTEGER 0/1.

CREATE TABLE areas (
    code TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    parent_code TEXT REFERENCES areas(code),
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX areas_parent ON areas(parent_code);

CREATE TABLE households (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    grid_code TEXT,
    number TEXT NOT NULL,
    address TEXT NOT NULL,
    head_person_id TEXT,
    member_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (area_code, number)
);

CREATE TABLE persons (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    grid_code TEXT,
    household_id TEXT REFERENCES households(id),
    relation TEXT NOT NULL,
    name TEXT NOT NULL,
    id_type TEXT NOT NULL,
    id_enc BLOB NOT NULL,
    id_bidx TEXT NOT NULL,
    id_masked TEXT NOT NULL,
    id_original_enc BLOB,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    phone_enc BLOB,
    phone_bidx TEXT,
    phone_masked TEXT,
    is_party_member INTEGER NOT NULL DEFAULT 0,
    is_representative INTEGER NOT NULL DEFAULT 0,
    is_cadre INTEGER NOT NULL DEFAULT 0,
    is_supervisor INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'active',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT persons_id_unique UNIQUE (county_code, id_bidx)
);
CREATE INDEX persons_area ON persons(area_code, name);
CREATE INDEX persons_grid ON persons(grid_code);
CREATE INDEX households_grid ON households(grid_code);
CREATE INDEX persons_household ON persons(household_id);

CREATE TABLE person_links (
    person_id TEXT NOT NULL REFERENCES persons(id),
    relative_id TEXT NOT NULL REFERENCES persons(id),
    relation TEXT NOT NULL,
    county_code TEXT NOT NULL,
    PRIMARY KEY (person_id, relative_id)
);
CREATE INDEX person_links_relative ON person_links(relative_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    person_id TEXT REFERENCES persons(id),
    password_hash TEXT NOT NULL,
    totp_enc BLOB,
    status TEXT NOT NULL,
    proxy_only INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0,
    password_changed_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX users_person ON users(person_id);

CREATE TABLE role_grants (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    granted_by TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, role, area_code)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    csrf TEXT NOT NULL,
    label TEXT,
    created_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE one_time_codes (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    subject TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX one_time_codes_subject ON one_time_codes(subject, purpose);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    on_behalf_of TEXT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    area_code TEXT,
    source TEXT,
    before_digest TEXT,
    after_digest TEXT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id);
CREATE INDEX audit_log_actor ON audit_log(actor_id);
