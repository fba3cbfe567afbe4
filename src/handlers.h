/*
 * handlers: one h_<route>() per row of the route table, each reading
 * parse -> rules -> store -> reply (login.c, session.c, store.h, reply.h).
 * The table itself is handlers_routes().
 */
#ifndef TETHER_HANDLERS_H
#define TETHER_HANDLERS_H

#include <json-c/json.h>
#include <stddef.h>

#include "auth.h"
#include "config.h"
#include "http.h"
#include "router.h"

/* Everything one handler call sees. Borrowed from api_handle(). */
struct ctx {
	const struct config *cfg;
	struct req *req;
	struct resp *resp;
	char param[ROUTE_PARAM_MAX]; /* the {id} of the path, if any */
	json_object *body;           /* parsed JSON body or NULL */
	bool authed;                 /* auth is valid (AUTH_ACCESS, AUTH_OPTIONAL) */
	struct auth_info auth;
};

/* The route table and its length. */
const struct route *handlers_routes(size_t *n);

#endif
