/*
 * authz: tether.fcgi in the FastCGI Authorizer role, guarding any path of
 * a site (a PHP app, static files). The web server asks before each
 * request whether it may go on; the answer is GET /me's verification with
 * its session rules, and on success the identity as Variable- headers,
 * which the server hands to the protected app as environment variables.
 */
#ifndef TETHER_AUTHZ_H
#define TETHER_AUTHZ_H

#include "config.h"
#include "http.h"

/* The variables a granted request carries to the app (Variable-NAME). */
#define AUTHZ_VAR_USER_ID "TETHER_USER_ID"
#define AUTHZ_VAR_EMAIL "TETHER_EMAIL"
#define AUTHZ_VAR_NAME "TETHER_DISPLAY_NAME"
#define AUTHZ_VAR_SESSION "TETHER_SESSION_ID"

/* The per-folder rules, read from the request's environment (set in the
 * protecting block of the server's configuration): */
#define AUTHZ_ENV_USERS "TETHER_REQUIRE_USERS"   /* emails, comma-separated */
#define AUTHZ_ENV_DOMAIN "TETHER_REQUIRE_DOMAIN" /* e.g. example.org */

/*
 * Answers one authorizer request (req from req_init with mount ""; it has
 * no body and none is read). 200 with the Variable- headers; a page load
 * that is signed out, idle, expired or revoked: 302 to cfg->authz_signin
 * with ?next= (the sign-in page explains the reason and, for an expired
 * access token of a live session, refreshes and comes back); any other
 * request: the API's 401 with its reason; a user outside the folder's
 * rules: 403; a database fault: 503 with Retry-After, never a 401.
 */
void authz_handle(const struct config *cfg, struct req *req, struct resp *resp);

/* Whether the request is a page load (Accept names text/html and no
 * X-Requested-With): a person's browser, to be sent to the sign-in page. */
bool authz_is_page_load(const struct req *req);

/* Whether email passes the folder's rules: users (a comma-separated list,
 * case-insensitive; NULL or "" = anyone) and domain (NULL or "" = any). */
bool authz_rules_allow(const char *email, const char *users, const char *domain);

/* The Location of the sign-in redirect: signin + "?next=" + the request
 * URI percent-encoded. The caller frees it. */
char *authz_signin_location(const char *signin, const char *request_uri);

#endif
