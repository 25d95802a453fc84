-- PostgreSQL's own types for what 0001-0010 stored in SQLite's shapes:
-- instants become timestamptz (from unix milliseconds), calendar dates
-- become date (from ISO text), 0/1 flags become boolean and JSON documents
-- jsonb. Existing rows are converted in place. The SQLite tree keeps
-- milliseconds, ISO text and 0/1, which are SQLite's native forms.

CREATE FUNCTION pg_temp.ms_to_timestamptz(ms BIGINT) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE AS $$ SELECT to_timestamp(ms / 1000.0) $$;

ALTER TABLE orgs ALTER COLUMN created_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(created_at);
ALTER TABLE accounts ALTER COLUMN created_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(created_at);

ALTER TABLE products
    ALTER COLUMN has_resource_codes DROP DEFAULT,
    ALTER COLUMN has_resource_codes TYPE boolean USING has_resource_codes <> 0,
    ALTER COLUMN has_resource_codes SET DEFAULT false;

ALTER TABLE licenses
    ALTER COLUMN courses DROP DEFAULT,
    ALTER COLUMN courses TYPE jsonb USING courses::jsonb,
    ALTER COLUMN courses SET DEFAULT '[]'::jsonb,
    ALTER COLUMN start_date TYPE date USING start_date::date,
    ALTER COLUMN finish_date TYPE date USING finish_date::date,
    ALTER COLUMN grace_until TYPE date USING grace_until::date,
    ALTER COLUMN renewal_requested DROP DEFAULT,
    ALTER COLUMN renewal_requested TYPE boolean USING renewal_requested <> 0,
    ALTER COLUMN renewal_requested SET DEFAULT false,
    ALTER COLUMN renewed DROP DEFAULT,
    ALTER COLUMN renewed TYPE boolean USING renewed <> 0,
    ALTER COLUMN renewed SET DEFAULT false,
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(created_at),
    ALTER COLUMN updated_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(updated_at);

ALTER TABLE users
    ALTER COLUMN last_login_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(last_login_at),
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(created_at),
    ALTER COLUMN updated_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(updated_at);

ALTER TABLE seats
    ALTER COLUMN assigned_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(assigned_at),
    ALTER COLUMN claimed_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(claimed_at),
    ALTER COLUMN expired_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(expired_at),
    ALTER COLUMN revoked_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(revoked_at),
    ALTER COLUMN updated_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(updated_at);

ALTER TABLE code_batches
    ALTER COLUMN enable_benchmark DROP DEFAULT,
    ALTER COLUMN enable_benchmark TYPE boolean USING enable_benchmark <> 0,
    ALTER COLUMN enable_benchmark SET DEFAULT false,
    ALTER COLUMN enable_exercises DROP DEFAULT,
    ALTER COLUMN enable_exercises TYPE boolean USING enable_exercises <> 0,
    ALTER COLUMN enable_exercises SET DEFAULT false,
    ALTER COLUMN enable_badges DROP DEFAULT,
    ALTER COLUMN enable_badges TYPE boolean USING enable_badges <> 0,
    ALTER COLUMN enable_badges SET DEFAULT false,
    ALTER COLUMN require_teacher_link DROP DEFAULT,
    ALTER COLUMN require_teacher_link TYPE boolean USING require_teacher_link <> 0,
    ALTER COLUMN require_teacher_link SET DEFAULT false,
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(created_at);

ALTER TABLE codes
    ALTER COLUMN expires_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(expires_at),
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(created_at);

ALTER TABLE redeem_failures ALTER COLUMN at TYPE timestamptz USING pg_temp.ms_to_timestamptz(at);

ALTER TABLE requests
    ALTER COLUMN new_code DROP DEFAULT,
    ALTER COLUMN new_code TYPE boolean USING new_code <> 0,
    ALTER COLUMN new_code SET DEFAULT false,
    ALTER COLUMN courses DROP DEFAULT,
    ALTER COLUMN courses TYPE jsonb USING courses::jsonb,
    ALTER COLUMN courses SET DEFAULT '[]'::jsonb,
    ALTER COLUMN start_date TYPE date USING start_date::date,
    ALTER COLUMN finish_date TYPE date USING finish_date::date,
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(created_at),
    ALTER COLUMN decided_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(decided_at);

ALTER TABLE role_rules ALTER COLUMN created_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(created_at);

ALTER TABLE tokens
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(created_at),
    ALTER COLUMN revoked_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(revoked_at);

ALTER TABLE audit_events
    ALTER COLUMN at TYPE timestamptz USING pg_temp.ms_to_timestamptz(at),
    ALTER COLUMN before_json TYPE jsonb USING before_json::jsonb,
    ALTER COLUMN after_json TYPE jsonb USING after_json::jsonb;

ALTER TABLE idempotency_keys ALTER COLUMN created_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(created_at);

ALTER TABLE webhooks
    ALTER COLUMN active DROP DEFAULT,
    ALTER COLUMN active TYPE boolean USING active <> 0,
    ALTER COLUMN active SET DEFAULT true,
    ALTER COLUMN last_delivery_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(last_delivery_at),
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(created_at);

ALTER TABLE webhook_deliveries
    ALTER COLUMN next_attempt_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(next_attempt_at),
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(created_at),
    ALTER COLUMN delivered_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(delivered_at);

ALTER TABLE alert_marks ALTER COLUMN raised_at TYPE timestamptz USING pg_temp.ms_to_timestamptz(raised_at);
