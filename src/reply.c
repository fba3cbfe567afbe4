/*
 * reply: builds the response bodies and headers that every route shares.
 * Why 401 details: "why was I logged out" must be answerable from the
 * response alone, so a session end says its reason and when it happened.
 */
#include <stdio.h>

#include "json.h"
#include "metrics.h"
#include "reply.h"
#include "session.h"
#include "transport.h"

void
reply_json(struct resp *resp, int status, json_object *o)
{
	resp_set_body(resp, status, "application/json", json_finish(o));
	/* Here as well as in api_handle: the worker's own early answers (404
	 * outside the mount, 413, 400) never reach api_handle. */
	resp_set_header(resp, "Cache-Control", "no-store");
	resp_set_header(resp, "X-Content-Type-Options", "nosniff");
}

void
reply_fail(struct resp *resp, enum api_error e, const char *message)
{
	const struct api_error_def *d = api_error(e);
	json_object *o = json_object_new_object();

	json_add_str(o, "error", d->code);
	json_add_str(o, "message", message != NULL ? message : d->message);
	reply_json(resp, d->status, o);
}

void
reply_bad_request(struct resp *resp, const char *message)
{
	reply_fail(resp, ERR_INVALID_REQUEST, message);
}

void
reply_unavailable(struct resp *resp)
{
	char secs[16];

	metrics_count(M_UNAVAILABLE);
	snprintf(secs, sizeof(secs), "%d", RETRY_AFTER_S);
	reply_fail(resp, ERR_UNAVAILABLE, NULL);
	resp_set_header(resp, "Retry-After", secs);
}

void
reply_store_error(struct resp *resp, enum store_err se)
{
	if (se == STORE_NOTFOUND)
		reply_fail(resp, ERR_NOT_FOUND, "Not found.");
	else if (se == STORE_CONFLICT)
		reply_fail(resp, ERR_CONFLICT, NULL);
	else if (se == STORE_INVALID)
		reply_fail(resp, ERR_INVALID_REQUEST, "A value was refused by the database.");
	else
		reply_unavailable(resp);
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
	/* RFC 6750 §3.1: a request that sent no credential at all gets the
	 * challenge without an error code; a bad one says invalid_token. */
	if (a->reason == REASON_TOKEN_MISSING)
		snprintf(hdr, sizeof(hdr), "Bearer realm=\"tether\"");
	else
		snprintf(hdr, sizeof(hdr),
		    "Bearer realm=\"tether\", error=\"invalid_token\", "
		    "error_description=\"%s\"",
		    reason_name(a->reason));
	resp_set_header(resp, "WWW-Authenticate", hdr);
}

void
reply_deny_reason(struct resp *resp, enum reason r)
{
	struct denial a = { .reason = r };

	reply_deny(resp, &a);
}

/* ---- views ---- */

json_object *
reply_view_user(const struct user *u)
{
	json_object *o = json_object_new_object();

	json_add_int(o, "id", u->id);
	json_add_str(o, "email", u->email);
	json_add_str(o, "display_name", u->display_name);
	return o;
}

json_object *
reply_view_session(const struct session *s, bool full)
{
	json_object *o = json_object_new_object();
	time_t idle = session_idle_expiry(s);

	json_add_str(o, "id", s->id);
	json_add_int(o, "idle_timeout_s", s->idle_timeout_s);
	if (idle != 0)
		json_add_int(o, "idle_expires_at", (int64_t)idle);
	else
		json_object_object_add(o, "idle_expires_at", NULL);
	json_add_int(o, "absolute_expires_at", (int64_t)s->absolute_expires_at);
	json_add_bool(o, "remember_me", s->remember_me);
	if (!full)
		return o;
	json_add_int(o, "created_at", (int64_t)s->created_at);
	json_add_int(o, "last_active_at", (int64_t)s->last_active_at);
	json_add_str(o, "device_id", s->device_id[0] ? s->device_id : NULL);
	json_add_str(o, "user_agent", s->user_agent);
	json_add_str(o, "ip", s->ip);
	return o;
}

/* What the front end needs to mirror the server's timers for session s. */
static json_object *
session_settings(const struct config *cfg, const struct session *s)
{
	json_object *o = json_object_new_object();

	json_add_int(o, "warning_window_s", cfg->warning_window);
	/* The step of the idle timeout s carries (set at its login). */
	json_add_int(o, "activity_write_interval_s", session_write_interval(cfg, s));
	json_add_int(o, "access_token_lifetime_s", cfg->access_token_lifetime);
	json_add_bool(o, "debug_panel", cfg->debug_panel);
	return o;
}

json_object *
reply_view_session_info(const struct config *cfg, const struct session *s,
    int64_t access_iat, int64_t access_exp, time_t refresh_expires_at, time_t now)
{
	json_object *o = json_object_new_object(), *a, *r;

	json_add_int(o, "server_time", (int64_t)now);
	json_object_object_add(o, "session", reply_view_session(s, true));
	a = json_object_new_object();
	json_add_int(a, "issued_at", access_iat);
	json_add_int(a, "expires_at", access_exp);
	json_object_object_add(o, "access", a);
	r = json_object_new_object();
	if (refresh_expires_at != 0)
		json_add_int(r, "expires_at", (int64_t)refresh_expires_at);
	else
		json_object_object_add(r, "expires_at", NULL);
	json_object_object_add(o, "refresh", r);
	json_object_object_add(o, "settings", session_settings(cfg, s));
	return o;
}

/*
 * From the configuration alone: no database, so it answers even in an
 * outage and costs nothing. Nothing in it is secret.
 */
json_object *
reply_view_settings(const struct config *cfg, time_t now)
{
	json_object *o = json_object_new_object();

	json_add_int(o, "server_time", (int64_t)now);
	json_add_int(o, "idle_timeout_s", cfg->idle_timeout);
	json_add_int(o, "idle_timeout_remember_me_s", cfg->idle_timeout_remember_me);
	json_add_int(o, "warning_window_s", cfg->warning_window);
	json_add_int(o, "session_max_age_s", cfg->session_max_age);
	json_add_int(
	    o, "session_max_age_remember_me_s", cfg->session_max_age_remember_me);
	json_add_int(o, "access_token_lifetime_s", cfg->access_token_lifetime);
	/* The step of an ordinary session's idle timeout. */
	json_add_int(o, "activity_write_interval_s",
	    session_write_step(cfg, session_idle_timeout(cfg, false)));
	json_add_bool(o, "debug_panel", cfg->debug_panel);
	json_add_bool(o, "allow_registration", cfg->allow_registration);
	return o;
}

static json_object *
report_json(const struct logout_event *ev)
{
	json_object *o = json_object_new_object();

	json_add_str(o, "kind", "report");
	json_add_int(o, "at", (int64_t)ev->created_at);
	json_add_str(o, "type", ev->type);
	json_add_str(o, "message", ev->message);
	if (ev->idle_minutes >= 0)
		json_object_object_add(
		    o, "idle_minutes", json_object_new_double(ev->idle_minutes));
	json_add_str(o, "location", ev->location);
	json_add_str(o, "session_id", ev->session_id);
	json_add_str(o, "ip", ev->ip);
	json_add_str(o, "user_agent", ev->user_agent);
	json_object_object_add(
	    o, "context", ev->context ? json_tokener_parse(ev->context) : NULL);
	return o;
}

static json_object *
end_json(const struct session *s)
{
	json_object *o = json_object_new_object();

	json_add_str(o, "kind", "session_end");
	json_add_int(o, "at", (int64_t)s->ended_at);
	json_add_str(o, "reason", end_reason_name(s->end_reason));
	json_add_str(o, "session_id", s->id);
	json_add_int(o, "created_at", (int64_t)s->created_at);
	json_add_int(o, "last_active_at", (int64_t)s->last_active_at);
	json_add_str(o, "ip", s->ip);
	json_add_str(o, "user_agent", s->user_agent);
	return o;
}

json_object *
reply_view_timeline(
    const struct logout_event *evs, size_t ne, const struct session *ends, size_t ns)
{
	json_object *arr = json_object_new_array();
	size_t i = 0, j = 0;

	while (i < ne || j < ns) {
		if (j >= ns || (i < ne && evs[i].created_at >= ends[j].ended_at))
			json_object_array_add(arr, report_json(&evs[i++]));
		else
			json_object_array_add(arr, end_json(&ends[j++]));
	}
	return arr;
}

void
reply_tokens(struct resp *resp, const struct config *cfg, const struct req *req,
    const struct token_pair *p, const struct session *s, const struct user *u,
    time_t refresh_expires_at)
{
	json_object *o = json_object_new_object();
	bool body = transport_body_tokens(cfg, req);
	time_t now = req->now;

	if (body)
		json_add_str(o, "access_token", p->access);
	json_add_str(o, "token_type", "Bearer");
	json_add_int(o, "expires_in", (int64_t)(p->issue.access_expires_at - now));
	json_add_int(o, "access_expires_at", (int64_t)p->issue.access_expires_at);
	if (body)
		json_add_str(o, "refresh_token", p->refresh);
	json_add_int(o, "refresh_expires_at", (int64_t)refresh_expires_at);
	json_object_object_add(o, "session", reply_view_session(s, false));
	json_object_object_add(o, "user", reply_view_user(u));
	json_add_int(o, "server_time", (int64_t)now);
	reply_json(resp, 200, o);
	transport_set_cookies(cfg, req, resp, p->access, p->refresh,
	    session_cookie_max_age(cfg, refresh_expires_at, now));
}

bool
reply_login_refused(struct resp *resp, enum login_result lr, int64_t retry_after)
{
	char secs[24];

	switch (lr) {
	case LOGIN_OK:
		return false;
	case LOGIN_THROTTLED:
		reply_fail(resp, ERR_TOO_MANY_ATTEMPTS, NULL);
		snprintf(secs, sizeof(secs), "%lld", (long long)retry_after);
		resp_set_header(resp, "Retry-After", secs);
		break;
	case LOGIN_BAD_CREDENTIALS:
	case LOGIN_NO_USER:
		reply_deny_reason(resp, REASON_INVALID_CREDENTIALS);
		break;
	case LOGIN_DISABLED:
		reply_fail(resp, ERR_ACCOUNT_DISABLED, NULL);
		break;
	case LOGIN_BUSY:
		/* Not M_UNAVAILABLE: that one means the database is down. */
		reply_fail(resp, ERR_BUSY, NULL);
		resp_set_header(resp, "Retry-After", "1");
		break;
	case LOGIN_UNAVAILABLE:
	default:
		reply_unavailable(resp);
		break;
	}
	return true;
}
