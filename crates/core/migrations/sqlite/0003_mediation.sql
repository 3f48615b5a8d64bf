-- 人民调解 (domain-spec §10.4): the mediation record of a dispute case.
-- Timestamps are UTC milliseconds since the epoch (INTEGER); booleans are INTEGER 0/1.

CREATE TABLE mediations (
    case_id TEXT PRIMARY KEY REFERENCES cases(id),
    county_code TEXT NOT NULL,
    consent_a INTEGER,
    consent_b INTEGER,
    sessions INTEGER NOT NULL DEFAULT 0,
    agreement TEXT,
    agreement_at INTEGER,
    confirm_due INTEGER,
    reminder_stage INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
CREATE INDEX mediations_confirm ON mediations(confirm_due, reminder_stage);
