-- Seat flow per license and week (issue 15, pool forecasts): seats taken
-- (by the week of `assigned_at`) and seats freed (expired or revoked, by
-- the week that happened), so `taken - freed` is the week's change of
-- `seats_consumed` and a forecast reads a few counter rows, never a seat.
-- The same table and meaning as ../postgres/0017. Like the counters of
-- 0014 it is a function of the seat rows as they are now (a restored seat
-- no longer counts as freed), kept by triggers in the same transaction;
-- store::counters::rebuild recomputes it.
--
-- A seat is freed when its status is expired or revoked, at revoked_at for
-- a revoked seat and expired_at for an expired one (the other, then
-- assigned_at, when that is missing).

CREATE TABLE license_flow_weeks (
    license_id BIGINT NOT NULL REFERENCES licenses(id),
    week BIGINT NOT NULL,
    taken BIGINT NOT NULL,
    freed BIGINT NOT NULL,
    PRIMARY KEY (license_id, week)
);

CREATE TRIGGER seats_flow_insert AFTER INSERT ON seats
BEGIN
    INSERT INTO license_flow_weeks (license_id, week, taken, freed)
        SELECT NEW.license_id, (NEW.assigned_at + 259200000) / 604800000, 1, 0 WHERE true
    ON CONFLICT (license_id, week) DO UPDATE SET taken = taken + 1;
    INSERT INTO license_flow_weeks (license_id, week, taken, freed)
        SELECT NEW.license_id,
            (CASE WHEN NEW.status = 'revoked'
                THEN COALESCE(NEW.revoked_at, NEW.expired_at, NEW.assigned_at)
                ELSE COALESCE(NEW.expired_at, NEW.revoked_at, NEW.assigned_at) END
             + 259200000) / 604800000, 0, 1
        WHERE NEW.status IN ('expired', 'revoked')
    ON CONFLICT (license_id, week) DO UPDATE SET freed = freed + 1;
END;

CREATE TRIGGER seats_flow_delete AFTER DELETE ON seats
BEGIN
    UPDATE license_flow_weeks SET taken = taken - 1
        WHERE license_id = OLD.license_id
            AND week = (OLD.assigned_at + 259200000) / 604800000;
    UPDATE license_flow_weeks SET freed = freed - 1
        WHERE OLD.status IN ('expired', 'revoked') AND license_id = OLD.license_id
            AND week = (CASE WHEN OLD.status = 'revoked'
                THEN COALESCE(OLD.revoked_at, OLD.expired_at, OLD.assigned_at)
                ELSE COALESCE(OLD.expired_at, OLD.revoked_at, OLD.assigned_at) END
             + 259200000) / 604800000;
END;

CREATE TRIGGER seats_flow_update
AFTER UPDATE OF license_id, status, assigned_at, expired_at, revoked_at ON seats
WHEN OLD.license_id IS NOT NEW.license_id OR OLD.status IS NOT NEW.status
    OR OLD.assigned_at IS NOT NEW.assigned_at OR OLD.expired_at IS NOT NEW.expired_at
    OR OLD.revoked_at IS NOT NEW.revoked_at
BEGIN
    UPDATE license_flow_weeks SET taken = taken - 1
        WHERE license_id = OLD.license_id
            AND week = (OLD.assigned_at + 259200000) / 604800000;
    UPDATE license_flow_weeks SET freed = freed - 1
        WHERE OLD.status IN ('expired', 'revoked') AND license_id = OLD.license_id
            AND week = (CASE WHEN OLD.status = 'revoked'
                THEN COALESCE(OLD.revoked_at, OLD.expired_at, OLD.assigned_at)
                ELSE COALESCE(OLD.expired_at, OLD.revoked_at, OLD.assigned_at) END
             + 259200000) / 604800000;
    INSERT INTO license_flow_weeks (license_id, week, taken, freed)
        SELECT NEW.license_id, (NEW.assigned_at + 259200000) / 604800000, 1, 0 WHERE true
    ON CONFLICT (license_id, week) DO UPDATE SET taken = taken + 1;
    INSERT INTO license_flow_weeks (license_id, week, taken, freed)
        SELECT NEW.license_id,
            (CASE WHEN NEW.status = 'revoked'
                THEN COALESCE(NEW.revoked_at, NEW.expired_at, NEW.assigned_at)
                ELSE COALESCE(NEW.expired_at, NEW.revoked_at, NEW.assigned_at) END
             + 259200000) / 604800000, 0, 1
        WHERE NEW.status IN ('expired', 'revoked')
    ON CONFLICT (license_id, week) DO UPDATE SET freed = freed + 1;
END;

-- The flows of the seats already stored.
INSERT INTO license_flow_weeks (license_id, week, taken, freed)
    SELECT license_id, week, SUM(taken), SUM(freed) FROM (
        SELECT license_id, (assigned_at + 259200000) / 604800000 AS week, 1 AS taken, 0 AS freed
        FROM seats
        UNION ALL
        SELECT license_id,
            (CASE WHEN status = 'revoked' THEN COALESCE(revoked_at, expired_at, assigned_at)
                ELSE COALESCE(expired_at, revoked_at, assigned_at) END
             + 259200000) / 604800000, 0, 1
        FROM seats WHERE status IN ('expired', 'revoked')
    ) f GROUP BY license_id, week;
