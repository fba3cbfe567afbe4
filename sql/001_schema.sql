-- tether schema, version 001. Applied by `tetherctl migrate` in one
-- transaction and recorded in schema_migrations.
-- Times are timestamptz; the service passes its own clock as parameters.
-- Every table that grows has an expiry (or age) column and an index the
-- cleanup job uses.

CREATE TABLE users (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
	password_hash text NOT NULL,
	display_name text NOT NULL DEFAULT '',
	disabled boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL,
	password_changed_at timestamptz NOT NULL
);
-- Email is unique case-insensitively, as users type it either way.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE sessions (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL,
	last_active_at timestamptz NOT NULL,
	idle_timeout_s integer NOT NULL CHECK (idle_timeout_s >= 0),
	absolute_expires_at timestamptz NOT NULL,
	remember_me boolean NOT NULL,
	device_id text,
	user_agent text,
	ip text,
	ended_at timestamptz,
	end_reason text CHECK (end_reason IN ('USER_LOGOUT', 'LOGOUT_ALL',
		'REVOKED_BY_USER', 'REVOKED_BY_ADMIN', 'PASSWORD_CHANGED',
		'REFRESH_REUSED', 'USER_DISABLED', 'IDLE_TIMEOUT', 'EXPIRED')),
	-- A session ends exactly once, with both a time and a reason.
	CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE INDEX sessions_user_live_idx ON sessions (user_id, created_at)
	WHERE ended_at IS NULL;
CREATE INDEX sessions_user_ended_idx ON sessions (user_id, ended_at)
	WHERE ended_at IS NOT NULL;
-- Cleanup: live sessions past their absolute end, ended ones past retention.
CREATE INDEX sessions_live_expiry_idx ON sessions (absolute_expires_at)
	WHERE ended_at IS NULL;
CREATE INDEX sessions_ended_at_idx ON sessions (ended_at)
	WHERE ended_at IS NOT NULL;

CREATE TABLE refresh_tokens (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	-- The token this one replaced; no foreign key, so cleanup can delete
	-- old generations in any order.
	parent_id bigint,
	-- Hex SHA-256 of the token: the token itself is never stored.
	token_hash text NOT NULL UNIQUE CHECK (length(token_hash) = 64),
	issued_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	rotated_at timestamptz,
	revoked_at timestamptz,
	-- The access token issued together with this refresh token, so that a
	-- session end can blacklist every access jti that is still live.
	access_jti text NOT NULL,
	access_expires_at timestamptz NOT NULL
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

CREATE TABLE access_blacklist (
	jti text PRIMARY KEY,
	session_id uuid,
	expires_at timestamptz NOT NULL,
	created_at timestamptz NOT NULL
);
CREATE INDEX access_blacklist_expires_idx ON access_blacklist (expires_at);

-- Client-side logout reports (POST /logout-event).
CREATE TABLE logout_events (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	created_at timestamptz NOT NULL,
	user_id bigint REFERENCES users (id) ON DELETE SET NULL,
	session_id uuid,
	type text NOT NULL,
	message text NOT NULL DEFAULT '',
	idle_minutes double precision,
	location text,
	context jsonb,
	ip text,
	user_agent text
);
CREATE INDEX logout_events_created_idx ON logout_events (created_at);
CREATE INDEX logout_events_user_idx ON logout_events (user_id, created_at);

-- Server-side audit trail. Never a password, a token or a hash.
CREATE TABLE auth_events (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	created_at timestamptz NOT NULL,
	kind text NOT NULL,
	user_id bigint,
	session_id uuid,
	reason text,
	ip text,
	user_agent text
);
CREATE INDEX auth_events_created_idx ON auth_events (created_at);
CREATE INDEX auth_events_kind_idx ON auth_events (kind, created_at);

-- Failed logins, counted per email and per client address.
CREATE TABLE login_attempts (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	key text NOT NULL,
	attempted_at timestamptz NOT NULL
);
CREATE INDEX login_attempts_key_idx ON login_attempts (key, attempted_at);
CREATE INDEX login_attempts_time_idx ON login_attempts (attempted_at);
