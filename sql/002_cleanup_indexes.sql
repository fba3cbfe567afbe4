-- tether schema, version 002: indexes for the cleanup job's queries that
-- 001 did not cover (every cleanup query must use an index).
CREATE INDEX refresh_tokens_revoked_idx ON refresh_tokens (revoked_at)
	WHERE revoked_at IS NOT NULL;
