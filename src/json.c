/*
 * json: typed access to request bodies and compact serialization of
 * responses over json-c. A field of the wrong JSON type is an error, never
 * coerced: "remember_me": "yes" is a 400, not true.
 */
#include <math.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* Why a depth limit: json-c recurses per level; a body of 16 KiB of '['
 * must not cost more than a small object. */
#define JSON_MAX_DEPTH 16

/* NUL is no character tether accepts anywhere: json-c cuts a key at it
 * (another parser differential) and PostgreSQL's jsonb refuses it in a
 * report's context (a 503 and a lost report, audit L6). */

/*
 * Adds up the members of every object in v, and says whether every number
 * is finite. json-c keeps the last of duplicate keys and accepts NaN and
 * Infinity even when strict: both are refused, so that tether never reads
 * a body differently from a proxy or a WAF in front of it.
 */
static bool
strict_walk(json_object *v, size_t *members)
{
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_double:
		return isfinite(json_object_get_double(v));
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			(void)key;
			(*members)++;
			if (val != NULL && !strict_walk(val, members))
				return false;
		}
		return true;
	}
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (e != NULL && !strict_walk(e, members))
				return false;
		}
		return true;
	default:
		return true;
	}
}

json_object *
json_parse_object(const char *body, size_t len)
{
	size_t members = 0;
	json_tokener *tok;
	json_object *o = NULL;

	if (body == NULL || len == 0 || len > INT32_MAX)
		return NULL;
	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, body, (int)len);
	/* The whole body must be the object: nothing may follow it. */
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object) || !strict_walk(o, &members) ||
	    members != util_json_members(body, len) || json_text_has_nul(body, len))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

int
json_get_string(json_object *o, const char *key, const char **out, size_t *len)
{
	json_object *v;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 1;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*out = json_object_get_string(v);
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(v);
	return 0;
}

int
json_get_text(json_object *o, const char *key, size_t max, const char **out)
{
	size_t len;
	int rc;

	*out = NULL;
	if (o == NULL)
		return 1;
	rc = json_get_string(o, key, out, &len);
	if (rc == 0 && (strlen(*out) != len || len > max))
		return -1;
	return rc;
}

int
json_get_bool(json_object *o, const char *key, bool *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 1;
	if (!json_object_is_type(v, json_type_boolean))
		return -1;
	*out = json_object_get_boolean(v);
	return 0;
}

int
json_get_number(json_object *o, const char *key, double *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 1;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return -1;
	*out = json_object_get_double(v);
	return 0;
}

bool
json_text_has_nul(const char *s, size_t len)
{
	bool in_str = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!in_str)
			in_str = s[i] == '"';
		else if (s[i] == '"')
			in_str = false;
		else if (s[i] == '\\') {
			if (len - i >= 6 && memcmp(s + i + 1, "u0000", 5) == 0)
				return true;
			i++; /* the escaped character */
		}
	}
	return false;
}

char *
json_finish(json_object *o)
{
	char *s;

	s = xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

void
json_add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v == NULL ? NULL : json_object_new_string(v));
}

void
json_add_int(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

void
json_add_bool(json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}
