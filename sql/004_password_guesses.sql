-- A session ended after login_max_attempts wrong current passwords on
-- POST /password (the end reason PASSWORD_GUESSES).
ALTER TABLE sessions DROP CONSTRAINT sessions_end_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_end_reason_check CHECK (end_reason IN (
	'USER_LOGOUT', 'LOGOUT_ALL', 'REVOKED_BY_USER', 'REVOKED_BY_ADMIN',
	'PASSWORD_CHANGED', 'REFRESH_REUSED', 'USER_DISABLED', 'IDLE_TIMEOUT', 'EXPIRED',
	'PASSWORD_GUESSES'));
