/*
 * reply: builds the response bodies and headers that every route shares.
 * Why 401 details: "why was I logged out" must be answerable from the
 * response alone, so a session end says its reason and when it happened.
 */
#include <stdio.h>

#include "json.h"
#include "metrics.h"
#include "reply.h"

void
reply_json(struct resp *resp, int status, json_object *o)
{
	resp_set_body(resp, status, "application/json", json_finish(o));
}

void
reply_error(struct resp *resp, int status, const char *error, const char *message)
{
	json_object *o = json_object_new_object();

	json_add_str(o, "error", error);
	json_add_str(o, "message", message);
	reply_json(resp, status, o);
}

void
reply_unavailable(struct resp *resp)
{
	char secs[16];

	metrics_count(M_UNAVAILABLE);
	snprintf(secs, sizeof(secs), "%d", RETRY_AFTER_S);
	reply_error(resp, 503, "unavailable",
	    "The service is temporarily unavailable; try again shortly.");
	resp_set_header(resp, "Retry-After", secs);
}

void
reply_deny(struct resp *resp, const struct denial *a)
{
	json_object *o = json_object_new_object();
	char hdr[256];

	metrics_denied(a->reason);
	json_add_str(o, "error", "unauthorized");
	json_add_str(o, "reason", reason_name(a->reason));
	json_add_str(o, "message", reason_message(a->reason));
	if (a->ended_reason != END_NONE) {
		json_add_str(o, "ended_reason", end_reason_name(a->ended_reason));
		json_add_int(o, "ended_at", (int64_t)a->ended_at);
	}
	if (a->reason == REASON_SESSION_IDLE_TIMEOUT)
		json_add_int(o, "idle_for_s", a->idle_for);
	reply_json(resp, 401, o);
	snprintf(hdr, sizeof(hdr),
	    "Bearer error=\"invalid_token\", error_description=\"%s\"",
	    reason_name(a->reason));
	resp_set_header(resp, "WWW-Authenticate", hdr);
}

void
reply_deny_reason(struct resp *resp, enum reason r)
{
	struct denial a = { .reason = r };

	reply_deny(resp, &a);
}
