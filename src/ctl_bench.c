/*
 * ctl_bench: benchmark helpers. The token pool is written through the
 * store's own session_create statement, so the rows are exactly what
 * logins make; tokens go to files the load generator reads, never to a log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "b64url.h"
#include "ctl_bench.h"
#include "jwt.h"
#include "password.h"
#include "session.h"
#include "store.h"
#include "tokens.h"
#include "util.h"

#define BENCH_EMAIL "bench@tether.invalid"
#define BENCH_PASSWORD_BYTES 24 /* the bench user's random password */
#define BENCH_SCRYPT_PASSWORD "bench password"

static int
bench_user(const struct config *cfg, struct user *u)
{
	enum store_err err = store_user_by_email(BENCH_EMAIL, u);
	char *pw, *hash;

	if (err != STORE_NOTFOUND)
		return err == STORE_OK ? 0 : -1;
	pw = b64url_random_token(BENCH_PASSWORD_BYTES);
	hash = password_hash(pw, strlen(pw), &cfg->scrypt);
	util_free_secret(pw);
	if (hash == NULL)
		return -1;
	err = store_user_create(BENCH_EMAIL, hash, "Bench", time(NULL), u);
	util_free_secret(hash);
	return err == STORE_OK ? 0 : -1;
}

/* One remember-me session (no idle timeout: the pool must outlive a long
 * run) and its refresh token, written to fp. *s is the session. */
static int
mint_one(const struct config *cfg, const struct user *u, time_t now, FILE *fp,
    struct session *s, char jti[JWT_ID_MAX])
{
	struct token_pair p;
	int rc = -1;

	/* Minted as a login mints them: the pool must be what logins make. */
	tokens_pair_new(cfg, now, &p);
	memset(s, 0, sizeof(*s));
	s->user_id = u->id;
	s->created_at = s->last_active_at = now;
	s->remember_me = true;
	s->idle_timeout_s = 0;
	s->absolute_expires_at = now + 20 * 86400;
	snprintf(s->device_id, sizeof(s->device_id), "bench");
	p.issue.refresh_expires_at =
	    now + (time_t)cfg->refresh_token_lifetime_remember_me;
	p.issue.access_expires_at = now + 86400;
	if (store_session_create(s, &p.issue) == STORE_OK &&
	    fprintf(fp, "%s\n", p.refresh) > 0)
		rc = 0;
	snprintf(jti, JWT_ID_MAX, "%s", p.issue.access_jti);
	tokens_pair_clear(&p);
	return rc;
}

static int
bench_tokens(const struct config *cfg, long n, const char *dir)
{
	char *path = xasprintf("%s/refresh.txt", dir),
	     *apath = xasprintf("%s/access.txt", dir);
	FILE *fp = fopen(path, "w"), *ap = fopen(apath, "w");
	struct user u;
	struct session s;
	struct jwt_claims cl;
	char jti[JWT_ID_MAX], *tok;
	time_t now = time(NULL);
	long i;
	int rc = 1;

	if (fp == NULL || ap == NULL || bench_user(cfg, &u) != 0) {
		fprintf(stderr,
		    "tetherctl: bench tokens: cannot write %s or reach the database\n",
		    dir);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (mint_one(cfg, &u, now, fp, &s, jti) != 0) {
			fprintf(stderr, "tetherctl: bench tokens: failed after %ld\n", i);
			goto out;
		}
	/* An access token of the last session, valid for a day (the bench's
	 * verify load must not hit TOKEN_EXPIRED halfway). */
	memset(&cl, 0, sizeof(cl));
	snprintf(cl.sub, sizeof(cl.sub), "%lld", (long long)u.id);
	snprintf(cl.sid, sizeof(cl.sid), "%s", s.id);
	snprintf(cl.jti, sizeof(cl.jti), "%s", jti);
	cl.iat = now;
	cl.exp = now + 86400;
	tok = jwt_sign(&cfg->keys[0], cfg->issuer, cfg->audience, &cl);
	fprintf(ap, "%s\n", tok);
	util_free_secret(tok);
	printf("minted %ld refresh tokens into %s\n", n, path);
	rc = 0;
out:
	if (fp != NULL)
		fclose(fp);
	if (ap != NULL)
		fclose(ap);
	free(path);
	free(apath);
	return rc;
}

/* Sessions per seed batch: a statement of a few seconds at most. */
#define SEED_BATCH 50000

struct seed_clock {
	struct timespec start;
};

static double
seconds_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

static void
seed_progress(const char *what, int64_t done, int64_t total, void *arg)
{
	const struct seed_clock *c = arg;

	printf("seed: %s %lld/%lld (%.0f %%), %.0f s\n", what, (long long)done,
	    (long long)total, 100.0 * (double)done / (double)total, seconds_since(&c->start));
	fflush(stdout);
}

/* `bench seed [--scale F]`: a year of a busy site (store_bench_seed). */
static int
bench_seed(const struct config *cfg, int argc, char **argv)
{
	struct store_seed_counts n;
	struct seed_clock clk;
	double scale = 1.0;
	char *end, *pw, *hash = NULL;
	enum store_err err;
	int rc = 2;

	if (argc == 4 && strcmp(argv[2], "--scale") == 0) {
		scale = strtod(argv[3], &end);
		if (*end != '\0' || end == argv[3] || !(scale > 0.0 && scale <= 10.0))
			goto usage;
	} else if (argc != 2)
		goto usage;
	rc = 1;
	/* One real hash of a random password nobody knows, shared by every
	 * seeded user: the rows are the size a real user's are, and no
	 * seeded account can be signed in to. */
	pw = b64url_random_token(BENCH_PASSWORD_BYTES);
	hash = password_hash(pw, strlen(pw), &cfg->scrypt);
	util_free_secret(pw);
	if (hash == NULL) {
		fprintf(stderr, "tetherctl: bench seed: hashing failed\n");
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &clk.start);
	err = store_bench_seed(scale, time(NULL), hash, SEED_BATCH, seed_progress, &clk, &n);
	if (err == STORE_CONFLICT) {
		fprintf(stderr, "tetherctl: bench seed: this database is seeded already "
		                "(it has seed users); seed a fresh database\n");
		goto out;
	}
	if (err != STORE_OK) {
		fprintf(stderr, "tetherctl: bench seed: failed (database unavailable?); what "
		                "was written stays: seed a fresh database\n");
		goto out;
	}
	printf("seeded in %.0f s: %lld users, %lld sessions, %lld refresh tokens, "
	       "%lld blacklisted jtis, %lld auth events, %lld logout events\n",
	    seconds_since(&clk.start), (long long)n.users, (long long)n.sessions,
	    (long long)n.refresh_tokens, (long long)n.blacklist, (long long)n.auth_events,
	    (long long)n.logout_events);
	rc = 0;
out:
	util_free_secret(hash);
	return rc;
usage:
	fprintf(stderr, "usage: tetherctl bench seed [--scale F]   (0 < F <= 10)\n");
	return rc;
}

static int
bench_scrypt(const struct config *cfg, long n)
{
	struct timespec a, b;
	double secs;
	char *h;
	long i;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		if ((h = password_hash(BENCH_SCRYPT_PASSWORD,
		         sizeof(BENCH_SCRYPT_PASSWORD) - 1, &cfg->scrypt)) == NULL)
			return 1;
		free(h);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%.6f\n", secs / (double)n);
	return 0;
}

int
ctl_bench(int argc, char **argv, const struct config *cfg)
{
	const char *sql;
	char *end;
	long n;

	if (argc == 4 && strcmp(argv[1], "tokens") == 0 &&
	    (n = strtol(argv[2], &end, 10)) > 0 && *end == '\0')
		return bench_tokens(cfg, n, argv[3]);
	if (argc == 3 && strcmp(argv[1], "scrypt") == 0 &&
	    (n = strtol(argv[2], &end, 10)) > 0 && *end == '\0')
		return bench_scrypt(cfg, n);
	if (argc >= 2 && strcmp(argv[1], "seed") == 0)
		return bench_seed(cfg, argc, argv);
	if (argc == 3 && strcmp(argv[1], "sql") == 0) {
		if ((sql = store_statement_sql(argv[2])) == NULL) {
			fprintf(stderr, "tetherctl: no statement %s\n", argv[2]);
			return 1;
		}
		printf("%s\n", sql);
		return 0;
	}
	fprintf(stderr, "usage: tetherctl bench tokens N DIR | scrypt N | sql NAME | "
	                "seed [--scale F]\n");
	return 2;
}
