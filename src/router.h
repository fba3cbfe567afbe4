/*
 * router: matches (method, path) against a static table. Patterns are
 * literal segments and at most one "{param}" segment. Knows nothing about
 * what the handlers do.
 */
#ifndef TETHER_ROUTER_H
#define TETHER_ROUTER_H

#include <stddef.h>

#define ROUTE_PARAM_MAX 128

struct ctx;
typedef void (*route_fn)(struct ctx *);

/* What a route needs before its handler runs. */
enum route_auth {
	AUTH_NONE = 0,  /* public */
	AUTH_ACCESS,    /* a valid access token of a live session */
	AUTH_OPTIONAL,  /* an access token is used if valid, else ignored */
	AUTH_SELF,      /* the handler reads the credentials itself (refresh, logout) */
};

struct route {
	const char *method;
	const char *pattern; /* "/sessions/{id}" */
	enum route_auth auth;
	route_fn fn;
};

enum route_match { ROUTE_FOUND = 0, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD };

/*
 * Looks up method and path in table[0..n).
 * ROUTE_FOUND: *found points into the table; a {param} segment's text is
 * copied to param (paramlen bytes; a longer segment does not match).
 * ROUTE_BAD_METHOD: the path exists for other methods, listed in allow
 * ("GET, DELETE"). ROUTE_NOT_FOUND otherwise. A HEAD request matches GET.
 */
enum route_match router_match(const struct route *table, size_t n,
    const char *method, const char *path, const struct route **found,
    char *param, size_t paramlen, char *allow, size_t allowlen);

#endif
