-- The seat index by license and status also carries the user, so the
-- per-user aggregates (Learn/Observe users, duplicate assignments) read the
-- index alone instead of a million table rows.
DROP INDEX seats_license_status;
CREATE INDEX seats_license_status_user ON seats(license_id, status, user_id);
