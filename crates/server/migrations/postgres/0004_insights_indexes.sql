-- Indexes for the dashboard and triage reads (issue 2, points 8 and 9).
-- The weekly activation trend reads seats of the view's licenses by claim time.
CREATE INDEX seats_license_claimed ON seats(license_id, claimed_at);
-- The discrepancy report starts from archived and suspended users.
CREATE INDEX users_status ON users(status);
