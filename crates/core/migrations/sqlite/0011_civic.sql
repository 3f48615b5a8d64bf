-- Photo evidence that a released publication was posted on the village board (五化, §5):
-- when and where it went up, the photo in the blob store, and when it came down.
-- Timestamps are UTC milliseconds since the epoch (INTEGER).

CREATE TABLE publication_postings (
    id TEXT PRIMARY KEY,
    publication_id TEXT NOT NULL REFERENCES publications(id),
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL,
    posted_at INTEGER NOT NULL,
    place TEXT NOT NULL,
    lat REAL,
    lon REAL,
    photo_key TEXT NOT NULL,
    photo_digest TEXT NOT NULL,
    photo_size INTEGER NOT NULL,
    photo_width INTEGER NOT NULL,
    photo_height INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    removed_at INTEGER,
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
    year INTEGER NOT NULL,
    status TEXT NOT NULL,
    evaluators INTEGER NOT NULL,
    ballots INTEGER NOT NULL DEFAULT 0,
    valid INTEGER,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    closed_at INTEGER
);
CREATE UNIQUE INDEX appraisals_village_year ON appraisals(area_code, year);

CREATE TABLE appraisal_subjects (
    appraisal_id TEXT NOT NULL REFERENCES appraisals(id),
    person_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    name TEXT NOT NULL,
    post TEXT NOT NULL,
    excellent INTEGER NOT NULL DEFAULT 0,
    competent INTEGER NOT NULL DEFAULT 0,
    basic INTEGER NOT NULL DEFAULT 0,
    incompetent INTEGER NOT NULL DEFAULT 0,
    verdict TEXT,
    terminates INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (appraisal_id, person_id)
);

CREATE TABLE appraisal_evaluators (
    appraisal_id TEXT NOT NULL REFERENCES appraisals(id),
    person_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    name TEXT NOT NULL,
    voted_at INTEGER,
    PRIMARY KEY (appraisal_id, person_id)
);
