/*
 * test_router: matching, parameters, 404 and 405 with Allow.
 */
#include <string.h>

#include "router.h"
#include "testutil.h"

static void h(struct ctx *c) { (void)c; }

static const struct route table[] = {
	{ "POST", "/login", AUTH_NONE, h },
	{ "GET", "/me", AUTH_ACCESS, h },
	{ "GET", "/sessions", AUTH_ACCESS, h },
	{ "DELETE", "/sessions/{id}", AUTH_ACCESS, h },
	{ "GET", "/health", AUTH_NONE, h },
};
#define N (sizeof(table) / sizeof(table[0]))

static enum route_match
m(const char *method, const char *path, const struct route **r, char *param, char *allow)
{
	return router_match(table, N, method, path, r, param, ROUTE_PARAM_MAX, allow, 64);
}

static void
test_a_known_route_is_found(void)
{
	const struct route *r;
	char p[ROUTE_PARAM_MAX], a[64];

	CU_ASSERT_EQUAL(m("POST", "/login", &r, p, a), ROUTE_FOUND);
	CU_ASSERT_PTR_EQUAL(r, &table[0]);
	CU_ASSERT_EQUAL(m("GET", "/health", &r, p, a), ROUTE_FOUND);
	CU_ASSERT_PTR_EQUAL(r, &table[4]);
}

static void
test_a_parameter_segment_is_captured(void)
{
	const struct route *r;
	char p[ROUTE_PARAM_MAX], a[64];

	CU_ASSERT_EQUAL(m("DELETE", "/sessions/0b7c1f5e-0000-4000-8000-000000000001", &r, p, a),
	    ROUTE_FOUND);
	TU_ASSERT_STR_EQ(p, "0b7c1f5e-0000-4000-8000-000000000001");
	CU_ASSERT_PTR_EQUAL(r, &table[3]);
}

static void
test_a_bad_or_overlong_parameter_does_not_match(void)
{
	const struct route *r;
	char p[ROUTE_PARAM_MAX], a[64], longp[ROUTE_PARAM_MAX + 20];

	CU_ASSERT_EQUAL(m("DELETE", "/sessions/a.b", &r, p, a), ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(m("DELETE", "/sessions/", &r, p, a), ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(m("DELETE", "/sessions/a/b", &r, p, a), ROUTE_NOT_FOUND);
	strcpy(longp, "/sessions/");
	memset(longp + 10, 'a', ROUTE_PARAM_MAX);
	longp[10 + ROUTE_PARAM_MAX] = '\0';
	CU_ASSERT_EQUAL(m("DELETE", longp, &r, p, a), ROUTE_NOT_FOUND);
}

static void
test_an_unknown_path_is_not_found(void)
{
	const struct route *r;
	char p[ROUTE_PARAM_MAX], a[64];

	CU_ASSERT_EQUAL(m("GET", "/nope", &r, p, a), ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(m("GET", "/me/", &r, p, a), ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(m("GET", "", &r, p, a), ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(m("GET", "/", &r, p, a), ROUTE_NOT_FOUND);
	CU_ASSERT_PTR_NULL(r);
}

static void
test_a_wrong_method_lists_the_allowed_ones(void)
{
	const struct route *r;
	char p[ROUTE_PARAM_MAX], a[64];

	CU_ASSERT_EQUAL(m("POST", "/me", &r, p, a), ROUTE_BAD_METHOD);
	TU_ASSERT_STR_EQ(a, "GET, HEAD");
	CU_ASSERT_EQUAL(m("GET", "/sessions/abc", &r, p, a), ROUTE_BAD_METHOD);
	TU_ASSERT_STR_EQ(a, "DELETE");
	CU_ASSERT_EQUAL(m("GET", "/login", &r, p, a), ROUTE_BAD_METHOD);
	TU_ASSERT_STR_EQ(a, "POST");
}

static void
test_head_matches_a_get_route(void)
{
	const struct route *r;
	char p[ROUTE_PARAM_MAX], a[64];

	CU_ASSERT_EQUAL(m("HEAD", "/me", &r, p, a), ROUTE_FOUND);
	CU_ASSERT_PTR_EQUAL(r, &table[1]);
}

static const struct tu_test tests[] = {
	{ "a known route is found", test_a_known_route_is_found },
	{ "a parameter segment is captured", test_a_parameter_segment_is_captured },
	{ "a bad or overlong parameter does not match", test_a_bad_or_overlong_parameter_does_not_match },
	{ "an unknown path is not found", test_an_unknown_path_is_not_found },
	{ "a wrong method lists the allowed ones", test_a_wrong_method_lists_the_allowed_ones },
	{ "HEAD matches a GET route", test_head_matches_a_get_route },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("router", NULL, NULL, tests);
	return tu_end("test_router");
}
