/*
 * handlers: one function per route, each reading parse -> rules -> store
 * -> reply. The sign-in policy is login.c, the session rules session.c,
 * how tokens travel transport.c, the shapes of the answers reply.c; none
 * of them knows SQL or FastCGI. A store fault always becomes a 503, never
 * a 401.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "hashgate.h"
#include "json.h"
#include "log.h"
#include "login.h"
#include "metrics.h"
#include "netaddr.h"
#include "password.h"
#include "reply.h"
#include "report.h"
#include "session.h"
#include "store.h"
#include "tokens.h"
#include "transport.h"
#include "util.h"

/* Bytes of an email field: longer is a bad request, not a failed login. */
#define LOGIN_EMAIL_FIELD_MAX 1024
#define EVENTS_LIMIT 20
/* Seconds in which identical refresh failures from one address are one
 * audit row (M3): a client retrying in a loop writes once. */
#define AUDIT_BURST_S 60

/* ---- routes ---- */

/* Hashes a new password; NULL (and a 500 sent) if it cannot. */
static char *
new_hash(struct ctx *c, const char *pw, size_t pwlen)
{
	char *hash = password_hash(pw, pwlen, &c->cfg->scrypt);

	if (hash == NULL)
		reply_fail(c->resp, ERR_INTERNAL, "Could not hash the password.");
	return hash;
}

static void
h_register(struct ctx *c)
{
	struct registration r;
	const char *bad;
	struct user u;
	char *hash;
	enum store_err se;
	json_object *o;
	int64_t retry = 0;
	enum login_result lr;

	if (!c->cfg->allow_registration) {
		reply_fail(c->resp, ERR_REGISTRATION_CLOSED, NULL);
		return;
	}
	if ((bad = login_parse_registration(c->body, &r)) != NULL) {
		reply_bad_request(c->resp, bad);
		return;
	}
	if (!hashgate_enter((int)c->cfg->hash_concurrency)) {
		(void)reply_login_refused(c->resp, LOGIN_BUSY, 0);
		return;
	}
	/* Counted before the hash, and a 409 counts too: the address budget
	 * also bounds /register as an oracle of which emails exist. */
	lr = login_take_hash(c->cfg, c->req, &retry);
	if (reply_login_refused(c->resp, lr, retry) ||
	    (hash = new_hash(c, r.password, r.password_len)) == NULL) {
		hashgate_leave();
		return;
	}
	hashgate_leave();
	se = store_user_create(r.email, hash, r.display_name, c->req->now, &u);
	util_free_secret(hash);
	if (se == STORE_CONFLICT) {
		reply_fail(c->resp, ERR_EMAIL_TAKEN, NULL);
		return;
	}
	if (se != STORE_OK) {
		reply_store_error(c->resp, se);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "user", reply_view_user(&u));
	reply_json(c->resp, 201, o);
	metrics_count(M_REGISTER);
	log_info("user %lld registered from %s", (long long)u.id, c->req->remote_addr);
}

static void
h_login(struct ctx *c)
{
	const char *email, *pw, *device = NULL;
	size_t pwlen;
	bool remember = false;
	enum login_result lr;
	int64_t retry = 0;
	struct user u;
	struct session s;
	struct token_pair p;
	time_t now = c->req->now;
	enum store_err se;

	if (json_get_text(c->body, "email", LOGIN_EMAIL_FIELD_MAX, &email) != 0 ||
	    json_get_string(c->body, "password", &pw, &pwlen) != 0) {
		reply_bad_request(c->resp, "email and password are required strings.");
		return;
	}
	if (pwlen > 4 * PASSWORD_MAX_CHARS || !util_utf8_valid(pw, pwlen)) {
		reply_bad_request(c->resp, "The password is not valid UTF-8 text.");
		return;
	}
	if (json_get_bool(c->body, "remember_me", &remember) < 0 ||
	    json_get_text(c->body, "device_id", DEVICE_ID_MAX, &device) < 0 ||
	    (device != NULL && !util_text_ok(device, DEVICE_ID_MAX))) {
		reply_bad_request(
		    c->resp, "remember_me must be a boolean and device_id short text.");
		return;
	}
	/* Never wait for a slot: a waiting worker is what the cap prevents. */
	if (!hashgate_enter((int)c->cfg->hash_concurrency))
		lr = LOGIN_BUSY;
	else {
		lr = login_check(c->cfg, c->req, email, pw, pwlen, &u, &retry);
		hashgate_leave();
	}
	if (reply_login_refused(c->resp, lr, retry))
		return;
	session_init(c->cfg, &s, u.id, remember, now);
	snprintf(s.device_id, sizeof(s.device_id), "%s", device ? device : "");
	snprintf(s.user_agent, sizeof(s.user_agent), "%s", c->req->user_agent);
	snprintf(s.ip, sizeof(s.ip), "%s", c->req->remote_addr);
	tokens_pair_new(c->cfg, now, &p);
	p.issue.refresh_expires_at = session_refresh_expiry(c->cfg, &s, now);
	if ((se = store_session_create(&s, &p.issue)) != STORE_OK) {
		tokens_pair_clear(&p);
		/* Data refused (class 22) is a 400; anything else an outage. */
		reply_store_error(c->resp, se == STORE_INVALID ? se : STORE_UNAVAILABLE);
		return;
	}
	tokens_pair_sign(c->cfg, &p, &s, now);
	reply_tokens(c->resp, c->cfg, c->req, &p, &s, &u, p.issue.refresh_expires_at);
	metrics_count(M_LOGIN_OK);
	log_info("login user %lld session %s from %s", (long long)u.id, s.id,
	    c->req->remote_addr);
	tokens_pair_clear(&p);
}

static void
refresh_denied(struct ctx *c, const struct refresh_result *r)
{
	struct denial a;
	int64_t retry = 0;
	bool written = false;

	memset(&a, 0, sizeof(a));
	a.reason = r->reason;
	if (r->session.end_reason != END_NONE) {
		a.ended_reason = r->session.end_reason;
		a.ended_at = r->session.ended_at;
		a.idle_for = c->req->now - r->session.last_active_at;
	}
	/* An unauthenticated write: within the address's budget, and once per
	 * burst. Past either the 401 is the same; only the row is not written
	 * (the metric below still counts it). */
	if (login_take_write(c->cfg, c->req, &retry) == LOGIN_OK)
		(void)store_auth_event_once("refresh_failed", r->session.user_id,
		    r->session.id[0] ? r->session.id : NULL, reason_name(r->reason),
		    c->req->remote_addr, c->req->user_agent, c->req->now, AUDIT_BURST_S,
		    &written);
	log_info("refresh refused (%s) from %s%s%s", reason_name(r->reason),
	    c->req->remote_addr, r->session.id[0] ? ", session " : "", r->session.id);
	metrics_refresh_failed(r->reason);
	if (r->ended_now)
		auth_sessions_ended(r->session.id, r->session.end_reason, 1);
	/* The cookies stay, as on every 401: they are what lets the next
	 * request (another tab, the logout report, a reload) still be told
	 * why. Only a logout clears them. */
	reply_deny(c->resp, &a);
}

/* A refusal that names no session may be explained by the access token
 * that came with it (auth_explain). STORE_UNAVAILABLE on a fault. */
static enum store_err
explain_refusal(struct ctx *c, struct refresh_result *r)
{
	struct denial d;

	if ((r->reason != REASON_TOKEN_MISSING && r->reason != REASON_REFRESH_INVALID) ||
	    r->session.id[0] != '\0')
		return STORE_OK;
	if (auth_explain(c->cfg, c->req, &d, &r->session) == AUTH_UNAVAILABLE)
		return STORE_UNAVAILABLE;
	if (d.ended_reason != END_NONE) {
		r->reason = d.reason;
		r->session.end_reason = d.ended_reason;
		r->session.ended_at = d.ended_at;
	}
	return STORE_OK;
}

static void
h_refresh(struct ctx *c)
{
	enum token_source src;
	const char *t = transport_refresh_token(c->cfg, c->req, c->body, &src);
	char hash[TOKEN_HASH_HEX + 1];
	struct refresh_result r;
	struct token_pair p;
	enum store_err se = STORE_OK;

	memset(&r, 0, sizeof(r));
	memset(&p, 0, sizeof(p));
	if (!transport_csrf_ok(c->cfg, c->req, src)) {
		reply_fail(c->resp, ERR_CSRF_FAILED, NULL);
		return;
	}
	if (t == NULL || !tokens_refresh_shape_ok(t))
		/* No refresh-token lookup for these, but audited like the rest. */
		r.reason = t == NULL ? REASON_TOKEN_MISSING : REASON_REFRESH_INVALID;
	else {
		tokens_hash(t, hash);
		tokens_pair_next(c->cfg, t, c->req->now, &p);
		se = store_refresh(
		    c->cfg, hash, &p.issue, c->req->now, auth_is_activity(c->req), &r);
	}
	if (se == STORE_OK && r.reason != REASON_NONE)
		se = explain_refusal(c, &r);
	if (se != STORE_OK)
		reply_store_error(c->resp, se);
	else if (r.reason != REASON_NONE)
		refresh_denied(c, &r);
	else {
		tokens_pair_sign(c->cfg, &p, &r.session, c->req->now);
		reply_tokens(c->resp, c->cfg, c->req, &p, &r.session, &r.user,
		    r.refresh_expires_at);
		metrics_count(
		    r.verdict == REFRESH_ROTATE ? M_REFRESH_ROTATED : M_REFRESH_GRACE);
	}
	tokens_pair_clear(&p);
}

/* The session a logout names: the access token's (even expired), else the
 * refresh token's. Empty sid when neither names one. *src: the source of
 * the credential that named it (or was looked at last). */
static enum store_err
logout_target(struct ctx *c, char sid[SESSION_ID_LEN + 1], enum token_source *src)
{
	const char *tok;
	char hash[TOKEN_HASH_HEX + 1];
	enum store_err se;

	if (auth_token_sid(c->cfg, c->req, sid, src))
		return STORE_OK;
	tok = transport_refresh_token(c->cfg, c->req, c->body, src);
	if (tok == NULL || !tokens_refresh_shape_ok(tok))
		return STORE_OK;
	tokens_hash(tok, hash);
	se = store_refresh_session(hash, sid);
	return se == STORE_NOTFOUND ? STORE_OK : se;
}

/* Ends session sid with reason for user_id (0: whoever owns it), telling
 * the caches and the log; *ended whether this call ended it. */
static enum store_err
end_session(
    struct ctx *c, const char *sid, int64_t user_id, enum end_reason reason, bool *ended)
{
	enum store_err se =
	    store_session_end(sid, user_id, reason, c->req->now, c->req->now, ended);

	if (se == STORE_OK && *ended) {
		auth_sessions_ended(sid, reason, 1);
		log_info("session %s ended (%s) by request from %s", sid,
		    end_reason_name(reason), c->req->remote_addr);
	}
	return se;
}

static void
h_logout(struct ctx *c)
{
	char sid[SESSION_ID_LEN + 1];
	enum token_source src, carried = transport_credential(c->cfg, c->req, c->body);
	bool ended = false;
	enum store_err se;

	/* No credential at all (a cross-site form, which under SameSite=Lax
	 * carries no cookie): nothing to end, and no cookie of this browser
	 * to delete: deleting them would be a forged sign-out. */
	if (carried == TOKEN_SRC_NONE) {
		reply_json(c->resp, 200, json_object_new_object());
		return;
	}
	/* Any cookie credential, genuine or not, needs the CSRF header before
	 * the cookies are deleted. */
	if (!transport_csrf_ok(c->cfg, c->req, carried)) {
		reply_fail(c->resp, ERR_CSRF_FAILED, NULL);
		return;
	}
	if ((se = logout_target(c, sid, &src)) != STORE_OK) {
		reply_store_error(c->resp, se);
		return;
	}
	if (!transport_csrf_ok(c->cfg, c->req, src)) {
		reply_fail(c->resp, ERR_CSRF_FAILED, NULL);
		return;
	}
	if (sid[0] != '\0' &&
	    (se = end_session(c, sid, 0, END_USER_LOGOUT, &ended)) == STORE_UNAVAILABLE) {
		reply_store_error(c->resp, se);
		return;
	}
	reply_json(c->resp, 200, json_object_new_object());
	transport_clear_cookies(c->cfg, c->resp);
}

/* {"ended": n} after n sessions of the caller ended with reason. */
static void
reply_ended(struct ctx *c, enum end_reason reason, int n)
{
	json_object *o = json_object_new_object();

	auth_sessions_ended(NULL, reason, n);
	json_add_int(o, "ended", n);
	reply_json(c->resp, 200, o);
	log_info("%s user %lld session %s from %s: %d sessions ended",
	    end_reason_name(reason), (long long)c->auth.user.id, c->auth.session.id,
	    c->req->remote_addr, n);
}

static void
h_logout_all(struct ctx *c)
{
	int n = 0;
	enum store_err se = store_sessions_end_all(
	    c->auth.user.id, NULL, END_LOGOUT_ALL, c->req->now, &n);

	if (se != STORE_OK) {
		reply_store_error(c->resp, se);
		return;
	}
	reply_ended(c, END_LOGOUT_ALL, n);
	transport_clear_cookies(c->cfg, c->resp);
}

static void
h_me(struct ctx *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "user", reply_view_user(&c->auth.user));
	reply_json(c->resp, 200, o);
}

static void
h_session_info(struct ctx *c)
{
	time_t rexp;
	enum store_err se = store_session_refresh_expiry(c->auth.session.id, &rexp);

	if (se == STORE_UNAVAILABLE) {
		reply_store_error(c->resp, se);
		return;
	}
	reply_json(c->resp, 200,
	    reply_view_session_info(c->cfg, &c->auth.session, c->auth.claims.iat,
	        c->auth.claims.exp, rexp, c->req->now));
}

static void
h_activity(struct ctx *c)
{
	enum store_err se;

	/* An explicit "I am here": write it even inside the coalescing step,
	 * so the timers the user sees are exact after a "Stay signed in". */
	if (c->auth.session.last_active_at < c->req->now) {
		if ((se = store_session_touch(c->auth.session.id, c->req->now)) !=
		    STORE_OK) {
			reply_store_error(c->resp, se);
			return;
		}
		c->auth.session.last_active_at = c->req->now;
		/* This worker's cached copy must not show the older time. */
		auth_cache_session(c->cfg, &c->auth.session, &c->auth.user, c->req->now);
	}
	h_session_info(c);
}

static void
h_sessions(struct ctx *c)
{
	struct session *list;
	size_t i, n;
	json_object *o, *arr, *one;
	enum store_err se = store_sessions_list(c->auth.user.id, &list, &n);

	if (se != STORE_OK) {
		reply_store_error(c->resp, se);
		return;
	}
	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		one = reply_view_session(&list[i], true);
		json_add_bool(
		    one, "current", strcmp(list[i].id, c->auth.session.id) == 0);
		json_object_array_add(arr, one);
	}
	free(list);
	o = json_object_new_object();
	json_object_object_add(o, "sessions", arr);
	json_add_str(o, "current", c->auth.session.id);
	reply_json(c->resp, 200, o);
}

static void
h_session_delete(struct ctx *c)
{
	bool ended = false;
	enum store_err se =
	    end_session(c, c->param, c->auth.user.id, END_REVOKED_BY_USER, &ended);
	json_object *o;

	if (se == STORE_NOTFOUND) {
		reply_fail(c->resp, ERR_NOT_FOUND, "No such session.");
		return;
	}
	if (se != STORE_OK) {
		reply_store_error(c->resp, se);
		return;
	}
	o = json_object_new_object();
	json_add_bool(o, "ended", ended);
	reply_json(c->resp, 200, o);
	if (strcmp(c->param, c->auth.session.id) == 0)
		transport_clear_cookies(c->cfg, c->resp);
}

/* Wrong current passwords up to the account's limit: whoever holds this
 * session is guessing, so it ends (L3). A fault here leaves the 429 of
 * the next guess as the bound. */
static void
password_guesses_end(struct ctx *c)
{
	bool ended = false;

	/* The cookies stay, as on every 401 but a logout's: the browser's next
	 * request is told SESSION_ENDED with PASSWORD_GUESSES. Cleared here,
	 * it would be told only that it has no token. */
	if (end_session(c, c->auth.session.id, c->auth.user.id, END_PASSWORD_GUESSES,
	        &ended) != STORE_OK)
		log_warn("session %s: not ended after password guesses", c->auth.session.id);
}

static void
h_password(struct ctx *c)
{
	const char *cur, *next;
	size_t curlen, nextlen;
	enum pw_err pe;
	enum login_result lr;
	char *hash;
	int ended = 0;
	enum store_err se;
	int64_t retry = 0, failures = 0;

	if (c->body == NULL ||
	    json_get_string(c->body, "current_password", &cur, &curlen) != 0 ||
	    json_get_string(c->body, "new_password", &next, &nextlen) != 0) {
		reply_bad_request(
		    c->resp, "current_password and new_password are required strings.");
		return;
	}
	if ((pe = password_validate(next, nextlen)) != PW_OK) {
		reply_bad_request(c->resp, password_err_message(pe));
		return;
	}
	if (!hashgate_enter((int)c->cfg->hash_concurrency)) {
		(void)reply_login_refused(c->resp, LOGIN_BUSY, 0);
		return;
	}
	lr = login_verify_current(
	    c->cfg, c->req, c->auth.user.id, cur, curlen, &retry, &failures);
	hash = lr == LOGIN_OK ? new_hash(c, next, nextlen) : NULL;
	hashgate_leave();
	if (lr == LOGIN_NO_USER) { /* deleted a moment ago */
		reply_deny_reason(c->resp, REASON_TOKEN_INVALID);
		return;
	}
	if (lr == LOGIN_BAD_CREDENTIALS && failures >= c->cfg->login_max_attempts)
		password_guesses_end(c);
	if (reply_login_refused(c->resp, lr, retry) || hash == NULL)
		return;
	se = store_user_set_password(
	    c->auth.user.id, hash, c->auth.session.id, c->req->now, &ended);
	util_free_secret(hash);
	if (se != STORE_OK) {
		reply_store_error(c->resp, se);
		return;
	}
	reply_ended(c, END_PASSWORD_CHANGED, ended);
}

static void
h_logout_event(struct ctx *c)
{
	struct logout_event ev;
	enum logout_type type;
	enum store_err se;
	const char *bad;
	bool mine;
	enum login_result lr;
	int64_t retry = 0;
	char secs[24];

	memset(&ev, 0, sizeof(ev));
	if ((bad = report_parse(c->body, &ev, &type)) != NULL) {
		reply_bad_request(c->resp, bad);
		return;
	}
	/* Anyone may report, so each address has a budget of rows (M3). */
	if ((lr = login_take_write(c->cfg, c->req, &retry)) == LOGIN_THROTTLED) {
		reply_fail(c->resp, ERR_TOO_MANY_REQUESTS, NULL);
		snprintf(secs, sizeof(secs), "%lld", (long long)retry);
		resp_set_header(c->resp, "Retry-After", secs);
		return;
	}
	if (lr != LOGIN_OK) {
		reply_unavailable(c->resp);
		return;
	}
	ev.created_at = c->req->now;
	/* A report usually comes just after its session ended: a genuine
	 * token of an ended session still says whose report it is, but only
	 * with a proof the request is not forged (the route is exempt from
	 * CSRF): else anyone could write into a user's timeline. */
	mine = c->auth.identified &&
	    transport_unforged(c->cfg, c->req, c->body, c->auth.source);
	ev.user_id = mine ? c->auth.user.id : 0;
	ev.session_id = mine ? c->auth.session.id : NULL;
	ev.ip = (char *)c->req->remote_addr;
	ev.user_agent = (char *)c->req->user_agent;
	if ((se = store_logout_event_add(&ev)) != STORE_OK) {
		reply_store_error(c->resp, se);
		return;
	}
	log_info("logout report %s from %s", ev.type, c->req->remote_addr);
	metrics_report(type);
	reply_json(c->resp, 202, json_object_new_object());
}

static void
h_logout_events(struct ctx *c)
{
	struct logout_event *evs = NULL;
	struct session *ends = NULL;
	size_t ne = 0, ns = 0;
	json_object *o;
	enum store_err se;

	if ((se = store_logout_events_list(c->auth.user.id, EVENTS_LIMIT, &evs, &ne)) !=
	        STORE_OK ||
	    (se = store_sessions_ended(c->auth.user.id, EVENTS_LIMIT, &ends, &ns)) !=
	        STORE_OK) {
		store_logout_events_free(evs, ne);
		reply_store_error(c->resp, se);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "events", reply_view_timeline(evs, ne, ends, ns));
	store_logout_events_free(evs, ne);
	free(ends);
	reply_json(c->resp, 200, o);
}

static void
h_health(struct ctx *c)
{
	json_object *o = json_object_new_object();
	bool up = store_ping() == STORE_OK;
	char secs[16];

	json_add_str(o, "status", up ? "ok" : "unavailable");
	json_add_str(o, "database", up ? "ok" : "unavailable");
	if (!up)
		json_add_str(o, "error", "unavailable");
	reply_json(c->resp, up ? 200 : 503, o);
	if (!up) {
		snprintf(secs, sizeof(secs), "%d", RETRY_AFTER_S);
		resp_set_header(c->resp, "Retry-After", secs);
	}
}

/* The public settings a page needs before anyone signs in (the sign-in
 * page's "remember me" text, whether to offer registration, the timers). */
static void
h_settings(struct ctx *c)
{
	reply_json(c->resp, 200, reply_view_settings(c->cfg, c->req->now));
}

/* Prometheus text; only for the addresses of metrics_allow. */
static void
h_metrics(struct ctx *c)
{
	struct metrics_db db;

	if (!netaddr_allowed(c->cfg->metrics_allow, c->req->remote_addr)) {
		reply_fail(
		    c->resp, ERR_FORBIDDEN, "Metrics are not served to this address.");
		return;
	}
	/* A database outage is itself a metric, not an error of /metrics. */
	(void)store_metrics(c->req->now, c->cfg->session_retention, &db);
	resp_set_body(c->resp, 200, "text/plain; version=0.0.4; charset=utf-8",
	    metrics_render(&db));
}

/* The migrations store_migrate() printed ("applied NNN_x.sql" lines) as a
 * JSON array of the file names; the other lines (failures) go to the log. */
static json_object *
applied_list(char *text)
{
	json_object *a = json_object_new_array();
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "applied ", 8) == 0)
			json_object_array_add(a, json_object_new_string(line + 8));
		else
			log_error("setup: %s", line);
	}
	return a;
}

/*
 * First setup on a host with no shell (setup_code set): the migrations,
 * then, when the body names one, the first user. Refused without the
 * code, and for a user once any user exists; off (404) without a code.
 */
static void
h_setup(struct ctx *c)
{
	const char *code = NULL;
	struct registration r;
	const char *bad = NULL;
	char *out = NULL, *hash = NULL;
	size_t outlen = 0;
	FILE *fp;
	enum store_err se;
	struct user u;
	json_object *o; /* the answer's body, ours until reply_json takes it */
	bool first_user;

	if (*c->cfg->setup_code == '\0') {
		reply_fail(c->resp, ERR_NOT_FOUND, NULL);
		return;
	}
	if (json_get_text(c->body, "setup_code", 1024, &code) != 0) {
		reply_bad_request(c->resp, "setup_code is required.");
		return;
	}
	if (strlen(code) != strlen(c->cfg->setup_code) ||
	    !util_ct_equal(code, c->cfg->setup_code, strlen(code))) {
		log_warn("setup: a wrong setup code from %s", c->req->remote_addr);
		reply_fail(c->resp, ERR_SETUP_CODE_WRONG, NULL);
		return;
	}
	/* No email: only the migrations (an upgrade). */
	first_user = c->body != NULL && json_object_object_get_ex(c->body, "email", NULL);
	if (first_user && (bad = login_parse_registration(c->body, &r)) != NULL) {
		reply_bad_request(c->resp, bad);
		return;
	}
	if ((fp = open_memstream(&out, &outlen)) == NULL) {
		reply_fail(c->resp, ERR_INTERNAL, NULL);
		return;
	}
	se = store_migrate(c->cfg->sql_dir, fp);
	if (fclose(fp) != 0) /* out stays valid: it is what was written */
		log_warn("setup: the migration report is incomplete");
	o = json_object_new_object();
	json_object_object_add(o, "migrations", applied_list(out));
	free(out);
	if (se == STORE_NOTFOUND || se == STORE_CONFLICT)
		reply_fail(c->resp, ERR_INTERNAL,
		    se == STORE_NOTFOUND ? "The migrations directory (sql_dir) cannot be read or has none."
		                         : "A migration failed; the error log says why.");
	else if (se != STORE_OK)
		reply_store_error(c->resp, se);
	else if (!first_user) {
		reply_json(c->resp, 200, o);
		o = NULL;
	} else if ((hash = new_hash(c, r.password, r.password_len)) != NULL) {
		se = store_user_create_first(r.email, hash, r.display_name, c->req->now, &u);
		if (se == STORE_CONFLICT)
			reply_fail(c->resp, ERR_SETUP_DONE, NULL);
		else if (se != STORE_OK)
			reply_store_error(c->resp, se);
		else {
			json_object_object_add(o, "user", reply_view_user(&u));
			reply_json(c->resp, 201, o);
			o = NULL;
			log_info("setup: user %lld created from %s", (long long)u.id,
			    c->req->remote_addr);
		}
	}
	util_free_secret(hash);
	json_object_put(o);
}

static const struct route routes[] = {
	{ "POST", "/register", AUTH_NONE, h_register },
	{ "POST", "/login", AUTH_NONE, h_login },
	{ "POST", "/refresh", AUTH_SELF, h_refresh },
	{ "POST", "/logout", AUTH_SELF, h_logout },
	{ "POST", "/logout-all", AUTH_ACCESS, h_logout_all },
	{ "GET", "/me", AUTH_ACCESS, h_me },
	{ "GET", "/session-info", AUTH_ACCESS, h_session_info },
	{ "GET", "/sessions", AUTH_ACCESS, h_sessions },
	{ "DELETE", "/sessions/{id}", AUTH_ACCESS, h_session_delete },
	{ "POST", "/password", AUTH_ACCESS, h_password },
	{ "POST", "/activity", AUTH_ACCESS, h_activity },
	{ "POST", "/logout-event", AUTH_OPTIONAL, h_logout_event },
	{ "GET", "/logout-events", AUTH_ACCESS, h_logout_events },
	{ "GET", "/health", AUTH_NONE, h_health },
	{ "GET", "/settings", AUTH_NONE, h_settings },
	{ "GET", "/metrics", AUTH_NONE, h_metrics },
	{ "POST", "/setup", AUTH_NONE, h_setup },
};

const struct route *
handlers_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
