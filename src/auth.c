/*
 * auth: turns a request's credentials into a live session and user, or into
 * the most specific reason why not. One store round trip when nothing needs
 * writing; a session found past its limits is ended here, so its end is
 * recorded the first time anyone notices it.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "metrics.h"
#include "sesscache.h"
#include "tokmemo.h"
#include "util.h"

/* req_init cuts the User-Agent to what a session stores. */
_Static_assert(HTTP_USER_AGENT_MAX == USER_AGENT_MAX, "User-Agent caps agree");

/*
 * Asks the rules about the loaded session and writes what they say, at
 * most once: the session's end, or the activity.
 */
static enum auth_result
check_session(const struct config *cfg, const struct req *req, bool expired,
    bool jti_revoked, bool activity, struct auth_info *out)
{
	struct session *s = &out->session;
	struct verify_decision d;
	bool ended = false;

	session_decide_verify(
	    cfg, s, out->user.disabled, expired, jti_revoked, activity, req->now, &d);
	out->deny = d.deny;
	if (d.end != END_NONE) {
		if (store_session_end(s->id, 0, d.end, d.end_at, req->now, &ended) ==
		    STORE_UNAVAILABLE)
			return AUTH_UNAVAILABLE;
		if (ended) {
			auth_sessions_ended(s->id, d.end, 1);
			log_info("session %s ended (%s) on a request from %s", s->id,
			    end_reason_name(d.end), req->remote_addr);
		}
	} else if (d.touch) {
		if (store_session_touch(s->id, req->now) == STORE_UNAVAILABLE)
			return AUTH_UNAVAILABLE;
		s->last_active_at = req->now;
	}
	return d.deny.reason == REASON_NONE ? AUTH_OK : AUTH_DENIED;
}

static void
on_session_end(const char *sid, void *arg)
{
	(void)arg;
	sesscache_drop(sid);
}

/*
 * Brings the cache up to date with every end heard of, and says whether
 * it may be used for this request. Not when the connection was replaced
 * since the last request (notifications may have been lost: the cache is
 * emptied), nor when it is down or not listening: then the round trip
 * decides, and a database outage stays a 503.
 */
/* Whether cache_ready() ran since the last auth_hear_session_ends(). */
static bool heard;

static bool
cache_ready(void)
{
	static uint64_t conn_seen;
	uint64_t conn = store_connection_id();

	if (!sesscache_enabled())
		return false;
	heard = true;
	if (conn != conn_seen) {
		sesscache_drop(NULL);
		conn_seen = conn;
	}
	if (store_session_ends(on_session_end, NULL) != 0) {
		sesscache_drop(NULL);
		return false;
	}
	sesscache_sync();
	return true;
}

/* Only for a request that did not read them already (a verify did): one
 * recv() per request is enough. */
void
auth_hear_session_ends(void)
{
	if (!heard)
		(void)cache_ready();
	heard = false;
}

/* Whether the token's subject (sub) owns the session it names. */
static bool
subject_owns(const struct auth_info *a)
{
	char id[JWT_ID_MAX];

	snprintf(id, sizeof(id), "%lld", (long long)a->session.user_id);
	return strcmp(id, a->claims.sub) == 0;
}

/*
 * The answer from the cache, if it can give one without the database: a
 * valid (unexpired) token of a session cached live, which the database
 * said was not blacklisted since the entry was made (a blacklist is per
 * jti: another token of the same session proves nothing about this one),
 * owned by the token's subject, with no limit reached and no activity
 * write due. Anything else takes the round trip, which also decides every
 * 401.
 */
static bool
from_cache(
    const struct config *cfg, const struct req *req, bool activity, struct auth_info *out)
{
	struct verify_decision d;

	if (!sesscache_get(
	        out->claims.sid, out->claims.jti, req->now, &out->session, &out->user))
		return false;
	session_decide_verify(
	    cfg, &out->session, out->user.disabled, false, false, activity, req->now, &d);
	if (subject_owns(out) && d.deny.reason == REASON_NONE && !d.touch)
		return true;
	memset(&out->session, 0, sizeof(out->session));
	memset(&out->user, 0, sizeof(out->user));
	return false;
}

enum auth_result
auth_access(
    const struct config *cfg, const struct req *req, bool activity, struct auth_info *out)
{
	enum auth_result ar;
	bool cache;
	const char *tok;
	enum jwt_err je;
	enum store_err se;
	bool revoked = false;

	memset(out, 0, sizeof(*out));
	if ((tok = transport_access_token(cfg, req, &out->source)) == NULL) {
		out->deny.reason = REASON_TOKEN_MISSING;
		return AUTH_DENIED;
	}
	if (tokmemo_get(tok, &out->claims)) {
		je = jwt_check_times(&out->claims, cfg->jwt_leeway, req->now);
		if (je != JWT_OK && je != JWT_EXPIRED) /* as jwt_verify leaves it */
			memset(&out->claims, 0, sizeof(out->claims));
	} else {
		je = jwt_verify(tok, cfg->keys, cfg->nkeys, cfg->issuer, cfg->audience,
		    cfg->jwt_leeway, req->now, &out->claims);
		if (je == JWT_OK)
			tokmemo_put(tok, &out->claims);
	}
	if (je != JWT_OK && je != JWT_EXPIRED) {
		out->deny.reason = REASON_TOKEN_INVALID;
		return AUTH_DENIED;
	}
	cache = cache_ready();
	if (cache && je == JWT_OK) {
		bool hit = from_cache(cfg, req, activity, out);

		metrics_session_cache(hit);
		if (hit) {
			out->identified = true;
			return AUTH_OK;
		}
	}
	/* Even an expired token is looked up: if its session has ended, that
	 * is the more useful answer than "refresh". */
	se = store_auth_lookup(
	    out->claims.sid, out->claims.jti, &out->session, &out->user, &revoked);
	if (se == STORE_UNAVAILABLE)
		return AUTH_UNAVAILABLE;
	if (se != STORE_OK || !subject_owns(out)) {
		memset(&out->session, 0, sizeof(out->session));
		memset(&out->user, 0, sizeof(out->user));
		out->deny.reason = REASON_TOKEN_INVALID;
		return AUTH_DENIED;
	}
	out->identified = true;
	ar = check_session(cfg, req, je == JWT_EXPIRED, revoked, activity, out);
	/* AUTH_OK means this jti was just found not blacklisted. */
	if (cache && ar == AUTH_OK)
		sesscache_put(&out->session, &out->user, out->claims.jti,
		    req->now + (time_t)session_write_interval(cfg, &out->session));
	return ar;
}

void
auth_sessions_ended(const char *sid, enum end_reason r, int64_t n)
{
	if (n <= 0)
		return;
	sesscache_ended(n == 1 ? sid : NULL);
	metrics_sessions_ended(r, n);
}

void
auth_cache_session(
    const struct config *cfg, const struct session *s, const struct user *u, time_t now)
{
	/* One activity write step: the idle timer the entry carries is then at
	 * most that far behind the other workers' writes. No token is added:
	 * only auth_access checks one against the blacklist. */
	sesscache_put(s, u, NULL, now + (time_t)session_write_interval(cfg, s));
}

bool
auth_token_sid(const struct config *cfg, const struct req *req,
    char sid[SESSION_ID_LEN + 1], enum token_source *src)
{
	const char *tok = transport_access_token(cfg, req, src);
	struct jwt_claims cl;
	enum jwt_err je;

	sid[0] = '\0';
	if (tok == NULL)
		return false;
	je = jwt_verify(tok, cfg->keys, cfg->nkeys, cfg->issuer, cfg->audience,
	    cfg->jwt_leeway, req->now, &cl);
	if ((je != JWT_OK && je != JWT_EXPIRED) || strlen(cl.sid) != SESSION_ID_LEN)
		return false;
	memcpy(sid, cl.sid, SESSION_ID_LEN + 1);
	return true;
}

bool
auth_is_activity(const struct req *req)
{
	const char *h = req_header(req, "X-Activity");

	return !(h != NULL && strcmp(h, "background") == 0);
}

enum auth_result
auth_explain(
    const struct config *cfg, const struct req *req, struct denial *d, struct session *s)
{
	struct auth_info a;
	enum auth_result ar;

	memset(d, 0, sizeof(*d));
	/* No token at all is a denial without an end: nothing to explain. */
	if ((ar = auth_access(cfg, req, false, &a)) != AUTH_DENIED ||
	    a.deny.ended_reason == END_NONE)
		return ar;
	*d = a.deny;
	*s = a.session;
	return ar;
}
