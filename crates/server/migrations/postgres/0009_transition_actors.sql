-- Who claimed and who expired a seat, beside assigned_by and revoked_by, so
-- the claims report names the actor of every transition.
ALTER TABLE seats ADD COLUMN claimed_by TEXT;
ALTER TABLE seats ADD COLUMN expired_by TEXT;
