-- tether schema, version 006: session ends counted as they happen.
-- /metrics shows, for all hosts, how long the sessions that ended within
-- session_retention had lasted, by end reason. Reading that from sessions
-- at every scrape meant every session ended in the last 30 days: 3.8 s a
-- scrape on a year of a busy site (bench/results/2026-12-01-large.md),
-- spent in a worker that answers nothing else meanwhile. A trigger now
-- adds each end to an hourly row per reason and lifetime bucket; a scrape
-- sums those rows (a few dozen an hour) instead.

-- The lifetime bucket of a session: how many upper bounds lie below its
-- lifetime, so that a lifetime equal to a bound counts in that bound's
-- bucket (a histogram's "le"). The bounds are metrics_lifetime_le in
-- src/metrics.c; the integration tests hold the two to each other.
CREATE FUNCTION tether_lifetime_bucket(seconds double precision) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT count(*)::smallint
	FROM unnest('{60,300,900,1800,3600,7200,14400,28800,43200,86400,604800,2592000}'::float8[])
		AS b(le)
	WHERE b.le < seconds
$$;

-- hour: the start of the hour (UTC, whatever the session's TimeZone) in
-- which the sessions ended; seconds: their lifetimes added up.
CREATE TABLE session_end_counts (
	hour timestamptz NOT NULL,
	end_reason text NOT NULL,
	bucket smallint NOT NULL,
	sessions bigint NOT NULL,
	seconds double precision NOT NULL,
	PRIMARY KEY (hour, end_reason, bucket)
);

CREATE FUNCTION tether_count_session_end() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	s double precision := extract(epoch FROM NEW.ended_at - NEW.created_at);
BEGIN
	INSERT INTO session_end_counts AS c (hour, end_reason, bucket, sessions, seconds)
	VALUES (to_timestamp(floor(extract(epoch FROM NEW.ended_at) / 3600) * 3600),
		NEW.end_reason, tether_lifetime_bucket(s), 1, s)
	ON CONFLICT (hour, end_reason, bucket) DO UPDATE
		SET sessions = c.sessions + 1, seconds = c.seconds + EXCLUDED.seconds;
	RETURN NULL;
END
$$;

-- A session ends exactly once (001's CHECK and the end statements' "ended_at
-- IS NULL"); a refresh or a touch sets no ended_at, and PostgreSQL does
-- not even look at this trigger for them.
CREATE TRIGGER sessions_count_end
	AFTER UPDATE OF ended_at ON sessions
	FOR EACH ROW
	WHEN (OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL)
	EXECUTE FUNCTION tether_count_session_end();

-- Sessions written already ended (tetherctl bench seed, a restore).
CREATE TRIGGER sessions_count_ended
	AFTER INSERT ON sessions
	FOR EACH ROW
	WHEN (NEW.ended_at IS NOT NULL)
	EXECUTE FUNCTION tether_count_session_end();

-- The ends recorded before this migration.
INSERT INTO session_end_counts (hour, end_reason, bucket, sessions, seconds)
SELECT to_timestamp(floor(extract(epoch FROM ended_at) / 3600) * 3600), end_reason,
	tether_lifetime_bucket(s), count(*), sum(s)
FROM (SELECT ended_at, end_reason, extract(epoch FROM ended_at - created_at) AS s
	FROM sessions WHERE ended_at IS NOT NULL) AS e
GROUP BY 1, 2, 3;

ALTER TABLE session_end_counts SET (autovacuum_vacuum_scale_factor = 0.02,
	autovacuum_analyze_scale_factor = 0.01);
