/*
 * cryptomem: OpenSSL's allocator hooks. The large buffers live in a small
 * table (pointer, mapping): free() must tell them from malloc's, and
 * OpenSSL never holds more than one or two at a time. When the table is
 * full, or mmap fails, a large buffer simply comes from malloc.
 */
/* MAP_ANONYMOUS and madvise are not in strict POSIX. */
#define _DEFAULT_SOURCE

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cryptomem.h"

#define HUGE_PAGE ((size_t)2 << 20)

static struct {
	void *p;    /* what OpenSSL got; NULL = free slot */
	void *base; /* the mapping */
	size_t len; /* its length */
} large[CRYPTOMEM_SLOTS];

static int
slot_of(const void *p)
{
	int i;

	for (i = 0; p != NULL && i < CRYPTOMEM_SLOTS; i++)
		if (large[i].p == p)
			return i;
	return -1;
}

static void *
map_large(size_t n)
{
	size_t body = (n + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
	size_t len = body + HUGE_PAGE; /* room to align */
	char *base, *p;
	int i;

	for (i = 0; i < CRYPTOMEM_SLOTS && large[i].p != NULL; i++)
		;
	if (i == CRYPTOMEM_SLOTS || body < n)
		return NULL;
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)base + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	/* Advice only: without transparent huge pages it is plain memory. */
	(void)madvise(p, body, MADV_HUGEPAGE);
	large[i].p = p;
	large[i].base = base;
	large[i].len = len;
	return p;
}

static void *
cm_malloc(size_t n, const char *file, int line)
{
	void *p = NULL;

	(void)file;
	(void)line;
	if (n >= CRYPTOMEM_LARGE)
		p = map_large(n);
	return p != NULL ? p : malloc(n);
}

static void
cm_free(void *p, const char *file, int line)
{
	int i = slot_of(p);

	(void)file;
	(void)line;
	if (i < 0) {
		free(p);
		return;
	}
	munmap(large[i].base, large[i].len);
	large[i].p = NULL;
}

static void *
cm_realloc(void *p, size_t n, const char *file, int line)
{
	int i = slot_of(p);
	size_t have;
	void *q;

	/* A malloc'd buffer stays with malloc, whatever its new size. */
	if (i < 0)
		return realloc(p, n);
	/* A mapped one is copied (no path of tether's makes OpenSSL do this,
	 * but it must work). */
	if ((q = cm_malloc(n, file, line)) == NULL)
		return NULL;
	have = large[i].len - (size_t)((char *)p - (char *)large[i].base);
	memcpy(q, p, have < n ? have : n);
	cm_free(p, file, line);
	return q;
}

int
cryptomem_install(void)
{
	return CRYPTO_set_mem_functions(cm_malloc, cm_realloc, cm_free) == 1 ? 0 : -1;
}
