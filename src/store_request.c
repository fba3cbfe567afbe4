/*
 * store_request: the statements of the request path (users, sessions, refresh,
 * logout reports, audit, login throttling), each a thin wrapper that
 * binds parameters, runs one prepared statement of store_sql.c through
 * store_db.c and reads its rows. Nothing here decides a session rule: the
 * refresh transaction asks session.c what a token means and writes the
 * outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_db.h"
#include "util.h"

/* ---- users ---- */

static enum store_err
one_user(enum stmt id, int n, const char *const *vals, struct user *out)
{
	enum store_err err;
	PGresult *res = db_run(id, n, vals, &err);

	if (res == NULL)
		return err;
	if (PQntuples(res) == 1)
		db_read_user(res, 0, 0, out);
	else
		err = STORE_NOTFOUND;
	PQclear(res);
	return err;
}

enum store_err
store_user_create(const char *email, const char *password_hash, const char *display_name,
    time_t now, struct user *out)
{
	struct num t;
	const char *v[] = { email, password_hash, display_name ? display_name : "",
		db_num(&t, now) };

	return one_user(S_USER_CREATE, 4, v, out);
}

enum store_err
store_user_by_email(const char *email, struct user *out)
{
	const char *v[] = { email };

	return one_user(S_USER_BY_EMAIL, 1, v, out);
}

enum store_err
store_user_by_id(int64_t id, struct user *out)
{
	struct num n;
	const char *v[] = { db_num(&n, id) };

	return one_user(S_USER_BY_ID, 1, v, out);
}

static enum store_err
credential(enum stmt id, const char *arg, struct user *u, struct credential *cr)
{
	const char *v[] = { arg };
	enum store_err err;
	PGresult *res = db_run(id, 1, v, &err);

	if (res == NULL)
		return err;
	if (PQntuples(res) == 1) {
		db_read_user(res, 0, 0, u);
		db_copy(cr->password_hash, sizeof(cr->password_hash),
		    PQgetvalue(res, 0, USER_NCOLS));
	} else
		err = STORE_NOTFOUND;
	PQclear(res);
	return err;
}

enum store_err
store_credential_by_email(const char *email, struct user *u, struct credential *cr)
{
	return credential(S_CREDENTIAL_BY_EMAIL, email, u, cr);
}

enum store_err
store_credential_by_id(int64_t id, struct user *u, struct credential *cr)
{
	struct num n;

	return credential(S_CREDENTIAL_BY_ID, db_num(&n, id), u, cr);
}

enum store_err
store_user_rehash(int64_t id, const char *password_hash)
{
	struct num n;
	const char *v[] = { db_num(&n, id), password_hash };
	enum store_err err;
	PGresult *res = db_run(S_USER_REHASH, 2, v, &err);

	if (res != NULL && strcmp(PQcmdTuples(res), "1") != 0)
		err = STORE_NOTFOUND;
	PQclear(res);
	return err;
}

enum store_err
store_user_set_password(
    int64_t id, const char *password_hash, const char *keep_sid, time_t now, int *ended)
{
	struct num n, t;
	const char *v[] = { db_num(&n, id), db_uuid_ok(keep_sid) ? keep_sid : NULL,
		end_reason_name(END_PASSWORD_CHANGED), password_hash, db_num(&t, now) };

	return db_user_change(S_USER_SET_PASSWORD, 5, v, ended);
}

/* ---- sessions ---- */

enum store_err
store_session_create(struct session *s, const struct token_issue *t)
{
	struct num uid, now, idle, abs, rexp, aexp;
	const char *v[] = { db_num(&uid, s->user_id), db_num(&now, s->created_at),
		db_num(&idle, s->idle_timeout_s), db_num(&abs, s->absolute_expires_at),
		s->remember_me ? "t" : "f", s->device_id, s->user_agent, s->ip,
		t->refresh_hash, db_num(&rexp, t->refresh_expires_at), t->access_jti,
		db_num(&aexp, t->access_expires_at) };
	enum store_err err;
	PGresult *res = db_run(S_SESSION_CREATE, 12, v, &err);

	if (res == NULL)
		return err;
	db_copy(s->id, sizeof(s->id), PQgetvalue(res, 0, 0));
	s->last_active_at = s->created_at;
	s->ended_at = 0;
	s->end_reason = END_NONE;
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_auth_lookup(const char *sid, const char *jti, struct session *s, struct user *u,
    bool *jti_revoked)
{
	const char *v[] = { sid, jti };
	enum store_err err;
	PGresult *res;

	if (!db_uuid_ok(sid))
		return STORE_NOTFOUND;
	if ((res = db_run(S_AUTH_LOOKUP, 2, v, &err)) == NULL)
		return err;
	if (PQntuples(res) == 1) {
		db_read_session(res, 0, 0, s);
		db_read_user(res, 0, SESSION_NCOLS, u);
		*jti_revoked = db_bool(res, 0, SESSION_NCOLS + USER_NCOLS);
	} else
		err = STORE_NOTFOUND;
	PQclear(res);
	return err;
}

enum store_err
store_session_touch(const char *sid, time_t now)
{
	struct num t;
	const char *v[] = { sid, db_num(&t, now) };
	enum store_err err;
	PGresult *res;

	if (!db_uuid_ok(sid))
		return STORE_NOTFOUND;
	res = db_run(S_SESSION_TOUCH, 2, v, &err);
	PQclear(res);
	return err;
}

enum store_err
store_session_end(const char *sid, int64_t user_id, enum end_reason reason,
    time_t ended_at, time_t now, bool *ended_now)
{
	struct num uid, e, t;
	const char *v[] = { sid, db_num(&uid, user_id), end_reason_name(reason),
		db_num(&e, ended_at), db_num(&t, now) };
	enum store_err err;
	PGresult *res;

	if (ended_now != NULL)
		*ended_now = false;
	if (!db_uuid_ok(sid))
		return STORE_NOTFOUND;
	if ((res = db_run_locked(S_SESSION_LOCK, S_SESSION_END, 5, v, &err)) == NULL)
		return err;
	if (!db_bool(res, 0, 0))
		err = STORE_NOTFOUND;
	else if (ended_now != NULL)
		*ended_now = db_int(res, 0, 1) == 1;
	db_count_lifetimes(res, 0, 2);
	PQclear(res);
	return err;
}

enum store_err
store_sessions_end_all(int64_t user_id, const char *except_sid, enum end_reason reason,
    time_t now, int *ended)
{
	struct num uid, t;
	const char *v[] = { db_num(&uid, user_id),
		db_uuid_ok(except_sid) ? except_sid : NULL, end_reason_name(reason),
		db_num(&t, now) };
	enum store_err err;
	PGresult *res = db_run_locked(S_USER_SESSIONS_LOCK, S_SESSIONS_END_ALL, 4, v, &err);

	if (res == NULL)
		return err;
	if (ended != NULL)
		*ended = (int)db_int(res, 0, 0);
	db_count_lifetimes(res, 0, 1);
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_sessions_list(int64_t user_id, struct session **out, size_t *n)
{
	struct num uid;
	const char *v[] = { db_num(&uid, user_id) };

	return db_session_rows(S_SESSIONS_LIST, 1, v, out, n);
}

enum store_err
store_session_refresh_expiry(const char *sid, time_t *expires_at)
{
	const char *v[] = { sid };
	enum store_err err;
	PGresult *res;

	*expires_at = 0;
	if (!db_uuid_ok(sid))
		return STORE_NOTFOUND;
	if ((res = db_run(S_SESSION_REFRESH_EXPIRY, 1, v, &err)) == NULL)
		return err;
	if (PQgetisnull(res, 0, 0))
		err = STORE_NOTFOUND;
	else
		*expires_at = (time_t)db_int(res, 0, 0);
	PQclear(res);
	return err;
}

/* ---- refresh ---- */

/* The new token, written and committed in one round trip. */
static enum store_err
issue_commit(int64_t parent, const struct session *s, const struct token_issue *next,
    const struct refresh_decision *d, time_t now)
{
	struct num p, t, e, a;
	const char *v[] = { db_num(&p, parent), s->id, db_num(&t, now),
		next->refresh_hash, db_num(&e, d->refresh_expires_at), next->access_jti,
		db_num(&a, next->access_expires_at), d->rotate ? "t" : "f",
		d->touch ? "t" : "f" };
	enum store_err err;
	PGresult *res = db_run_commit(S_REFRESH_ISSUE, 9, v, &err);

	PQclear(res);
	return err;
}

/* The grace: hands out again the successor of parent that next names,
 * committed in the same round trip. NOTFOUND when there is no such
 * successor (and then nothing was written). */
static enum store_err
reissue_commit(int64_t parent, const struct session *s, const struct token_issue *next,
    const struct refresh_decision *d, time_t now, time_t *refresh_expires_at)
{
	struct num p, t, a;
	const char *v[] = { db_num(&p, parent), s->id, db_num(&t, now), next->refresh_hash,
		next->access_jti, db_num(&a, next->access_expires_at), d->touch ? "t" : "f" };
	enum store_err err;
	PGresult *res = db_run_commit(S_REFRESH_REISSUE, 7, v, &err);

	if (res == NULL)
		return err;
	if (PQntuples(res) == 1)
		*refresh_expires_at = (time_t)db_int(res, 0, 0);
	else
		err = STORE_NOTFOUND;
	PQclear(res);
	return err;
}

/*
 * Writes, inside the open transaction, what session.c decided about the
 * locked token t of the locked session res->session: an end, a new token,
 * or nothing. A new token commits the transaction with it.
 */
static enum store_err
refresh_write(const struct config *cfg, const struct refresh_row *t,
    const struct token_issue *next, time_t now, bool activity, struct refresh_result *res)
{
	struct session *s = &res->session;
	struct refresh_decision d;
	enum store_err err;

	session_decide_refresh(cfg, s, res->user.disabled, t, activity, now, &d);
	res->reason = d.reason;
	res->verdict = d.verdict;
	if (d.end != END_NONE) {
		s->ended_at = d.end_at;
		s->end_reason = d.end;
		return store_session_end(s->id, 0, d.end, d.end_at, now, &res->ended_now);
	}
	if (d.reason != REASON_NONE)
		return STORE_OK;
	if (d.verdict == REFRESH_GRACE) {
		/* One live chain per session (audit L7): the grace repeats the
		 * successor. None that next names (the signing key changed
		 * within the grace): refused rather than forked. */
		err = reissue_commit(t->id, s, next, &d, now, &res->refresh_expires_at);
		if (err == STORE_NOTFOUND) {
			res->reason = REASON_REFRESH_INVALID;
			return STORE_OK;
		}
	} else {
		res->refresh_expires_at = d.refresh_expires_at;
		err = issue_commit(t->id, s, next, &d, now);
	}
	if (err == STORE_OK && d.touch)
		s->last_active_at = now;
	return err;
}

enum store_err
store_refresh(const struct config *cfg, const char *old_hash,
    const struct token_issue *next, time_t now, bool activity, struct refresh_result *res)
{
	const char *v[] = { old_hash };
	struct refresh_row t;
	enum store_err err;
	PGresult *r = NULL;

	memset(res, 0, sizeof(*res));
	/* Two round trips where the decision allows: BEGIN with the lock,
	 * the new token with COMMIT (libpq's pipeline mode). */
	if ((r = db_begin_run(S_REFRESH_LOCK, 1, v, &err)) == NULL)
		return err;
	if (PQntuples(r) != 1) {
		res->reason = REASON_REFRESH_INVALID;
		goto out;
	}
	memset(&t, 0, sizeof(t));
	t.id = db_int(r, 0, 0);
	t.issued_at = (time_t)db_int(r, 0, 1);
	t.expires_at = (time_t)db_int(r, 0, 2);
	t.rotated_at = (time_t)db_int(r, 0, 3);
	t.revoked_at = (time_t)db_int(r, 0, 4);
	db_read_session(r, 0, 5, &res->session);
	db_read_user(r, 0, 5 + SESSION_NCOLS, &res->user);
	err = refresh_write(cfg, &t, next, now, activity, res);
out:
	PQclear(r);
	/* Still open unless the write committed it (or failed and rolled back). */
	if (db_in_tx() && err == STORE_OK)
		err = db_tx("COMMIT");
	else if (db_in_tx())
		(void)db_tx("ROLLBACK");
	return err;
}

enum store_err
store_refresh_session(const char *hash, char sid[SESSION_ID_LEN + 1])
{
	const char *v[] = { hash };
	enum store_err err;
	PGresult *res = db_run(S_REFRESH_SESSION, 1, v, &err);

	if (res == NULL)
		return err;
	if (PQntuples(res) == 1)
		db_copy(sid, SESSION_ID_LEN + 1, PQgetvalue(res, 0, 0));
	else
		err = STORE_NOTFOUND;
	PQclear(res);
	return err;
}

/* ---- logout reports ---- */

/* s cut to at most max bytes, at a character boundary, in buf (max + 1
 * bytes); NULL stays NULL. Why here too: every stored field of an
 * unauthenticated write has a bound that the store itself keeps (M3),
 * whatever the request parser let through. */
static const char *
capped(const char *s, char *buf, size_t max)
{
	size_t n;

	if (s == NULL || strlen(s) <= max)
		return s;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

enum store_err
store_logout_event_add(const struct logout_event *ev)
{
	char ua[USER_AGENT_MAX + 1], ip[IP_MAX + 1];
	struct num t, uid;
	char idle[32];
	const char *v[10];
	enum store_err err;
	PGresult *res;

	snprintf(idle, sizeof(idle), "%.3f", ev->idle_minutes);
	v[0] = db_num(&t, ev->created_at);
	v[1] = db_num(&uid, ev->user_id);
	v[2] = db_uuid_ok(ev->session_id) ? ev->session_id : NULL;
	v[3] = ev->type;
	v[4] = ev->message ? ev->message : "";
	v[5] = ev->idle_minutes >= 0 ? idle : NULL;
	v[6] = ev->location;
	v[7] = ev->context;
	v[8] = capped(ev->ip, ip, IP_MAX);
	v[9] = capped(ev->user_agent, ua, USER_AGENT_MAX);
	res = db_run(S_LOGOUT_EVENT_ADD, 10, v, &err);
	PQclear(res);
	return err;
}

/* ---- audit ---- */

enum store_err
store_auth_event(const char *kind, int64_t user_id, const char *sid, const char *reason,
    const char *ip, const char *user_agent, time_t now)
{
	char ua[USER_AGENT_MAX + 1], ipb[IP_MAX + 1];
	struct num t, uid;
	const char *v[] = { db_num(&t, now), kind, db_num(&uid, user_id),
		db_uuid_ok(sid) ? sid : NULL, reason, capped(ip, ipb, IP_MAX),
		capped(user_agent, ua, USER_AGENT_MAX) };
	enum store_err err;
	PGresult *res = db_run(S_AUTH_EVENT, 7, v, &err);

	PQclear(res);
	return err;
}

enum store_err
store_auth_event_once(const char *kind, int64_t user_id, const char *sid,
    const char *reason, const char *ip, const char *user_agent, time_t now,
    int64_t burst, bool *written)
{
	char ua[USER_AGENT_MAX + 1], ipb[IP_MAX + 1];
	struct num t, uid, b;
	const char *v[] = { db_num(&t, now), kind, db_num(&uid, user_id),
		db_uuid_ok(sid) ? sid : NULL, reason, capped(ip, ipb, IP_MAX),
		capped(user_agent, ua, USER_AGENT_MAX), db_num(&b, burst) };
	enum store_err err;
	PGresult *res = db_run(S_AUTH_EVENT_ONCE, 8, v, &err);

	*written = res != NULL && PQntuples(res) == 1;
	PQclear(res);
	return err;
}

/* ---- login throttling ---- */

/* Locks and counts one key inside the caller's transaction. */
static enum store_err
throttle_count(struct throttle_key *k, const char *since)
{
	const char *v[] = { k->key, since };
	enum store_err err;
	PGresult *res = db_run(S_THROTTLE_LOCK, 1, v, &err);

	if (res == NULL)
		return err;
	PQclear(res);
	if ((res = db_run(S_THROTTLE_COUNT, 2, v, &err)) == NULL)
		return err;
	k->count = db_int(res, 0, 0);
	k->oldest = (time_t)db_int(res, 0, 1);
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_throttle_take(
    struct throttle_key *keys, size_t n, time_t since, time_t now, bool *allowed)
{
	struct num s, t;
	const char *v[2];
	enum store_err err;
	PGresult *res;
	size_t i;

	*allowed = false;
	db_num(&s, since);
	db_num(&t, now);
	if ((err = db_tx("BEGIN")) != STORE_OK)
		return err;
	for (i = 0; i < n && err == STORE_OK; i++)
		err = throttle_count(&keys[i], s.s);
	if (err == STORE_OK) {
		*allowed = true;
		for (i = 0; i < n; i++)
			if (keys[i].count >= keys[i].max)
				*allowed = false;
	}
	for (i = 0; i < n && err == STORE_OK && *allowed; i++) {
		v[0] = keys[i].key;
		v[1] = t.s;
		res = db_run(S_THROTTLE_ADD, 2, v, &err);
		PQclear(res);
	}
	if (err == STORE_OK)
		err = db_tx("COMMIT");
	else
		(void)db_tx("ROLLBACK");
	if (err != STORE_OK)
		*allowed = false;
	return err;
}

enum store_err
store_throttle_undo(const char *key)
{
	const char *v[] = { key };
	enum store_err err;
	PGresult *res = db_run(S_THROTTLE_UNDO, 1, v, &err);

	PQclear(res);
	return err;
}

enum store_err
store_fold_email(const char *email, char **out)
{
	const char *v[] = { email };
	enum store_err err;
	PGresult *res = db_run(S_FOLD_EMAIL, 1, v, &err);

	*out = NULL;
	if (res == NULL)
		return err;
	*out = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return STORE_OK;
}

enum store_err
store_login_clear(const char *key)
{
	const char *v[] = { key };
	enum store_err err;
	PGresult *res = db_run(S_LOGIN_CLEAR, 1, v, &err);

	PQclear(res);
	return err;
}
