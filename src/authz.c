/*
 * authz: the FastCGI Authorizer role (see authz.h). The verification is
 * auth_access(), the one GET /me uses: cookie or Bearer, signature, the
 * blacklist, the idle and absolute limits, the session cache. No CSRF
 * check: the protected app's own requests carry no X-CSRF-Token, and the
 * authorizer only says who is asking (SameSite cookies keep a cross-site
 * POST from carrying the session; the app guards its own forms).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "authz.h"
#include "log.h"
#include "reply.h"
#include "transport.h"
#include "util.h"

bool
authz_is_page_load(const struct req *req)
{
	const char *accept = req_param(req, "HTTP_ACCEPT");

	return accept != NULL && strstr(accept, "text/html") != NULL &&
	    req_param(req, "HTTP_X_REQUESTED_WITH") == NULL;
}

/* Whether the comma-separated list holds item (case-insensitively,
 * spaces around each entry ignored). */
static bool
list_has(const char *list, const char *item)
{
	char *copy = xstrdup(list), *tok, *save = NULL, *end;
	bool found = false;

	for (tok = strtok_r(copy, ",", &save); tok != NULL && !found;
	     tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " \t");
		for (end = tok + strlen(tok); end > tok && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		found = *tok != '\0' && strcasecmp(tok, item) == 0;
	}
	free(copy);
	return found;
}

bool
authz_rules_allow(const char *email, const char *users, const char *domain)
{
	const char *at = strrchr(email, '@');

	if (users != NULL && *users != '\0' && !list_has(users, email))
		return false;
	if (domain != NULL && *domain != '\0' &&
	    (at == NULL || strcasecmp(at + 1, domain) != 0))
		return false;
	return true;
}

char *
authz_signin_location(const char *signin, const char *request_uri)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(request_uri), i, o = 0;
	char *enc = xmalloc(3 * n + 1), *loc;

	/* Everything but unreserved characters and '/' is escaped: the value
	 * is one query parameter, and the sign-in page decodes it. */
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)request_uri[i];

		if (isalnum(ch) || strchr("-._~/", ch) != NULL)
			enc[o++] = (char)ch;
		else {
			enc[o++] = '%';
			enc[o++] = hex[ch >> 4];
			enc[o++] = hex[ch & 15];
		}
	}
	enc[o] = '\0';
	loc = xasprintf("%s%snext=%s", signin, strchr(signin, '?') ? "&" : "?", enc);
	free(enc);
	return loc;
}

/* A short HTML page for a browser (403, 503): plain words, no script. */
static void
html_page(struct resp *resp, int status, const char *title, const char *text)
{
	char *body = xasprintf("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	                       "<title>%s</title></head>\n<body><h1>%s</h1>\n<p>%s</p></body></html>\n",
	    title, title, text);

	resp_set_body(resp, status, "text/html; charset=utf-8", body);
}

static void
grant(struct resp *resp, const struct auth_info *a)
{
	char id[32];

	snprintf(id, sizeof(id), "%lld", (long long)a->user.id);
	resp_set_body(resp, 200, NULL, NULL);
	/* Only the status and the variables: mod_fcgid copies any other
	 * header of a grant into the response it lets through. */
	resp->no_length = true;
	resp_set_header(resp, "Variable-" AUTHZ_VAR_USER_ID, id);
	resp_set_header(resp, "Variable-" AUTHZ_VAR_EMAIL, a->user.email);
	resp_set_header(resp, "Variable-" AUTHZ_VAR_NAME, a->user.display_name);
	resp_set_header(resp, "Variable-" AUTHZ_VAR_SESSION, a->session.id);
}

void
authz_handle(const struct config *cfg, struct req *req, struct resp *resp)
{
	struct auth_info a;
	enum auth_result ar;
	bool page = authz_is_page_load(req);
	const char *uri = req_param(req, "REQUEST_URI"), *bad;
	char *loc;

	memset(&a, 0, sizeof(a));
	/* The client behind trusted_proxies, as api_handle() takes it. */
	req_take_client(req, cfg->trusted_proxies);
	if ((bad = transport_cookies_problem(cfg, req)) != NULL) {
		/* As the API does: no guess which of two cookies is real. */
		if (page)
			html_page(resp, 400, "Bad request", bad);
		else
			reply_bad_request(resp, bad);
		goto out;
	}
	ar = auth_access(cfg, req, auth_is_activity(req), &a);
	if (ar == AUTH_UNAVAILABLE) {
		/* An outage is never shown as a sign-out. */
		reply_unavailable(resp); /* the status, Retry-After, the metric */
		if (page)
			html_page(resp, 503, "Temporarily unavailable",
			    "Sign-in cannot be checked right now. Your session is not affected: "
			    "reload this page in a moment.");
	} else if (ar == AUTH_DENIED && page) {
		loc = authz_signin_location(cfg->authz_signin, uri != NULL ? uri : "/");
		resp_set_body(resp, 302, NULL, NULL);
		resp_set_header(resp, "Location", loc);
		free(loc);
	} else if (ar == AUTH_DENIED)
		reply_deny(resp, &a.deny);
	else if (!authz_rules_allow(a.user.email, req_param(req, AUTHZ_ENV_USERS),
	             req_param(req, AUTHZ_ENV_DOMAIN))) {
		log_info("authorizer: user %lld refused by the folder's rules for %s",
		    (long long)a.user.id, req->path);
		if (page)
			html_page(resp, 403, "Not for this account",
			    "You are signed in, but this part of the site is not open to your account.");
		else
			reply_fail(resp, ERR_FORBIDDEN, "This account may not use this path.");
	} else
		grant(resp, &a);
out:
	/* A refusal is about one person at one moment: never cached. (A grant
	 * carries nothing but its variables: see grant().) */
	if (resp->status != 200)
		resp_set_header(resp, "Cache-Control", "no-store");
}
