/*
 * report: a client's logout report (POST /logout-event), read and checked:
 * its type, and the message, location, idle time and context it may
 * carry, each within its limit.
 */
#ifndef TETHER_REPORT_H
#define TETHER_REPORT_H

#include <json-c/json.h>

#include "reason.h"
#include "store.h"

/*
 * Reads body (NULL: none) into *ev's type, message, location,
 * idle_minutes and context (strings borrowed from body, valid while it
 * lives) and *type. NULL if it is valid, else the message of the 400 it
 * deserves.
 */
const char *report_parse(
    json_object *body, struct logout_event *ev, enum logout_type *type);

#endif
