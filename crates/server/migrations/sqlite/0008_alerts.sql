-- Alerts. Seats remember the code they were redeemed with, so redemptions
-- per code within a window are one indexed GROUP BY.
ALTER TABLE seats ADD COLUMN code_id BIGINT REFERENCES codes(id);
CREATE INDEX seats_code_assigned ON seats(code_id, assigned_at);

-- One row per alert raised as an audit event: (kind, target, mark) is
-- unique, so however many server replicas sweep, an alert is raised once.
-- mark names the crossing, e.g. the threshold and the finish date it is
-- counted from, so a renewed license alerts again at its new date.
CREATE TABLE alert_marks (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    mark TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    UNIQUE (kind, target_type, target_id, mark)
);
