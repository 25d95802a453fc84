-- Whole-tree Learn/Observe users (issue 11): the dashboard's "Learn users",
-- "Observe users" and "Combined" of the whole tree, kept beside
-- module_holders by the same trigger function, so the default dashboard
-- reads 16 rows instead of the seats of every user holding two or more
-- Learn/Observe seats (about a million seat rows at 10M claims). Narrower
-- views (a subtree, account or product) still read their holders' seats.
--
-- module_user_totals: users with a live Learn seat, a live Observe seat,
--   and both, as deltas spread over 16 shard rows picked by the writing
--   backend, so concurrent writers of different licenses do not queue on
--   one row; the figure is the sum of the shards.

CREATE TABLE module_user_totals (
    shard INTEGER PRIMARY KEY,
    learn BIGINT NOT NULL,
    observe BIGINT NOT NULL,
    combined BIGINT NOT NULL
);

CREATE OR REPLACE FUNCTION seat_counters_apply(d seat_delta[]) RETURNS void
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
    -- The module holders, then the whole tree's distinct-user totals from
    -- the holders that crossed zero: each holder's value before this
    -- statement is its value after less this statement's delta (read under
    -- the row lock the upsert took, so concurrent writers add up).
    WITH delta AS (
        SELECT x.user_id,
            SUM(CASE WHEN p.module = 'learn' THEN x.sign ELSE 0 END) AS learn,
            SUM(CASE WHEN p.module = 'observe' THEN x.sign ELSE 0 END) AS observe
        FROM unnest(d) x
        JOIN licenses l ON l.id = x.license_id
        JOIN products p ON p.id = l.product_id
        WHERE x.status IN ('pending', 'active') AND p.module IN ('learn', 'observe')
        GROUP BY x.user_id
        HAVING SUM(CASE WHEN p.module = 'learn' THEN x.sign ELSE 0 END) <> 0
            OR SUM(CASE WHEN p.module = 'observe' THEN x.sign ELSE 0 END) <> 0
    ), up AS (
        INSERT INTO module_holders AS h (user_id, learn, observe)
            SELECT user_id, learn, observe FROM delta ORDER BY 1
        ON CONFLICT (user_id) DO UPDATE
            SET learn = h.learn + EXCLUDED.learn, observe = h.observe + EXCLUDED.observe
        RETURNING h.user_id, h.learn, h.observe
    ), moved AS (
        SELECT
            SUM((up.learn > 0)::int - (up.learn - delta.learn > 0)::int) AS learn,
            SUM((up.observe > 0)::int - (up.observe - delta.observe > 0)::int) AS observe,
            SUM((up.learn > 0 AND up.observe > 0)::int
                - (up.learn - delta.learn > 0 AND up.observe - delta.observe > 0)::int) AS combined
        FROM up JOIN delta ON delta.user_id = up.user_id
    )
    INSERT INTO module_user_totals AS t (shard, learn, observe, combined)
        SELECT pg_backend_pid() % 16, learn, observe, combined FROM moved
        WHERE learn <> 0 OR observe <> 0 OR combined <> 0
    ON CONFLICT (shard) DO UPDATE SET learn = t.learn + EXCLUDED.learn,
        observe = t.observe + EXCLUDED.observe, combined = t.combined + EXCLUDED.combined;
END
$$;


INSERT INTO module_user_totals (shard, learn, observe, combined)
    SELECT 0,
        COUNT(*) FILTER (WHERE learn > 0),
        COUNT(*) FILTER (WHERE observe > 0),
        COUNT(*) FILTER (WHERE learn > 0 AND observe > 0)
    FROM module_holders;
