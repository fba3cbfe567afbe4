/*
 * test_metrics: the shared counters (two mappings of one file see one
 * count, as two workers do) and the exposition text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics.h"
#include "testutil.h"
#include "util.h"

static char path[] = "/tmp/tether-metrics-test.XXXXXX";

static int
init(void)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	return metrics_open(path);
}

static int
clean(void)
{
	metrics_close();
	unlink(path);
	return 0;
}

static void
test_counts_reach_the_exposition(void)
{
	struct metrics_db db = { .ok = true, .active_sessions = 3, .users = 2 };
	char *text;

	metrics_count(M_LOGIN_OK);
	metrics_count(M_LOGIN_OK);
	metrics_denied(REASON_TOKEN_EXPIRED);
	metrics_sessions_ended(END_REFRESH_REUSED, 2);
	metrics_report(LOGOUT_IDLE_TIMEOUT);
	metrics_session_cache(true);
	metrics_session_cache(true);
	metrics_session_cache(false);
	metrics_observe(0.0004);
	metrics_observe(0.003);
	metrics_observe(9);
	db.ended_recent[END_USER_LOGOUT] = 5;
	text = metrics_render(&db);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# TYPE tether_logins_total counter\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_logins_total{outcome=\"ok\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_unauthorized_total{reason=\"TOKEN_EXPIRED\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_sessions_ended_total{reason=\"REFRESH_REUSED\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_logout_reports_total{type=\"IDLE_TIMEOUT\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_request_duration_seconds_bucket{le=\"0.0005\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_request_duration_seconds_bucket{le=\"0.005\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_request_duration_seconds_count 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_active_sessions 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_session_cache_total{result=\"hit\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_session_cache_total{result=\"miss\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_sessions_ended_recent{reason=\"USER_LOGOUT\"} 5\n"));
	CU_ASSERT_EQUAL(text[strlen(text) - 1], '\n');
	free(text);
}

static void
test_two_mappings_of_one_file_share_their_counts(void)
{
	struct metrics_db db = { .ok = false };
	char *text;
	pid_t pid;

	/* A child process (another worker) counts; the parent sees it. */
	if ((pid = fork()) == 0) {
		metrics_close();
		if (metrics_open(path) == 0)
			metrics_count(M_REGISTER);
		_exit(0);
	}
	CU_ASSERT_FATAL(pid > 0);
	waitpid(pid, NULL, 0);
	metrics_count(M_REGISTER);
	text = metrics_render(&db);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_registrations_total 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_database_up 0\n"));
	CU_ASSERT_PTR_NULL(strstr(text, "tether_active_sessions"));
	free(text);
}

static const struct tu_test tests[] = {
	{ "counts reach the exposition", test_counts_reach_the_exposition },
	{ "two mappings of one file share their counts",
	    test_two_mappings_of_one_file_share_their_counts },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("metrics", init, clean, tests);
	return tu_end("test_metrics");
}
