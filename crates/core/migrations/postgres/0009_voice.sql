-- Villagers' voice (domain-spec §3.8): suggestions (村民说事) with their answers, consultative
-- polls with one vote per villager, and bylaws (村规民约) with filing and review.
-- Timestamps are UTC milliseconds since the epoch (BIGINT); booleans are BIGINT 0/1 (PostgreSQL twin of the SQLite file).
-- `matter_id` refers to a deliberation matter owned by another module and carries no
-- foreign key.

CREATE TABLE voice_settings (
    county_code TEXT PRIMARY KEY,
    answer_days BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE suggestions (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    author_user_id TEXT,
    author_person_id TEXT,
    posted_by TEXT,
    text TEXT NOT NULL,
    status TEXT NOT NULL,
    answer_text TEXT,
    matter_id TEXT,
    answered_by TEXT,
    answered_at BIGINT,
    due_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX suggestions_area ON suggestions(area_code, status, due_at);
CREATE INDEX suggestions_author ON suggestions(author_user_id);

CREATE TABLE polls (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    question TEXT NOT NULL,
    options_json TEXT NOT NULL,
    closes_at BIGINT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX polls_area ON polls(area_code, closes_at);

CREATE TABLE poll_votes (
    poll_id TEXT NOT NULL REFERENCES polls(id),
    county_code TEXT NOT NULL,
    voter_key TEXT NOT NULL,
    option_index BIGINT NOT NULL,
    voted_at BIGINT NOT NULL,
    CONSTRAINT poll_votes_once PRIMARY KEY (poll_id, voter_key)
);

CREATE TABLE bylaws (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    version BIGINT NOT NULL,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    matter_id TEXT,
    status TEXT NOT NULL,
    flags_json TEXT NOT NULL,
    filed_on TEXT,
    filed_by TEXT,
    filed_at BIGINT,
    review_reason TEXT,
    reviewed_by TEXT,
    reviewed_at BIGINT,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT bylaws_version UNIQUE (area_code, version)
);
