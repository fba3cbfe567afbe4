/*
 * json: small helpers over json-c for request bodies (typed field access
 * that refuses wrong types) and response bodies (serialize and free).
 */
#ifndef TETHER_JSON_H
#define TETHER_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses body as one JSON object (nothing after it). Returns a new object
 * the caller puts, or NULL for empty, invalid, deeper than 16 levels or
 * non-object input, and for a duplicate key, NaN/Infinity or \u0000
 * anywhere. */
json_object *json_parse_object(const char *body, size_t len);

/*
 * Reads o[key] as a string. Returns 0 with *out borrowed from o (valid while
 * o lives) and *len, 1 if absent or null (*out NULL), -1 if present with
 * another type.
 */
int json_get_string(json_object *o, const char *key, const char **out, size_t *len);
/* A string field of at most max bytes without an embedded NUL: 0 with *out
 * borrowed, 1 if absent or null or o is NULL (*out NULL), -1 otherwise. */
int json_get_text(json_object *o, const char *key, size_t max, const char **out);
/* Same for booleans: 0 and *out, 1 absent (out untouched), -1 wrong type. */
int json_get_bool(json_object *o, const char *key, bool *out);
/* Same for numbers (int or double): 0, 1, -1. */
int json_get_number(json_object *o, const char *key, double *out);

/* Whether len bytes of JSON text s have a \u0000 escape in a string or
 * key. */
bool json_text_has_nul(const char *s, size_t len);

/* Serializes o compactly into a string the caller frees, then puts o. */
char *json_finish(json_object *o);

/* Shorthands that add one member: string (NULL adds null), int, bool. */
void json_add_str(json_object *o, const char *key, const char *v);
void json_add_int(json_object *o, const char *key, int64_t v);
void json_add_bool(json_object *o, const char *key, bool v);

#endif
