/*
 * hashgate: the slots of the hashes in flight on this host. A slot holds
 * the pid of the worker hashing (0: free); a pid rather than a count so
 * that a worker killed mid-hash does not keep its slot for ever.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "hashgate.h"
#include "util.h"

struct slots {
	atomic_int pid[HASHGATE_SLOTS];
};

static struct slots *shm;
static int held = -1; /* the slot this process holds, -1 none */
static int depth;     /* enters not yet left: a nested one reuses the slot */

int
hashgate_open(const char *path, const char *deployment)
{
	hashgate_close();
	shm = util_map_shared(path, "tether-hashgate-v1", deployment, sizeof(struct slots));
	return shm != NULL ? 0 : -1;
}

void
hashgate_close(void)
{
	if (shm != NULL)
		munmap(shm, sizeof(*shm));
	shm = NULL;
	held = -1;
	depth = 0;
}

static bool
take(int i, int from)
{
	int expected = from;

	if (!atomic_compare_exchange_strong(&shm->pid[i], &expected, (int)getpid()))
		return false;
	held = i;
	return true;
}

bool
hashgate_enter(int cap)
{
	int i, pid;

	/* A child forked while its parent held a slot holds none. */
	if (shm != NULL && held >= 0 && atomic_load(&shm->pid[held]) != (int)getpid()) {
		held = -1;
		depth = 0;
	}
	if (shm == NULL || cap <= 0 || held >= 0) {
		depth++;
		return true;
	}
	if (cap > HASHGATE_SLOTS)
		cap = HASHGATE_SLOTS;
	for (i = 0; i < cap && held < 0; i++)
		(void)take(i, 0);
	for (i = 0; i < cap && held < 0; i++) {
		pid = atomic_load(&shm->pid[i]);
		if (pid != 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
			(void)take(i, pid);
	}
	if (held < 0)
		return false;
	depth++;
	return true;
}

void
hashgate_leave(void)
{
	if (depth == 0 || --depth > 0)
		return;
	if (shm != NULL && held >= 0) {
		int me = (int)getpid();

		/* Only our own slot: never one a forked parent holds. */
		(void)atomic_compare_exchange_strong(&shm->pid[held], &me, 0);
	}
	held = -1;
}
