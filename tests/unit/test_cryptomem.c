/*
 * test_cryptomem: OpenSSL's large buffers come from their own aligned
 * mappings and go back to the system when freed; everything else is
 * plain malloc; scrypt still hashes and verifies on top of it.
 */
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cryptomem.h"
#include "password.h"
#include "testutil.h"

#define MIB ((size_t)1 << 20)

/* True if addr lies inside one of this process's mappings. */
static bool
mapped(const void *addr)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi, a = (unsigned long)(uintptr_t)addr;
	char line[512];
	bool in = false;

	if (f == NULL)
		return false;
	while (!in && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && a >= lo && a < hi)
			in = true;
	fclose(f);
	return in;
}

static void
test_a_large_buffer_is_its_own_aligned_mapping_until_freed(void)
{
	unsigned char *p = OPENSSL_malloc(16 * MIB);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL((uintptr_t)p % (2 * MIB), 0);
	memset(p, 0xa5, 16 * MIB);
	CU_ASSERT_EQUAL(p[16 * MIB - 1], 0xa5);
	OPENSSL_free(p);
	CU_ASSERT_FALSE(mapped(p));
}

static void
test_small_buffers_come_from_malloc(void)
{
	char *p = OPENSSL_malloc(100), *q;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	strcpy(p, "tether");
	q = OPENSSL_realloc(p, 200000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	TU_ASSERT_STR_EQ(q, "tether");
	OPENSSL_free(q);
	OPENSSL_free(NULL);
}

static void
test_a_mapped_buffer_keeps_its_bytes_through_realloc(void)
{
	unsigned char *p = OPENSSL_malloc(2 * MIB), *q;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 7, 2 * MIB);
	q = OPENSSL_realloc(p, 6 * MIB);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(q[0], 7);
	CU_ASSERT_EQUAL(q[2 * MIB - 1], 7);
	q[6 * MIB - 1] = 1;
	p = OPENSSL_realloc(q, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p[999], 7);
	OPENSSL_free(p);
}

static void
test_more_large_buffers_than_slots_still_work(void)
{
	unsigned char *p[CRYPTOMEM_SLOTS + 2];
	size_t i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		p[i] = OPENSSL_malloc(MIB + i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
		memset(p[i], (int)i, MIB + i);
	}
	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		CU_ASSERT_EQUAL(p[i][MIB + i - 1], (unsigned char)i);
		OPENSSL_free(p[i]);
	}
}

static void
test_scrypt_hashes_and_verifies_on_it(void)
{
	struct scrypt_params sp = { .n = 16384, .r = 8, .p = 1 };
	char *h = password_hash("correct horse", 13, &sp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(password_verify("correct horse", 13, h, &sp, NULL), 1);
	CU_ASSERT_EQUAL(password_verify("wrong horse", 11, h, &sp, NULL), 0);
	free(h);
}

static const struct tu_test tests[] = {
	{ "a large buffer is its own aligned mapping until freed",
	    test_a_large_buffer_is_its_own_aligned_mapping_until_freed },
	{ "small buffers come from malloc", test_small_buffers_come_from_malloc },
	{ "a mapped buffer keeps its bytes through realloc",
	    test_a_mapped_buffer_keeps_its_bytes_through_realloc },
	{ "more large buffers than slots still work", test_more_large_buffers_than_slots_still_work },
	{ "scrypt hashes and verifies on it", test_scrypt_hashes_and_verifies_on_it },
	{ NULL, NULL }
};

int
main(void)
{
	/* First, before any other OpenSSL call, as in the worker. */
	if (cryptomem_install() != 0) {
		fprintf(stderr, "cryptomem_install failed\n");
		return 1;
	}
	tu_begin();
	tu_suite("cryptomem", NULL, NULL, tests);
	return tu_end("test_cryptomem");
}
