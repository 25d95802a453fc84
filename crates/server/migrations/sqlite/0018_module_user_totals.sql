-- Whole-tree Learn/Observe users (issue 11): see the PostgreSQL migration.
-- One row here (SQLite has one writer at a time), kept by triggers on
-- module_holders, whose rows the seat triggers of 0014 upsert (an upsert's
-- update fires the UPDATE trigger).

CREATE TABLE module_user_totals (
    shard INTEGER PRIMARY KEY,
    learn BIGINT NOT NULL,
    observe BIGINT NOT NULL,
    combined BIGINT NOT NULL
);

INSERT INTO module_user_totals (shard, learn, observe, combined)
    SELECT 0,
        COALESCE(SUM(learn > 0), 0),
        COALESCE(SUM(observe > 0), 0),
        COALESCE(SUM(learn > 0 AND observe > 0), 0)
    FROM module_holders;

CREATE TRIGGER module_user_totals_insert AFTER INSERT ON module_holders
BEGIN
    UPDATE module_user_totals SET
        learn = learn + (NEW.learn > 0),
        observe = observe + (NEW.observe > 0),
        combined = combined + (NEW.learn > 0 AND NEW.observe > 0)
    WHERE shard = 0;
END;

CREATE TRIGGER module_user_totals_update AFTER UPDATE ON module_holders
WHEN (OLD.learn > 0) IS NOT (NEW.learn > 0) OR (OLD.observe > 0) IS NOT (NEW.observe > 0)
BEGIN
    UPDATE module_user_totals SET
        learn = learn + (NEW.learn > 0) - (OLD.learn > 0),
        observe = observe + (NEW.observe > 0) - (OLD.observe > 0),
        combined = combined + (NEW.learn > 0 AND NEW.observe > 0) - (OLD.learn > 0 AND OLD.observe > 0)
    WHERE shard = 0;
END;

CREATE TRIGGER module_user_totals_delete AFTER DELETE ON module_holders
BEGIN
    UPDATE module_user_totals SET
        learn = learn - (OLD.learn > 0),
        observe = observe - (OLD.observe > 0),
        combined = combined - (OLD.learn > 0 AND OLD.observe > 0)
    WHERE shard = 0;
END;
