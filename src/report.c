/*
 * report: why limits at all: a report is accepted without a session (it
 * usually comes just after one ended), so its size must not be the
 * client's choice.
 */
#include <string.h>

#include "json.h"
#include "report.h"
#include "util.h"

#define REPORT_TYPE_MAX 32
#define REPORT_MESSAGE_MAX 1000
#define REPORT_LOCATION_MAX 2048
#define REPORT_CONTEXT_MAX 4096
#define REPORT_IDLE_MINUTES_MAX 1e7

const char *
report_parse(json_object *body, struct logout_event *ev, enum logout_type *type)
{
	const char *t, *msg = NULL, *loc = NULL;
	json_object *ctxo = NULL;
	double idle = -1;

	if (json_get_text(body, "type", REPORT_TYPE_MAX, &t) != 0 ||
	    logout_type_parse(t, type) != 0)
		return "type must be one of USER_ACTION, TOKEN_EXPIRED, "
		       "IDLE_TIMEOUT, REFRESH_FAILED, SESSION_ENDED, AUTH_ERROR, "
		       "UNKNOWN.";
	/* No control character in message or location, not even a newline
	 * (a front end's message is one line): they end up on an operator's
	 * terminal (tetherctl events), where ESC, CR or CSI could forge or
	 * hide what is shown. */
	if (json_get_text(body, "message", REPORT_MESSAGE_MAX, &msg) < 0 ||
	    (msg != NULL && !util_text_ok(msg, REPORT_MESSAGE_MAX)) ||
	    json_get_text(body, "location", REPORT_LOCATION_MAX, &loc) < 0 ||
	    (loc != NULL && !util_text_ok(loc, REPORT_LOCATION_MAX)) ||
	    json_get_number(body, "idle_minutes", &idle) < 0 ||
	    idle > REPORT_IDLE_MINUTES_MAX)
		return "message and location must be text without control characters, "
		       "idle_minutes a number.";
	if (json_object_object_get_ex(body, "context", &ctxo) && ctxo != NULL) {
		ev->context =
		    (char *)json_object_to_json_string_ext(ctxo, JSON_C_TO_STRING_PLAIN);
		if (!json_object_is_type(ctxo, json_type_object) ||
		    strlen(ev->context) > REPORT_CONTEXT_MAX)
			return "context must be an object of at most 4 KiB.";
	}
	ev->type = (char *)t;
	ev->message = (char *)msg;
	ev->idle_minutes = idle < 0 ? -1 : idle;
	ev->location = (char *)loc;
	return NULL;
}
