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

#define COOKIE_ACCESS "tether_access"
#define COOKIE_REFRESH "tether_refresh"
#define COOKIE_CSRF "tether_csrf"

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
 * The CSRF rule: a request whose credential is a cookie and whose method
 * can change something (not GET or HEAD) must carry an X-CSRF-Token header
 * equal to the tether_csrf cookie (double submit, compared in constant
 * time). True if req passes.
 */
bool transport_csrf_ok(const struct req *req, enum token_source src);

/* Whether the tokens go in the answer's body: body transport, or both
 * unless the client asked "X-Token-Transport: cookie". */
bool transport_body_tokens(const struct config *cfg, const struct req *req);

/*
 * Sets the token cookies on resp (when the transport uses cookies), all
 * with Max-Age max_age: access (HttpOnly, path /), refresh (HttpOnly, only
 * the mount's /refresh and /logout), and the CSRF cookie (readable by the
 * page), kept at the value the request brought if any.
 */
void transport_set_cookies(const struct config *cfg, const struct req *req,
    struct resp *resp, const char *access, const char *refresh, int64_t max_age);

/* Deletes the token cookies (when the transport uses cookies). */
void transport_clear_cookies(const struct config *cfg, struct resp *resp);

#endif
