-- seatdesk schema (SQLite). Kept column-for-column with ../postgres.
-- Timestamps are unix milliseconds (BIGINT); dates are 'YYYY-MM-DD' text;
-- flags are 0/1 BIGINT, so one query layer reads both backends alike.

CREATE TABLE orgs (
    id INTEGER PRIMARY KEY,
    parent_id BIGINT REFERENCES orgs(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX orgs_parent ON orgs(parent_id);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX accounts_org ON accounts(org_id);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    family TEXT NOT NULL,
    edition TEXT NOT NULL,
    module TEXT NOT NULL,
    has_resource_codes BIGINT NOT NULL DEFAULT 0,
    training_prerequisite TEXT
);

CREATE TABLE licenses (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT NOT NULL,
    parent_license_id BIGINT REFERENCES licenses(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    order_number TEXT NOT NULL,
    purchase_order TEXT NOT NULL DEFAULT '',
    inventory_type TEXT NOT NULL,
    courses TEXT NOT NULL DEFAULT '[]',
    teacher_code TEXT,
    seats_purchased BIGINT NOT NULL,
    -- Live (pending + active) seat rows; changed in the same transaction as the rows.
    seats_consumed BIGINT NOT NULL DEFAULT 0,
    -- Seats handed down to child licenses.
    seats_allocated BIGINT NOT NULL DEFAULT 0,
    start_date TEXT NOT NULL,
    finish_date TEXT NOT NULL,
    grace_days BIGINT NOT NULL DEFAULT 0,
    -- finish_date + grace_days, kept so date filters are plain text compares.
    grace_until TEXT NOT NULL,
    status TEXT NOT NULL,
    renewal_requested BIGINT NOT NULL DEFAULT 0,
    renewed BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (seats_consumed >= 0 AND seats_allocated >= 0
           AND seats_consumed + seats_allocated <= seats_purchased)
);
CREATE INDEX licenses_account ON licenses(account_id);
CREATE INDEX licenses_org_path ON licenses(org_path);
CREATE INDEX licenses_product ON licenses(product_id);
CREATE INDEX licenses_parent ON licenses(parent_license_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- Comma-separated UserRole names.
    roles TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    -- Comma-separated names of completed trainings.
    trainings TEXT NOT NULL DEFAULT '',
    sourced_id TEXT UNIQUE,
    last_login_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX users_org_path ON users(org_path);

CREATE TABLE seats (
    id INTEGER PRIMARY KEY,
    license_id BIGINT NOT NULL REFERENCES licenses(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL,
    -- What status a revoked seat had, so a restore can put it back.
    status_before_revoke TEXT,
    students_assigned BIGINT NOT NULL DEFAULT 0,
    redemption_code TEXT UNIQUE,
    source TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    assigned_by TEXT NOT NULL,
    claimed_at BIGINT,
    expired_at BIGINT,
    revoked_at BIGINT,
    revoked_by TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX seats_license_status ON seats(license_id, status);
CREATE INDEX seats_user ON seats(user_id);
CREATE INDEX seats_assigned ON seats(assigned_at, id);
CREATE INDEX seats_status_assigned ON seats(status, assigned_at, id);
-- A user holds at most one live seat of a license.
CREATE UNIQUE INDEX seats_one_live ON seats(license_id, user_id)
    WHERE status IN ('pending', 'active');

CREATE TABLE code_batches (
    id INTEGER PRIMARY KEY,
    license_id BIGINT NOT NULL REFERENCES licenses(id),
    code_count BIGINT NOT NULL,
    users_per_code BIGINT NOT NULL,
    duration_days BIGINT NOT NULL,
    enable_benchmark BIGINT NOT NULL DEFAULT 0,
    enable_exercises BIGINT NOT NULL DEFAULT 0,
    enable_badges BIGINT NOT NULL DEFAULT 0,
    require_teacher_link BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX code_batches_license ON code_batches(license_id);

-- Every code of every kind, so uniqueness holds across the database.
CREATE TABLE codes (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    license_id BIGINT NOT NULL REFERENCES licenses(id),
    batch_id BIGINT REFERENCES code_batches(id),
    seat_id BIGINT REFERENCES seats(id),
    subject TEXT,
    max_uses BIGINT NOT NULL DEFAULT 1,
    uses BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX codes_license ON codes(license_id, kind);
CREATE INDEX codes_batch ON codes(batch_id);

-- Failed redemptions, counted per key to slow down code guessing.
CREATE TABLE redeem_failures (
    id INTEGER PRIMARY KEY,
    rate_key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX redeem_failures_key ON redeem_failures(rate_key, at);

CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    license_id BIGINT REFERENCES licenses(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT NOT NULL,
    requested_to_org_id BIGINT REFERENCES orgs(id),
    product_id BIGINT REFERENCES products(id),
    new_code BIGINT NOT NULL DEFAULT 0,
    inventory_type TEXT,
    students BIGINT,
    courses TEXT NOT NULL DEFAULT '[]',
    start_date TEXT,
    finish_date TEXT,
    purchase_order TEXT NOT NULL DEFAULT '',
    comments TEXT NOT NULL DEFAULT '',
    approval_comments TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    result_license_id BIGINT REFERENCES licenses(id)
);
CREATE INDEX requests_org_path ON requests(org_path);

CREATE TABLE role_rules (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT NOT NULL,
    role TEXT NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products(id),
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, role, product_id)
);

CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Append-only. seq comes from audit_head, whose row lock is held to commit,
-- so seq order is commit order on every backend.
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    org_path TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    request_id TEXT NOT NULL
);
CREATE INDEX audit_events_org_path ON audit_events(org_path, seq);
CREATE INDEX audit_events_target ON audit_events(target_type, target_id);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL
);
INSERT INTO audit_head (id, seq) VALUES (1, 0);

CREATE TABLE idempotency_keys (
    token_id BIGINT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status BIGINT,
    body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (token_id, idem_key)
);
