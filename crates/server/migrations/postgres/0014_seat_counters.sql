-- Seat counters (issue 11): what the dashboard and the discrepancy report
-- used to count over every seat row, kept by triggers in the same
-- transaction as the change, whichever statement makes it (API, demo load,
-- COPY, hand-written SQL). Statement-level triggers see all changed rows at
-- once, so a 10,000-seat UPDATE moves each counter row once.
--
-- licenses.seats_<status>: seat rows of the license per status.
-- license_claim_weeks: seats of a license claimed per week, bucketed as
--   seatdesk_core::seats::week_index ((ms + 3 days) / 7 days, Monday UTC).
-- module_holders: live (pending, active) seats a user holds of Learn and of
--   Observe products; users with two or more are the only ones a per-license
--   sum can count twice (dashboard "Learn/Observe users").
-- product_holders: live seats a user holds per product; more than one is a
--   duplicate assignment (discrepancy report).
-- store::counters::rebuild recomputes all of them from the seat rows.

ALTER TABLE licenses
    ADD COLUMN seats_pending BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN seats_active BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN seats_expired BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN seats_revoked BIGINT NOT NULL DEFAULT 0;

CREATE TABLE license_claim_weeks (
    license_id BIGINT NOT NULL REFERENCES licenses(id),
    week BIGINT NOT NULL,
    claims BIGINT NOT NULL,
    PRIMARY KEY (license_id, week)
);

CREATE TABLE module_holders (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    learn BIGINT NOT NULL,
    observe BIGINT NOT NULL
);
CREATE INDEX module_holders_shared ON module_holders(user_id) WHERE learn + observe > 1;

CREATE TABLE product_holders (
    user_id BIGINT NOT NULL REFERENCES users(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    seats BIGINT NOT NULL,
    PRIMARY KEY (user_id, product_id)
);
CREATE INDEX product_holders_duplicates ON product_holders(user_id) WHERE seats > 1;

-- One changed seat row, counted +1 (new) or -1 (old).
CREATE TYPE seat_delta AS (
    license_id BIGINT,
    user_id BIGINT,
    status TEXT,
    week BIGINT,
    sign BIGINT
);

CREATE FUNCTION seat_week(at timestamptz) RETURNS BIGINT
    LANGUAGE sql IMMUTABLE AS
$$ SELECT ((EXTRACT(EPOCH FROM at) * 1000)::bigint + 259200000) / 604800000 $$;

CREATE FUNCTION seat_counters_apply(d seat_delta[]) RETURNS void
    LANGUAGE plpgsql AS
$$
BEGIN
    IF cardinality(d) = 0 THEN
        RETURN;
    END IF;
    -- Licenses in id order, so writers touching several never wait for
    -- each other in opposite orders.
    PERFORM 1 FROM licenses
        WHERE id IN (SELECT DISTINCT x.license_id FROM unnest(d) x)
        ORDER BY id FOR NO KEY UPDATE;
    UPDATE licenses l SET
        seats_pending = l.seats_pending + c.pending,
        seats_active = l.seats_active + c.active,
        seats_expired = l.seats_expired + c.expired,
        seats_revoked = l.seats_revoked + c.revoked
    FROM (
        SELECT x.license_id,
            SUM(CASE WHEN x.status = 'pending' THEN x.sign ELSE 0 END) AS pending,
            SUM(CASE WHEN x.status = 'active' THEN x.sign ELSE 0 END) AS active,
            SUM(CASE WHEN x.status = 'expired' THEN x.sign ELSE 0 END) AS expired,
            SUM(CASE WHEN x.status = 'revoked' THEN x.sign ELSE 0 END) AS revoked
        FROM unnest(d) x GROUP BY x.license_id
    ) c
    WHERE l.id = c.license_id
        AND (c.pending <> 0 OR c.active <> 0 OR c.expired <> 0 OR c.revoked <> 0);
    INSERT INTO license_claim_weeks AS w (license_id, week, claims)
        SELECT x.license_id, x.week, SUM(x.sign) FROM unnest(d) x
        WHERE x.week IS NOT NULL
        GROUP BY x.license_id, x.week HAVING SUM(x.sign) <> 0
        ORDER BY 1, 2
    ON CONFLICT (license_id, week) DO UPDATE SET claims = w.claims + EXCLUDED.claims;
    INSERT INTO product_holders AS h (user_id, product_id, seats)
        SELECT x.user_id, l.product_id, SUM(x.sign) FROM unnest(d) x
        JOIN licenses l ON l.id = x.license_id
        WHERE x.status IN ('pending', 'active')
        GROUP BY x.user_id, l.product_id HAVING SUM(x.sign) <> 0
        ORDER BY 1, 2
    ON CONFLICT (user_id, product_id) DO UPDATE SET seats = h.seats + EXCLUDED.seats;
    INSERT INTO module_holders AS h (user_id, learn, observe)
        SELECT x.user_id,
            SUM(CASE WHEN p.module = 'learn' THEN x.sign ELSE 0 END),
            SUM(CASE WHEN p.module = 'observe' THEN x.sign ELSE 0 END)
        FROM unnest(d) x
        JOIN licenses l ON l.id = x.license_id
        JOIN products p ON p.id = l.product_id
        WHERE x.status IN ('pending', 'active') AND p.module IN ('learn', 'observe')
        GROUP BY x.user_id
        HAVING SUM(CASE WHEN p.module = 'learn' THEN x.sign ELSE 0 END) <> 0
            OR SUM(CASE WHEN p.module = 'observe' THEN x.sign ELSE 0 END) <> 0
        ORDER BY 1
    ON CONFLICT (user_id) DO UPDATE
        SET learn = h.learn + EXCLUDED.learn, observe = h.observe + EXCLUDED.observe;
END
$$;

CREATE FUNCTION seats_counters_insert() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM seat_counters_apply(ARRAY(
        SELECT ROW(n.license_id, n.user_id, n.status, seat_week(n.claimed_at), 1)::seat_delta
        FROM new_rows n));
    RETURN NULL;
END
$$;

CREATE FUNCTION seats_counters_delete() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM seat_counters_apply(ARRAY(
        SELECT ROW(o.license_id, o.user_id, o.status, seat_week(o.claimed_at), -1)::seat_delta
        FROM old_rows o));
    RETURN NULL;
END
$$;

-- Only rows whose counted columns changed count; other updates (links,
-- student counts, redemption codes) cost one join of the changed rows.
CREATE FUNCTION seats_counters_update() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM seat_counters_apply(ARRAY(
        SELECT ROW(c.license_id, c.user_id, c.status, seat_week(c.claimed_at), c.sign)::seat_delta
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES
            (o.license_id, o.user_id, o.status, o.claimed_at, -1::bigint),
            (n.license_id, n.user_id, n.status, n.claimed_at, 1::bigint)
        ) AS c(license_id, user_id, status, claimed_at, sign)
        WHERE (o.license_id, o.user_id, o.status, o.claimed_at)
            IS DISTINCT FROM (n.license_id, n.user_id, n.status, n.claimed_at)));
    RETURN NULL;
END
$$;

CREATE TRIGGER seats_counters_insert AFTER INSERT ON seats
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION seats_counters_insert();
CREATE TRIGGER seats_counters_update AFTER UPDATE ON seats
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION seats_counters_update();
CREATE TRIGGER seats_counters_delete AFTER DELETE ON seats
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION seats_counters_delete();

-- The counters of the seats already stored.
UPDATE licenses l SET
    seats_pending = c.pending, seats_active = c.active,
    seats_expired = c.expired, seats_revoked = c.revoked
FROM (
    SELECT license_id,
        COUNT(*) FILTER (WHERE status = 'pending') AS pending,
        COUNT(*) FILTER (WHERE status = 'active') AS active,
        COUNT(*) FILTER (WHERE status = 'expired') AS expired,
        COUNT(*) FILTER (WHERE status = 'revoked') AS revoked
    FROM seats GROUP BY license_id
) c WHERE l.id = c.license_id;
INSERT INTO license_claim_weeks (license_id, week, claims)
    SELECT license_id, seat_week(claimed_at), COUNT(*) FROM seats
    WHERE claimed_at IS NOT NULL GROUP BY 1, 2;
INSERT INTO product_holders (user_id, product_id, seats)
    SELECT s.user_id, l.product_id, COUNT(*) FROM seats s JOIN licenses l ON l.id = s.license_id
    WHERE s.status IN ('pending', 'active') GROUP BY 1, 2;
INSERT INTO module_holders (user_id, learn, observe)
    SELECT s.user_id,
        COUNT(*) FILTER (WHERE p.module = 'learn'), COUNT(*) FILTER (WHERE p.module = 'observe')
    FROM seats s JOIN licenses l ON l.id = s.license_id JOIN products p ON p.id = l.product_id
    WHERE s.status IN ('pending', 'active') AND p.module IN ('learn', 'observe')
    GROUP BY 1;
