/*
 * test_metrics: the shared counters (two mappings of one file see one
 * count, as two workers do) and the exposition text.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	return metrics_open(path, NULL);
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
	/* Lifetimes: 2 within a minute, 2 within 5 minutes, 1 over 30 days (5
	 * in all: tether_sessions_ended_recent is their sum). */
	db.lifetimes.n[END_USER_LOGOUT][0] = 2;
	db.lifetimes.n[END_USER_LOGOUT][1] = 2;
	db.lifetimes.n[END_USER_LOGOUT][METRICS_LIFETIME_BUCKETS] = 1;
	db.lifetimes.sum[END_USER_LOGOUT] = 3000000;
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
	/* Cumulative, as histogram_quantile() wants them. */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_session_lifetime_seconds_recent_bucket"
	                                    "{reason=\"USER_LOGOUT\",le=\"60\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_session_lifetime_seconds_recent_bucket"
	                                    "{reason=\"USER_LOGOUT\",le=\"300\"} 4\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_session_lifetime_seconds_recent_bucket"
	                                    "{reason=\"USER_LOGOUT\",le=\"2592000\"} 4\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_session_lifetime_seconds_recent_bucket"
	                                    "{reason=\"USER_LOGOUT\",le=\"+Inf\"} 5\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_session_lifetime_seconds_recent_bucket"
	                                    "{reason=\"EXPIRED\",le=\"+Inf\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tether_session_lifetime_seconds_recent_sum"
	                                    "{reason=\"USER_LOGOUT\"} 3000000\n"));
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
		if (metrics_open(path, NULL) == 0)
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

/* The registrations the mapped file holds, as /metrics shows them. */
static long
registrations(void)
{
	struct metrics_db db = { .ok = false };
	char *text = metrics_render(&db), *at;
	long n = -1;

	if ((at = strstr(text, "\ntether_registrations_total ")) != NULL)
		n = strtol(at + strlen("\ntether_registrations_total "), NULL, 10);
	free(text);
	return n;
}

static void
test_a_file_that_is_not_ours_alone_is_refused(void)
{
	char dir[] = "/tmp/tether-metrics-dir.XXXXXX", f[128], g[128], fifo[128], sub[128];
	int fd;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(f, sizeof(f), "%s/f", dir);
	snprintf(g, sizeof(g), "%s/g", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	CU_ASSERT_FATAL((fd = open(f, O_CREAT | O_WRONLY | O_EXCL, 0600)) >= 0);
	close(fd);
	/* A second name for a file (another account's hard link to one of
	 * ours): neither name is used, so nothing is written into it. */
	CU_ASSERT_FATAL(link(f, g) == 0);
	CU_ASSERT_EQUAL(metrics_open(g, NULL), -1);
	CU_ASSERT_EQUAL(metrics_open(f, NULL), -1);
	CU_ASSERT_EQUAL(unlink(g), 0);
	CU_ASSERT_EQUAL(metrics_open(f, NULL), 0);
	/* Not a regular file: refused at once, a FIFO without blocking. */
	CU_ASSERT_FATAL(mkfifo(fifo, 0600) == 0);
	CU_ASSERT_EQUAL(metrics_open(fifo, NULL), -1);
	CU_ASSERT_FATAL(mkdir(sub, 0700) == 0);
	CU_ASSERT_EQUAL(metrics_open(sub, NULL), -1);
	/* Readable by others, or a symbolic link: refused as before. */
	CU_ASSERT_EQUAL(chmod(f, 0640), 0);
	CU_ASSERT_EQUAL(metrics_open(f, NULL), -1);
	CU_ASSERT_EQUAL(symlink(path, g), 0);
	CU_ASSERT_EQUAL(metrics_open(g, NULL), -1);
	unlink(g);
	unlink(f);
	unlink(fifo);
	rmdir(sub);
	rmdir(dir);
	CU_ASSERT_EQUAL(metrics_open(path, NULL), 0);
}

static void
test_each_deployment_has_its_own_default_file(void)
{
	char dir[] = "/tmp/tether-metrics-tmp.XXXXXX", *old = getenv("TMPDIR"), *saved;
	char *a, *b;
	struct stat st;

	saved = old != NULL ? xstrdup(old) : NULL;
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	CU_ASSERT_FATAL(setenv("TMPDIR", dir, 1) == 0);
	a = util_shared_path("tether-metrics-v2", "host=a dbname=t\n/api/auth");
	b = util_shared_path("tether-metrics-v2", "host=b dbname=t\n/api/auth");
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(strncmp(a, dir, strlen(dir)), 0);
	/* Counts of one deployment stay out of the other's file. */
	CU_ASSERT_EQUAL_FATAL(metrics_open("", "host=a dbname=t\n/api/auth"), 0);
	metrics_count(M_REGISTER);
	CU_ASSERT_EQUAL(registrations(), 1);
	CU_ASSERT_EQUAL_FATAL(metrics_open(NULL, "host=b dbname=t\n/api/auth"), 0);
	CU_ASSERT_EQUAL(registrations(), 0);
	CU_ASSERT_EQUAL_FATAL(metrics_open("", "host=a dbname=t\n/api/auth"), 0);
	CU_ASSERT_EQUAL(registrations(), 1);
	CU_ASSERT(stat(a, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
	CU_ASSERT(stat(b, &st) == 0 && S_ISREG(st.st_mode));
	unlink(a);
	unlink(b);
	rmdir(dir);
	free(a);
	free(b);
	if (saved != NULL)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	CU_ASSERT_EQUAL(metrics_open(path, NULL), 0);
}

static void
test_lifetimes_fall_in_the_first_bucket_they_do_not_exceed(void)
{
	CU_ASSERT_EQUAL(metrics_lifetime_bucket(0), 0);
	CU_ASSERT_EQUAL(metrics_lifetime_bucket(60), 0);
	CU_ASSERT_EQUAL(metrics_lifetime_bucket(60.001), 1);
	CU_ASSERT_EQUAL(metrics_lifetime_bucket(86400), 9);
	CU_ASSERT_EQUAL(metrics_lifetime_bucket(2592000), METRICS_LIFETIME_BUCKETS - 1);
	CU_ASSERT_EQUAL(metrics_lifetime_bucket(2592001), METRICS_LIFETIME_BUCKETS);
}

static void
test_the_hosts_session_lifetimes_are_a_histogram_by_reason(void)
{
	struct metrics_db db = { .ok = false };
	char *text;

	metrics_session_lifetime(END_IDLE_TIMEOUT, 45);
	metrics_session_lifetime(END_IDLE_TIMEOUT, 1800);
	metrics_session_lifetime(END_IDLE_TIMEOUT, 1e9);
	metrics_session_lifetime(END_IDLE_TIMEOUT, -3); /* a clock step: 0 */
	metrics_session_lifetime(END_NONE, 10);         /* no reason: not counted */
	text = metrics_render(&db);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# TYPE tether_session_lifetime_seconds histogram\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
	    "tether_session_lifetime_seconds_bucket{reason=\"IDLE_TIMEOUT\",le=\"60\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
	    "tether_session_lifetime_seconds_bucket{reason=\"IDLE_TIMEOUT\",le=\"1800\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
	    "tether_session_lifetime_seconds_bucket{reason=\"IDLE_TIMEOUT\",le=\"+Inf\"} 4\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
	    "tether_session_lifetime_seconds_count{reason=\"IDLE_TIMEOUT\"} 4\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
	    "tether_session_lifetime_seconds_sum{reason=\"IDLE_TIMEOUT\"} 1000001845\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
	    "tether_session_lifetime_seconds_count{reason=\"USER_LOGOUT\"} 0\n"));
	free(text);
}

static const struct tu_test tests[] = {
	{ "a file that is not ours alone is refused",
	    test_a_file_that_is_not_ours_alone_is_refused },
	{ "each deployment has its own default file",
	    test_each_deployment_has_its_own_default_file },
	{ "counts reach the exposition", test_counts_reach_the_exposition },
	{ "two mappings of one file share their counts",
	    test_two_mappings_of_one_file_share_their_counts },
	{ "lifetimes fall in the first bucket they do not exceed",
	    test_lifetimes_fall_in_the_first_bucket_they_do_not_exceed },
	{ "the host's session lifetimes are a histogram by reason",
	    test_the_hosts_session_lifetimes_are_a_histogram_by_reason },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("metrics", init, clean, tests);
	return tu_end("test_metrics");
}
