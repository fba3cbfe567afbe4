/*
 * test_http: requests from CGI parameters, cookies, headers, responses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "testutil.h"
#include "util.h"

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
test_under_a_script_alias_or_a_rewrite_request_uri_decides(void)
{
	/* ScriptAlias /api/auth /path/to/tether.fcgi */
	char *alias[] = { "REQUEST_URI=/api/auth/me?a=b", "SCRIPT_NAME=/api/auth",
		"PATH_INFO=/me", NULL };
	/* A rewrite of /api/auth/ to /cgi-bin/tether.fcgi/ */
	char *rewrite[] = { "REQUEST_URI=/api/auth/me",
		"SCRIPT_NAME=/cgi-bin/tether.fcgi", "PATH_INFO=/me", NULL };
	/* ScriptAlias /cgi-bin/ /usr/lib/cgi-bin/, mount_path /cgi-bin/tether.fcgi */
	char *cgibin[] = { "REQUEST_URI=/cgi-bin/tether.fcgi/login",
		"SCRIPT_NAME=/cgi-bin/tether.fcgi", "PATH_INFO=/login", NULL };
	struct req r;

	CU_ASSERT_EQUAL(req_init(&r, alias, "/api/auth", 0), 0);
	TU_ASSERT_STR_EQ(r.path, "/me");
	TU_ASSERT_STR_EQ(r.query, "a=b");
	req_clear(&r);
	CU_ASSERT_EQUAL(req_init(&r, rewrite, "/api/auth", 0), 0);
	TU_ASSERT_STR_EQ(r.path, "/me");
	req_clear(&r);
	CU_ASSERT_EQUAL(req_init(&r, cgibin, "/cgi-bin/tether.fcgi", 0), 0);
	TU_ASSERT_STR_EQ(r.path, "/login");
	req_clear(&r);
	CU_ASSERT_EQUAL(req_init(&r, cgibin, "/api/auth", 0), -1);
	req_clear(&r);
}

/* A pipe holding data; the write end closed if close_wr. */
static void
pipe_with(int fds[2], const char *data, bool close_wr)
{
	CU_ASSERT_FATAL(pipe(fds) == 0);
	CU_ASSERT_FATAL(write(fds[1], data, strlen(data)) == (ssize_t)strlen(data));
	if (close_wr) {
		close(fds[1]);
		fds[1] = -1;
	}
}

static void
pipe_close(int fds[2])
{
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
}

static void
test_a_cgi_body_is_read_up_to_content_length_and_no_further(void)
{
	char *env[] = { "REQUEST_URI=/api/auth/login", "CONTENT_LENGTH=7", NULL };
	struct req r;
	char rest[8] = "";
	int fds[2];

	/* The write end stays open: waiting for EOF would hang the test. */
	pipe_with(fds, "{\"a\":1}next", false);
	req_init(&r, env, "/api/auth", 0);
	CU_ASSERT_EQUAL(http_cgi_read_body(fds[0], &r, 16), 0);
	CU_ASSERT_EQUAL(r.body_len, 7);
	TU_ASSERT_STR_EQ(r.body, "{\"a\":1}");
	CU_ASSERT_EQUAL(read(fds[0], rest, 4), 4);
	TU_ASSERT_STR_EQ(rest, "next");
	req_clear(&r);
	pipe_close(fds);
}

static void
test_a_cgi_body_over_the_limit_or_short_is_refused(void)
{
	char *big[] = { "REQUEST_URI=/api/auth/login", "CONTENT_LENGTH=17", NULL };
	char *shorter[] = { "REQUEST_URI=/api/auth/login", "CONTENT_LENGTH=9", NULL };
	char *none[] = { "REQUEST_URI=/api/auth/login", NULL };
	struct req r;
	int fds[2];

	pipe_with(fds, "{}", true);
	req_init(&r, big, "/api/auth", 0);
	CU_ASSERT_EQUAL(http_cgi_read_body(fds[0], &r, 16), 413);
	CU_ASSERT_PTR_NULL(r.body);
	req_clear(&r);
	req_init(&r, shorter, "/api/auth", 0);
	CU_ASSERT_EQUAL(http_cgi_read_body(fds[0], &r, 16), 400);
	CU_ASSERT_PTR_NULL(r.body);
	req_clear(&r);
	req_init(&r, none, "/api/auth", 0);
	CU_ASSERT_EQUAL(http_cgi_read_body(fds[0], &r, 16), 0);
	CU_ASSERT_PTR_NULL(r.body);
	req_clear(&r);
	pipe_close(fds);
}

/* Sends resp as a CGI response through a pipe and checks the bytes. */
static void
assert_sent_as(const struct resp *resp, const char *want)
{
	char got[512] = "";
	int fds[2];

	pipe_with(fds, "", false);
	CU_ASSERT_EQUAL(http_cgi_send(fds[1], resp), 0);
	close(fds[1]);
	fds[1] = -1;
	CU_ASSERT_EQUAL(read(fds[0], got, sizeof(got) - 1), (ssize_t)strlen(want));
	TU_ASSERT_STR_EQ(got, want);
	pipe_close(fds);
}

static void
test_a_cgi_response_is_status_headers_length_and_body(void)
{
	static const char want[] = "Status: 401 Unauthorized\r\n"
	                           "Set-Cookie: a=1\r\n"
	                           "Set-Cookie: b=2\r\n"
	                           "Content-Type: application/json\r\n"
	                           "Content-Length: 2\r\n\r\n"
	                           "{}";
	struct resp resp;

	resp_init(&resp);
	resp_add_header(&resp, "Set-Cookie", "a=1");
	resp_add_header(&resp, "Set-Cookie", "b=2");
	resp_set_body(&resp, 401, "application/json", strdup("{}"));
	assert_sent_as(&resp, want);
	resp_clear(&resp);
}

/* An authorizer's grant: the status and its variables, nothing else. */
static void
test_a_response_without_length_has_only_status_and_headers(void)
{
	static const char want[] = "Status: 200 OK\r\n"
	                           "Variable-TETHER_USER_ID: 7\r\n\r\n";
	struct resp resp;

	resp_init(&resp);
	resp_set_body(&resp, 200, NULL, NULL);
	resp_set_header(&resp, "Variable-TETHER_USER_ID", "7");
	resp.no_length = true;
	assert_sent_as(&resp, want);
	resp_clear(&resp);
}

static void
test_cookies_are_parsed_and_repeats_are_counted(void)
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
	/* L8: a repeated name is kept, so that a caller can refuse it. */
	CU_ASSERT_EQUAL(req_cookie_count(&r, "a"), 2);
	CU_ASSERT_EQUAL(req_cookie_count(&r, "b"), 1);
	CU_ASSERT_EQUAL(req_cookie_count(&r, "e"), 0);
	CU_ASSERT_EQUAL(r.ncookies, 5);
	CU_ASSERT_FALSE(r.cookies_too_long);
	req_clear(&r);
}

/* L8: junk cookies before ours cannot push it out (there was a cap of 32
 * names); only a header over the bound is refused, and whole. */
static void
test_every_cookie_is_read_however_many_come_first(void)
{
	char buf[HTTP_COOKIE_HEADER_MAX + 64] = "", *hdr;
	char *env[] = { "REQUEST_URI=/api/auth/me", NULL, NULL };
	struct req r;
	size_t i;

	for (i = 0; i < 500; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "k%zu=v; ", i);
	strcat(buf, "mine=yes");
	env[1] = hdr = xasprintf("HTTP_COOKIE=%s", buf);
	req_init(&r, env, "/api/auth", 0);
	TU_ASSERT_STR_EQ(req_cookie(&r, "mine"), "yes");
	CU_ASSERT_EQUAL(r.ncookies, 501);
	req_clear(&r);
	free(hdr);

	memset(buf, 'x', HTTP_COOKIE_HEADER_MAX + 1);
	memcpy(buf, "mine=", 5);
	buf[HTTP_COOKIE_HEADER_MAX + 1] = '\0';
	env[1] = hdr = xasprintf("HTTP_COOKIE=%s", buf);
	req_init(&r, env, "/api/auth", 0);
	CU_ASSERT_TRUE(r.cookies_too_long);
	CU_ASSERT_EQUAL(r.ncookies, 0);
	req_clear(&r);
	free(hdr);
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
ua_of(const char *header, char *out, size_t size)
{
	char *var = xasprintf("HTTP_USER_AGENT=%s", header);
	char *env[] = { "REQUEST_URI=/api/auth/me", var, NULL };
	struct req r;

	req_init(&r, env, "/api/auth", 0);
	snprintf(out, size, "%s", r.user_agent);
	CU_ASSERT_TRUE(util_utf8_valid(r.user_agent, strlen(r.user_agent)));
	CU_ASSERT_TRUE(strlen(r.user_agent) <= HTTP_USER_AGENT_MAX);
	req_clear(&r);
	free(var);
}

/* Audit L6: PostgreSQL refuses text that is not UTF-8, so a raw
 * User-Agent meant a 503 and a lost audit row. */
static void
test_the_user_agent_is_valid_utf8_cut_on_a_character(void)
{
	char got[1024], *in;
	char *env[] = { "REQUEST_URI=/api/auth/me", NULL };
	struct req r;

	ua_of("Mozilla/5.0 (X11) caf\xc3\xa9", got, sizeof(got));
	TU_ASSERT_STR_EQ(got, "Mozilla/5.0 (X11) caf\xc3\xa9");
	ua_of("Mozilla \xff\xfe", got, sizeof(got));
	TU_ASSERT_STR_EQ(got, "Mozilla \xef\xbf\xbd\xef\xbf\xbd");
	/* A character cut at the end of the header, an overlong form, a
	 * surrogate. */
	ua_of("ab\xe2\x82", got, sizeof(got));
	TU_ASSERT_STR_EQ(got, "ab\xef\xbf\xbd\xef\xbf\xbd");
	ua_of("\xc0\xaf\xed\xa0\x80", got, sizeof(got));
	CU_ASSERT_PTR_NULL(strchr(got, '/'));
	/* 511 bytes and a 2-byte character: cut before the character, not
	 * inside it. */
	in = xasprintf("%0511d\xc3\xa9", 0);
	ua_of(in, got, sizeof(got));
	CU_ASSERT_EQUAL(strlen(got), 511);
	free(in);
	/* Long, with replacements near the cap: still whole characters. */
	in = xasprintf("%0509d\xff\xff", 0);
	ua_of(in, got, sizeof(got));
	CU_ASSERT_EQUAL(strlen(got), 512);
	free(in);
	req_init(&r, env, "/api/auth", 0);
	TU_ASSERT_STR_EQ(r.user_agent, "");
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
	{ "the user agent is valid UTF-8 cut on a character",
	    test_the_user_agent_is_valid_utf8_cut_on_a_character },
	{ "the path is taken below the mount point",
	    test_the_path_is_taken_below_the_mount_point },
	{ "a path outside the mount point is refused",
	    test_a_path_outside_the_mount_point_is_refused },
	{ "without REQUEST_URI, SCRIPT_NAME and PATH_INFO are used",
	    test_without_request_uri_script_name_and_path_info_are_used },
	{ "under a ScriptAlias or a rewrite, REQUEST_URI decides",
	    test_under_a_script_alias_or_a_rewrite_request_uri_decides },
	{ "a CGI body is read up to Content-Length and no further",
	    test_a_cgi_body_is_read_up_to_content_length_and_no_further },
	{ "a CGI body over the limit or short is refused",
	    test_a_cgi_body_over_the_limit_or_short_is_refused },
	{ "a CGI response is status, headers, length and body",
	    test_a_cgi_response_is_status_headers_length_and_body },
	{ "cookies are parsed and repeats are counted",
	    test_cookies_are_parsed_and_repeats_are_counted },
	{ "every cookie is read however many come first",
	    test_every_cookie_is_read_however_many_come_first },
	{ "headers map to CGI parameters", test_headers_map_to_cgi_parameters },
	{ "Content-Length is parsed strictly", test_content_length_is_parsed_strictly },
	{ "a response without length has only status and headers",
	    test_a_response_without_length_has_only_status_and_headers },
	{ "response headers are set, replaced and cleaned",
	    test_response_headers_are_set_replaced_and_cleaned },
	{ "cookies are formatted with their attributes",
	    test_cookies_are_formatted_with_their_attributes },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("http", NULL, NULL, tests);
	return tu_end("test_http");
}
