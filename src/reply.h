/*
 * reply: the shapes every API response takes, in one place: JSON bodies,
 * errors {error, reason?, message}, the 401 with its reason details and
 * WWW-Authenticate (RFC 6750), and the 503 with Retry-After.
 */
#ifndef TETHER_REPLY_H
#define TETHER_REPLY_H

#include <json-c/json.h>

#include "http.h"
#include "reason.h"

/* Seconds a client should wait before retrying after a 503. */
#define RETRY_AFTER_S 5

/* Sets status and the serialized body o (consumed). */
void reply_json(struct resp *resp, int status, json_object *o);
/* {error, message} with status. */
void reply_error(struct resp *resp, int status, const char *error,
    const char *message);
/* 503 {error:"unavailable"} with Retry-After: a database fault. */
void reply_unavailable(struct resp *resp);
/* 401 {error:"unauthorized", reason, message, ended_reason?, ended_at?,
 * idle_for_s?} with WWW-Authenticate. */
void reply_deny(struct resp *resp, const struct denial *a);
/* 401 for a bare reason (no session details). */
void reply_deny_reason(struct resp *resp, enum reason r);

#endif
