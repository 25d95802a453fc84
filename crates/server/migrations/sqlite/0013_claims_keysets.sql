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
-- below for every writer: an insert that leaves it NULL gets it filled,
-- and renaming a user rewrites the keys of the user's seats. Bulk loaders
-- (store::demo) may write it themselves; it must equal that expression.
ALTER TABLE seats ADD COLUMN name_key TEXT;
UPDATE seats SET name_key =
    (SELECT LOWER(u.family_name || ' ' || u.given_name) FROM users u WHERE u.id = seats.user_id);

CREATE TRIGGER seats_name_key_insert AFTER INSERT ON seats
    WHEN NEW.name_key IS NULL
BEGIN
    UPDATE seats SET name_key =
        (SELECT LOWER(family_name || ' ' || given_name) FROM users WHERE id = NEW.user_id)
    WHERE id = NEW.id;
END;

CREATE TRIGGER users_name_key_rename AFTER UPDATE OF given_name, family_name ON users
    WHEN NEW.given_name IS NOT OLD.given_name OR NEW.family_name IS NOT OLD.family_name
BEGIN
    UPDATE seats SET name_key = LOWER(NEW.family_name || ' ' || NEW.given_name)
    WHERE user_id = NEW.id;
END;

CREATE INDEX seats_claims_license_assigned ON seats(license_id, status, assigned_at, id);
CREATE INDEX seats_claims_license_claimed
    ON seats(license_id, status, COALESCE(claimed_at, 0), id, assigned_at);
CREATE INDEX seats_claims_license_name ON seats(license_id, status, name_key, id, assigned_at);
-- Replaced by seats_claims_assigned, which carries the license too.
DROP INDEX seats_status_assigned;
CREATE INDEX seats_claims_assigned ON seats(status, assigned_at, id, license_id);
CREATE INDEX seats_claims_claimed
    ON seats(status, COALESCE(claimed_at, 0), id, license_id, assigned_at);
CREATE INDEX seats_claims_name ON seats(status, name_key, id, license_id, assigned_at);

-- The report's text filter (`q`, a substring of "given family" or of the
-- email, case-insensitive) starts from the users it matches when they are
-- few: users_text is a trigram index of those two texts (FTS5, SQLite only;
-- PostgreSQL has pg_trgm indexes on the same expressions). It holds no
-- data of its own worth keeping: the triggers copy it from users.
CREATE VIRTUAL TABLE users_text USING fts5(name, email, tokenize = 'trigram');
INSERT INTO users_text (rowid, name, email)
    SELECT id, given_name || ' ' || family_name, email FROM users;
CREATE TRIGGER users_text_insert AFTER INSERT ON users
BEGIN
    INSERT INTO users_text (rowid, name, email)
        VALUES (NEW.id, NEW.given_name || ' ' || NEW.family_name, NEW.email);
END;
CREATE TRIGGER users_text_update AFTER UPDATE OF given_name, family_name, email ON users
BEGIN
    UPDATE users_text SET name = NEW.given_name || ' ' || NEW.family_name, email = NEW.email
        WHERE rowid = NEW.id;
END;
CREATE TRIGGER users_text_delete AFTER DELETE ON users
BEGIN
    DELETE FROM users_text WHERE rowid = OLD.id;
END;
