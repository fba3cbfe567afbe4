/*
 * transport: token transport. Why cookies at all: the browser front end
 * asks for them ("X-Token-Transport: cookie"), so no token of it ever
 * reaches JavaScript: an XSS can use the session while the page is open,
 * never carry a token away. The cookies outlive the session by
 * session_retention (session_cookie_max_age), so a dead session is still
 * explained.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64url.h"
#include "json.h"
#include "transport.h"
#include "util.h"

#define CSRF_BYTES 16 /* 128 bits: CSRF_TOKEN_LEN characters */
_Static_assert((CSRF_BYTES * 4 + 2) / 3 == CSRF_TOKEN_LEN, "CSRF_TOKEN_LEN");
#define REFRESH_FIELD_MAX 256 /* bytes; a genuine one is far shorter */

static bool
use_cookies(const struct config *cfg)
{
	return cfg->token_transport != TRANSPORT_BODY;
}

const char *
transport_cookie_name(const struct config *cfg, enum tether_cookie which)
{
	static const char *const names[2][3] = {
		{ "tether_access", "tether_refresh", "tether_csrf" },
		{ "__Host-tether_access", "__Secure-tether_refresh",
		    "__Host-tether_csrf" },
	};

	return names[cfg->cookie_secure ? 1 : 0][which];
}

/* The value of cookie which, or NULL when absent or sent more than once
 * (transport_cookies_problem has refused that request already; this is
 * the second line). */
static const char *
cookie_value(const struct config *cfg, const struct req *req, enum tether_cookie which)
{
	const char *name = transport_cookie_name(cfg, which);

	return req_cookie_count(req, name) == 1 ? req_cookie(req, name) : NULL;
}

const char *
transport_cookies_problem(const struct config *cfg, const struct req *req)
{
	static const char *const twice[] = {
		"The access cookie was sent more than once (a second one set for "
		"another path or domain?); clear this site's cookies and sign in again.",
		"The refresh cookie was sent more than once (a second one set for "
		"another path or domain?); clear this site's cookies and sign in again.",
		"The CSRF cookie was sent more than once (a second one set for "
		"another path or domain?); clear this site's cookies and sign in again.",
	};
	int i;

	if (!use_cookies(cfg))
		return NULL;
	if (req->cookies_too_long)
		return "The Cookie header is too long; clear this site's cookies.";
	for (i = COOKIE_ACCESS; i <= COOKIE_CSRF; i++)
		if (req_cookie_count(req, transport_cookie_name(cfg, i)) > 1)
			return twice[i];
	return NULL;
}

bool
transport_csrf_shape_ok(const char *v)
{
	size_t i;

	if (v == NULL || strlen(v) != CSRF_TOKEN_LEN)
		return false;
	for (i = 0; i < CSRF_TOKEN_LEN; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' && v[i] <= 'z') ||
		        (v[i] >= '0' && v[i] <= '9') || v[i] == '-' || v[i] == '_'))
			return false;
	return true;
}

const char *
transport_access_token(
    const struct config *cfg, const struct req *req, enum token_source *src)
{
	const char *h = req_header(req, "Authorization");
	const char *c;

	*src = TOKEN_SRC_NONE;
	if (h != NULL && cfg->token_transport != TRANSPORT_COOKIE &&
	    strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		if (*h != '\0') {
			*src = TOKEN_SRC_BEARER;
			return h;
		}
	}
	if (use_cookies(cfg) && (c = cookie_value(cfg, req, COOKIE_ACCESS)) != NULL &&
	    *c != '\0') {
		*src = TOKEN_SRC_COOKIE;
		return c;
	}
	return NULL;
}

const char *
transport_refresh_token(const struct config *cfg, const struct req *req,
    json_object *body, enum token_source *src)
{
	const char *t = NULL;
	size_t len;

	*src = TOKEN_SRC_NONE;
	if (cfg->token_transport != TRANSPORT_COOKIE && body != NULL &&
	    json_get_string(body, "refresh_token", &t, &len) == 0 && t != NULL &&
	    strlen(t) == len && len <= REFRESH_FIELD_MAX) {
		*src = TOKEN_SRC_BODY;
		return t;
	}
	if (use_cookies(cfg) && (t = cookie_value(cfg, req, COOKIE_REFRESH)) != NULL &&
	    *t != '\0') {
		*src = TOKEN_SRC_COOKIE;
		return t;
	}
	return NULL;
}

enum token_source
transport_credential(const struct config *cfg, const struct req *req, json_object *body)
{
	enum token_source a, r;

	(void)transport_access_token(cfg, req, &a);
	(void)transport_refresh_token(cfg, req, body, &r);
	if (a == TOKEN_SRC_COOKIE || r == TOKEN_SRC_COOKIE)
		return TOKEN_SRC_COOKIE;
	/* An access cookie not read because a Bearer came first still rides
	 * along; it needs no CSRF then, as the Bearer is the credential. */
	return a != TOKEN_SRC_NONE ? a : r;
}

bool
transport_csrf_ok(const struct config *cfg, const struct req *req, enum token_source src)
{
	const char *h, *c;

	if (src != TOKEN_SRC_COOKIE || strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0)
		return true;
	h = req_header(req, "X-CSRF-Token");
	c = cookie_value(cfg, req, COOKIE_CSRF);
	if (h == NULL || !transport_csrf_shape_ok(c) || strlen(h) != CSRF_TOKEN_LEN)
		return false;
	return util_ct_equal(h, c, CSRF_TOKEN_LEN);
}

bool
transport_unforged(const struct config *cfg, const struct req *req, json_object *body,
    enum token_source src)
{
	const char *c, *v = NULL;
	size_t len;

	if (src == TOKEN_SRC_BEARER)
		return true;
	if (src != TOKEN_SRC_COOKIE)
		return false;
	if (req_header(req, "X-CSRF-Token") != NULL)
		return transport_csrf_ok(cfg, req, src);
	c = cookie_value(cfg, req, COOKIE_CSRF);
	if (body == NULL || !transport_csrf_shape_ok(c) ||
	    json_get_string(body, "csrf", &v, &len) != 0 || v == NULL ||
	    len != CSRF_TOKEN_LEN)
		return false;
	return util_ct_equal(v, c, CSRF_TOKEN_LEN);
}

bool
transport_body_tokens(const struct config *cfg, const struct req *req)
{
	const char *want = req_header(req, "X-Token-Transport");

	/* Under cookie alone a Bearer would be refused anyway; body transport
	 * ignores the header: it sets no cookies. */
	return cfg->token_transport == TRANSPORT_BODY ||
	    (cfg->token_transport == TRANSPORT_BOTH &&
	        !(want != NULL && strcmp(want, "cookie") == 0));
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
set_refresh_cookies(
    const struct config *cfg, struct resp *resp, const char *value, int64_t max_age)
{
	static const char *const routes[] = { "/refresh", "/logout" };
	struct cookie_opts o;
	size_t i;
	char *path;

	for (i = 0; i < 2; i++) {
		path = xasprintf("%s%s", cfg->mount_path, routes[i]);
		cookie_opts(cfg, &o, path, max_age, true);
		resp_set_cookie(
		    resp, transport_cookie_name(cfg, COOKIE_REFRESH), value, &o);
		free(path);
	}
}

void
transport_set_cookies(const struct config *cfg, const struct req *req, struct resp *resp,
    const char *access, const char *refresh, int64_t max_age)
{
	const char *have = cookie_value(cfg, req, COOKIE_CSRF);
	struct cookie_opts o;
	char *csrf; /* owned */

	if (!use_cookies(cfg))
		return;
	cookie_opts(cfg, &o, "/", max_age, true);
	resp_set_cookie(resp, transport_cookie_name(cfg, COOKIE_ACCESS), access, &o);
	set_refresh_cookies(cfg, resp, refresh, max_age);
	/* A new CSRF value only when there is none of tether's shape: other
	 * tabs hold the old one, and changing it under them would fail their
	 * next request; but a value someone else planted is never reflected. */
	csrf = transport_csrf_shape_ok(have) ? xstrdup(have)
	                                     : b64url_random_token(CSRF_BYTES);
	cookie_opts(cfg, &o, "/", max_age, false);
	resp_set_cookie(resp, transport_cookie_name(cfg, COOKIE_CSRF), csrf, &o);
	free(csrf);
}

void
transport_clear_cookies(const struct config *cfg, struct resp *resp)
{
	struct cookie_opts o;

	if (!use_cookies(cfg))
		return;
	cookie_opts(cfg, &o, "/", 0, true);
	resp_set_cookie(resp, transport_cookie_name(cfg, COOKIE_ACCESS), "", &o);
	set_refresh_cookies(cfg, resp, "", 0);
	cookie_opts(cfg, &o, "/", 0, false);
	resp_set_cookie(resp, transport_cookie_name(cfg, COOKIE_CSRF), "", &o);
}
