/*
 * test_http: requests from CGI parameters, cookies, headers, responses.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "testutil.h"

static void
test_the_path_is_taken_below_the_mount_point(void)
{
	char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/api/auth/login?x=1",
		"REMOTE_ADDR=10.0.0.1", "HTTP_USER_AGENT=ua", NULL };
	struct req r;

	CU_ASSERT_EQUAL(req_init(&r, env, "/api/auth", 5), 0);
	TU_ASSERT_STR_EQ(r.method, "POST");
	TU_ASSERT_STR_EQ(r.path, "/login");
	TU_ASSERT_STR_EQ(r.query, "x=1");
	TU_ASSERT_STR_EQ(r.remote_addr, "10.0.0.1");
	TU_ASSERT_STR_EQ(r.user_agent, "ua");
	CU_ASSERT_EQUAL(r.now, 5);
	req_clear(&r);
}

static void
test_a_path_outside_the_mount_point_is_refused(void)
{
	char *a[] = { "REQUEST_URI=/api/authx/login", NULL };
	char *b[] = { "REQUEST_URI=/other", NULL };
	char *c[] = { "REQUEST_URI=/api/auth", NULL };
	struct req r;

	CU_ASSERT_EQUAL(req_init(&r, a, "/api/auth", 0), -1);
	req_clear(&r);
	CU_ASSERT_EQUAL(req_init(&r, b, "/api/auth", 0), -1);
	req_clear(&r);
	CU_ASSERT_EQUAL(req_init(&r, c, "/api/auth", 0), 0);
	TU_ASSERT_STR_EQ(r.path, "/");
	TU_ASSERT_STR_EQ(r.method, "GET");
	TU_ASSERT_STR_EQ(r.remote_addr, "");
	req_clear(&r);
}

static void
test_without_request_uri_script_name_and_path_info_are_used(void)
{
	char *env[] = { "SCRIPT_NAME=/api/auth", "PATH_INFO=/me", NULL };
	struct req r;

	CU_ASSERT_EQUAL(req_init(&r, env, "/api/auth", 0), 0);
	TU_ASSERT_STR_EQ(r.path, "/me");
	req_clear(&r);
}

static void
test_cookies_are_parsed_first_one_wins(void)
{
	char *env[] = { "REQUEST_URI=/api/auth/me",
		"HTTP_COOKIE= a=1; b = two ;c=\"q\"; a=dup; noeq; =x; d=", NULL };
	struct req r;

	req_init(&r, env, "/api/auth", 0);
	TU_ASSERT_STR_EQ(req_cookie(&r, "a"), "1");
	TU_ASSERT_STR_EQ(req_cookie(&r, "b"), "two");
	TU_ASSERT_STR_EQ(req_cookie(&r, "c"), "q");
	TU_ASSERT_STR_EQ(req_cookie(&r, "d"), "");
	CU_ASSERT_PTR_NULL(req_cookie(&r, "noeq"));
	CU_ASSERT_PTR_NULL(req_cookie(&r, "e"));
	CU_ASSERT_EQUAL(r.ncookies, 4);
	req_clear(&r);
}

static void
test_many_cookies_are_capped(void)
{
	struct cookie c[HTTP_MAX_COOKIES];
	char buf[2048] = "";
	size_t i, n;

	for (i = 0; i < 50; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "k%zu=v; ", i);
	n = http_parse_cookies(buf, c, HTTP_MAX_COOKIES);
	CU_ASSERT_EQUAL(n, HTTP_MAX_COOKIES);
	for (i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].value);
	}
}

static void
test_headers_map_to_cgi_parameters(void)
{
	char *env[] = { "REQUEST_URI=/api/auth/me", "HTTP_X_CSRF_TOKEN=abc",
		"CONTENT_TYPE=application/json", "HTTP_AUTHORIZATION=Bearer t", NULL };
	struct req r;

	req_init(&r, env, "/api/auth", 0);
	TU_ASSERT_STR_EQ(req_header(&r, "X-CSRF-Token"), "abc");
	TU_ASSERT_STR_EQ(req_header(&r, "x-csrf-token"), "abc");
	TU_ASSERT_STR_EQ(req_header(&r, "Content-Type"), "application/json");
	TU_ASSERT_STR_EQ(req_header(&r, "Authorization"), "Bearer t");
	CU_ASSERT_PTR_NULL(req_header(&r, "X-Missing"));
	req_clear(&r);
}

static void
test_content_length_is_parsed_strictly(void)
{
	static const char *const bad[] = { "CONTENT_LENGTH=", "CONTENT_LENGTH=-1",
		"CONTENT_LENGTH=12a", "CONTENT_LENGTH=99999999999999999999999", "CONTENT_LENGTH= 5" };
	char *env[] = { "REQUEST_URI=/api/auth/me", NULL, NULL };
	struct req r;
	int64_t len;
	size_t i;

	req_init(&r, env, "/api/auth", 0);
	CU_ASSERT_EQUAL(req_content_length(&r, &len), 0);
	CU_ASSERT_EQUAL(len, 0);
	req_clear(&r);
	env[1] = "CONTENT_LENGTH=16384";
	req_init(&r, env, "/api/auth", 0);
	CU_ASSERT_EQUAL(req_content_length(&r, &len), 0);
	CU_ASSERT_EQUAL(len, 16384);
	req_clear(&r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env[1] = (char *)bad[i];
		req_init(&r, env, "/api/auth", 0);
		CU_ASSERT_EQUAL(req_content_length(&r, &len), -1);
		req_clear(&r);
	}
}

static void
test_response_headers_are_set_replaced_and_cleaned(void)
{
	struct resp r;

	resp_init(&r);
	CU_ASSERT_EQUAL(r.status, 200);
	resp_add_header(&r, "X-A", "1");
	resp_set_header(&r, "x-a", "2");
	resp_add_header(&r, "X-B", "evil\r\nSet-Cookie: x=y");
	CU_ASSERT_EQUAL(r.nheaders, 2);
	TU_ASSERT_STR_EQ(resp_header(&r, "X-A"), "2");
	CU_ASSERT_PTR_NULL(strchr(resp_header(&r, "X-B"), '\n'));
	CU_ASSERT_PTR_NULL(strchr(resp_header(&r, "X-B"), '\r'));
	resp_set_body(&r, 404, "application/json", strdup("{}"));
	CU_ASSERT_EQUAL(r.status, 404);
	CU_ASSERT_EQUAL(r.body_len, 2);
	TU_ASSERT_STR_EQ(resp_header(&r, "Content-Type"), "application/json");
	resp_clear(&r);
}

static void
test_cookies_are_formatted_with_their_attributes(void)
{
	struct resp r;
	struct cookie_opts o = { "/api/auth/refresh", 60, true, true, "Strict" };

	resp_init(&r);
	resp_set_cookie(&r, "n", "v", &o);
	TU_ASSERT_STR_EQ(resp_header(&r, "Set-Cookie"),
	    "n=v; Path=/api/auth/refresh; Max-Age=60; HttpOnly; Secure; SameSite=Strict");
	resp_clear(&r);
	resp_init(&r);
	o.max_age = 0;
	o.http_only = o.secure = false;
	o.samesite = "Lax";
	o.path = "/";
	resp_set_cookie(&r, "n", "", &o);
	TU_ASSERT_STR_EQ(resp_header(&r, "Set-Cookie"),
	    "n=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax");
	resp_clear(&r);
	resp_init(&r);
	o.max_age = -1;
	resp_set_cookie(&r, "n", "v", &o);
	TU_ASSERT_STR_EQ(resp_header(&r, "Set-Cookie"), "n=v; Path=/; SameSite=Lax");
	resp_clear(&r);
}

static const struct tu_test tests[] = {
	{ "the path is taken below the mount point", test_the_path_is_taken_below_the_mount_point },
	{ "a path outside the mount point is refused", test_a_path_outside_the_mount_point_is_refused },
	{ "without REQUEST_URI, SCRIPT_NAME and PATH_INFO are used",
	    test_without_request_uri_script_name_and_path_info_are_used },
	{ "cookies are parsed, the first one wins", test_cookies_are_parsed_first_one_wins },
	{ "many cookies are capped", test_many_cookies_are_capped },
	{ "headers map to CGI parameters", test_headers_map_to_cgi_parameters },
	{ "Content-Length is parsed strictly", test_content_length_is_parsed_strictly },
	{ "response headers are set, replaced and cleaned",
	    test_response_headers_are_set_replaced_and_cleaned },
	{ "cookies are formatted with their attributes", test_cookies_are_formatted_with_their_attributes },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("http", NULL, NULL, tests);
	return tu_end("test_http");
}
