/*
 * fuzz_util.h: what the harnesses share. Each harness is one
 * LLVMFuzzerTestOneInput over one parser's public entry point; the input
 * is split into fields at '\n' where the parser takes several strings.
 */
#ifndef TETHER_FUZZ_UTIL_H
#define TETHER_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of data (owned by the caller, free()). */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Splits s in place at the first '\n': returns the rest, or "" if none. */
static inline char *
fuzz_cut(char *s)
{
	char *nl = strchr(s, '\n');

	if (nl == NULL)
		return s + strlen(s);
	*nl = '\0';
	return nl + 1;
}

#endif
