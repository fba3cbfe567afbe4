/*
 * handlers: one function per route. Each parses its body, asks the session
 * rules, calls the store and replies; none of them knows SQL or FastCGI.
 * A store fault always becomes reply_unavailable() (503), never a 401.
 *
 * Token transport: cookies are set when token_transport is cookie or both;
 * the tokens (access and refresh) are put in the body when it is body, or
 * both unless the client says "X-Token-Transport: cookie" (the browser
 * front end does, so no token of it ever reaches JavaScript: an XSS can
 * use the session while the page is open, never carry a token away).
 * The cookies outlive the session by session_retention
 * (session_cookie_max_age), so a dead session is still explained.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "handlers.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "netaddr.h"
#include "password.h"
#include "reply.h"
#include "session.h"
#include "store.h"
#include "util.h"

#define REFRESH_TOKEN_BYTES 32 /* 256 bits */
#define JTI_BYTES 16 /* 128 bits */
#define CSRF_BYTES 16
#define DISPLAY_NAME_MAX_CHARS 128
#define EVENT_MESSAGE_MAX 1000
#define EVENT_LOCATION_MAX 2048
#define EVENT_CONTEXT_MAX 4096
#define EVENTS_LIMIT 20


/* ---- small helpers ---- */

static void
bad_request(struct ctx *c, const char *message)
{
	reply_error(c->resp, 400, "invalid_request", message);
}

/* A string field: 0 ok (*out borrowed, NUL-free), 1 absent, -1 bad type,
 * embedded NUL, or longer than max bytes. */
static int
field_str(struct ctx *c, const char *key, size_t max, const char **out)
{
	size_t len;
	int rc;

	if (c->body == NULL) {
		*out = NULL;
		return 1;
	}
	rc = json_get_string(c->body, key, out, &len);
	if (rc == 0 && (strlen(*out) != len || len > max))
		return -1;
	return rc;
}

static bool
email_ok(const char *e)
{
	const char *at = strchr(e, '@');
	size_t len = strlen(e);
	const char *p;

	if (len < 3 || len > EMAIL_MAX || at == NULL || at == e || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)
		return false;
	for (p = e; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return util_utf8_valid(e, len);
}

/* Text for people: valid UTF-8, no control characters. */
static bool
text_ok(const char *s, size_t max_chars)
{
	size_t len = strlen(s);
	const unsigned char *p;

	if (!util_utf8_valid(s, len) || util_utf8_length(s, len) > max_chars)
		return false;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < ' ' || *p == 0x7f)
			return false;
	return true;
}

static bool
is_background(const struct req *req)
{
	const char *h = req_header(req, "X-Activity");

	return h != NULL && strcmp(h, "background") == 0;
}

static void
hash_token(const char *token, char hex[TOKEN_HASH_HEX + 1])
{
	unsigned char d[32];
	size_t i;

	util_sha256(token, strlen(token), d);
	for (i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* An opaque refresh token is 43 base64url characters; anything else is
 * refused before it costs a database round trip. */
static bool
refresh_shape_ok(const char *t)
{
	size_t i, len = strlen(t);

	if (len != 43)
		return false;
	for (i = 0; i < len; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		           "0123456789-_",
		        t[i]) == NULL)
			return false;
	return true;
}

static json_object *
user_json(const struct user *u)
{
	json_object *o = json_object_new_object();

	json_add_int(o, "id", u->id);
	json_add_str(o, "email", u->email);
	json_add_str(o, "display_name", u->display_name);
	return o;
}

/* ---- cookies ---- */

static bool
use_cookies(const struct config *cfg)
{
	return cfg->token_transport != TRANSPORT_BODY;
}

static void
cookie_opts(const struct config *cfg, struct cookie_opts *o, const char *path,
    int64_t max_age, bool http_only)
{
	static const char *const samesite[] = { "Lax", "Strict", "None" };

	o->path = path;
	o->max_age = max_age;
	o->http_only = http_only;
	o->secure = cfg->cookie_secure;
	o->samesite = samesite[cfg->cookie_samesite];
}

/* The refresh cookie goes only to the two routes that need it. */
static void
set_refresh_cookies(struct ctx *c, const char *value, int64_t max_age)
{
	static const char *const routes[] = { "/refresh", "/logout" };
	struct cookie_opts o;
	size_t i;
	char *path;

	for (i = 0; i < 2; i++) {
		path = xasprintf("%s%s", c->cfg->mount_path, routes[i]);
		cookie_opts(c->cfg, &o, path, max_age, true);
		resp_set_cookie(c->resp, COOKIE_REFRESH, value, &o);
		free(path);
	}
}

static void
set_cookies(struct ctx *c, const char *access, const char *refresh, int64_t max_age)
{
	struct cookie_opts o;
	char *csrf;

	cookie_opts(c->cfg, &o, "/", max_age, true);
	resp_set_cookie(c->resp, COOKIE_ACCESS, access, &o);
	set_refresh_cookies(c, refresh, max_age);
	/* A new CSRF value only when there is none: other tabs hold the old
	 * one, and changing it under them would fail their next request. */
	if (req_cookie(c->req, COOKIE_CSRF) == NULL) {
		csrf = b64url_random_token(CSRF_BYTES);
		cookie_opts(c->cfg, &o, "/", max_age, false);
		resp_set_cookie(c->resp, COOKIE_CSRF, csrf, &o);
		free(csrf);
	} else {
		cookie_opts(c->cfg, &o, "/", max_age, false);
		resp_set_cookie(
		    c->resp, COOKIE_CSRF, req_cookie(c->req, COOKIE_CSRF), &o);
	}
}

static void
clear_cookies(struct ctx *c)
{
	struct cookie_opts o;

	if (!use_cookies(c->cfg))
		return;
	cookie_opts(c->cfg, &o, "/", 0, true);
	resp_set_cookie(c->resp, COOKIE_ACCESS, "", &o);
	set_refresh_cookies(c, "", 0);
	cookie_opts(c->cfg, &o, "/", 0, false);
	resp_set_cookie(c->resp, COOKIE_CSRF, "", &o);
}

/* ---- tokens ---- */

/* A fresh token pair; strings owned by the struct, freed by pair_clear(). */
struct pair {
	char *refresh;
	char *access;
	struct token_issue issue;
};

static void
pair_new(const struct config *cfg, time_t now, struct pair *p)
{
	char *jti = b64url_random_token(JTI_BYTES);

	memset(p, 0, sizeof(*p));
	p->refresh = b64url_random_token(REFRESH_TOKEN_BYTES);
	hash_token(p->refresh, p->issue.refresh_hash);
	snprintf(p->issue.access_jti, sizeof(p->issue.access_jti), "%s", jti);
	p->issue.access_expires_at = session_access_expiry(cfg, now);
	free(jti);
}

static void
pair_sign(const struct config *cfg, struct pair *p, const struct session *s, time_t now)
{
	struct jwt_claims cl;

	memset(&cl, 0, sizeof(cl));
	snprintf(cl.sub, sizeof(cl.sub), "%lld", (long long)s->user_id);
	snprintf(cl.sid, sizeof(cl.sid), "%s", s->id);
	snprintf(cl.jti, sizeof(cl.jti), "%s", p->issue.access_jti);
	cl.iat = now;
	cl.exp = p->issue.access_expires_at;
	p->access = jwt_sign(&cfg->keys[0], cfg->issuer, cfg->audience, &cl);
}

static void
pair_clear(struct pair *p)
{
	util_free_secret(p->refresh);
	util_free_secret(p->access);
	memset(p, 0, sizeof(*p));
}

static json_object *
session_brief(const struct session *s)
{
	json_object *o = json_object_new_object();
	time_t idle = session_idle_expiry(s);

	json_add_str(o, "id", s->id);
	json_add_int(o, "idle_timeout_s", s->idle_timeout_s);
	if (idle != 0)
		json_add_int(o, "idle_expires_at", (int64_t)idle);
	else
		json_object_object_add(o, "idle_expires_at", NULL);
	json_add_int(o, "absolute_expires_at", (int64_t)s->absolute_expires_at);
	json_add_bool(o, "remember_me", s->remember_me);
	return o;
}

/* The tokens response of login and refresh, plus the cookies. */
static void
reply_tokens(struct ctx *c, const struct pair *p, const struct session *s,
    const struct user *u, time_t refresh_expires_at)
{
	const struct config *cfg = c->cfg;
	const char *want = req_header(c->req, "X-Token-Transport");
	json_object *o = json_object_new_object();
	time_t now = c->req->now;
	/* Cookie transport (configured, or asked for under "both"): no token
	 * in the body at all; under cookie alone a Bearer would be refused
	 * anyway. Body transport ignores the header: it sets no cookies. */
	bool body_tokens = cfg->token_transport == TRANSPORT_BODY ||
	    (cfg->token_transport == TRANSPORT_BOTH &&
	        !(want != NULL && strcmp(want, "cookie") == 0));

	if (body_tokens)
		json_add_str(o, "access_token", p->access);
	json_add_str(o, "token_type", "Bearer");
	json_add_int(o, "expires_in", (int64_t)(p->issue.access_expires_at - now));
	json_add_int(o, "access_expires_at", (int64_t)p->issue.access_expires_at);
	if (body_tokens)
		json_add_str(o, "refresh_token", p->refresh);
	json_add_int(o, "refresh_expires_at", (int64_t)refresh_expires_at);
	json_object_object_add(o, "session", session_brief(s));
	json_object_object_add(o, "user", user_json(u));
	json_add_int(o, "server_time", (int64_t)now);
	reply_json(c->resp, 200, o);
	if (use_cookies(cfg))
		set_cookies(c, p->access, p->refresh,
		    session_cookie_max_age(cfg, refresh_expires_at, now));
}

/* ---- routes ---- */

static void
h_register(struct ctx *c)
{
	const char *email, *pw, *name;
	size_t pwlen;
	enum pw_err pe;
	struct user u;
	char *hash;
	enum store_err se;

	if (!c->cfg->allow_registration) {
		reply_error(c->resp, 403, "registration_closed",
		    "Registration is not open on this site.");
		return;
	}
	if (field_str(c, "email", EMAIL_MAX, &email) != 0 || !email_ok(email)) {
		bad_request(c, "A valid email address is required.");
		return;
	}
	if (c->body == NULL || json_get_string(c->body, "password", &pw, &pwlen) != 0) {
		bad_request(c, "A password is required.");
		return;
	}
	if ((pe = password_validate(pw, pwlen)) != PW_OK) {
		bad_request(c, password_err_message(pe));
		return;
	}
	if (field_str(c, "display_name", DISPLAY_NAME_MAX, &name) < 0 ||
	    (name != NULL && !text_ok(name, DISPLAY_NAME_MAX_CHARS))) {
		bad_request(c, "display_name must be text of at most 128 characters.");
		return;
	}
	if ((hash = password_hash(pw, pwlen, &c->cfg->scrypt)) == NULL) {
		reply_error(c->resp, 500, "internal", "Could not hash the password.");
		return;
	}
	se = store_user_create(email, hash, name, c->req->now, &u);
	util_free_secret(hash);
	if (se == STORE_CONFLICT)
		reply_error(c->resp, 409, "email_taken",
		    "An account with this email already exists.");
	else if (se != STORE_OK)
		reply_unavailable(c->resp);
	else {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "user", user_json(&u));
		reply_json(c->resp, 201, o);
		metrics_count(M_REGISTER);
		log_info(
		    "user %lld registered from %s", (long long)u.id, c->req->remote_addr);
	}
}

/* The throttling keys of a login: the email (case-folded, as accounts
 * are) and the client address. Strings the caller frees. */
static void
throttle_keys(const struct ctx *c, const char *email, char **ekey, char **akey)
{
	char *p;

	*ekey = xasprintf("email:%s", email);
	for (p = *ekey; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	*akey = xasprintf("addr:%s", c->req->remote_addr);
}

/* True (and a 429 sent) if the email or the address has had
 * login_max_attempts failures within login_window. */
static bool
throttled(struct ctx *c, const struct throttle *th)
{
	const struct config *cfg = c->cfg;
	time_t until = 0;
	char secs[24];

	if (th->email_failures >= cfg->login_max_attempts)
		until = th->email_oldest + (time_t)cfg->login_window;
	if (th->addr_failures >= cfg->login_max_attempts &&
	    th->addr_oldest + (time_t)cfg->login_window > until)
		until = th->addr_oldest + (time_t)cfg->login_window;
	if (until == 0)
		return false;
	metrics_count(M_LOGIN_THROTTLED);
	reply_error(c->resp, 429, "too_many_attempts",
	    "Too many failed sign-in attempts; try again later.");
	snprintf(secs, sizeof(secs), "%lld",
	    (long long)(until > c->req->now ? until - c->req->now : 1));
	resp_set_header(c->resp, "Retry-After", secs);
	log_info("login throttled from %s", c->req->remote_addr);
	return true;
}

/* Verifies the password (or burns the same time for an unknown email).
 * 1 match, 0 no match; *rehash as password_verify says. */
static int
check_password(struct ctx *c, enum store_err se, const char *pw, size_t pwlen,
    const struct credential *cr, bool *rehash)
{
	/* Why burn: an unknown email must cost what a wrong password costs,
	 * or the response time tells which emails have accounts. */
	if (se == STORE_NOTFOUND) {
		password_burn(pw, pwlen, &c->cfg->scrypt);
		return 0;
	}
	return password_verify(pw, pwlen, cr->password_hash, &c->cfg->scrypt, rehash) == 1;
}

/* Checks throttling, email and password; *u is the user on success.
 * Replies itself on failure (401, 403, 429, 503) and returns false. */
static bool
login_check(struct ctx *c, const char *email, const char *pw, size_t pwlen,
    struct user *u)
{
	enum store_err se = STORE_NOTFOUND;
	struct credential cr;
	struct throttle th;
	bool rehash = false, ok = false;
	char *ekey, *akey, *hash;

	memset(&cr, 0, sizeof(cr));
	throttle_keys(c, email, &ekey, &akey);
	if (store_login_throttle(ekey, akey, c->req->now - (time_t)c->cfg->login_window,
	    &th) != STORE_OK || (email_ok(email) &&
	    (se = store_credential_by_email(email, u, &cr)) == STORE_UNAVAILABLE)) {
		reply_unavailable(c->resp);
		goto out;
	}
	if (throttled(c, &th))
		goto out;
	if (check_password(c, se, pw, pwlen, &cr, &rehash) != 1) {
		if (store_login_failed(ekey, akey, c->req->now) != STORE_OK)
			log_warn("login failure from %s not recorded", c->req->remote_addr);
		(void)store_auth_event("login_failed", se == STORE_OK ? u->id : 0, NULL,
		    "INVALID_CREDENTIALS", c->req->remote_addr, c->req->user_agent,
		    c->req->now);
		log_info("login failed from %s", c->req->remote_addr);
		metrics_count(M_LOGIN_FAILED);
		reply_deny_reason(c->resp, REASON_INVALID_CREDENTIALS);
		goto out;
	}
	if (u->disabled) {
		reply_error(c->resp, 403, "account_disabled", "This account is disabled.");
		goto out;
	}
	if (th.email_failures > 0)
		(void)store_login_clear(ekey);
	if (rehash && (hash = password_hash(pw, pwlen, &c->cfg->scrypt)) != NULL) {
		if (store_user_rehash(u->id, hash) != STORE_OK)
			log_warn("user %lld: password rehash not saved", (long long)u->id);
		util_free_secret(hash);
	}
	ok = true;
out:
	util_wipe(&cr, sizeof(cr));
	free(ekey);
	free(akey);
	return ok;
}

static void
h_login(struct ctx *c)
{
	const char *email, *pw, *device = NULL;
	size_t pwlen;
	bool remember = false;
	struct user u;
	struct session s;
	struct pair p;
	time_t now = c->req->now;

	if (field_str(c, "email", 1024, &email) != 0 ||
	    json_get_string(c->body, "password", &pw, &pwlen) != 0) {
		bad_request(c, "email and password are required strings.");
		return;
	}
	if (pwlen > 4 * PASSWORD_MAX_CHARS || !util_utf8_valid(pw, pwlen)) {
		bad_request(c, "The password is not valid UTF-8 text.");
		return;
	}
	if (json_get_bool(c->body, "remember_me", &remember) < 0 ||
	    field_str(c, "device_id", DEVICE_ID_MAX, &device) < 0 ||
	    (device != NULL && !text_ok(device, DEVICE_ID_MAX))) {
		bad_request(c, "remember_me must be a boolean and device_id short text.");
		return;
	}
	if (!login_check(c, email, pw, pwlen, &u))
		return;
	memset(&s, 0, sizeof(s));
	s.user_id = u.id;
	s.created_at = s.last_active_at = now;
	s.remember_me = remember;
	s.idle_timeout_s = session_idle_timeout(c->cfg, remember);
	s.absolute_expires_at = session_absolute_expiry(c->cfg, now, remember);
	snprintf(s.device_id, sizeof(s.device_id), "%s", device ? device : "");
	snprintf(s.user_agent, sizeof(s.user_agent), "%s", c->req->user_agent);
	snprintf(s.ip, sizeof(s.ip), "%s", c->req->remote_addr);
	pair_new(c->cfg, now, &p);
	p.issue.refresh_expires_at = session_refresh_expiry(c->cfg, &s, now);
	if (store_session_create(&s, &p.issue) != STORE_OK) {
		pair_clear(&p);
		reply_unavailable(c->resp);
		return;
	}
	pair_sign(c->cfg, &p, &s, now);
	reply_tokens(c, &p, &s, &u, p.issue.refresh_expires_at);
	metrics_count(M_LOGIN_OK);
	log_info("login user %lld session %s from %s", (long long)u.id, s.id,
	    c->req->remote_addr);
	pair_clear(&p);
}

/* The refresh token of the request: body first (if allowed), then cookie.
 * *from_cookie says which. Borrowed; NULL if none. */
static const char *
find_refresh(struct ctx *c, bool *from_cookie)
{
	const char *t = NULL;

	*from_cookie = false;
	if (c->cfg->token_transport != TRANSPORT_COOKIE && c->body != NULL &&
	    field_str(c, "refresh_token", 256, &t) == 0 && t != NULL)
		return t;
	if (use_cookies(c->cfg) && (t = req_cookie(c->req, COOKIE_REFRESH)) != NULL &&
	    *t != '\0') {
		*from_cookie = true;
		return t;
	}
	return NULL;
}

static void
refresh_denied(struct ctx *c, const struct refresh_result *r)
{
	struct denial a;

	memset(&a, 0, sizeof(a));
	a.reason = r->reason;
	if (r->session.end_reason != END_NONE) {
		a.ended_reason = r->session.end_reason;
		a.ended_at = r->session.ended_at;
		a.idle_for = c->req->now - r->session.last_active_at;
	}
	(void)store_auth_event("refresh_failed", r->session.user_id,
	    r->session.id[0] ? r->session.id : NULL, reason_name(r->reason),
	    c->req->remote_addr, c->req->user_agent, c->req->now);
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

/*
 * A refusal that names no session (no refresh token, or one the store does
 * not know: cleanup deletes a token minutes after it expires, a day after
 * it was revoked, while its cookie lives on for session_retention) says
 * nothing about why. The access token that came with it (the access cookie
 * goes to every path) still names its session, kept that long: if that
 * session has ended, its reason is the more useful answer.
 * STORE_UNAVAILABLE on a database fault.
 */
static enum store_err
explain_refusal(struct ctx *c, struct refresh_result *r)
{
	enum auth_source src;
	enum auth_result ar;
	struct auth_info a;

	if ((r->reason != REASON_TOKEN_MISSING && r->reason != REASON_REFRESH_INVALID) ||
	    r->session.id[0] != '\0' || auth_find_token(c->cfg, c->req, &src) == NULL)
		return STORE_OK;
	ar = auth_access(c->cfg, c->req, false, &a);
	if (ar == AUTH_UNAVAILABLE)
		return STORE_UNAVAILABLE;
	if (ar == AUTH_DENIED && a.deny.ended_reason != END_NONE) {
		r->reason = a.deny.reason;
		r->session = a.session;
		r->session.end_reason = a.deny.ended_reason;
		r->session.ended_at = a.deny.ended_at;
	}
	return STORE_OK;
}

static void
h_refresh(struct ctx *c)
{
	bool from_cookie;
	const char *t = find_refresh(c, &from_cookie);
	char hash[TOKEN_HASH_HEX + 1];
	struct refresh_result r;
	struct pair p;
	enum store_err se = STORE_OK;

	memset(&r, 0, sizeof(r));
	memset(&p, 0, sizeof(p));
	if (t != NULL && from_cookie && !auth_csrf_ok(c->req)) {
		reply_error(c->resp, 403, "csrf_failed",
		    "The X-CSRF-Token header is missing or wrong.");
		return;
	}
	if (t == NULL || !refresh_shape_ok(t))
		/* No refresh-token lookup for these, but audited like the rest. */
		r.reason = t == NULL ? REASON_TOKEN_MISSING : REASON_REFRESH_INVALID;
	else {
		hash_token(t, hash);
		pair_new(c->cfg, c->req->now, &p);
		se = store_refresh(
		    c->cfg, hash, &p.issue, c->req->now, !is_background(c->req), &r);
	}
	if (se == STORE_OK && r.reason != REASON_NONE)
		se = explain_refusal(c, &r);
	if (se != STORE_OK)
		reply_unavailable(c->resp);
	else if (r.reason != REASON_NONE)
		refresh_denied(c, &r);
	else {
		pair_sign(c->cfg, &p, &r.session, c->req->now);
		reply_tokens(c, &p, &r.session, &r.user, r.refresh_expires_at);
		metrics_count(r.verdict == REFRESH_ROTATE ? M_REFRESH_ROTATED : M_REFRESH_GRACE);
	}
	pair_clear(&p);
}

/* The session a logout names: the access token's (even expired), else the
 * refresh token's. Empty sid when neither names one. */
static enum store_err
logout_target(struct ctx *c, char sid[SESSION_ID_LEN + 1], bool *from_cookie)
{
	enum auth_source src;
	const char *tok = auth_find_token(c->cfg, c->req, &src);
	struct jwt_claims cl;
	enum jwt_err je;
	char hash[TOKEN_HASH_HEX + 1];
	enum store_err se;

	sid[0] = '\0';
	*from_cookie = src == AUTH_SRC_COOKIE;
	if (tok != NULL) {
		je = jwt_verify(tok, c->cfg->keys, c->cfg->nkeys, c->cfg->issuer,
		    c->cfg->audience, c->cfg->jwt_leeway, c->req->now, &cl);
		if ((je == JWT_OK || je == JWT_EXPIRED) && strlen(cl.sid) == SESSION_ID_LEN) {
			memcpy(sid, cl.sid, SESSION_ID_LEN + 1);
			return STORE_OK;
		}
	}
	tok = find_refresh(c, from_cookie);
	if (tok == NULL || !refresh_shape_ok(tok))
		return STORE_OK;
	hash_token(tok, hash);
	se = store_refresh_session(hash, sid);
	return se == STORE_NOTFOUND ? STORE_OK : se;
}

static void
h_logout(struct ctx *c)
{
	char sid[SESSION_ID_LEN + 1];
	bool from_cookie, ended = false;
	enum store_err se = logout_target(c, sid, &from_cookie);

	if (se != STORE_OK) {
		reply_unavailable(c->resp);
		return;
	}
	if (from_cookie && !auth_csrf_ok(c->req)) {
		reply_error(c->resp, 403, "csrf_failed",
		    "The X-CSRF-Token header is missing or wrong.");
		return;
	}
	if (sid[0] != '\0') {
		se = store_session_end(
		    sid, 0, END_USER_LOGOUT, c->req->now, c->req->now, &ended);
		if (se == STORE_UNAVAILABLE) {
			reply_unavailable(c->resp);
			return;
		}
		if (ended) {
			auth_sessions_ended(sid, END_USER_LOGOUT, 1);
			log_info("logout session %s from %s", sid, c->req->remote_addr);
		}
	}
	reply_json(c->resp, 200, json_object_new_object());
	clear_cookies(c);
}

static void
h_logout_all(struct ctx *c)
{
	int n = 0;
	json_object *o;

	if (store_sessions_end_all(
	        c->auth.user.id, NULL, END_LOGOUT_ALL, c->req->now, &n) != STORE_OK) {
		reply_unavailable(c->resp);
		return;
	}
	auth_sessions_ended(NULL, END_LOGOUT_ALL, n);
	o = json_object_new_object();
	json_add_int(o, "ended", n);
	reply_json(c->resp, 200, o);
	clear_cookies(c);
	log_info("logout-all user %lld session %s from %s: %d sessions ended",
	    (long long)c->auth.user.id, c->auth.session.id, c->req->remote_addr, n);
}

static void
h_me(struct ctx *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "user", user_json(&c->auth.user));
	reply_json(c->resp, 200, o);
}

static json_object *
session_full(const struct session *s)
{
	json_object *o = session_brief(s);

	json_add_int(o, "created_at", (int64_t)s->created_at);
	json_add_int(o, "last_active_at", (int64_t)s->last_active_at);
	json_add_str(o, "device_id", s->device_id[0] ? s->device_id : NULL);
	json_add_str(o, "user_agent", s->user_agent);
	json_add_str(o, "ip", s->ip);
	return o;
}

/* What the front end needs to mirror the server's timers for session s. */
static json_object *
session_settings(const struct config *cfg, const struct session *s)
{
	json_object *o = json_object_new_object();

	json_add_int(o, "warning_window_s", cfg->warning_window);
	/* The step of the idle timeout s carries (set at its login). */
	json_add_int(o, "activity_write_interval_s", session_write_interval(cfg, s));
	json_add_int(o, "access_token_lifetime_s", cfg->access_token_lifetime);
	json_add_bool(o, "debug_panel", cfg->debug_panel);
	return o;
}

static void
reply_session_info(struct ctx *c)
{
	json_object *o, *a, *r;
	time_t rexp;

	if (store_session_refresh_expiry(c->auth.session.id, &rexp) ==
	    STORE_UNAVAILABLE) {
		reply_unavailable(c->resp);
		return;
	}
	o = json_object_new_object();
	json_add_int(o, "server_time", (int64_t)c->req->now);
	json_object_object_add(o, "session", session_full(&c->auth.session));
	a = json_object_new_object();
	json_add_int(a, "issued_at", c->auth.claims.iat);
	json_add_int(a, "expires_at", c->auth.claims.exp);
	json_object_object_add(o, "access", a);
	r = json_object_new_object();
	if (rexp != 0)
		json_add_int(r, "expires_at", (int64_t)rexp);
	else
		json_object_object_add(r, "expires_at", NULL);
	json_object_object_add(o, "refresh", r);
	json_object_object_add(o, "settings", session_settings(c->cfg, &c->auth.session));
	reply_json(c->resp, 200, o);
}

static void
h_session_info(struct ctx *c)
{
	reply_session_info(c);
}

static void
h_activity(struct ctx *c)
{
	/* An explicit "I am here": write it even inside the coalescing step,
	 * so the timers the user sees are exact after a "Stay signed in". */
	if (c->auth.session.last_active_at < c->req->now) {
		if (store_session_touch(c->auth.session.id, c->req->now) != STORE_OK) {
			reply_unavailable(c->resp);
			return;
		}
		c->auth.session.last_active_at = c->req->now;
		/* This worker's cached copy must not show the older time. */
		auth_cache_session(c->cfg, &c->auth.session, &c->auth.user, c->req->now);
	}
	reply_session_info(c);
}

static void
h_sessions(struct ctx *c)
{
	struct session *list;
	size_t i, n;
	json_object *o, *arr, *one;

	if (store_sessions_list(c->auth.user.id, &list, &n) != STORE_OK) {
		reply_unavailable(c->resp);
		return;
	}
	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		one = session_full(&list[i]);
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
	enum store_err se = store_session_end(c->param, c->auth.user.id,
	    END_REVOKED_BY_USER, c->req->now, c->req->now, &ended);
	json_object *o;

	if (se == STORE_NOTFOUND) {
		reply_error(c->resp, 404, "not_found", "No such session.");
		return;
	}
	if (se != STORE_OK) {
		reply_unavailable(c->resp);
		return;
	}
	auth_sessions_ended(c->param, END_REVOKED_BY_USER, ended ? 1 : 0);
	if (ended)
		log_info("session %s revoked by user %lld from %s", c->param,
		    (long long)c->auth.user.id, c->req->remote_addr);
	o = json_object_new_object();
	json_add_bool(o, "ended", ended);
	reply_json(c->resp, 200, o);
	if (strcmp(c->param, c->auth.session.id) == 0)
		clear_cookies(c);
}

static void
h_password(struct ctx *c)
{
	const char *cur, *next;
	size_t curlen, nextlen;
	enum pw_err pe;
	char *hash;
	int ended = 0, ok;
	enum store_err se;
	json_object *o;
	struct user u;
	struct credential cr;

	if (c->body == NULL ||
	    json_get_string(c->body, "current_password", &cur, &curlen) != 0 ||
	    json_get_string(c->body, "new_password", &next, &nextlen) != 0) {
		bad_request(c, "current_password and new_password are required strings.");
		return;
	}
	if ((pe = password_validate(next, nextlen)) != PW_OK) {
		bad_request(c, password_err_message(pe));
		return;
	}
	/* The hash is read now, not taken from the session cache (which
	 * keeps none): it must be the one a change a moment ago wrote. */
	if ((se = store_credential_by_id(c->auth.user.id, &u, &cr)) == STORE_UNAVAILABLE) {
		reply_unavailable(c->resp);
		return;
	}
	if (se != STORE_OK) { /* deleted a moment ago */
		reply_deny_reason(c->resp, REASON_TOKEN_INVALID);
		return;
	}
	ok = password_verify(cur, curlen, cr.password_hash, &c->cfg->scrypt, NULL);
	util_wipe(&cr, sizeof(cr));
	if (ok != 1) {
		reply_deny_reason(c->resp, REASON_INVALID_CREDENTIALS);
		return;
	}
	if ((hash = password_hash(next, nextlen, &c->cfg->scrypt)) == NULL) {
		reply_error(c->resp, 500, "internal", "Could not hash the password.");
		return;
	}
	se = store_user_set_password(
	    c->auth.user.id, hash, c->auth.session.id, c->req->now, &ended);
	util_free_secret(hash);
	if (se != STORE_OK) {
		reply_unavailable(c->resp);
		return;
	}
	auth_sessions_ended(NULL, END_PASSWORD_CHANGED, ended);
	o = json_object_new_object();
	json_add_int(o, "ended", ended);
	reply_json(c->resp, 200, o);
	log_info("password changed user %lld session %s from %s; %d other sessions ended",
	    (long long)c->auth.user.id, c->auth.session.id, c->req->remote_addr, ended);
}

static void
h_logout_event(struct ctx *c)
{
	struct logout_event ev;
	const char *type, *msg = NULL, *loc = NULL;
	json_object *ctxo = NULL;
	double idle = -1;
	enum store_err se;
	enum logout_type lt;

	memset(&ev, 0, sizeof(ev));
	if (c->body == NULL || field_str(c, "type", 32, &type) != 0 ||
	    logout_type_parse(type, &lt) != 0) {
		bad_request(c,
		    "type must be one of USER_ACTION, TOKEN_EXPIRED, "
		    "IDLE_TIMEOUT, REFRESH_FAILED, SESSION_ENDED, AUTH_ERROR, UNKNOWN.");
		return;
	}
	if (field_str(c, "message", EVENT_MESSAGE_MAX, &msg) < 0 ||
	    (msg != NULL && !util_utf8_valid(msg, strlen(msg))) ||
	    field_str(c, "location", EVENT_LOCATION_MAX, &loc) < 0 ||
	    (loc != NULL && !text_ok(loc, EVENT_LOCATION_MAX)) ||
	    json_get_number(c->body, "idle_minutes", &idle) < 0 || idle > 1e7) {
		bad_request(c, "message, location or idle_minutes is invalid.");
		return;
	}
	if (json_object_object_get_ex(c->body, "context", &ctxo) && ctxo != NULL) {
		if (!json_object_is_type(ctxo, json_type_object) ||
		    strlen(json_object_to_json_string_ext(ctxo, JSON_C_TO_STRING_PLAIN)) >
		        EVENT_CONTEXT_MAX) {
			bad_request(c, "context must be an object of at most 4 KiB.");
			return;
		}
		ev.context =
		    (char *)json_object_to_json_string_ext(ctxo, JSON_C_TO_STRING_PLAIN);
	}
	ev.created_at = c->req->now;
	/* A report usually comes just after its session ended: a genuine
	 * token of an ended session still says whose report it is. */
	ev.user_id = c->auth.identified ? c->auth.user.id : 0;
	ev.session_id = c->auth.identified ? c->auth.session.id : NULL;
	ev.type = (char *)type;
	ev.message = (char *)msg;
	ev.idle_minutes = idle < 0 ? -1 : idle;
	ev.location = (char *)loc;
	ev.ip = (char *)c->req->remote_addr;
	ev.user_agent = (char *)c->req->user_agent;
	se = store_logout_event_add(&ev);
	if (se != STORE_OK) {
		reply_unavailable(c->resp);
		return;
	}
	log_info("logout report %s from %s", type, c->req->remote_addr);
	metrics_report(lt);
	reply_json(c->resp, 202, json_object_new_object());
}

static json_object *
report_json(const struct logout_event *ev)
{
	json_object *o = json_object_new_object();

	json_add_str(o, "kind", "report");
	json_add_int(o, "at", (int64_t)ev->created_at);
	json_add_str(o, "type", ev->type);
	json_add_str(o, "message", ev->message);
	if (ev->idle_minutes >= 0)
		json_object_object_add(
		    o, "idle_minutes", json_object_new_double(ev->idle_minutes));
	json_add_str(o, "location", ev->location);
	json_add_str(o, "session_id", ev->session_id);
	json_add_str(o, "ip", ev->ip);
	json_add_str(o, "user_agent", ev->user_agent);
	json_object_object_add(
	    o, "context", ev->context ? json_tokener_parse(ev->context) : NULL);
	return o;
}

static json_object *
end_json(const struct session *s)
{
	json_object *o = json_object_new_object();

	json_add_str(o, "kind", "session_end");
	json_add_int(o, "at", (int64_t)s->ended_at);
	json_add_str(o, "reason", end_reason_name(s->end_reason));
	json_add_str(o, "session_id", s->id);
	json_add_int(o, "created_at", (int64_t)s->created_at);
	json_add_int(o, "last_active_at", (int64_t)s->last_active_at);
	json_add_str(o, "ip", s->ip);
	json_add_str(o, "user_agent", s->user_agent);
	return o;
}

static void
h_logout_events(struct ctx *c)
{
	struct logout_event *evs = NULL;
	struct session *ends = NULL;
	size_t ne = 0, ns = 0, i = 0, j = 0;
	json_object *arr, *o;

	if (store_logout_events_list(c->auth.user.id, EVENTS_LIMIT, &evs, &ne) !=
	        STORE_OK ||
	    store_sessions_ended(c->auth.user.id, EVENTS_LIMIT, &ends, &ns) != STORE_OK) {
		store_logout_events_free(evs, ne);
		reply_unavailable(c->resp);
		return;
	}
	/* Merge the two newest-first lists into one timeline. */
	arr = json_object_new_array();
	while (i < ne || j < ns) {
		if (j >= ns || (i < ne && evs[i].created_at >= ends[j].ended_at))
			json_object_array_add(arr, report_json(&evs[i++]));
		else
			json_object_array_add(arr, end_json(&ends[j++]));
	}
	store_logout_events_free(evs, ne);
	free(ends);
	o = json_object_new_object();
	json_object_object_add(o, "events", arr);
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

/*
 * The public settings a page needs before anyone signs in (the sign-in
 * page's "remember me" text, whether to offer registration, the timers).
 * From the configuration alone: no database, so it answers even in an
 * outage and costs nothing. Nothing in it is secret.
 */
static void
h_settings(struct ctx *c)
{
	const struct config *cfg = c->cfg;
	json_object *o = json_object_new_object();

	json_add_int(o, "server_time", (int64_t)c->req->now);
	json_add_int(o, "idle_timeout_s", cfg->idle_timeout);
	json_add_int(o, "idle_timeout_remember_me_s", cfg->idle_timeout_remember_me);
	json_add_int(o, "warning_window_s", cfg->warning_window);
	json_add_int(o, "session_max_age_s", cfg->session_max_age);
	json_add_int(
	    o, "session_max_age_remember_me_s", cfg->session_max_age_remember_me);
	json_add_int(o, "access_token_lifetime_s", cfg->access_token_lifetime);
	/* The step of an ordinary session's idle timeout. */
	json_add_int(o, "activity_write_interval_s",
	    session_write_step(cfg, session_idle_timeout(cfg, false)));
	json_add_bool(o, "debug_panel", cfg->debug_panel);
	json_add_bool(o, "allow_registration", cfg->allow_registration);
	reply_json(c->resp, 200, o);
}

/* Prometheus text; only for the addresses of metrics_allow. */
static void
h_metrics(struct ctx *c)
{
	struct metrics_db db;

	if (!netaddr_allowed(c->cfg->metrics_allow, c->req->remote_addr)) {
		reply_error(c->resp, 403, "forbidden", "Metrics are not served to this address.");
		return;
	}
	/* A database outage is itself a metric, not an error of /metrics. */
	(void)store_metrics(c->req->now, c->cfg->session_retention, &db);
	resp_set_body(c->resp, 200, "text/plain; version=0.0.4; charset=utf-8",
	    metrics_render(&db));
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
};

const struct route *
handlers_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
