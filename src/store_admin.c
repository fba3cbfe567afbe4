/*
 * store_admin: the queries of administration and reporting: tetherctl's
 * users, sessions, events and stats, the figures of /metrics, the
 * timeline of /logout-events, and the cleanup. Off the hot path; the
 * statements are in store_sql.c like every other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_db.h"
#include "util.h"

/* ---- administration ---- */

enum store_err
store_user_set_disabled(int64_t id, bool disabled, time_t now, int *ended)
{
	struct num uid, t;
	const char *v[] = { db_num(&uid, id), disabled ? "t" : "f", db_num(&t, now) };

	return db_user_change(S_USER_SET_DISABLED, 3, v, ended);
}

static void
user_row(const PGresult *res, int row, void *out)
{
	struct user_row *u = out;

	db_read_user(res, row, 0, &u->user);
	u->live_sessions = db_int(res, row, USER_NCOLS);
}

enum store_err
store_users_list(struct user_row **out, size_t *n)
{
	enum store_err err;

	*out = db_rows(S_USERS_LIST, 0, NULL, sizeof(**out), user_row, n, &err);
	return err;
}

static void
session_email_row(const PGresult *res, int row, void *out)
{
	struct session_row *s = out;

	db_read_session(res, row, 0, &s->session);
	db_copy(s->email, sizeof(s->email), PQgetvalue(res, row, SESSION_NCOLS));
}

static enum store_err
admin_sessions(enum stmt id, const char *arg, struct session_row **out, size_t *n)
{
	const char *v[] = { arg };
	enum store_err err;

	*out = db_rows(id, 1, v, sizeof(**out), session_email_row, n, &err);
	return err;
}

enum store_err
store_sessions_live(int64_t user_id, struct session_row **out, size_t *n)
{
	struct num uid;

	return admin_sessions(S_SESSIONS_LIVE_ALL, db_num(&uid, user_id), out, n);
}

enum store_err
store_events_ends(int limit, struct session_row **out, size_t *n)
{
	struct num lim;

	return admin_sessions(S_EVENTS_ENDS, db_num(&lim, limit), out, n);
}

static void
failure_row(const PGresult *res, int row, void *out)
{
	struct stat_count *f = out;

	db_copy(f->kind, sizeof(f->kind), PQgetvalue(res, row, 0));
	db_copy(f->reason, sizeof(f->reason), PQgetvalue(res, row, 1));
	f->count = db_int(res, row, 2);
}

enum store_err
store_stats(time_t now, struct stats *st, struct stat_count **failures, size_t *nfailures)
{
	struct num t;
	const char *v[] = { db_num(&t, now) };
	enum store_err err;
	PGresult *res;

	memset(st, 0, sizeof(*st));
	if (failures != NULL) {
		*failures = NULL;
		*nfailures = 0;
	}
	if ((res = db_run(S_STATS, 1, v, &err)) == NULL)
		return err;
	st->active_sessions = db_int(res, 0, 0);
	st->refreshes_hour = db_int(res, 0, 1);
	st->logins_hour = db_int(res, 0, 2);
	st->users = db_int(res, 0, 3);
	PQclear(res);
	if (failures != NULL)
		*failures = db_rows(
		    S_STATS_FAILURES, 1, v, sizeof(**failures), failure_row, nfailures, &err);
	return err;
}

/* ---- reports ---- */

enum store_err
store_sessions_ended(int64_t user_id, int limit, struct session **out, size_t *n)
{
	struct num uid, lim;
	const char *v[] = { db_num(&uid, user_id), db_num(&lim, limit) };

	return db_session_rows(S_SESSIONS_ENDED, 2, v, out, n);
}

static char *
dup_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

static void
event_row(const PGresult *res, int i, void *out)
{
	struct logout_event *ev = out;

	if (PQnfields(res) > 11)
		ev->email = dup_or_null(res, i, 11);
	ev->id = db_int(res, i, 0);
	ev->created_at = (time_t)db_int(res, i, 1);
	ev->user_id = db_int(res, i, 2);
	ev->session_id = dup_or_null(res, i, 3);
	ev->type = dup_or_null(res, i, 4);
	ev->message = dup_or_null(res, i, 5);
	ev->idle_minutes = strtod(PQgetvalue(res, i, 6), NULL);
	ev->location = dup_or_null(res, i, 7);
	ev->context = dup_or_null(res, i, 8);
	ev->ip = dup_or_null(res, i, 9);
	ev->user_agent = dup_or_null(res, i, 10);
}

static enum store_err
event_rows(
    enum stmt id, int nv, const char *const *v, struct logout_event **out, size_t *n)
{
	enum store_err err;

	*out = db_rows(id, nv, v, sizeof(**out), event_row, n, &err);
	return err;
}

enum store_err
store_logout_events_list(int64_t user_id, int limit, struct logout_event **out, size_t *n)
{
	struct num uid, lim;
	const char *v[] = { db_num(&uid, user_id), db_num(&lim, limit) };

	return event_rows(S_LOGOUT_EVENTS_LIST, 2, v, out, n);
}

enum store_err
store_events_reports(int limit, struct logout_event **out, size_t *n)
{
	struct num lim;
	const char *v[] = { db_num(&lim, limit) };

	return event_rows(S_EVENTS_REPORTS, 1, v, out, n);
}

void
store_logout_events_free(struct logout_event *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(evs[i].session_id);
		free(evs[i].type);
		free(evs[i].message);
		free(evs[i].location);
		free(evs[i].context);
		free(evs[i].ip);
		free(evs[i].user_agent);
		free(evs[i].email);
	}
	free(evs);
}

/* ---- metrics ---- */

/* Rows of (end reason, bucket, sessions, seconds) into out. */
static enum store_err
lifetime_rows(enum stmt id, time_t now, int64_t window, struct metrics_lifetimes *out)
{
	struct num t, w;
	const char *v[] = { db_num(&t, now), db_num(&w, window) };
	enum store_err err;
	PGresult *res;
	int i, b;
	enum end_reason r;

	memset(out, 0, sizeof(*out));
	if ((res = db_run(id, 2, v, &err)) == NULL)
		return err;
	for (i = 0; i < PQntuples(res); i++) {
		r = end_reason_parse(PQgetvalue(res, i, 0));
		b = (int)db_int(res, i, 1);
		/* END_NONE: a reason this binary does not know (a newer one's). */
		if (r == END_NONE || b < 0 || b > METRICS_LIFETIME_BUCKETS)
			continue;
		out->n[r][b] += db_int(res, i, 2);
		out->sum[r] += strtod(PQgetvalue(res, i, 3), NULL);
	}
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_metrics(time_t now, int64_t retention, struct metrics_db *out)
{
	struct stats st;
	enum store_err err;

	memset(out, 0, sizeof(*out));
	if ((err = store_stats(now, &st, NULL, NULL)) != STORE_OK)
		return err;
	out->active_sessions = st.active_sessions;
	out->users = st.users;
	if ((err = lifetime_rows(S_SESSION_END_COUNTS, now, retention, &out->lifetimes)) !=
	    STORE_OK)
		return err;
	out->ok = true;
	return STORE_OK;
}

enum store_err
store_session_lifetimes(time_t now, int64_t window, struct metrics_lifetimes *out)
{
	return lifetime_rows(S_SESSION_LIFETIMES, now, window, out);
}

/* One step of the cleanup: its statement, the age it keeps (its third
 * parameter; none for the first three), its counter, and how many marks
 * it has (1, or 2 for the tokens: expired and revoked). Its marks follow
 * the previous steps' in struct cleanup_marks. */
struct clean_step {
	enum stmt id;
	int64_t age;
	int64_t *count;
	int nmarks;
};

/* Runs one batch of st: its rows in *got (added to its counter), its new
 * marks into mark[0 .. st->nmarks - 1]; returns the milliseconds it took
 * (what the pause is a percentage of). */
static int64_t
clean_batch(const struct clean_step *st, char (*mark)[CLEANUP_MARK_MAX], time_t now,
    int batch, enum store_err *err, int64_t *got)
{
	struct num t, b, a;
	const char *v[5] = { db_num(&t, now), db_num(&b, batch) };
	int64_t t0 = util_mono_ms();
	int n = 2, i, col;
	PGresult *res;
	const char *m;

	if (st->age >= 0)
		v[n++] = db_num(&a, st->age);
	for (i = 0; i < st->nmarks; i++)
		v[n++] = mark[i][0] != '\0' ? mark[i] : "-infinity";
	if ((res = db_run(st->id, n, v, err)) == NULL)
		return 0;
	*got = db_int(res, 0, 0);
	col = 1;
	if (st->id == S_CLEAN_EXPIRE_SESSIONS)
		db_count_lifetimes(res, 0, col++);
	for (i = 0; i < st->nmarks; i++, col++) {
		/* NULL: the batch took nothing by this key; the mark stays. */
		m = PQgetvalue(res, 0, col);
		if (!PQgetisnull(res, 0, col) && strlen(m) < CLEANUP_MARK_MAX)
			memcpy(mark[i], m, strlen(m) + 1);
	}
	*st->count += *got;
	PQclear(res);
	return util_mono_ms() - t0;
}

/*
 * Runs the steps in order, each until a batch comes back short, while
 * the budget lasts (*more: it ran out first). The next slice starts again
 * at the first step, at its marks: a step with nothing due costs one index
 * probe.
 */
static enum store_err
clean_steps(const struct clean_step *steps, size_t n, time_t now,
    const struct cleanup_pace *pace, struct cleanup_marks *marks, bool *more)
{
	int64_t start = util_mono_ms(), took, got, rows = 0;
	enum store_err err = STORE_OK;
	size_t i, at = 0;

	*more = false;
	for (i = 0; i < n && err == STORE_OK && !*more; at += (size_t)steps[i++].nmarks) {
		if (at + (size_t)steps[i].nmarks > CLEANUP_MARKS) {
			err = STORE_INVALID;	/* a step was added, CLEANUP_MARKS not */
			break;
		}
		do {
			/* Not before a row has gone: every run gets somewhere. */
			if (pace->budget_ms > 0 && rows > 0 &&
			    util_mono_ms() - start >= pace->budget_ms) {
				*more = true;
				break;
			}
			got = 0;
			took = clean_batch(&steps[i], &marks->at[at], now, pace->batch, &err, &got);
			rows += got;
			if (err == STORE_OK && got >= pace->batch && pace->pause_pct > 0)
				util_sleep_ms(took * pace->pause_pct / 100);
		} while (err == STORE_OK && got >= pace->batch);
	}
	return err;
}

enum store_err
store_cleanup(const struct config *cfg, time_t now, const struct cleanup_pace *pace,
    struct cleanup_marks *marks, struct cleanup_counts *out, bool *ran, bool *more)
{
	const struct clean_step steps[] = {
		{ S_CLEAN_EXPIRE_SESSIONS, -1, &out->sessions_expired, 1 },
		{ S_CLEAN_BLACKLIST, -1, &out->blacklist, 1 },
		{ S_CLEAN_REFRESH, -1, &out->refresh_tokens, 2 },
		{ S_CLEAN_SESSIONS, cfg->session_retention, &out->sessions, 1 },
		{ S_CLEAN_END_COUNTS, cfg->session_retention, &out->end_counts, 1 },
		{ S_CLEAN_LOGOUT_EVENTS, cfg->event_retention, &out->logout_events, 1 },
		{ S_CLEAN_AUTH_EVENTS, cfg->event_retention, &out->auth_events, 1 },
		{ S_CLEAN_ATTEMPTS, cfg->login_window, &out->login_attempts, 1 },
	};
	struct cleanup_marks own = { 0 };
	enum store_err err, unlock_err;
	PGresult *res;
	bool tx = db_pooled();

	memset(out, 0, sizeof(*out));
	*ran = false;
	*more = false;
	if (marks == NULL)
		marks = &own;
	/* Transaction pooling: the lock must not outlive the transaction (a
	 * session's lock would stay on a server connection that the pooler
	 * hands to others, and the unlock might run on another), so the whole
	 * run is one transaction holding it. */
	if (tx && (err = db_tx("BEGIN")) != STORE_OK)
		return err;
	if ((res = db_run(tx ? S_CLEAN_XACT_LOCK : S_CLEAN_LOCK, 0, NULL, &err)) == NULL) {
		if (tx)
			(void)db_tx("ROLLBACK");
		return err;
	}
	*ran = db_bool(res, 0, 0);
	PQclear(res);
	if (!*ran) {
		if (tx)
			(void)db_tx("ROLLBACK");
		return STORE_OK;
	}
	err = clean_steps(steps, sizeof(steps) / sizeof(steps[0]), now, pace, marks, more);
	if (tx) {
		if (err == STORE_OK)
			err = db_tx("COMMIT");
		else
			(void)db_tx("ROLLBACK");
	} else {
		/* Unlock even after a failed batch; the connection's end would too. */
		PQclear(db_run(S_CLEAN_UNLOCK, 0, NULL, &unlock_err));
	}
	/* Done, or failed (a rolled-back slice's marks may be past rows that
	 * are still there): the next run starts from the beginning. */
	if (err != STORE_OK || !*more)
		memset(marks, 0, sizeof(*marks));
	return err;
}

/* ---- bench seed ---- */

#define SEED_USERS 1000000.0
#define SEED_SESSIONS 5000000.0
/* The first seeded user: whether this database holds a seed already. */
#define SEED_FIRST_EMAIL "seed-1@seed.tether.invalid"

/* Runs seed statement id over sessions [lo, hi]; adds the rows it wrote. */
static enum store_err
seed_batch(enum stmt id, const char *const *v, int nv, int64_t *count)
{
	enum store_err err;
	PGresult *res;

	if ((res = db_run(id, nv, v, &err)) == NULL)
		return err;
	*count += strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

/* The users, in batches; *first their first id. Their ids must be
 * consecutive (the sessions compute user ids), which they are unless
 * someone else adds users at the same time: then it fails. */
static enum store_err
seed_users(time_t now, const char *hash, int64_t n, int64_t batch,
    store_seed_progress progress, void *arg, int64_t *first, int64_t *count)
{
	struct num t, lo, hi;
	const char *v[] = { db_num(&t, now), NULL, NULL, hash };
	enum store_err err = STORE_OK;
	PGresult *res;
	int64_t k, min, max, got;

	*first = 0;
	for (k = 1; k <= n && err == STORE_OK; k += batch) {
		v[1] = db_num(&lo, k);
		v[2] = db_num(&hi, k + batch - 1 < n ? k + batch - 1 : n);
		if ((res = db_run(S_SEED_USERS, 4, v, &err)) == NULL)
			break;
		min = db_int(res, 0, 0);
		max = db_int(res, 0, 1);
		got = db_int(res, 0, 2);
		PQclear(res);
		if (*first == 0)
			*first = min;
		if (got == 0 || max - min + 1 != got || min != *first + *count) {
			fprintf(stderr, "seed: the users' ids are not consecutive "
			                "(someone else is adding users?)\n");
			err = STORE_UNAVAILABLE;
			break;
		}
		*count += got;
		if (progress != NULL)
			progress("users", *count, n, arg);
	}
	return err;
}

enum store_err
store_bench_seed(double scale, time_t now, const char *password_hash, int64_t batch,
    store_seed_progress progress, void *arg, struct store_seed_counts *out)
{
	/* Each batch's statements, in the order the foreign keys need. */
	static const struct {
		enum stmt id;
		int nv;
	} steps[] = {
		{ S_SEED_SESSIONS, 6 },
		{ S_SEED_TOKENS, 4 },
		{ S_SEED_BLACKLIST, 4 },
		{ S_SEED_AUTH_EVENTS, 6 },
		{ S_SEED_LOGOUT_EVENTS, 6 },
	};
	int64_t *counts[] = { &out->sessions, &out->refresh_tokens, &out->blacklist,
		&out->auth_events, &out->logout_events };
	int64_t nusers = (int64_t)(SEED_USERS * scale + 0.5),
		nsessions = (int64_t)(SEED_SESSIONS * scale + 0.5), first, k;
	struct num t, lo, hi, ns, base, nu;
	const char *v[6];
	struct user u;
	enum store_err err;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (nusers < 1)
		nusers = 1;
	if (nsessions < 1)
		nsessions = 1;
	if ((err = store_user_by_email(SEED_FIRST_EMAIL, &u)) != STORE_NOTFOUND)
		return err == STORE_OK ? STORE_CONFLICT : err;
	if (!db_exec(db_stmts[S_SEED_SETUP].sql, stderr, "seed: setup"))
		return STORE_UNAVAILABLE;
	if ((err = seed_users(now, password_hash, nusers, batch, progress, arg, &first,
	         &out->users)) != STORE_OK)
		return err;
	v[0] = db_num(&t, now);
	v[3] = db_num(&ns, nsessions);
	v[4] = db_num(&base, first);
	v[5] = db_num(&nu, nusers);
	/* Batch by batch, every table: a session's rows go in together, and
	 * the progress reads as the share of the year written. */
	for (k = 1; k <= nsessions && err == STORE_OK; k += batch) {
		v[1] = db_num(&lo, k);
		v[2] = db_num(&hi, k + batch - 1 < nsessions ? k + batch - 1 : nsessions);
		for (i = 0; i < sizeof(steps) / sizeof(steps[0]) && err == STORE_OK; i++)
			err = seed_batch(steps[i].id, v, steps[i].nv, counts[i]);
		if (err == STORE_OK && progress != NULL)
			progress("sessions", out->sessions, nsessions, arg);
	}
	if (err == STORE_OK && !db_exec(db_stmts[S_SEED_ANALYZE].sql, stderr, "seed: analyze"))
		err = STORE_UNAVAILABLE;
	return err;
}

/* ---- first setup ---- */

enum store_err
store_user_create_first(const char *email, const char *password_hash,
    const char *display_name, time_t now, struct user *out)
{
	struct num t;
	const char *v[] = { email, password_hash, display_name ? display_name : "",
		db_num(&t, now) };
	enum store_err err;
	PGresult *r = NULL;

	if ((err = db_tx("BEGIN")) != STORE_OK)
		return err;
	if ((r = db_run(S_SETUP_LOCK, 0, NULL, &err)) == NULL)
		goto out;
	PQclear(r);
	if ((r = db_run(S_SETUP_FIRST_USER, 4, v, &err)) == NULL)
		goto out;
	if (PQntuples(r) == 1)
		db_read_user(r, 0, 0, out);
	else
		err = STORE_CONFLICT;
out:
	PQclear(r);
	if (err == STORE_OK)
		err = db_tx("COMMIT");
	else if (db_in_tx())
		(void)db_tx("ROLLBACK");
	return err;
}
