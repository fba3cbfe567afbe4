/*
 * api: the one path every request takes: route, check the body's type,
 * CSRF, authentication, then the handler, then the session headers.
 * The order matters: CSRF is checked before authentication so that a
 * forged request never slides the victim's idle timer.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "auth.h"
#include "handlers.h"
#include "json.h"
#include "reply.h"
#include "router.h"
#include "transport.h"

/* JSON bodies only; the logout report also takes text/plain, because
 * navigator.sendBeacon cannot always send application/json (a Blob of
 * type "text/plain;charset=UTF-8" is what it sends without a preflight). */
static bool
content_type_ok(const struct req *req, bool plain_ok)
{
	const char *ct = req_param(req, "CONTENT_TYPE");

	if (ct == NULL)
		return false;
	if (strncasecmp(ct, "application/json", 16) == 0 &&
	    (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' '))
		return true;
	return plain_ok && strncasecmp(ct, "text/plain", 10) == 0 &&
	    (ct[10] == '\0' || ct[10] == ';' || ct[10] == ' ');
}

/* Parses the body into c->body; replies 400 and returns false if bad. */
static bool
parse_body(struct ctx *c, const struct route *rt)
{
	if (c->req->body == NULL || c->req->body_len == 0)
		return true;
	if (!content_type_ok(c->req, rt->fn != NULL && strcmp(rt->pattern, "/logout-event") == 0)) {
		reply_bad_request(c->resp,
		    "The body must be JSON sent as Content-Type: application/json.");
		return false;
	}
	if ((c->body = json_parse_object(c->req->body, c->req->body_len)) == NULL) {
		reply_bad_request(c->resp, "The body is not a JSON object.");
		return false;
	}
	return true;
}

/* Runs the route's authentication; false if it replied (401, 403, 503). */
static bool
authenticate(struct ctx *c, const struct route *rt)
{
	/* A logout report (the AUTH_OPTIONAL route) is never activity, and
	 * sendBeacon cannot say "X-Activity: background". */
	bool activity = rt->auth == AUTH_ACCESS && auth_is_activity(c->req);
	enum token_source src;
	enum auth_result ar;

	if (rt->auth != AUTH_ACCESS && rt->auth != AUTH_OPTIONAL)
		return true;
	/* Not for a logout report: sendBeacon cannot send the header, and a
	 * forged report changes nothing. */
	(void)transport_access_token(c->cfg, c->req, &src);
	if (rt->auth == AUTH_ACCESS && !transport_csrf_ok(c->cfg, c->req, src)) {
		reply_fail(c->resp, ERR_CSRF_FAILED, NULL);
		return false;
	}
	ar = auth_access(c->cfg, c->req, activity, &c->auth);
	if (ar == AUTH_OK) {
		c->authed = true;
		return true;
	}
	if (rt->auth == AUTH_OPTIONAL)
		return true;
	if (ar == AUTH_UNAVAILABLE)
		reply_unavailable(c->resp);
	else
		reply_deny(c->resp, &c->auth.deny);
	return false;
}

/* X-Session-Idle-Expires-In, X-Token-Expires-In, X-Session-Warning. */
static void
session_headers(struct ctx *c)
{
	time_t idle_at = session_idle_expiry(&c->auth.session);
	int64_t idle_left = idle_at != 0 ? (int64_t)(idle_at - c->req->now) : -1;
	int64_t token_left = c->auth.claims.exp - (int64_t)c->req->now;
	const char *warn;
	char v[32];

	if (c->auth.session.ended_at != 0)
		return;
	if (idle_left >= 0) {
		snprintf(v, sizeof(v), "%lld", (long long)idle_left);
		resp_set_header(c->resp, "X-Session-Idle-Expires-In", v);
	}
	snprintf(v, sizeof(v), "%lld", (long long)(token_left > 0 ? token_left : 0));
	resp_set_header(c->resp, "X-Token-Expires-In", v);
	if ((warn = session_warning(c->cfg, idle_left, token_left)) != NULL)
		resp_set_header(c->resp, "X-Session-Warning", warn);
}

static void
route_error(struct resp *resp, enum route_match m, const char *allow)
{
	if (m == ROUTE_BAD_METHOD) {
		reply_fail(resp, ERR_METHOD_NOT_ALLOWED, NULL);
		resp_set_header(resp, "Allow", allow);
	} else
		reply_fail(resp, ERR_NOT_FOUND, NULL);
}

void
api_handle(const struct config *cfg, struct req *req, struct resp *resp)
{
	const struct route *table, *rt = NULL;
	const char *bad;
	struct ctx c;
	char allow[128];
	enum route_match m;
	size_t n;

	/* Who the client is decides throttling, the audit trail and /metrics:
	 * behind a trusted proxy it is the hop that proxy saw (M1). */
	req_take_client(req, cfg->trusted_proxies);
	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.req = req;
	c.resp = resp;
	table = handlers_routes(&n);
	m = router_match(table, n, req->method, req->path ? req->path : "", &rt,
	    c.param, sizeof(c.param), allow, sizeof(allow));
	if (m != ROUTE_FOUND)
		route_error(resp, m, allow);
	else if ((bad = transport_cookies_problem(cfg, req)) != NULL)
		/* Before anything reads a cookie: no guess which one is real. */
		reply_bad_request(resp, bad);
	else if (parse_body(&c, rt) && authenticate(&c, rt)) {
		rt->fn(&c);
		if (c.authed && resp->status < 400)
			session_headers(&c);
	}
	/* Nothing an auth API answers may be cached by a proxy or browser. */
	resp_set_header(resp, "Cache-Control", "no-store");
	/* Answers reflect client text (email, display_name, a report's
	 * message): never let a browser sniff them into something active. */
	resp_set_header(resp, "X-Content-Type-Options", "nosniff");
	if (c.body != NULL)
		json_object_put(c.body);
}
