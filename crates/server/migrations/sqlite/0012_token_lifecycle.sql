-- Token lifecycle: when a token stops working (NULL: never, as for tokens
-- made before this migration) and when it was last used (written at most
-- once a minute per token), as unix milliseconds like every SQLite instant.
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE tokens ADD COLUMN last_used_at BIGINT;
