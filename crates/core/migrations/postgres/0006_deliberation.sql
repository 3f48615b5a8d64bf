-- Village decisions (domain-spec §3): matter types, quorum and pass rules as data, matters
-- through 四议两公开, meetings with a roster frozen at convening, attendance and votes.
-- Timestamps are UTC milliseconds since the epoch (BIGINT); booleans are BIGINT 0/1.

CREATE TABLE matter_types (
    county_code TEXT NOT NULL,
    code TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    requires_assembly BIGINT NOT NULL,
    special_majority BIGINT NOT NULL,
    requires_four_deliberations BIGINT NOT NULL,
    requires_public_bidding BIGINT NOT NULL,
    assembly_only BIGINT NOT NULL,
    legal_basis TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (county_code, code)
);

-- Provincial and county rules; the national defaults live in the code (rules.rs).
CREATE TABLE vote_rules (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    scope TEXT NOT NULL,
    area_prefix TEXT NOT NULL,
    body TEXT NOT NULL,
    rule_json TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX vote_rules_county ON vote_rules(county_code);

CREATE TABLE deliberation_settings (
    county_code TEXT PRIMARY KEY,
    settings_json TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE matter_numbers (
    county_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (county_code, year)
);

CREATE TABLE matters (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    number TEXT NOT NULL,
    type_code TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    reviewed_hash TEXT,
    stage TEXT NOT NULL,
    rejected_at_step BIGINT,
    reason TEXT,
    emergency BIGINT NOT NULL DEFAULT 0,
    ratify_by BIGINT,
    authorisation TEXT,
    resolved_at BIGINT,
    resolution_due BIGINT,
    completed_at BIGINT,
    result_due BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (county_code, number)
);
CREATE INDEX matters_area ON matters(area_code, updated_at);

CREATE TABLE matter_steps (
    id TEXT PRIMARY KEY,
    matter_id TEXT NOT NULL REFERENCES matters(id),
    county_code TEXT NOT NULL,
    step BIGINT NOT NULL,
    stage TEXT NOT NULL,
    meeting_id TEXT,
    vote_id TEXT,
    text_hash TEXT NOT NULL,
    note TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX matter_steps_matter ON matter_steps(matter_id, at);

CREATE TABLE meetings (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    body TEXT NOT NULL,
    title TEXT NOT NULL,
    place TEXT NOT NULL,
    host TEXT NOT NULL,
    scheduled_at BIGINT NOT NULL,
    convened_at BIGINT,
    status TEXT NOT NULL,
    members BIGINT NOT NULL DEFAULT 0,
    households BIGINT NOT NULL DEFAULT 0,
    attendees BIGINT NOT NULL DEFAULT 0,
    households_present BIGINT NOT NULL DEFAULT 0,
    minutes TEXT NOT NULL DEFAULT '',
    closed_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX meetings_area ON meetings(area_code, scheduled_at);

-- The roster: drafted at creation, frozen at convening; names are kept as they were then.
CREATE TABLE meeting_roster (
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    person_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    name TEXT NOT NULL,
    household_id TEXT,
    presence TEXT,
    proxy_name TEXT,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (meeting_id, person_id)
);

CREATE TABLE votes (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    county_code TEXT NOT NULL,
    matter_id TEXT REFERENCES matters(id),
    position BIGINT NOT NULL,
    question TEXT NOT NULL,
    secret BIGINT NOT NULL,
    text_hash TEXT,
    yes BIGINT NOT NULL DEFAULT 0,
    no BIGINT NOT NULL DEFAULT 0,
    abstain BIGINT NOT NULL DEFAULT 0,
    outcome_json TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX votes_meeting ON votes(meeting_id, position);
CREATE INDEX votes_matter ON votes(matter_id);

-- Open ballots: who voted what, as recorded at the meeting.
CREATE TABLE ballots (
    vote_id TEXT NOT NULL REFERENCES votes(id),
    person_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    choice TEXT NOT NULL,
    PRIMARY KEY (vote_id, person_id)
);

-- Secret ballots: only that someone voted, never what; the choice goes into the tally alone.
CREATE TABLE secret_voters (
    vote_id TEXT NOT NULL REFERENCES votes(id),
    person_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    PRIMARY KEY (vote_id, person_id)
);
