/*
 * testutil: the one way every CUnit test program runs and reports, so the
 * harness can add the counts of all suites into one summary line.
 * Each program prints "RESULT <program>: N passed, N failed" last and exits
 * 0 only when nothing failed. Integration programs call tu_skip() when there
 * is no database to test against (exit 77, automake's "skipped").
 */
#ifndef TETHER_TESTUTIL_H
#define TETHER_TESTUTIL_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>

/* String assertions that survive NULL (CUnit's would crash on it). */
static inline const char *
tu_s(const char *s)
{
	return s != NULL ? s : "(null)";
}
#define TU_ASSERT_STR_EQ(a, b) CU_ASSERT_STRING_EQUAL(tu_s(a), tu_s(b))
#define TU_ASSERT_STR_NE(a, b) CU_ASSERT_STRING_NOT_EQUAL(tu_s(a), tu_s(b))

struct tu_test {
	const char *name;
	void (*fn)(void);
};

/* Adds a suite of tests (array ending with {NULL, NULL}); aborts on failure. */
static inline void
tu_suite(const char *name, int (*init)(void), int (*clean)(void),
    const struct tu_test *tests)
{
	CU_pSuite s = CU_add_suite(name, init, clean);
	if (s == NULL) {
		fprintf(stderr, "CU_add_suite: %s\n", CU_get_error_msg());
		exit(2);
	}
	for (; tests->name != NULL; tests++)
		if (CU_add_test(s, tests->name, tests->fn) == NULL) {
			fprintf(stderr, "CU_add_test: %s\n", CU_get_error_msg());
			exit(2);
		}
}

static inline int
tu_begin(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "CU_initialize_registry: %s\n", CU_get_error_msg());
		exit(2);
	}
	return 0;
}

/* Runs every suite added, prints the RESULT line, returns the exit status. */
static inline int
tu_end(const char *program)
{
	unsigned passed, failed, suites_failed;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed();
	suites_failed = CU_get_number_of_suites_failed();
	passed = CU_get_number_of_tests_run() - failed;
	/* A suite whose setup failed ran none of its tests: count it as failed. */
	failed += suites_failed;
	CU_cleanup_registry();
	printf("RESULT %s: %u passed, %u failed\n", program, passed, failed);
	return failed == 0 ? 0 : 1;
}

static inline int
tu_skip(const char *program, const char *why)
{
	printf("SKIP %s: %s\n", program, why);
	return 77;
}

#endif
