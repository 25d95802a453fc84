-- Seat counters (issue 11): what the dashboard and the discrepancy report
-- used to count over every seat row, kept by triggers in the same
-- transaction as the change, whichever statement makes it. The same tables
-- and meaning as ../postgres/0014 (which says what each counts); SQLite
-- triggers are per row, and cheap, as SQLite runs them in-process.
-- store::counters::rebuild recomputes all of them from the seat rows.

ALTER TABLE licenses ADD COLUMN seats_pending BIGINT NOT NULL DEFAULT 0;
ALTER TABLE licenses ADD COLUMN seats_active BIGINT NOT NULL DEFAULT 0;
ALTER TABLE licenses ADD COLUMN seats_expired BIGINT NOT NULL DEFAULT 0;
ALTER TABLE licenses ADD COLUMN seats_revoked BIGINT NOT NULL DEFAULT 0;

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

CREATE TRIGGER seats_counters_insert AFTER INSERT ON seats
BEGIN
    UPDATE licenses SET
        seats_pending = seats_pending + (NEW.status = 'pending'),
        seats_active = seats_active + (NEW.status = 'active'),
        seats_expired = seats_expired + (NEW.status = 'expired'),
        seats_revoked = seats_revoked + (NEW.status = 'revoked')
    WHERE id = NEW.license_id;
    INSERT INTO license_claim_weeks (license_id, week, claims)
        SELECT NEW.license_id, (NEW.claimed_at + 259200000) / 604800000, 1
        WHERE NEW.claimed_at IS NOT NULL
    ON CONFLICT (license_id, week) DO UPDATE SET claims = claims + 1;
    INSERT INTO product_holders (user_id, product_id, seats)
        SELECT NEW.user_id, l.product_id, 1 FROM licenses l
        WHERE l.id = NEW.license_id AND NEW.status IN ('pending', 'active')
    ON CONFLICT (user_id, product_id) DO UPDATE SET seats = seats + 1;
    INSERT INTO module_holders (user_id, learn, observe)
        SELECT NEW.user_id, p.module = 'learn', p.module = 'observe'
        FROM licenses l JOIN products p ON p.id = l.product_id
        WHERE l.id = NEW.license_id AND NEW.status IN ('pending', 'active')
            AND p.module IN ('learn', 'observe')
    ON CONFLICT (user_id) DO UPDATE
        SET learn = learn + excluded.learn, observe = observe + excluded.observe;
END;

CREATE TRIGGER seats_counters_delete AFTER DELETE ON seats
BEGIN
    UPDATE licenses SET
        seats_pending = seats_pending - (OLD.status = 'pending'),
        seats_active = seats_active - (OLD.status = 'active'),
        seats_expired = seats_expired - (OLD.status = 'expired'),
        seats_revoked = seats_revoked - (OLD.status = 'revoked')
    WHERE id = OLD.license_id;
    UPDATE license_claim_weeks SET claims = claims - 1
        WHERE OLD.claimed_at IS NOT NULL AND license_id = OLD.license_id
            AND week = (OLD.claimed_at + 259200000) / 604800000;
    UPDATE product_holders SET seats = seats - 1
        WHERE OLD.status IN ('pending', 'active') AND user_id = OLD.user_id
            AND product_id = (SELECT product_id FROM licenses WHERE id = OLD.license_id);
    UPDATE module_holders SET
        learn = learn - (SELECT p.module = 'learn' FROM licenses l JOIN products p ON p.id = l.product_id WHERE l.id = OLD.license_id),
        observe = observe - (SELECT p.module = 'observe' FROM licenses l JOIN products p ON p.id = l.product_id WHERE l.id = OLD.license_id)
        WHERE OLD.status IN ('pending', 'active') AND user_id = OLD.user_id;
END;

-- An update counts as the old row leaving and the new row arriving, only
-- when a counted column changed.
CREATE TRIGGER seats_counters_update AFTER UPDATE OF license_id, user_id, status, claimed_at ON seats
WHEN OLD.license_id IS NOT NEW.license_id OR OLD.user_id IS NOT NEW.user_id
    OR OLD.status IS NOT NEW.status OR OLD.claimed_at IS NOT NEW.claimed_at
BEGIN
    UPDATE licenses SET
        seats_pending = seats_pending - (OLD.status = 'pending'),
        seats_active = seats_active - (OLD.status = 'active'),
        seats_expired = seats_expired - (OLD.status = 'expired'),
        seats_revoked = seats_revoked - (OLD.status = 'revoked')
    WHERE id = OLD.license_id;
    UPDATE licenses SET
        seats_pending = seats_pending + (NEW.status = 'pending'),
        seats_active = seats_active + (NEW.status = 'active'),
        seats_expired = seats_expired + (NEW.status = 'expired'),
        seats_revoked = seats_revoked + (NEW.status = 'revoked')
    WHERE id = NEW.license_id;
    UPDATE license_claim_weeks SET claims = claims - 1
        WHERE OLD.claimed_at IS NOT NULL AND license_id = OLD.license_id
            AND week = (OLD.claimed_at + 259200000) / 604800000;
    INSERT INTO license_claim_weeks (license_id, week, claims)
        SELECT NEW.license_id, (NEW.claimed_at + 259200000) / 604800000, 1
        WHERE NEW.claimed_at IS NOT NULL
    ON CONFLICT (license_id, week) DO UPDATE SET claims = claims + 1;
    UPDATE product_holders SET seats = seats - 1
        WHERE OLD.status IN ('pending', 'active') AND user_id = OLD.user_id
            AND product_id = (SELECT product_id FROM licenses WHERE id = OLD.license_id);
    INSERT INTO product_holders (user_id, product_id, seats)
        SELECT NEW.user_id, l.product_id, 1 FROM licenses l
        WHERE l.id = NEW.license_id AND NEW.status IN ('pending', 'active')
    ON CONFLICT (user_id, product_id) DO UPDATE SET seats = seats + 1;
    UPDATE module_holders SET
        learn = learn - (SELECT p.module = 'learn' FROM licenses l JOIN products p ON p.id = l.product_id WHERE l.id = OLD.license_id),
        observe = observe - (SELECT p.module = 'observe' FROM licenses l JOIN products p ON p.id = l.product_id WHERE l.id = OLD.license_id)
        WHERE OLD.status IN ('pending', 'active') AND user_id = OLD.user_id;
    INSERT INTO module_holders (user_id, learn, observe)
        SELECT NEW.user_id, p.module = 'learn', p.module = 'observe'
        FROM licenses l JOIN products p ON p.id = l.product_id
        WHERE l.id = NEW.license_id AND NEW.status IN ('pending', 'active')
            AND p.module IN ('learn', 'observe')
    ON CONFLICT (user_id) DO UPDATE
        SET learn = learn + excluded.learn, observe = observe + excluded.observe;
END;

-- The counters of the seats already stored.
UPDATE licenses SET
    seats_pending = (SELECT COUNT(*) FROM seats s WHERE s.license_id = licenses.id AND s.status = 'pending'),
    seats_active = (SELECT COUNT(*) FROM seats s WHERE s.license_id = licenses.id AND s.status = 'active'),
    seats_expired = (SELECT COUNT(*) FROM seats s WHERE s.license_id = licenses.id AND s.status = 'expired'),
    seats_revoked = (SELECT COUNT(*) FROM seats s WHERE s.license_id = licenses.id AND s.status = 'revoked');
INSERT INTO license_claim_weeks (license_id, week, claims)
    SELECT license_id, (claimed_at + 259200000) / 604800000, COUNT(*) FROM seats
    WHERE claimed_at IS NOT NULL GROUP BY 1, 2;
INSERT INTO product_holders (user_id, product_id, seats)
    SELECT s.user_id, l.product_id, COUNT(*) FROM seats s JOIN licenses l ON l.id = s.license_id
    WHERE s.status IN ('pending', 'active') GROUP BY 1, 2;
INSERT INTO module_holders (user_id, learn, observe)
    SELECT s.user_id,
        SUM(p.module = 'learn'), SUM(p.module = 'observe')
    FROM seats s JOIN licenses l ON l.id = s.license_id JOIN products p ON p.id = l.product_id
    WHERE s.status IN ('pending', 'active') AND p.module IN ('learn', 'observe')
    GROUP BY 1;
