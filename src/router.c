/*
 * router: (method, path) -> route over a static table. Segments match
 * exactly; "{name}" matches one segment of [A-Za-z0-9_-]. No allocation,
 * no trailing-slash leniency: one path has one spelling.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "router.h"

/* Does path match pattern? Copies the {param} segment into param. */
static bool
match(const char *pattern, const char *path, char *param, size_t paramlen)
{
	const char *p = pattern, *s = path, *close;
	size_t n;

	while (*p != '\0') {
		if (*p == '{') {
			if ((close = strchr(p, '}')) == NULL)
				return false;
			for (n = 0; s[n] != '\0' && s[n] != '/'; n++)
				if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789_-", s[n]) == NULL)
					return false;
			if (n == 0 || n >= paramlen)
				return false;
			memcpy(param, s, n);
			param[n] = '\0';
			s += n;
			p = close + 1;
			continue;
		}
		if (*p++ != *s++)
			return false;
	}
	return *s == '\0';
}

static void
allow_add(char *allow, size_t allowlen, const char *method)
{
	size_t len = strlen(allow);
	const char *hit = strstr(allow, method);

	/* Already listed (as a whole word)? */
	while (hit != NULL) {
		size_t m = strlen(method);

		if ((hit == allow || hit[-1] == ' ') && (hit[m] == '\0' || hit[m] == ','))
			return;
		hit = strstr(hit + 1, method);
	}
	snprintf(allow + len, allowlen - len, "%s%s", len ? ", " : "", method);
}

enum route_match
router_match(const struct route *table, size_t n, const char *method,
    const char *path, const struct route **found, char *param, size_t paramlen,
    char *allow, size_t allowlen)
{
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
	bool any = false;
	size_t i;

	*found = NULL;
	if (allowlen > 0)
		allow[0] = '\0';
	if (paramlen > 0)
		param[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!match(table[i].pattern, path, param, paramlen))
			continue;
		if (strcmp(table[i].method, want) == 0) {
			*found = &table[i];
			return ROUTE_FOUND;
		}
		any = true;
		if (allowlen > 0) {
			allow_add(allow, allowlen, table[i].method);
			if (strcmp(table[i].method, "GET") == 0)
				allow_add(allow, allowlen, "HEAD");
		}
	}
	return any ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}
