/*
 * api: one request in, one response out. Routes the request, enforces
 * CSRF, authentication and body rules, calls the handler, and turns every
 * failure into the error shape of the API (401 with reason and
 * WWW-Authenticate, 503 with Retry-After, ...).
 */
#ifndef TETHER_API_H
#define TETHER_API_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "http.h"

/* Handles req (body already read) into resp. */
void api_handle(const struct config *cfg, struct req *req, struct resp *resp);

#endif
