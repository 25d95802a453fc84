-- OneRoster sourcedIds of imported orgs, so a re-import finds the org it
-- created before. NULL for orgs made by hand; unique when set.
ALTER TABLE orgs ADD COLUMN sourced_id TEXT;
CREATE UNIQUE INDEX orgs_sourced_id ON orgs(sourced_id);
