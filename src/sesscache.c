/*
 * sesscache: a direct-mapped table of live sessions, and the host's end log.
 *
 * The end log is a ring of session ids in a shared file. A writer reserves
 * an index with an atomic add, then writes the slot as a seqlock: the
 * slot's seq is 0 while it is being written and index + 1 once it is
 * complete. A reader that finds a slot not (or no longer) holding the index
 * it expects cannot know which session ended, so it forgets everything:
 * every doubt costs a round trip, never a stale answer.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "sesscache.h"
#include "util.h"

struct log_slot {
	atomic_uint_least64_t seq; /* index + 1 when complete, else 0 */
	atomic_uint_least64_t hi, lo; /* the UUID; 0, 0 = every session */
};

struct end_log {
	atomic_uint_least64_t head; /* the next index to write */
	struct log_slot slot[SESSCACHE_LOG];
};

struct entry {
	uint64_t hi, lo; /* s.id as bits, for the end log */
	time_t until;
	/* The tokens checked against the blacklist for this entry, most
	 * recent at next - 1; "" where none. */
	char jti[SESSCACHE_JTIS][JWT_ID_MAX];
	size_t next;
	struct session s;
	struct user u;
};

static struct end_log *elog; /* the shared mapping; NULL = cache off */
static uint64_t seen;        /* indexes below this have been read */
/* Kept apart from the entries so that forgetting everything touches 256
 * bytes, not every page of the table (unused pages stay out of the RSS). */
static bool used[SESSCACHE_SLOTS];
static struct entry table[SESSCACHE_SLOTS];

/* The ids are random UUIDs, so any mixing will do. */
static size_t
slot_for(const char *sid)
{
	return util_hash32(sid, strlen(sid)) % SESSCACHE_SLOTS;
}

/* A UUID in text form as two 64-bit halves; false if it is not one. */
static bool
uuid_bits(const char *sid, uint64_t *hi, uint64_t *lo)
{
	uint64_t v[2] = { 0, 0 };
	int nibbles = 0, d;
	const char *p;

	if (sid == NULL || strlen(sid) != SESSION_ID_LEN)
		return false;
	for (p = sid; *p != '\0'; p++) {
		if (*p == '-')
			continue;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return false;
		if (nibbles >= 32)
			return false;
		v[nibbles / 16] = v[nibbles / 16] << 4 | (uint64_t)d;
		nibbles++;
	}
	*hi = v[0];
	*lo = v[1];
	return nibbles == 32;
}

static void
drop_bits(uint64_t hi, uint64_t lo)
{
	size_t i;

	for (i = 0; i < SESSCACHE_SLOTS; i++)
		if (used[i] && ((hi == 0 && lo == 0) ||
		    (table[i].hi == hi && table[i].lo == lo)))
			used[i] = false;
}

int
sesscache_open(const char *path, const char *deployment)
{
	sesscache_close();
	elog = util_map_shared(path, "tether-sessions-v1", deployment, sizeof(struct end_log));
	if (elog == NULL)
		return -1;
	seen = atomic_load(&elog->head);
	return 0;
}

void
sesscache_close(void)
{
	if (elog != NULL)
		munmap(elog, sizeof(*elog));
	elog = NULL;
	sesscache_drop(NULL);
}

bool
sesscache_enabled(void)
{
	return elog != NULL;
}

void
sesscache_sync(void)
{
	uint64_t head, i, s1, s2, hi, lo;
	struct log_slot *sl;

	if (elog == NULL || (head = atomic_load(&elog->head)) == seen)
		return;
	if (head - seen > SESSCACHE_LOG) {
		sesscache_drop(NULL);
		seen = head;
		return;
	}
	for (i = seen; i < head; i++) {
		sl = &elog->slot[i % SESSCACHE_LOG];
		s1 = atomic_load(&sl->seq);
		hi = atomic_load(&sl->hi);
		lo = atomic_load(&sl->lo);
		s2 = atomic_load(&sl->seq);
		if (s1 != i + 1 || s2 != i + 1) {
			/* Still being written, or overwritten since. */
			sesscache_drop(NULL);
			break;
		}
		drop_bits(hi, lo);
	}
	seen = head;
}

static bool
has_jti(const struct entry *e, const char *jti)
{
	size_t k;

	for (k = 0; k < SESSCACHE_JTIS; k++)
		if (e->jti[k][0] != '\0' && strcmp(e->jti[k], jti) == 0)
			return true;
	return false;
}

bool
sesscache_get(
    const char *sid, const char *jti, time_t now, struct session *s, struct user *u)
{
	struct entry *e;
	size_t i;

	if (elog == NULL || sid == NULL || *sid == '\0' || jti == NULL || *jti == '\0')
		return false;
	i = slot_for(sid);
	e = &table[i];
	if (!used[i] || strcmp(e->s.id, sid) != 0 || now >= e->until || !has_jti(e, jti))
		return false;
	*s = e->s;
	*u = e->u;
	return true;
}

void
sesscache_put(
    const struct session *s, const struct user *u, const char *jti, time_t until)
{
	struct entry *e;
	uint64_t hi, lo;
	size_t i;
	bool same;

	if (elog == NULL || !uuid_bits(s->id, &hi, &lo) ||
	    (jti != NULL && (*jti == '\0' || strlen(jti) >= JWT_ID_MAX)))
		return;
	i = slot_for(s->id);
	e = &table[i];
	same = used[i] && e->hi == hi && e->lo == lo;
	if (!same) {
		if (jti == NULL)
			return;
		memset(e->jti, 0, sizeof(e->jti));
		e->next = 0;
	}
	e->hi = hi;
	e->lo = lo;
	e->s = *s;
	e->u = *u;
	e->until = until;
	if (jti != NULL && !has_jti(e, jti)) {
		memcpy(e->jti[e->next], jti, strlen(jti) + 1);
		e->next = (e->next + 1) % SESSCACHE_JTIS;
	}
	used[i] = true;
}

void
sesscache_drop(const char *sid)
{
	size_t i;

	if (sid == NULL || *sid == '\0') {
		memset(used, 0, sizeof(used));
		return;
	}
	i = slot_for(sid);
	if (used[i] && strcmp(table[i].s.id, sid) == 0)
		used[i] = false;
}

void
sesscache_ended(const char *sid)
{
	uint64_t hi = 0, lo = 0, n;
	struct log_slot *sl;

	sesscache_drop(sid);
	if (elog == NULL)
		return;
	if (sid != NULL && *sid != '\0' && !uuid_bits(sid, &hi, &lo))
		return; /* not a session id: no session had it */
	n = atomic_fetch_add(&elog->head, 1);
	sl = &elog->slot[n % SESSCACHE_LOG];
	atomic_store(&sl->seq, 0);
	atomic_store(&sl->hi, hi);
	atomic_store(&sl->lo, lo);
	atomic_store(&sl->seq, n + 1);
}
