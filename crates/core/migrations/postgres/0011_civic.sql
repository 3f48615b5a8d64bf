-- Photo evidence that a released publication was posted on the village board (五化, §5):
-- when and where it went up, the photo in the blob store, and when it came down.
-- Timestamps are UTC milliseconds since the epoch (BIGINT).

CREATE TABLE publication_postings (
    id TEXT PRIMARY KEY,
    publication_id TEXT NOT NULL REFERENCES publications(id),
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL,
    posted_at BIGINT NOT NULL,
    place TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    photo_key TEXT NOT NULL,
    photo_digest TEXT NOT NULL,
    photo_size BIGINT NOT NULL,
    photo_width BIGINT NOT NULL,
    photo_height BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    removed_at BIGINT,
    removed_by TEXT,
    removal_note TEXT
);
CREATE INDEX publication_postings_publication ON publication_postings(publication_id, posted_at);

-- 民主评议 (§3.7, R-SUP-4): one appraisal per village and year, hosted by the supervisory
-- committee. A tally per cadre and who has taken part; no row says who gave which grade.
-- `valid` and `terminates` are booleans as integers.
CREATE TABLE appraisals (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    year BIGINT NOT NULL,
    status TEXT NOT NULL,
    evaluators BIGINT NOT NULL,
    ballots BIGINT NOT NULL DEFAULT 0,
    valid BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE UNIQUE INDEX appraisals_village_year ON appraisals(area_code, year);

CREATE TABLE appraisal_subjects (
    appraisal_id TEXT NOT NULL REFERENCES appraisals(id),
    person_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    name TEXT NOT NULL,
    post TEXT NOT NULL,
    excellent BIGINT NOT NULL DEFAULT 0,
    competent BIGINT NOT NULL DEFAULT 0,
    basic BIGINT NOT NULL DEFAULT 0,
    incompetent BIGINT NOT NULL DEFAULT 0,
    verdict TEXT,
    terminates BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (appraisal_id, person_id)
);

CREATE TABLE appraisal_evaluators (
    appraisal_id TEXT NOT NULL REFERENCES appraisals(id),
    person_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    name TEXT NOT NULL,
    voted_at BIGINT,
    PRIMARY KEY (appraisal_id, person_id)
);
