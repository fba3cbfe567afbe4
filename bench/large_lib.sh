# bench/large_lib.sh: what bench/large.sh and bench/cleanup.sh share, sourced
# by them: the lock of the measured steps (BENCH_LOCK), psql, timing, and
# the tables' sizes, rows and autovacuum counters written to files for the
# reports.

LOCK_FD=
hold() {
	[ -n "${BENCH_LOCK:-}" ] || return 0
	exec {LOCK_FD}>>"$BENCH_LOCK" || die "cannot open $BENCH_LOCK"
	say "waiting for the lock $BENCH_LOCK"
	flock "$LOCK_FD" || die "flock failed"
}
release() {
	[ -n "$LOCK_FD" ] || return 0
	flock -u "$LOCK_FD"
	exec {LOCK_FD}>&-
	LOCK_FD=
}
# start_tether: lighttpd with this build's workers on a free port; sets
# PORT and URL (the API's root).
start_tether() {
	PORT=$(tether_free_port)
	start_server "$BUILD/tether.fcgi" "$PORT"
	URL=http://127.0.0.1:$PORT/api/auth
	tether_wait_http "$URL/health" 30 || die "tether did not start"
	tether_lighttpd_track
}
psql_q() { tether_psql "$TMP/run" tether -At "$@"; }
now_s() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN {printf "%.1f", b - a}'; }

# sizes FILE: table, rows (estimate), heap, indexes, total bytes per table.
sizes() {
	psql_q -F ' ' -c "SELECT c.relname, c.reltuples::bigint, pg_relation_size(c.oid),
		pg_indexes_size(c.oid), pg_total_relation_size(c.oid)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname IN ('users',
		'sessions', 'refresh_tokens', 'access_blacklist', 'auth_events', 'logout_events',
		'login_attempts', 'session_end_counts') ORDER BY c.relname" >"$1" || warn "sizes failed"
}
# counts FILE: exact rows per table, and what the cleanup will remove.
counts() {
	psql_q -F ' ' -c "SELECT 'users', count(*) FROM users UNION ALL
		SELECT 'sessions', count(*) FROM sessions UNION ALL
		SELECT 'sessions_live', count(*) FROM sessions WHERE ended_at IS NULL UNION ALL
		SELECT 'refresh_tokens', count(*) FROM refresh_tokens UNION ALL
		SELECT 'refresh_tokens_live', count(*) FROM refresh_tokens WHERE rotated_at IS NULL
			AND revoked_at IS NULL AND expires_at > now() UNION ALL
		SELECT 'access_blacklist', count(*) FROM access_blacklist UNION ALL
		SELECT 'auth_events', count(*) FROM auth_events UNION ALL
		SELECT 'logout_events', count(*) FROM logout_events UNION ALL
		SELECT 'backlog_sessions', count(*) FROM sessions WHERE ended_at < now() - interval '30 days'
		UNION ALL SELECT 'backlog_refresh_tokens', count(*) FROM refresh_tokens
			WHERE expires_at < now() OR revoked_at < now() - interval '1 day' UNION ALL
		SELECT 'backlog_access_blacklist', count(*) FROM access_blacklist WHERE expires_at < now()
		UNION ALL SELECT 'backlog_events', (SELECT count(*) FROM auth_events WHERE created_at <
			now() - interval '90 days') + (SELECT count(*) FROM logout_events WHERE created_at <
			now() - interval '90 days')" >"$1" || warn "counts failed"
}
autovac() {
	psql_q -F ' ' -c "SELECT relname, n_live_tup, n_dead_tup, autovacuum_count,
		autoanalyze_count, coalesce(to_char(last_autovacuum, 'HH24:MI:SS'), '-')
		FROM pg_stat_user_tables WHERE relname IN ('sessions', 'refresh_tokens',
		'access_blacklist', 'auth_events', 'logout_events') ORDER BY relname" >"$1" ||
		warn "autovacuum counters failed"
}

