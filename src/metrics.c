/*
 * metrics: shared counters in a mapped file, and their Prometheus text.
 * The file's layout is versioned in its name, so a new binary with another
 * layout never reads an old file. Counter reads during a write may be one
 * event behind; Prometheus tolerates that, it never sees a counter go back.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "metrics.h"
#include "util.h"

#define NBUCKETS 12
static const double bucket_le[NBUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5 };

const double metrics_lifetime_le[METRICS_LIFETIME_BUCKETS] = { 60, 300, 900, 1800, 3600,
	7200, 14400, 28800, 43200, 86400, 604800, 2592000 };

struct shared {
	atomic_uint_least64_t events[M__MAX];
	atomic_uint_least64_t denied[REASON__MAX];
	atomic_uint_least64_t refresh_failed[REASON__MAX];
	atomic_uint_least64_t ended[END__MAX];
	atomic_uint_least64_t reports[LOGOUT__MAX];
	atomic_uint_least64_t cleanup_rows;
	atomic_uint_least64_t buckets[NBUCKETS + 1]; /* the last is +Inf */
	atomic_uint_least64_t count;
	atomic_uint_least64_t sum_us;
	/* New counters go last: a file written by an older worker keeps its
	 * offsets, and what it lacks reads as zero. */
	atomic_uint_least64_t cache[2]; /* hits, misses */
	atomic_uint_least64_t lifetime[END__MAX][METRICS_LIFETIME_BUCKETS + 1];
	atomic_uint_least64_t lifetime_sum_s[END__MAX];
};

static struct shared *shm;

int
metrics_open(const char *path, const char *deployment)
{
	metrics_close();
	shm = util_map_shared(path, "tether-metrics-v2", deployment, sizeof(struct shared));
	return shm != NULL ? 0 : -1;
}

void
metrics_close(void)
{
	if (shm != NULL)
		munmap(shm, sizeof(*shm));
	shm = NULL;
}

static void
add(atomic_uint_least64_t *c, uint64_t n)
{
	if (shm != NULL)
		atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

void
metrics_count(enum metric_event e)
{
	if (shm != NULL && (unsigned)e < M__MAX)
		add(&shm->events[e], 1);
}

void
metrics_denied(enum reason r)
{
	if (shm != NULL && (unsigned)r < REASON__MAX)
		add(&shm->denied[r], 1);
}

void
metrics_refresh_failed(enum reason r)
{
	if (shm != NULL && (unsigned)r < REASON__MAX)
		add(&shm->refresh_failed[r], 1);
}

void
metrics_sessions_ended(enum end_reason r, int64_t n)
{
	if (shm != NULL && (unsigned)r < END__MAX && n > 0)
		add(&shm->ended[r], (uint64_t)n);
}

/* The first of the n ascending bounds le[] that v does not exceed, or n. */
static int
bucket_of(const double *le, int n, double v)
{
	int i;

	for (i = 0; i < n && v > le[i]; i++)
		;
	return i;
}

int
metrics_lifetime_bucket(double seconds)
{
	return bucket_of(metrics_lifetime_le, METRICS_LIFETIME_BUCKETS, seconds);
}

void
metrics_session_lifetime(enum end_reason r, double seconds)
{
	if (shm == NULL || (unsigned)r >= END__MAX || r == END_NONE)
		return;
	if (seconds < 0)
		seconds = 0; /* a clock step back between sign-in and end */
	add(&shm->lifetime[r][metrics_lifetime_bucket(seconds)], 1);
	add(&shm->lifetime_sum_s[r], (uint64_t)(seconds + 0.5));
}

void
metrics_report(enum logout_type t)
{
	if (shm != NULL && (unsigned)t < LOGOUT__MAX)
		add(&shm->reports[t], 1);
}

void
metrics_cleanup_rows(int64_t n)
{
	if (shm != NULL && n > 0)
		add(&shm->cleanup_rows, (uint64_t)n);
}

void
metrics_session_cache(bool hit)
{
	if (shm != NULL)
		add(&shm->cache[hit ? 0 : 1], 1);
}

void
metrics_observe(double seconds)
{
	if (shm == NULL)
		return;
	add(&shm->buckets[bucket_of(bucket_le, NBUCKETS, seconds)], 1);
	add(&shm->count, 1);
	add(&shm->sum_us, (uint64_t)(seconds * 1e6));
}

static uint64_t
get(atomic_uint_least64_t *c)
{
	return shm != NULL ? atomic_load_explicit(c, memory_order_relaxed) : 0;
}

/* A growing text buffer, and its first size: put() grows it as needed. */
#define RENDER_START 4096
struct buf {
	char *s;
	size_t len, cap;
};

static void
put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (n > 0 ? (size_t)n : 0);
		b->s = xrealloc(b->s, b->cap);
	}
	b->len += (size_t)n;
}

static void
head(struct buf *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
render_events(struct buf *b)
{
	int i;

	head(b, "tether_logins_total", "counter", "Login attempts by outcome.");
	put(b, "tether_logins_total{outcome=\"ok\"} %llu\n",
	    (unsigned long long)get(&shm->events[M_LOGIN_OK]));
	put(b, "tether_logins_total{outcome=\"failed\"} %llu\n",
	    (unsigned long long)get(&shm->events[M_LOGIN_FAILED]));
	put(b, "tether_logins_total{outcome=\"throttled\"} %llu\n",
	    (unsigned long long)get(&shm->events[M_LOGIN_THROTTLED]));
	head(b, "tether_registrations_total", "counter", "Users registered through the API.");
	put(b, "tether_registrations_total %llu\n",
	    (unsigned long long)get(&shm->events[M_REGISTER]));
	head(b, "tether_refreshes_total", "counter",
	    "Refreshes by outcome, and refused ones by reason.");
	put(b, "tether_refreshes_total{outcome=\"rotated\",reason=\"\"} %llu\n",
	    (unsigned long long)get(&shm->events[M_REFRESH_ROTATED]));
	put(b, "tether_refreshes_total{outcome=\"grace\",reason=\"\"} %llu\n",
	    (unsigned long long)get(&shm->events[M_REFRESH_GRACE]));
	for (i = 1; i < REASON__MAX; i++)
		put(b, "tether_refreshes_total{outcome=\"failed\",reason=\"%s\"} %llu\n",
		    reason_name((enum reason)i), (unsigned long long)get(&shm->refresh_failed[i]));
	head(b, "tether_unauthorized_total", "counter", "401 responses by reason.");
	for (i = 1; i < REASON__MAX; i++)
		put(b, "tether_unauthorized_total{reason=\"%s\"} %llu\n", reason_name((enum reason)i),
		    (unsigned long long)get(&shm->denied[i]));
	head(b, "tether_unavailable_total", "counter", "503 responses (database unreachable).");
	put(b, "tether_unavailable_total %llu\n",
	    (unsigned long long)get(&shm->events[M_UNAVAILABLE]));
	head(b, "tether_sessions_ended_total", "counter",
	    "Sessions ended by this host's workers, by reason.");
	for (i = 1; i < END__MAX; i++)
		put(b, "tether_sessions_ended_total{reason=\"%s\"} %llu\n",
		    end_reason_name((enum end_reason)i), (unsigned long long)get(&shm->ended[i]));
	head(b, "tether_logout_reports_total", "counter", "Client logout reports by type.");
	for (i = 0; i < LOGOUT__MAX; i++)
		put(b, "tether_logout_reports_total{type=\"%s\"} %llu\n",
		    logout_type_name((enum logout_type)i),
		    (unsigned long long)get(&shm->reports[i]));
	head(b, "tether_cleanup_runs_total", "counter", "Cleanup runs by this host's workers.");
	put(b, "tether_cleanup_runs_total %llu\n",
	    (unsigned long long)get(&shm->events[M_CLEANUP_RUNS]));
	head(b, "tether_cleanup_rows_total", "counter", "Rows deleted or ended by the cleanup.");
	put(b, "tether_cleanup_rows_total %llu\n", (unsigned long long)get(&shm->cleanup_rows));
	head(b, "tether_session_cache_total", "counter",
	    "Verifies answered from a worker's session cache (hit) or by the database (miss).");
	put(b, "tether_session_cache_total{result=\"hit\"} %llu\n",
	    (unsigned long long)get(&shm->cache[0]));
	put(b, "tether_session_cache_total{result=\"miss\"} %llu\n",
	    (unsigned long long)get(&shm->cache[1]));
}

/* The cumulative buckets of one end reason's lifetimes (n: per bucket,
 * the last beyond every bound) as name{reason,le} lines; returns their
 * total. */
static int64_t
lifetime_buckets(struct buf *b, const char *name, int r, const int64_t *n)
{
	int64_t cum = 0;
	int i;

	for (i = 0; i <= METRICS_LIFETIME_BUCKETS; i++) {
		cum += n[i];
		if (i < METRICS_LIFETIME_BUCKETS)
			put(b, "%s{reason=\"%s\",le=\"%.0f\"} %lld\n", name,
			    end_reason_name((enum end_reason)r), metrics_lifetime_le[i],
			    (long long)cum);
		else
			put(b, "%s{reason=\"%s\",le=\"+Inf\"} %lld\n", name,
			    end_reason_name((enum end_reason)r), (long long)cum);
	}
	return cum;
}

/* The host's own histogram (counters: rate() applies) of how long the
 * sessions its workers ended had lasted, by end reason. */
static void
render_host_lifetimes(struct buf *b)
{
	int64_t n[METRICS_LIFETIME_BUCKETS + 1], count;
	int r, i;

	head(b, "tether_session_lifetime_seconds", "histogram",
	    "How long the sessions this host's workers ended had lasted, from sign-in, "
	    "by end reason.");
	for (r = 1; r < END__MAX; r++) {
		for (i = 0; i <= METRICS_LIFETIME_BUCKETS; i++)
			n[i] = (int64_t)get(&shm->lifetime[r][i]);
		count = lifetime_buckets(b, "tether_session_lifetime_seconds_bucket", r, n);
		put(b, "tether_session_lifetime_seconds_sum{reason=\"%s\"} %llu\n",
		    end_reason_name((enum end_reason)r),
		    (unsigned long long)get(&shm->lifetime_sum_s[r]));
		put(b, "tether_session_lifetime_seconds_count{reason=\"%s\"} %lld\n",
		    end_reason_name((enum end_reason)r), (long long)count);
	}
}

static void
render_latency(struct buf *b)
{
	uint64_t cum = 0;
	int i;

	head(b, "tether_request_duration_seconds", "histogram",
	    "Time to answer a request, in the worker.");
	for (i = 0; i < NBUCKETS; i++) {
		cum += get(&shm->buckets[i]);
		put(b, "tether_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bucket_le[i],
		    (unsigned long long)cum);
	}
	cum += get(&shm->buckets[NBUCKETS]);
	put(b, "tether_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)cum);
	put(b, "tether_request_duration_seconds_sum %.6f\n", (double)get(&shm->sum_us) / 1e6);
	put(b, "tether_request_duration_seconds_count %llu\n",
	    (unsigned long long)get(&shm->count));
}

/*
 * How long the sessions that ended within session_retention lasted, by
 * end reason, across all hosts: cumulative buckets as in a histogram, but
 * a gauge (sessions leave the window as they age), so histogram_quantile()
 * applies to it directly and rate() does not.
 */
static void
render_lifetimes(struct buf *b, const struct metrics_lifetimes *lt)
{
	int r;

	head(b, "tether_session_lifetime_seconds_recent_bucket", "gauge",
	    "Sessions ended within session_retention that lasted at most le seconds from "
	    "sign-in to end, by end reason (all hosts).");
	for (r = 1; r < END__MAX; r++)
		(void)lifetime_buckets(b, "tether_session_lifetime_seconds_recent_bucket", r,
		    lt->n[r]);
	head(b, "tether_session_lifetime_seconds_recent_sum", "gauge",
	    "The summed lifetimes of those sessions, in seconds, by end reason.");
	for (r = 1; r < END__MAX; r++)
		put(b, "tether_session_lifetime_seconds_recent_sum{reason=\"%s\"} %.0f\n",
		    end_reason_name((enum end_reason)r), lt->sum[r]);
}

static void
render_db(struct buf *b, const struct metrics_db *db)
{
	int64_t n;
	int i, j;

	head(b, "tether_database_up", "gauge", "1 if the database answered this scrape.");
	put(b, "tether_database_up %d\n", db->ok ? 1 : 0);
	if (!db->ok)
		return;
	head(b, "tether_active_sessions", "gauge", "Live sessions within their limits.");
	put(b, "tether_active_sessions %lld\n", (long long)db->active_sessions);
	head(b, "tether_users", "gauge", "Registered users.");
	put(b, "tether_users %lld\n", (long long)db->users);
	head(b, "tether_sessions_ended_recent", "gauge",
	    "Sessions ended within session_retention, by reason (all hosts).");
	for (i = 1; i < END__MAX; i++) {
		for (j = 0, n = 0; j <= METRICS_LIFETIME_BUCKETS; j++)
			n += db->lifetimes.n[i][j];
		put(b, "tether_sessions_ended_recent{reason=\"%s\"} %lld\n",
		    end_reason_name((enum end_reason)i), (long long)n);
	}
	render_lifetimes(b, &db->lifetimes);
}

char *
metrics_render(const struct metrics_db *db)
{
	static struct shared zero;
	struct shared *saved = shm;
	struct buf b = { xmalloc(RENDER_START), 0, RENDER_START };

	b.s[0] = '\0';
	if (shm == NULL)
		shm = &zero; /* no shared file: render zeros */
	render_events(&b);
	render_latency(&b);
	render_host_lifetimes(&b);
	shm = saved;
	render_db(&b, db);
	return b.s;
}
