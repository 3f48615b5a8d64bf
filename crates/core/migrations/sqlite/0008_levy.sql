-- 一事一议 levy plans (domain-spec §4): county settings, plans, exemptions, the household
-- roll, collection records and award-subsidy applications.
-- Money is integer cents; timestamps are UTC milliseconds since the epoch (INTEGER);
-- booleans are INTEGER 0/1. `matter_id` refers to a deliberation matter owned by another
-- module and carries no foreign key.

CREATE TABLE levy_settings (
    county_code TEXT PRIMARY KEY,
    cap_cents_per_person INTEGER NOT NULL,
    cap_workdays_per_labourer INTEGER NOT NULL,
    male_min_age INTEGER NOT NULL,
    male_max_age INTEGER NOT NULL,
    female_min_age INTEGER NOT NULL,
    female_max_age INTEGER NOT NULL,
    workday_price_cents INTEGER NOT NULL,
    subsidy_numerator INTEGER NOT NULL,
    subsidy_denominator INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE levy_plans (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    matter_id TEXT,
    title TEXT NOT NULL,
    project_kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    budget_cents INTEGER NOT NULL,
    per_person_cents INTEGER NOT NULL,
    workdays_per_labourer INTEGER NOT NULL,
    workday_price_cents INTEGER NOT NULL,
    reference_date TEXT NOT NULL,
    status TEXT NOT NULL,
    resolution_matter_id TEXT,
    resolution_passed INTEGER,
    resolved_at INTEGER,
    persons_liable INTEGER NOT NULL DEFAULT 0,
    labourers_liable INTEGER NOT NULL DEFAULT 0,
    amount_cents INTEGER NOT NULL DEFAULT 0,
    workdays INTEGER NOT NULL DEFAULT 0,
    subsidy_received_cents INTEGER NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER
);
CREATE INDEX levy_plans_area ON levy_plans(area_code, year);

CREATE TABLE levy_exemptions (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES levy_plans(id),
    county_code TEXT NOT NULL,
    household_id TEXT NOT NULL REFERENCES households(id),
    person_id TEXT REFERENCES persons(id),
    kind TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX levy_exemptions_plan ON levy_exemptions(plan_id);

CREATE TABLE levy_households (
    plan_id TEXT NOT NULL REFERENCES levy_plans(id),
    household_id TEXT NOT NULL REFERENCES households(id),
    county_code TEXT NOT NULL,
    number TEXT NOT NULL,
    head_name TEXT NOT NULL,
    persons_liable INTEGER NOT NULL,
    labourers_liable INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    workdays INTEGER NOT NULL,
    cash_for_labour_days INTEGER NOT NULL DEFAULT 0,
    cash_for_labour_cents INTEGER NOT NULL DEFAULT 0,
    paid_cents INTEGER NOT NULL DEFAULT 0,
    worked_days INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (plan_id, household_id)
);

CREATE TABLE levy_payments (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES levy_plans(id),
    household_id TEXT NOT NULL REFERENCES households(id),
    county_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    cents INTEGER NOT NULL,
    days INTEGER NOT NULL,
    recorded_by TEXT,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX levy_payments_plan ON levy_payments(plan_id, household_id);

CREATE TABLE levy_subsidies (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES levy_plans(id),
    county_code TEXT NOT NULL,
    status TEXT NOT NULL,
    base_cents INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    ratio_numerator INTEGER NOT NULL,
    ratio_denominator INTEGER NOT NULL,
    applied_by TEXT,
    applied_at INTEGER NOT NULL,
    township_by TEXT,
    township_at INTEGER,
    county_by TEXT,
    county_at INTEGER,
    paid_by TEXT,
    paid_at INTEGER,
    reject_reason TEXT,
    rejected_at INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX levy_subsidies_plan ON levy_subsidies(plan_id);
