-- 人民调解 (domain-spec §10.4): the mediation record of a dispute case.
-- Timestamps are UTC milliseconds since the epoch (BIGINT); booleans are BIGINT 0/1 (PostgreSQL twin of the SQLite file).

CREATE TABLE mediations (
    case_id TEXT PRIMARY KEY REFERENCES cases(id),
    county_code TEXT NOT NULL,
    consent_a BIGINT,
    consent_b BIGINT,
    sessions BIGINT NOT NULL DEFAULT 0,
    agreement TEXT,
    agreement_at BIGINT,
    confirm_due BIGINT,
    reminder_stage BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
CREATE INDEX mediations_confirm ON mediations(confirm_due, reminder_stage);
