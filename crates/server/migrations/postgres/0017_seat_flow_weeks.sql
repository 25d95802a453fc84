-- Seat flow per license and week (issue 15, pool forecasts).
--
-- license_flow_weeks: seats of a license taken per week (by `assigned_at`)
--   and freed per week (expired or revoked: at revoked_at for a revoked
--   seat, expired_at for an expired one, the other, then assigned_at, when
--   that is missing); weeks as seat_week (0014). `taken - freed` is the
--   week's change of `seats_consumed`, which is what fills a pool: pending
--   assignments hold seats as claimed ones do. A function of the seat rows
--   as they are now (a restored seat no longer counts as freed), kept by
--   statement-level triggers in the same transaction like the counters of
--   0014; store::counters::{pause, rebuild} cover them too.

CREATE TABLE license_flow_weeks (
    license_id BIGINT NOT NULL REFERENCES licenses(id),
    week BIGINT NOT NULL,
    taken BIGINT NOT NULL,
    freed BIGINT NOT NULL,
    PRIMARY KEY (license_id, week)
);

CREATE TYPE seat_flow AS (
    license_id BIGINT,
    week BIGINT,
    taken BIGINT,
    freed BIGINT
);

-- One seat row's flows, counted `sign` (+1 new, -1 old).
CREATE FUNCTION seat_flows(
    license BIGINT, status TEXT, assigned timestamptz, expired timestamptz,
    revoked timestamptz, sign BIGINT
) RETURNS SETOF seat_flow
    LANGUAGE sql IMMUTABLE AS
$$
    SELECT license, seat_week(assigned), sign, 0::bigint
    UNION ALL
    SELECT license,
        seat_week(CASE WHEN status = 'revoked' THEN COALESCE(revoked, expired, assigned)
            ELSE COALESCE(expired, revoked, assigned) END),
        0::bigint, sign
    WHERE status IN ('expired', 'revoked')
$$;

CREATE FUNCTION seat_flow_apply(d seat_flow[]) RETURNS void
    LANGUAGE plpgsql AS
$$
BEGIN
    IF cardinality(d) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO license_flow_weeks AS w (license_id, week, taken, freed)
        SELECT x.license_id, x.week, SUM(x.taken), SUM(x.freed) FROM unnest(d) x
        GROUP BY x.license_id, x.week HAVING SUM(x.taken) <> 0 OR SUM(x.freed) <> 0
        ORDER BY 1, 2
    ON CONFLICT (license_id, week) DO UPDATE
        SET taken = w.taken + EXCLUDED.taken, freed = w.freed + EXCLUDED.freed;
END
$$;

CREATE FUNCTION seats_flow_insert() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM seat_flow_apply(ARRAY(
        SELECT ROW(f.license_id, f.week, f.taken, f.freed)::seat_flow
        FROM new_rows n
        CROSS JOIN LATERAL seat_flows(n.license_id, n.status, n.assigned_at, n.expired_at, n.revoked_at, 1) f));
    RETURN NULL;
END
$$;

CREATE FUNCTION seats_flow_delete() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM seat_flow_apply(ARRAY(
        SELECT ROW(f.license_id, f.week, f.taken, f.freed)::seat_flow
        FROM old_rows o
        CROSS JOIN LATERAL seat_flows(o.license_id, o.status, o.assigned_at, o.expired_at, o.revoked_at, -1) f));
    RETURN NULL;
END
$$;

-- Only rows whose counted columns changed count.
CREATE FUNCTION seats_flow_update() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM seat_flow_apply(ARRAY(
        SELECT ROW(f.license_id, f.week, f.taken, f.freed)::seat_flow
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (
            SELECT * FROM seat_flows(o.license_id, o.status, o.assigned_at, o.expired_at, o.revoked_at, -1)
            UNION ALL
            SELECT * FROM seat_flows(n.license_id, n.status, n.assigned_at, n.expired_at, n.revoked_at, 1)
        ) f
        WHERE (o.license_id, o.status, o.assigned_at, o.expired_at, o.revoked_at)
            IS DISTINCT FROM (n.license_id, n.status, n.assigned_at, n.expired_at, n.revoked_at)));
    RETURN NULL;
END
$$;

CREATE TRIGGER seats_flow_insert AFTER INSERT ON seats
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION seats_flow_insert();
CREATE TRIGGER seats_flow_update AFTER UPDATE ON seats
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION seats_flow_update();
CREATE TRIGGER seats_flow_delete AFTER DELETE ON seats
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION seats_flow_delete();

-- The flows of the seats already stored.
INSERT INTO license_flow_weeks (license_id, week, taken, freed)
    SELECT f.license_id, f.week, SUM(f.taken), SUM(f.freed)
    FROM seats s
    CROSS JOIN LATERAL seat_flows(s.license_id, s.status, s.assigned_at, s.expired_at, s.revoked_at, 1) f
    GROUP BY f.license_id, f.week;
