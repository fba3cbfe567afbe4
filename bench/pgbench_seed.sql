-- Seeds ceiling B of bench/run: :n sessions, each with one refresh token
-- whose id is n and whose hash is n padded to 64 digits, so that pgbench
-- (which has only numbers) can name any of them. The session id is
-- md5(n) read as a UUID. Uses the real tables, indexes and constraints.
INSERT INTO users (email, password_hash, display_name, created_at, password_changed_at)
VALUES ('pgbench@tether.invalid', '-', 'pgbench', now(), now())
ON CONFLICT DO NOTHING;

INSERT INTO sessions (id, user_id, created_at, last_active_at, idle_timeout_s,
	absolute_expires_at, remember_me, device_id)
SELECT md5(g::text)::uuid, u.id, now(), now(), 0, now() + interval '20 days', true, 'pgbench'
FROM generate_series(1, :n) g, users u WHERE u.email = 'pgbench@tether.invalid';

INSERT INTO refresh_tokens (id, session_id, token_hash, issued_at, expires_at,
	access_jti, access_expires_at) OVERRIDING SYSTEM VALUE
SELECT 1000000000 + g, md5(g::text)::uuid, lpad(g::text, 64, '0'), now(),
	now() + interval '20 days', 'pgbench-' || g, now() + interval '15 minutes'
FROM generate_series(1, :n) g;

ANALYZE;
