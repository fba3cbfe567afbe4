/*
 * test_supervise: the command line of tether.fcgi --listen (which address,
 * how many workers). Running the supervisor itself, its restarts and its
 * stop, is tested end to end behind Apache's mod_authnz_fcgi
 * (tests/e2e/test_protect.py, the authnz pass).
 */
#include <string.h>

#include "supervise.h"
#include "testutil.h"

static int
parse(int argc, char *const argv[], struct supervise_args *a, char *err)
{
	return supervise_args_parse(argc, argv, a, err, 200);
}

static void
test_no_listen_is_an_ordinary_worker(void)
{
	char *argv[] = { "tether.fcgi", "--config", "/etc/tether/tether.conf", NULL };
	struct supervise_args a;
	char err[200];

	CU_ASSERT_EQUAL(parse(3, argv, &a, err), 0);
	CU_ASSERT_PTR_NULL(a.listen);
	CU_ASSERT_EQUAL(a.workers, 2);
}

static void
test_listen_and_workers_in_both_spellings(void)
{
	char *one[] = { "tether.fcgi", "--listen", "127.0.0.1:9123", "--workers", "4", NULL };
	char *two[] = { "tether.fcgi", "--workers=8", "--config=x", "--listen=[::1]:80", NULL };
	struct supervise_args a;
	char err[200];

	CU_ASSERT_EQUAL(parse(5, one, &a, err), 0);
	TU_ASSERT_STR_EQ(a.listen, "127.0.0.1:9123");
	CU_ASSERT_EQUAL(a.workers, 4);
	CU_ASSERT_EQUAL(parse(4, two, &a, err), 0);
	TU_ASSERT_STR_EQ(a.listen, "[::1]:80");
	CU_ASSERT_EQUAL(a.workers, 8);
}

static void
test_bad_command_lines_are_refused_with_a_reason(void)
{
	char *no_value[] = { "tether.fcgi", "--listen", NULL };
	char *no_port[] = { "tether.fcgi", "--listen", "127.0.0.1", NULL };
	char *zero[] = { "tether.fcgi", "--listen", "127.0.0.1:1", "--workers", "0", NULL };
	char *many[] = { "tether.fcgi", "--listen", "127.0.0.1:1", "--workers=257", NULL };
	char *junk[] = { "tether.fcgi", "--listen", "127.0.0.1:1", "--workers", "2x", NULL };
	char *alone[] = { "tether.fcgi", "--workers", "2", NULL };
	struct supervise_args a;
	char err[200];

	CU_ASSERT_EQUAL(parse(2, no_value, &a, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--listen needs a value"));
	CU_ASSERT_EQUAL(parse(3, no_port, &a, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "HOST:PORT"));
	CU_ASSERT_EQUAL(parse(5, zero, &a, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--workers"));
	CU_ASSERT_EQUAL(parse(4, many, &a, err), -1);
	CU_ASSERT_EQUAL(parse(5, junk, &a, err), -1);
	CU_ASSERT_EQUAL(parse(3, alone, &a, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--workers is for --listen"));
}

static void
test_addresses_split_into_host_and_port(void)
{
	char host[64], port[8];

	CU_ASSERT_EQUAL(supervise_split_addr("127.0.0.1:9123", host, sizeof(host), port,
	                    sizeof(port)), 0);
	TU_ASSERT_STR_EQ(host, "127.0.0.1");
	TU_ASSERT_STR_EQ(port, "9123");
	CU_ASSERT_EQUAL(supervise_split_addr("[::1]:65535", host, sizeof(host), port,
	                    sizeof(port)), 0);
	TU_ASSERT_STR_EQ(host, "::1");
	TU_ASSERT_STR_EQ(port, "65535");
	CU_ASSERT_EQUAL(supervise_split_addr("localhost:1", host, sizeof(host), port,
	                    sizeof(port)), 0);
	TU_ASSERT_STR_EQ(host, "localhost");
}

static void
test_malformed_addresses_are_refused(void)
{
	static const char *const bad[] = { "", ":9123", "127.0.0.1:", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:80x", "127.0.0.1:-1", "::1:80", "[::1]80",
		"[::1", "[]:80", "127.0.0.1:099999", NULL };
	char host[64], port[8];
	int i;

	for (i = 0; bad[i] != NULL; i++)
		CU_ASSERT_EQUAL(supervise_split_addr(bad[i], host, sizeof(host), port,
		                    sizeof(port)), -1);
	/* A host longer than the buffer is refused, never cut. */
	CU_ASSERT_EQUAL(supervise_split_addr("abcdefghij:80", host, 8, port, sizeof(port)), -1);
}

static const struct tu_test tests[] = {
	{ "no --listen is an ordinary worker", test_no_listen_is_an_ordinary_worker },
	{ "--listen and --workers in both spellings",
	    test_listen_and_workers_in_both_spellings },
	{ "bad command lines are refused with a reason",
	    test_bad_command_lines_are_refused_with_a_reason },
	{ "addresses split into host and port", test_addresses_split_into_host_and_port },
	{ "malformed addresses are refused", test_malformed_addresses_are_refused },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("supervise", NULL, NULL, tests);
	return tu_end("test_supervise");
}
