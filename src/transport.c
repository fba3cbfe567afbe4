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

#define CSRF_BYTES 16 /* 128 bits */
#define REFRESH_FIELD_MAX 256 /* bytes; a genuine one is far shorter */

static bool
use_cookies(const struct config *cfg)
{
	return cfg->token_transport != TRANSPORT_BODY;
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
	if (use_cookies(cfg) && (c = req_cookie(req, COOKIE_ACCESS)) != NULL &&
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
	if (use_cookies(cfg) && (t = req_cookie(req, COOKIE_REFRESH)) != NULL &&
	    *t != '\0') {
		*src = TOKEN_SRC_COOKIE;
		return t;
	}
	return NULL;
}

bool
transport_csrf_ok(const struct req *req, enum token_source src)
{
	const char *h, *c;
	size_t len;

	if (src != TOKEN_SRC_COOKIE || strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0)
		return true;
	h = req_header(req, "X-CSRF-Token");
	c = req_cookie(req, COOKIE_CSRF);
	if (h == NULL || c == NULL || (len = strlen(c)) == 0 || strlen(h) != len)
		return false;
	return util_ct_equal(h, c, len);
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
		resp_set_cookie(resp, COOKIE_REFRESH, value, &o);
		free(path);
	}
}

void
transport_set_cookies(const struct config *cfg, const struct req *req, struct resp *resp,
    const char *access, const char *refresh, int64_t max_age)
{
	const char *have = req_cookie(req, COOKIE_CSRF);
	struct cookie_opts o;
	char *csrf;

	if (!use_cookies(cfg))
		return;
	cookie_opts(cfg, &o, "/", max_age, true);
	resp_set_cookie(resp, COOKIE_ACCESS, access, &o);
	set_refresh_cookies(cfg, resp, refresh, max_age);
	/* A new CSRF value only when there is none: other tabs hold the old
	 * one, and changing it under them would fail their next request. */
	csrf = have != NULL ? xstrdup(have) : b64url_random_token(CSRF_BYTES);
	cookie_opts(cfg, &o, "/", max_age, false);
	resp_set_cookie(resp, COOKIE_CSRF, csrf, &o);
	free(csrf);
}

void
transport_clear_cookies(const struct config *cfg, struct resp *resp)
{
	struct cookie_opts o;

	if (!use_cookies(cfg))
		return;
	cookie_opts(cfg, &o, "/", 0, true);
	resp_set_cookie(resp, COOKIE_ACCESS, "", &o);
	set_refresh_cookies(cfg, resp, "", 0);
	cookie_opts(cfg, &o, "/", 0, false);
	resp_set_cookie(resp, COOKIE_CSRF, "", &o);
}
