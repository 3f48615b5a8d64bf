-- 一事一议 levy plans (domain-spec §4): county settings, plans, exemptions, the household
-- roll, collection records and award-subsidy applications.
-- Money is integer cents; timestamps are UTC milliseconds since the epoch (BIGINT);
-- booleans are BIGINT 0/1 (PostgreSQL twin of the SQLite file). `matter_id` refers to a deliberation matter owned by another
-- module and carries no foreign key.

CREATE TABLE levy_settings (
    county_code TEXT PRIMARY KEY,
    cap_cents_per_person BIGINT NOT NULL,
    cap_workdays_per_labourer BIGINT NOT NULL,
    male_min_age BIGINT NOT NULL,
    male_max_age BIGINT NOT NULL,
    female_min_age BIGINT NOT NULL,
    female_max_age BIGINT NOT NULL,
    workday_price_cents BIGINT NOT NULL,
    subsidy_numerator BIGINT NOT NULL,
    subsidy_denominator BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE levy_plans (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas(code),
    matter_id TEXT,
    title TEXT NOT NULL,
    project_kind TEXT NOT NULL,
    year BIGINT NOT NULL,
    budget_cents BIGINT NOT NULL,
    per_person_cents BIGINT NOT NULL,
    workdays_per_labourer BIGINT NOT NULL,
    workday_price_cents BIGINT NOT NULL,
    reference_date TEXT NOT NULL,
    status TEXT NOT NULL,
    resolution_matter_id TEXT,
    resolution_passed BIGINT,
    resolved_at BIGINT,
    persons_liable BIGINT NOT NULL DEFAULT 0,
    labourers_liable BIGINT NOT NULL DEFAULT 0,
    amount_cents BIGINT NOT NULL DEFAULT 0,
    workdays BIGINT NOT NULL DEFAULT 0,
    subsidy_received_cents BIGINT NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT
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
    created_at BIGINT NOT NULL
);
CREATE INDEX levy_exemptions_plan ON levy_exemptions(plan_id);

CREATE TABLE levy_households (
    plan_id TEXT NOT NULL REFERENCES levy_plans(id),
    household_id TEXT NOT NULL REFERENCES households(id),
    county_code TEXT NOT NULL,
    number TEXT NOT NULL,
    head_name TEXT NOT NULL,
    persons_liable BIGINT NOT NULL,
    labourers_liable BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    workdays BIGINT NOT NULL,
    cash_for_labour_days BIGINT NOT NULL DEFAULT 0,
    cash_for_labour_cents BIGINT NOT NULL DEFAULT 0,
    paid_cents BIGINT NOT NULL DEFAULT 0,
    worked_days BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (plan_id, household_id)
);

CREATE TABLE levy_payments (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES levy_plans(id),
    household_id TEXT NOT NULL REFERENCES households(id),
    county_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    cents BIGINT NOT NULL,
    days BIGINT NOT NULL,
    recorded_by TEXT,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX levy_payments_plan ON levy_payments(plan_id, household_id);

CREATE TABLE levy_subsidies (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES levy_plans(id),
    county_code TEXT NOT NULL,
    status TEXT NOT NULL,
    base_cents BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    ratio_numerator BIGINT NOT NULL,
    ratio_denominator BIGINT NOT NULL,
    applied_by TEXT,
    applied_at BIGINT NOT NULL,
    township_by TEXT,
    township_at BIGINT,
    county_by TEXT,
    county_at BIGINT,
    paid_by TEXT,
    paid_at BIGINT,
    reject_reason TEXT,
    rejected_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX levy_subsidies_plan ON levy_subsidies(plan_id);
