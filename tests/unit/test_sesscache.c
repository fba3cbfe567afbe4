/*
 * test_sesscache: the per-worker session cache and the host's end log.
 * A forked child plays another worker of the same host: what it ends must
 * be gone from the parent's cache at its next sync, and nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sesscache.h"
#include "testutil.h"

static char path[] = "/tmp/tether-sesscache-test.XXXXXX";

static const char *const SID_A = "0b5c2f3e-4a6d-4b7e-8f90-a1b2c3d4e5f6";
static const char *const SID_B = "11111111-2222-4333-8444-555555555555";
static const char *const SID_C = "99999999-8888-4777-8666-555555555555";

static int
init(void)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	return sesscache_open(path, NULL);
}

static int
clean(void)
{
	sesscache_close();
	unlink(path);
	return 0;
}

static void
fill(struct session *s, struct user *u, const char *sid, int64_t uid)
{
	memset(s, 0, sizeof(*s));
	memset(u, 0, sizeof(*u));
	snprintf(s->id, sizeof(s->id), "%s", sid);
	s->user_id = uid;
	s->last_active_at = 1000;
	s->idle_timeout_s = 1800;
	s->absolute_expires_at = 50000;
	snprintf(u->email, sizeof(u->email), "u%lld@example.org", (long long)uid);
	u->id = uid;
}

static bool
cached(const char *sid, time_t now)
{
	struct session s;
	struct user u;

	return sesscache_get(sid, "jti-1", now, &s, &u);
}

/* A live session sid of user uid, cached until 2000. */
static void
remember(const char *sid, int64_t uid)
{
	struct session s;
	struct user u;

	fill(&s, &u, sid, uid);
	sesscache_put(&s, &u, "jti-1", 2000);
}

/* An empty cache that has read the end log so far. */
static void
empty(void)
{
	sesscache_drop(NULL);
	sesscache_sync();
}

/* Runs fn(arg) in a child process (another worker of this host). */
static void
in_other_worker(void (*fn)(const char *), const char *arg)
{
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
test_an_entry_lives_until_its_deadline(void)
{
	struct session s, got;
	struct user u, gotu;

	sesscache_drop(NULL);
	fill(&s, &u, SID_A, 7);
	sesscache_put(&s, &u, "jti-1", 1060);
	CU_ASSERT_TRUE(sesscache_get(SID_A, "jti-1", 1059, &got, &gotu));
	TU_ASSERT_STR_EQ(got.id, SID_A);
	CU_ASSERT_EQUAL(got.user_id, 7);
	CU_ASSERT_EQUAL(got.absolute_expires_at, 50000);
	TU_ASSERT_STR_EQ(gotu.email, "u7@example.org");
	CU_ASSERT_FALSE(cached(SID_A, 1060));
	CU_ASSERT_FALSE(cached(SID_B, 1000));
	CU_ASSERT_FALSE(cached("", 1000));
	CU_ASSERT_FALSE(cached(NULL, 1000));
}

static bool
cached_jti(const char *jti)
{
	struct session s;
	struct user u;

	return sesscache_get(SID_A, jti, 1500, &s, &u);
}

/* The blacklist is per token: an entry made with one token must not
 * answer for another that the database never looked at (audit M4). */
static void
test_an_entry_answers_only_for_its_checked_tokens(void)
{
	struct session s;
	struct user u;
	char jti[16];
	int i;

	empty();
	fill(&s, &u, SID_A, 7);
	sesscache_put(&s, &u, "jti-B", 2000);
	CU_ASSERT_TRUE(cached_jti("jti-B"));
	CU_ASSERT_FALSE(cached_jti("jti-A"));
	CU_ASSERT_FALSE(cached_jti(""));
	CU_ASSERT_FALSE(cached_jti(NULL));
	/* Refreshing the copy adds no token, and keeps the checked ones. */
	s.last_active_at = 1400;
	sesscache_put(&s, &u, NULL, 2000);
	CU_ASSERT_FALSE(cached_jti("jti-A"));
	CU_ASSERT_TRUE(cached_jti("jti-B"));
	/* A second checked token joins the first. */
	sesscache_put(&s, &u, "jti-C", 2000);
	CU_ASSERT_TRUE(cached_jti("jti-B"));
	CU_ASSERT_TRUE(cached_jti("jti-C"));
	/* Only the last SESSCACHE_JTIS are kept. */
	for (i = 0; i < SESSCACHE_JTIS; i++) {
		snprintf(jti, sizeof(jti), "jti-%d", i);
		sesscache_put(&s, &u, jti, 2000);
	}
	CU_ASSERT_FALSE(cached_jti("jti-B"));
	CU_ASSERT_TRUE(cached_jti(jti));
	/* Dropped and made again: the earlier tokens are not carried over. */
	sesscache_drop(SID_A);
	sesscache_put(&s, &u, NULL, 2000);
	CU_ASSERT_FALSE(cached_jti(jti));
	sesscache_put(&s, &u, "jti-D", 2000);
	CU_ASSERT_FALSE(cached_jti(jti));
	CU_ASSERT_TRUE(cached_jti("jti-D"));
}

static void
test_drop_forgets_one_or_all(void)
{
	sesscache_drop(NULL);
	remember(SID_A, 1);
	remember(SID_B, 2);
	sesscache_drop(SID_C); /* not cached: nothing happens */
	CU_ASSERT_TRUE(cached(SID_A, 1500) && cached(SID_B, 1500));
	sesscache_drop(SID_A);
	CU_ASSERT_FALSE(cached(SID_A, 1500));
	CU_ASSERT_TRUE(cached(SID_B, 1500));
	sesscache_drop("");
	CU_ASSERT_FALSE(cached(SID_B, 1500));
}

static void
test_not_a_uuid_is_never_cached(void)
{
	sesscache_drop(NULL);
	remember("not-a-session-id", 1);
	CU_ASSERT_FALSE(cached("not-a-session-id", 1500));
}

static void
end_session(const char *sid)
{
	sesscache_ended(sid);
}

static void
test_an_end_in_another_worker_reaches_this_one(void)
{
	empty();
	remember(SID_A, 1);
	remember(SID_B, 2);
	in_other_worker(end_session, SID_A);
	/* Not before the sync: the cache does no I/O of its own. */
	CU_ASSERT_TRUE(cached(SID_A, 1500));
	sesscache_sync();
	CU_ASSERT_FALSE(cached(SID_A, 1500));
	CU_ASSERT_TRUE(cached(SID_B, 1500));
	/* Upper-case text of the same UUID names the same session. */
	remember(SID_A, 1);
	in_other_worker(end_session, "0B5C2F3E-4A6D-4B7E-8F90-A1B2C3D4E5F6");
	sesscache_sync();
	CU_ASSERT_FALSE(cached(SID_A, 1500));
	CU_ASSERT_TRUE(cached(SID_B, 1500));
}

static void
test_an_unnamed_end_empties_every_cache(void)
{
	empty();
	remember(SID_B, 2);
	in_other_worker(end_session, NULL);
	sesscache_sync();
	CU_ASSERT_FALSE(cached(SID_B, 1500));
}

static void
end_many(const char *sid)
{
	int i;

	/* More ends than the log holds: the reader cannot know them all. */
	for (i = 0; i < SESSCACHE_LOG + 5; i++)
		sesscache_ended(sid);
}

static void
test_falling_behind_the_log_empties_the_cache(void)
{
	empty();
	remember(SID_B, 2);
	in_other_worker(end_many, SID_C);
	sesscache_sync();
	CU_ASSERT_FALSE(cached(SID_B, 1500));
	/* Caught up: the next put is kept again. */
	remember(SID_B, 2);
	sesscache_sync();
	CU_ASSERT_TRUE(cached(SID_B, 1500));
}

static void
test_an_own_end_is_forgotten_at_once(void)
{
	sesscache_drop(NULL);
	remember(SID_C, 3);
	sesscache_ended(SID_C);
	CU_ASSERT_FALSE(cached(SID_C, 1500));
	sesscache_sync(); /* reading its own end back changes nothing else */
	CU_ASSERT_FALSE(cached(SID_C, 1500));
}

static void
test_without_the_log_nothing_is_cached(void)
{
	sesscache_close();
	CU_ASSERT_FALSE(sesscache_enabled());
	remember(SID_A, 1);
	CU_ASSERT_FALSE(cached(SID_A, 1500));
	sesscache_ended(SID_A); /* no log: nothing to tell, and no crash */
	CU_ASSERT_EQUAL(sesscache_open("/nonexistent-dir/tether-log", NULL), -1);
	CU_ASSERT_FALSE(sesscache_enabled());
	CU_ASSERT_EQUAL_FATAL(sesscache_open(path, NULL), 0);
	CU_ASSERT_TRUE(sesscache_enabled());
}

static const struct tu_test tests[] = {
	{ "an entry lives until its deadline", test_an_entry_lives_until_its_deadline },
	{ "an entry answers only for its checked tokens",
	    test_an_entry_answers_only_for_its_checked_tokens },
	{ "drop forgets one or all", test_drop_forgets_one_or_all },
	{ "not a uuid is never cached", test_not_a_uuid_is_never_cached },
	{ "an end in another worker reaches this one",
	    test_an_end_in_another_worker_reaches_this_one },
	{ "an unnamed end empties every cache", test_an_unnamed_end_empties_every_cache },
	{ "falling behind the log empties the cache",
	    test_falling_behind_the_log_empties_the_cache },
	{ "an own end is forgotten at once", test_an_own_end_is_forgotten_at_once },
	{ "without the log nothing is cached", test_without_the_log_nothing_is_cached },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("sesscache", init, clean, tests);
	return tu_end("test_sesscache");
}
