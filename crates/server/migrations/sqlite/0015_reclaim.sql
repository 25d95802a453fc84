-- Reclaim policies (issue 15). The same tables and meaning as
-- ../postgres/0015 (which says what each holds), instants as unix
-- milliseconds and flags as 0/1.
CREATE TABLE reclaim_policies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT NOT NULL,
    product_id BIGINT REFERENCES products(id),
    license_id BIGINT REFERENCES licenses(id),
    rule TEXT NOT NULL,
    days BIGINT,
    interval_minutes BIGINT NOT NULL,
    paused BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    last_run_at BIGINT,
    next_run_at BIGINT,
    seats_freed BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX reclaim_policies_org_path ON reclaim_policies(org_path);
CREATE INDEX reclaim_policies_due ON reclaim_policies(next_run_at) WHERE next_run_at IS NOT NULL;

CREATE TABLE reclaim_runs (
    id INTEGER PRIMARY KEY,
    policy_id BIGINT NOT NULL REFERENCES reclaim_policies(id),
    run_trigger TEXT NOT NULL,
    actor TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    freed BIGINT NOT NULL,
    refused BIGINT NOT NULL,
    remaining BIGINT NOT NULL
);
CREATE INDEX reclaim_runs_policy ON reclaim_runs(policy_id, id);

-- Apart from seats so a report neither rewrites seat rows nor meets
-- their triggers (see ../postgres/0015).
CREATE TABLE seat_uses (
    seat_id BIGINT PRIMARY KEY REFERENCES seats(id),
    last_seen_at BIGINT NOT NULL
) WITHOUT ROWID;

ALTER TABLE users ADD COLUMN status_changed_at BIGINT;
UPDATE users SET status_changed_at = updated_at WHERE status <> 'active';
CREATE INDEX users_inactive ON users(status, id) WHERE status <> 'active';
