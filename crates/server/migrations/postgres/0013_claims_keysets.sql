-- The claims report's keyset walks (issue 11). Every report filter but
-- status, text and dates names a set of licenses (product, account, the
-- token's org subtree, the license itself), so a page is either a merge of
-- ordered walks of (license_id, status, sort key, id), one per license and
-- status, or, for a large set, a walk of (status, sort key, id) that checks
-- license_id (and assigned_at, for the date filters) from the index entry.
-- One index pair per sort: assigned_at, claimed_at (unclaimed seats sort as
-- the epoch: the expression is the report's, word for word) and name.
--
-- seats.name_key: the name sort key of the seat's user,
-- LOWER(family_name || ' ' || given_name), copied onto the seat so a
-- license's seats can be walked in name order. Kept true by the triggers
-- below for every writer: an insert that leaves it NULL gets it filled
-- (BEFORE INSERT, COPY included), and renaming a user rewrites the keys of
-- the user's seats. Bulk loaders (store::demo, a COPY loader) may write it
-- themselves to skip the per-row lookup; it must equal that expression.
ALTER TABLE seats ADD COLUMN name_key TEXT;
UPDATE seats s SET name_key = LOWER(u.family_name || ' ' || u.given_name)
    FROM users u WHERE u.id = s.user_id;

CREATE FUNCTION seats_fill_name_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT LOWER(family_name || ' ' || given_name) INTO NEW.name_key
        FROM users WHERE id = NEW.user_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER seats_name_key_insert BEFORE INSERT ON seats FOR EACH ROW
    WHEN (NEW.name_key IS NULL) EXECUTE FUNCTION seats_fill_name_key();

CREATE FUNCTION users_rename_name_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE seats SET name_key = LOWER(NEW.family_name || ' ' || NEW.given_name)
        WHERE user_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_name_key_rename AFTER UPDATE OF given_name, family_name ON users
    FOR EACH ROW
    WHEN (NEW.given_name IS DISTINCT FROM OLD.given_name
          OR NEW.family_name IS DISTINCT FROM OLD.family_name)
    EXECUTE FUNCTION users_rename_name_key();

CREATE INDEX seats_claims_license_assigned ON seats(license_id, status, assigned_at, id);
CREATE INDEX seats_claims_license_claimed
    ON seats(license_id, status, COALESCE(claimed_at, TIMESTAMPTZ 'epoch'), id) INCLUDE (assigned_at);
CREATE INDEX seats_claims_license_name
    ON seats(license_id, status, name_key, id) INCLUDE (assigned_at);
-- Replaced by seats_claims_assigned, which carries the license too.
DROP INDEX seats_status_assigned;
CREATE INDEX seats_claims_assigned ON seats(status, assigned_at, id) INCLUDE (license_id);
CREATE INDEX seats_claims_claimed
    ON seats(status, COALESCE(claimed_at, TIMESTAMPTZ 'epoch'), id) INCLUDE (license_id, assigned_at);
CREATE INDEX seats_claims_name ON seats(status, name_key, id) INCLUDE (license_id, assigned_at);

-- The report's text filter (`q`, a substring of "given family" or of the
-- email, case-insensitive) starts from the users it matches when they are
-- few: trigram indexes on those two expressions find them. pg_trgm ships
-- with PostgreSQL (contrib) and is a trusted extension; where it cannot be
-- created the report still works, scanning users instead.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX users_name_trgm ON users
        USING gin (LOWER(given_name || ' ' || family_name) gin_trgm_ops);
    CREATE INDEX users_email_trgm ON users USING gin (LOWER(email) gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%): the claims text filter scans users', SQLERRM;
END
$$;
