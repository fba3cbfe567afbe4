/*
 * transport: how the tokens travel, in one place. The cookie names and
 * attributes; where a request's access and refresh tokens are read from
 * (Authorization: Bearer, cookie, JSON body) under token_transport;
 * whether an answer carries the tokens in its body (X-Token-Transport);
 * setting and clearing the cookies; and the CSRF rule, decided from the
 * credential's source and the request's method. The API and the
 * authorizer ask the same functions.
 */
#ifndef TETHER_TRANSPORT_H
#define TETHER_TRANSPORT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "http.h"

/* tether's three cookies. Their names depend on cookie_secure: with it,
 * "__Host-tether_access" and "__Host-tether_csrf" (Secure, Path=/, no
 * Domain: a sibling subdomain or a plain-http attacker cannot set or
 * shadow them) and "__Secure-tether_refresh" (path-scoped, so not
 * __Host-); without it (plain http on loopback, where browsers refuse
 * those prefixes) "tether_access", "tether_csrf", "tether_refresh". */
enum tether_cookie { COOKIE_ACCESS = 0, COOKIE_REFRESH, COOKIE_CSRF };

/* The CSRF cookie's value: CSRF_TOKEN_LEN base64url characters (16
 * random bytes), exactly what transport_set_cookies mints. */
#define CSRF_TOKEN_LEN 22

/* The name of cookie which under cfg (static storage). */
const char *transport_cookie_name(const struct config *cfg, enum tether_cookie which);

/*
 * Whether the request's cookies can be believed at all: NULL if so, else
 * the message of a 400 (one of tether's cookies sent more than once,
 * which a cookie tossed for a narrower path or a parent domain causes and
 * which no guess of "the right one" may settle; or a Cookie header over
 * HTTP_COOKIE_HEADER_MAX). Always NULL under body transport.
 */
const char *transport_cookies_problem(const struct config *cfg, const struct req *req);

/* Whether v has the shape of a CSRF value tether mints. */
bool transport_csrf_shape_ok(const char *v);

/* Where a token came from. */
enum token_source {
	TOKEN_SRC_NONE = 0,
	TOKEN_SRC_BEARER,
	TOKEN_SRC_COOKIE,
	TOKEN_SRC_BODY
};

/*
 * The request's access token: Authorization: Bearer (unless the transport
 * is cookie), then the access cookie (unless it is body). Borrowed from
 * req; NULL (and TOKEN_SRC_NONE) if there is none.
 */
const char *transport_access_token(
    const struct config *cfg, const struct req *req, enum token_source *src);

/*
 * The request's refresh token: the body's "refresh_token" (unless the
 * transport is cookie; body may be NULL), then the refresh cookie (unless
 * it is body). Borrowed from req or body; NULL if there is none.
 */
const char *transport_refresh_token(const struct config *cfg, const struct req *req,
    json_object *body, enum token_source *src);

/*
 * Whether the request carries any credential at all, and how: TOKEN_SRC_
 * COOKIE if an access or refresh token came as a cookie (genuine or not),
 * else the source of one that came otherwise, else TOKEN_SRC_NONE. For
 * the routes that delete cookies: never for a request that brought none.
 */
enum token_source transport_credential(
    const struct config *cfg, const struct req *req, json_object *body);

/*
 * The CSRF rule: a request whose credential is a cookie and whose method
 * can change something (not GET or HEAD) must carry an X-CSRF-Token header
 * equal to the CSRF cookie (double submit, compared in constant time; a
 * cookie not of tether's shape never passes). True if req passes.
 */
bool transport_csrf_ok(
    const struct config *cfg, const struct req *req, enum token_source src);

/*
 * Whether a request authenticated by src also proves it was not forged
 * cross-site, for a route exempt from the CSRF rule (the logout report):
 * a Bearer token, or a cookie credential with the CSRF value either in
 * X-CSRF-Token or, for sendBeacon, which cannot set headers, in the body's
 * "csrf" string (body may be NULL).
 */
bool transport_unforged(const struct config *cfg, const struct req *req,
    json_object *body, enum token_source src);

/* Whether the tokens go in the answer's body: body transport, or both
 * unless the client asked "X-Token-Transport: cookie". */
bool transport_body_tokens(const struct config *cfg, const struct req *req);

/*
 * Sets the token cookies on resp (when the transport uses cookies), all
 * with Max-Age max_age: access (HttpOnly, path /), refresh (HttpOnly, only
 * the mount's /refresh and /logout), and the CSRF cookie (readable by the
 * page), kept at the value the request brought if it has tether's shape
 * (other tabs hold it), else a new one: a value tether did not mint is
 * never reflected.
 */
void transport_set_cookies(const struct config *cfg, const struct req *req,
    struct resp *resp, const char *access, const char *refresh, int64_t max_age);

/* Deletes the token cookies (when the transport uses cookies). */
void transport_clear_cookies(const struct config *cfg, struct resp *resp);

#endif
