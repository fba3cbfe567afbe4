/*
 * test_hashgate: the host's slots of password hashes in flight, seen by
 * several processes at once as the workers see them (each a fork sharing
 * the mapped file).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hashgate.h"
#include "testutil.h"

static char path[] = "/tmp/tether-hashgate-test.XXXXXX";

static int
init(void)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	return hashgate_open(path, "test");
}

static int
clean(void)
{
	hashgate_close();
	unlink(path);
	return 0;
}

/* A child that takes a slot (cap) and holds it until killed; its answer
 * ('y' or 'n') in *took. */
static pid_t
holder(int cap, char *took)
{
	int ack[2];
	pid_t pid;

	*took = 0;
	if (pipe(ack) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		char c = hashgate_enter(cap) ? 'y' : 'n';

		(void)!write(ack[1], &c, 1);
		pause(); /* until the parent kills it */
		_exit(0);
	}
	if (pid > 0 && read(ack[0], took, 1) != 1)
		*took = 0;
	close(ack[0]);
	close(ack[1]);
	return pid;
}

static void
reap(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static void
test_cap_slots_are_shared_and_a_full_gate_refuses_at_once(void)
{
	char a, b;
	pid_t p1 = holder(2, &a), p2 = holder(2, &b);

	CU_ASSERT_FATAL(p1 > 0 && p2 > 0);
	CU_ASSERT_EQUAL(a, 'y');
	CU_ASSERT_EQUAL(b, 'y');
	CU_ASSERT_FALSE(hashgate_enter(2));
	/* A larger cap has a free slot; no cap never refuses. */
	CU_ASSERT_TRUE(hashgate_enter(3));
	hashgate_leave();
	CU_ASSERT_TRUE(hashgate_enter(0));
	hashgate_leave();
	reap(p1);
	reap(p2);
}

static void
test_the_slot_of_a_dead_holder_is_taken_over(void)
{
	char a;
	pid_t p = holder(1, &a);

	CU_ASSERT_FATAL(p > 0);
	CU_ASSERT_EQUAL(a, 'y');
	CU_ASSERT_FALSE(hashgate_enter(1));
	reap(p); /* killed mid-hash: it never left */
	CU_ASSERT_TRUE(hashgate_enter(1));
	hashgate_leave();
}

static void
test_leaving_frees_the_slot_and_nesting_keeps_it(void)
{
	char a;
	pid_t p;

	CU_ASSERT_TRUE(hashgate_enter(1));
	CU_ASSERT_TRUE(hashgate_enter(1)); /* nested: the same slot */
	hashgate_leave();
	p = holder(1, &a);
	CU_ASSERT_EQUAL(a, 'n'); /* still held by the outer enter */
	reap(p);
	hashgate_leave();
	p = holder(1, &a);
	CU_ASSERT_EQUAL(a, 'y');
	reap(p);
}

static const struct tu_test tests[] = {
	{ "cap slots are shared and a full gate refuses at once",
	    test_cap_slots_are_shared_and_a_full_gate_refuses_at_once },
	{ "the slot of a dead holder is taken over",
	    test_the_slot_of_a_dead_holder_is_taken_over },
	{ "leaving frees the slot and nesting keeps it",
	    test_leaving_frees_the_slot_and_nesting_keeps_it },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("hashgate", init, clean, tests);
	return tu_end("test_hashgate");
}
