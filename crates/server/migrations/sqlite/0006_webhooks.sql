-- Webhook endpoints and their deliveries. Each webhook keeps its own
-- position in the audit feed (last_seq); replicas advance it with a
-- conditional UPDATE, so an event fans out once however many servers run.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT NOT NULL,
    url TEXT NOT NULL,
    -- Comma-separated action names or prefixes ('seat', 'seat.revoke', '*').
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    last_seq BIGINT NOT NULL,
    last_status TEXT,
    last_delivery_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhooks_org_path ON webhooks(org_path);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
    seq BIGINT NOT NULL,
    action TEXT NOT NULL,
    -- pending, delivered, failed
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_status_code BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT,
    UNIQUE (webhook_id, seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
