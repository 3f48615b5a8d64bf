-- Archive packages (R-ARC-1, §16.5): one immutable ZIP per finished village matter, kept in
-- the blob store under `blob_key`; `digest` is the SM3 of the ZIP, checked on every read.
-- Timestamps are UTC milliseconds since the epoch (BIGINT).

CREATE TABLE archive_packages (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    area_code TEXT NOT NULL,
    matter_id TEXT NOT NULL UNIQUE REFERENCES matters(id),
    blob_key TEXT NOT NULL,
    digest TEXT NOT NULL,
    size BIGINT NOT NULL,
    manifest_digest TEXT NOT NULL,
    classification TEXT NOT NULL,
    retention TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX archive_packages_area ON archive_packages(area_code, created_at);

-- The county's classification code and retention class per matter type (村级档案管理办法
-- and the county's 归档范围和保管期限表); a type without a row takes the defaults in code.
CREATE TABLE archive_classes (
    county_code TEXT NOT NULL,
    type_code TEXT NOT NULL,
    classification TEXT NOT NULL,
    retention TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (county_code, type_code)
);
