/*
 * test_config: the key table, durations, the file, the environment,
 * secrets files and the checks. Environments are injected arrays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "testutil.h"
#include "util.h"

/* The shipped conf/tether.conf, whose examples are tested uncommented. */
#ifndef TETHER_EXAMPLE_CONF
#define TETHER_EXAMPLE_CONF "conf/tether.conf"
#endif

#define KEY1 "t1:dGVzdC1vbmx5LXNpZ25pbmcta2V5LW9mLTMyLWJ5dGVzISE"
#define KEY2 "t2:b3RoZXItdGVzdC1rZXktb2YtdGhpcnR5LXR3by1ieXRlcyE"

static char *none[] = { NULL };
static char *required[] = { "TETHER_DATABASE_URL=dbname=x", "TETHER_SIGNING_KEYS=" KEY1, NULL };

/* Writes text to a new temporary file; returns its path (caller frees). */
static char *
temp_file(const char *text, mode_t mode)
{
	char *path = xstrdup("/tmp/tether-config-test.XXXXXX");
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
	return path;
}

static int
load(struct config *c, const char *text, char **env, char *err)
{
	char *path = text ? temp_file(text, 0600) : NULL;
	int rc;

	config_init(c);
	rc = config_load(c, path, env, err, 256);
	if (path != NULL) {
		unlink(path);
		free(path);
	}
	return rc;
}

static void
test_every_key_takes_its_own_default(void)
{
	struct config c;
	char err[256];
	size_t i;
	FILE *fp = tmpfile();
	char line[512], *eq;

	CU_ASSERT(config_key_count() >= 30);
	config_print_defaults(fp);
	rewind(fp);
	config_init(&c);
	for (i = 0; fgets(line, sizeof(line), fp) != NULL; i++) {
		line[strcspn(line, "\n")] = '\0';
		eq = strstr(line, " = ");
		CU_ASSERT_FATAL(eq != NULL);
		*eq = '\0';
		TU_ASSERT_STR_EQ(line, config_key_name(i));
		CU_ASSERT_EQUAL(config_set(&c, line, eq + 3, err, sizeof(err)), 0);
	}
	CU_ASSERT_EQUAL(i, config_key_count());
	fclose(fp);
	CU_ASSERT_EQUAL(c.access_token_lifetime, 900);
	CU_ASSERT_EQUAL(c.refresh_token_lifetime, 7 * 86400);
	CU_ASSERT_EQUAL(c.refresh_token_lifetime_remember_me, 20 * 86400);
	CU_ASSERT_EQUAL(c.idle_timeout, 1800);
	CU_ASSERT_EQUAL(c.idle_timeout_remember_me, 0);
	CU_ASSERT_EQUAL(c.session_max_age, 12 * 3600);
	CU_ASSERT_EQUAL(c.refresh_reuse_grace, 10);
	CU_ASSERT_EQUAL(c.jwt_leeway, 30);
	CU_ASSERT_EQUAL(c.token_transport, TRANSPORT_BOTH);
	CU_ASSERT_TRUE(c.cookie_secure);
	CU_ASSERT_FALSE(c.allow_registration);
	CU_ASSERT_EQUAL(c.max_body_bytes, 16384);
	CU_ASSERT_EQUAL(c.scrypt.n, 16384);
	CU_ASSERT_EQUAL(c.scrypt.p, 5);
	CU_ASSERT_EQUAL(c.address_max_attempts, 30);
	CU_ASSERT_EQUAL(c.address_max_writes, 60);
	CU_ASSERT_EQUAL(c.hash_concurrency, 1);
	TU_ASSERT_STR_EQ(c.hash_gate_file, "");
	CU_ASSERT_EQUAL(c.worker_max_requests, 100000);
	TU_ASSERT_STR_EQ(c.mount_path, "/api/auth");
	TU_ASSERT_STR_EQ(c.issuer, "tether");
	config_clear(&c);
}

static void
test_durations_take_units(void)
{
	int64_t v;

	CU_ASSERT(util_parse_duration("15m", &v) == 0 && v == 900);
	CU_ASSERT(util_parse_duration("20d", &v) == 0 && v == 20 * 86400);
	CU_ASSERT(util_parse_duration("30s", &v) == 0 && v == 30);
	CU_ASSERT(util_parse_duration("12h", &v) == 0 && v == 43200);
	CU_ASSERT(util_parse_duration("45", &v) == 0 && v == 45);
	CU_ASSERT_EQUAL(util_parse_duration("5x", &v), -1);
	CU_ASSERT_EQUAL(util_parse_duration("-1m", &v), -1);
	CU_ASSERT_EQUAL(util_parse_duration("", &v), -1);
	CU_ASSERT_EQUAL(util_parse_duration("1.5m", &v), -1);
	CU_ASSERT_EQUAL(util_parse_duration("1mm", &v), -1);
	CU_ASSERT_EQUAL(util_parse_duration("99999999999999999999d", &v), -1);
}

static void
test_a_file_is_read_with_comments_and_values_containing_hashes(void)
{
	struct config c;
	char err[256];

	CU_ASSERT_EQUAL(load(&c, "# a comment\n\n  database_url = postgres://u:p#w@h/db  \n"
	    "signing_keys = " KEY1 ", " KEY2 "\nidle_timeout=5m\n  # indented comment\n",
	    none, err), 0);
	TU_ASSERT_STR_EQ(c.database_url, "postgres://u:p#w@h/db");
	CU_ASSERT_EQUAL(c.idle_timeout, 300);
	CU_ASSERT_EQUAL(c.nkeys, 2);
	TU_ASSERT_STR_EQ(c.keys[0].kid, "t1");
	TU_ASSERT_STR_EQ(c.keys[1].kid, "t2");
	config_clear(&c);
}

static void
test_file_errors_name_the_line_and_key(void)
{
	struct config c;
	char err[256];

	CU_ASSERT_EQUAL(load(&c, "database_url = x\nidle_timeout = soon\n", required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: idle_timeout:"));
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "\n\nnot_a_key = 1\n", required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":3: unknown key 'not_a_key'"));
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "idle_timeout\n", required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":1:"));
	config_clear(&c);
}

static void
test_the_environment_overrides_the_file(void)
{
	struct config c;
	char err[256];
	char *env[] = { "TETHER_IDLE_TIMEOUT=5s", "TETHER_CONFIG=/x", "TETHER_PORT=9",
		"TETHER_SIGNING_KEYS=" KEY1, "OTHER=1", NULL };

	CU_ASSERT_EQUAL(load(&c, "database_url = x\nidle_timeout = 10m\n", env, err), 0);
	CU_ASSERT_EQUAL(c.idle_timeout, 5);
	config_clear(&c);
}

static void
test_a_bad_environment_value_names_the_variable(void)
{
	struct config c;
	char err[256];
	char *env[] = { "TETHER_DATABASE_URL=x", "TETHER_SIGNING_KEYS=" KEY1,
		"TETHER_COOKIE_SECURE=maybe", NULL };

	CU_ASSERT_EQUAL(load(&c, NULL, env, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "TETHER_COOKIE_SECURE"));
	config_clear(&c);
}

static void
test_required_keys_must_be_given(void)
{
	struct config c;
	char err[256];
	char *nokey[] = { "TETHER_DATABASE_URL=x", NULL };
	char *nodb[] = { "TETHER_SIGNING_KEYS=" KEY1, NULL };

	CU_ASSERT_EQUAL(load(&c, NULL, nokey, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "signing_keys"));
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, NULL, nodb, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "database_url"));
	config_clear(&c);
}

static void
test_signing_keys_must_be_long_and_unique_and_stay_secret(void)
{
	struct config c;
	char err[256];
	char *shortk[] = { "TETHER_DATABASE_URL=x", "TETHER_SIGNING_KEYS=k:c2hvcnRzZWNyZXQ", NULL };
	char *dup[] = { "TETHER_DATABASE_URL=x", "TETHER_SIGNING_KEYS=" KEY1 "," KEY1, NULL };

	CU_ASSERT_EQUAL(load(&c, NULL, shortk, err), -1);
	CU_ASSERT_PTR_NULL(strstr(err, "c2hvcnRzZWNyZXQ"));
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, NULL, dup, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "twice"));
	config_clear(&c);
}

static void
test_a_secrets_file_must_be_private(void)
{
	struct config c;
	char err[256], *open_file = temp_file(KEY1 "\n", 0644), *priv = temp_file(KEY1 "\n", 0600);
	char *e1 = xasprintf("TETHER_SIGNING_KEYS_FILE=%s", open_file);
	char *e2 = xasprintf("TETHER_SIGNING_KEYS_FILE=%s", priv);
	char *env1[] = { "TETHER_DATABASE_URL=x", e1, NULL };
	char *env2[] = { "TETHER_DATABASE_URL=x", e2, NULL };

	CU_ASSERT_EQUAL(load(&c, NULL, env1, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, NULL, env2, err), 0);
	CU_ASSERT_EQUAL(c.nkeys, 1);
	config_clear(&c);
	unlink(open_file);
	unlink(priv);
	free(open_file);
	free(priv);
	free(e1);
	free(e2);
}

static void
test_inconsistent_values_are_refused(void)
{
	struct config c;
	char err[256];

	CU_ASSERT_EQUAL(load(&c, "cookie_samesite = None\ncookie_secure = false\n", required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cookie_samesite"));
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "scrypt_n = 1000\n", required, err), -1);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "mount_path = api/\n", required, err), -1);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "access_token_lifetime = 0\n", required, err), -1);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "max_body_bytes = 10\n", required, err), -1);
	config_clear(&c);
	/* The authorizer's redirect must stay on the site. */
	CU_ASSERT_EQUAL(load(&c, "authz_signin = //evil.example/\n", required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "authz_signin"));
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "authz_signin = https://evil.example/\n", required, err), -1);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "authz_signin = /\\evil.example\n", required, err), -1);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "authz_signin = /signin.html?from=authz\n", required, err), 0);
	config_clear(&c);
	/* A setup code short enough to guess through /setup; never echoed. */
	CU_ASSERT_EQUAL(load(&c, "setup_code = 0123456789abcdefghi\n", required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "setup_code"));
	CU_ASSERT_PTR_NULL(strstr(err, "0123456789"));
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "setup_code = 0123456789abcdefghij # kept\n", required, err), 0);
	TU_ASSERT_STR_EQ(c.setup_code, "0123456789abcdefghij # kept");
	config_clear(&c);
	/* More hashes in flight than the gate has slots; no budget at all. */
	CU_ASSERT_EQUAL(load(&c, "hash_concurrency = 65\n", required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "hash_concurrency"));
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "address_max_attempts = 0\n", required, err), -1);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "address_max_writes = 0\n", required, err), -1);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "hash_concurrency = 0\naddress_max_writes = 5\n", required,
	    err), 0);
	CU_ASSERT_EQUAL(c.hash_concurrency, 0);
	CU_ASSERT_EQUAL(c.address_max_writes, 5);
	config_clear(&c);
	/* 0: a worker never retires; no negative count. */
	CU_ASSERT_EQUAL(load(&c, "worker_max_requests = 0\n", required, err), 0);
	CU_ASSERT_EQUAL(c.worker_max_requests, 0);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "worker_max_requests = -1\n", required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "worker_max_requests"));
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "token_transport = cookie\ncookie_samesite = strict\n", required,
	    err), 0);
	CU_ASSERT_EQUAL(c.token_transport, TRANSPORT_COOKIE);
	CU_ASSERT_EQUAL(c.cookie_samesite, SAMESITE_STRICT);
	config_clear(&c);
}

static void
test_trusted_proxies_must_be_networks(void)
{
	struct config c;
	char err[256];

	CU_ASSERT_EQUAL(load(&c, "trusted_proxies = 127.0.0.1/32, ::1\n", required, err), 0);
	TU_ASSERT_STR_EQ(c.trusted_proxies, "127.0.0.1/32, ::1");
	config_clear(&c);
	/* A name or a bad prefix would trust nobody or everybody: refused. */
	CU_ASSERT_EQUAL(load(&c, "trusted_proxies = 127.0.0.1,proxy.example\n", required, err),
	    -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "trusted_proxies: entry 2"));
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "trusted_proxies = 10.0.0.0/\n", required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "trusted_proxies"));
	config_clear(&c);
}

static void
test_a_comment_after_a_space_or_tab_ends_the_value(void)
{
	struct config c;
	char err[256];

	CU_ASSERT_EQUAL(load(&c,
	    "mount_path = /api/v2              # where the web server mounts the API\n"
	    "idle_timeout = 5m # five minutes\nissuer = me\t# a tab before\n"
	    "cookie_samesite = Strict          # Lax | Strict | None\n",
	    required, err), 0);
	TU_ASSERT_STR_EQ(c.mount_path, "/api/v2");
	CU_ASSERT_EQUAL(c.idle_timeout, 300);
	TU_ASSERT_STR_EQ(c.issuer, "me");
	CU_ASSERT_EQUAL(c.cookie_samesite, SAMESITE_STRICT);
	config_clear(&c);
}

static void
test_a_hash_right_after_another_character_stays_in_the_value(void)
{
	struct config c;
	char err[256];

	CU_ASSERT_EQUAL(load(&c,
	    "issuer = a#b\naudience = c# d\nsql_dir =#s\n"
	    "metrics_file = /var/x#1 # the second is a comment\n", required, err), 0);
	TU_ASSERT_STR_EQ(c.issuer, "a#b");
	TU_ASSERT_STR_EQ(c.audience, "c# d");
	TU_ASSERT_STR_EQ(c.metrics_file, "/var/x#1");
	TU_ASSERT_STR_EQ(c.sql_dir, "#s");
	config_clear(&c);
}

static void
test_the_database_url_and_signing_keys_take_the_whole_line(void)
{
	struct config c;
	char err[256];

	/* A quoted libpq password may hold " #": it must reach libpq whole. */
	CU_ASSERT_EQUAL(load(&c, "database_url = host=h password='a #b'\n"
	    "signing_keys = " KEY1 "\n", none, err), 0);
	TU_ASSERT_STR_EQ(c.database_url, "host=h password='a #b'");
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "database_url = x\nsigning_keys = " KEY1 "  # the key\n",
	    none, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "signing_keys"));
	config_clear(&c);
}

static void
test_a_value_that_is_only_a_comment_is_an_empty_value(void)
{
	struct config c;
	char err[256], empty_err[256];

	CU_ASSERT_EQUAL(load(&c, "metrics_file = /x\nmetrics_file =  # \"\" = per user\n",
	    required, err), 0);
	TU_ASSERT_STR_EQ(c.metrics_file, "");
	config_clear(&c);
	/* The same error as "idle_timeout =" with nothing after it. */
	CU_ASSERT_EQUAL(load(&c, "idle_timeout = # none\n", required, err), -1);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "idle_timeout =\n", required, empty_err), -1);
	config_clear(&c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":1: idle_timeout:"));
	TU_ASSERT_STR_EQ(strstr(err, ":1:"), strstr(empty_err, ":1:"));
}

/* Copies the file src to dst with every example line "# key = ..." of a
 * known key uncommented; returns the number of such lines. */
/* L9: a metrics_allow that does not parse stops the worker at start,
 * naming the key and the entry (not the value); /0 only when spelled out. */
static void
test_a_bad_metrics_allow_stops_the_start_naming_the_key(void)
{
	static const char *const bad[] = { "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/-0",
		"10.0.0.0/33", "::1/129", "127.0.0.1/32,example.com", "10.0.0.0/+8",
		"10.0.0.0/8x", "300.0.0.1" };
	static const char *const good[] = { "", "0.0.0.0/0", "::/0",
		"127.0.0.1/32,::1/128, 10.1.0.0/16", "192.0.2.7" };
	struct config c;
	char err[256], *v;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *env[] = { "TETHER_DATABASE_URL=x", "TETHER_SIGNING_KEYS=" KEY1,
			NULL, NULL };

		env[2] = v = xasprintf("TETHER_METRICS_ALLOW=%s", bad[i]);
		CU_ASSERT_EQUAL(load(&c, NULL, env, err), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "metrics_allow"));
		config_clear(&c);
		free(v);
	}
	CU_ASSERT_EQUAL(load(&c, "metrics_allow = 127.0.0.1/32, ::1/128, 10.0.0.0/\n",
	                    required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "metrics_allow: entry 3"));
	config_clear(&c);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *env[] = { "TETHER_DATABASE_URL=x", "TETHER_SIGNING_KEYS=" KEY1,
			NULL, NULL };

		env[2] = v = xasprintf("TETHER_METRICS_ALLOW=%s", good[i]);
		CU_ASSERT_EQUAL(load(&c, NULL, env, err), 0);
		config_clear(&c);
		free(v);
	}
}

static int
uncomment_examples(FILE *src, FILE *dst)
{
	char line[512];
	size_t i, len;
	int n = 0;
	bool known;

	while (fgets(line, sizeof(line), src) != NULL) {
		len = strspn(line + 2, "abcdefghijklmnopqrstuvwxyz_");
		if (strncmp(line, "# ", 2) != 0 || len == 0 ||
		    strncmp(line + 2 + len, " =", 2) != 0) {
			CU_ASSERT(fputs(line, dst) >= 0);
			continue;
		}
		for (i = 0, known = false; i < config_key_count(); i++)
			known |= strlen(config_key_name(i)) == len &&
			    strncmp(config_key_name(i), line + 2, len) == 0;
		CU_ASSERT(known); /* an example of a key that does not exist */
		CU_ASSERT(fputs(line + 2, dst) >= 0);
		n++;
	}
	return n;
}

static void
test_every_example_of_the_shipped_file_gives_its_value_uncommented(void)
{
	struct config c;
	char err[256], path[] = "/tmp/tether-config-test.XXXXXX";
	/* The examples' key files do not exist here: the environment clears
	 * signing_keys_file and gives the key. */
	char *env[] = { "TETHER_SIGNING_KEYS_FILE=", "TETHER_SIGNING_KEYS=" KEY1, NULL };
	char **str[] = { &c.issuer, &c.audience, &c.mount_path, &c.metrics_allow,
		&c.trusted_proxies, &c.metrics_file, &c.session_cache_file, &c.sql_dir, &c.database_url,
		&c.hash_gate_file };
	FILE *src = fopen(TETHER_EXAMPLE_CONF, "r"), *dst;
	int fd = mkstemp(path), rc;
	size_t i;

	CU_ASSERT_FATAL(src != NULL && fd >= 0 && (dst = fdopen(fd, "w")) != NULL);
	CU_ASSERT(uncomment_examples(src, dst) >= 30);
	fclose(src);
	CU_ASSERT_FATAL(fclose(dst) == 0);
	config_init(&c);
	rc = config_load(&c, path, env, err, sizeof(err));
	unlink(path);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc != 0)
		fprintf(stderr, "\n%s: %s\n", TETHER_EXAMPLE_CONF, err);
	TU_ASSERT_STR_EQ(c.mount_path, "/api/auth");
	TU_ASSERT_STR_EQ(c.metrics_file, "");
	TU_ASSERT_STR_EQ(c.session_cache_file, "");
	TU_ASSERT_STR_EQ(c.hash_gate_file, "");
	CU_ASSERT_EQUAL(c.hash_concurrency, 1);
	TU_ASSERT_STR_EQ(c.metrics_allow, "127.0.0.1/32,::1/128");
	TU_ASSERT_STR_EQ(c.trusted_proxies, "");
	CU_ASSERT_EQUAL(c.access_token_lifetime, 900);
	CU_ASSERT_EQUAL(c.idle_timeout_remember_me, 0);
	CU_ASSERT_EQUAL(c.token_transport, TRANSPORT_BOTH);
	CU_ASSERT_EQUAL(c.cookie_samesite, SAMESITE_LAX);
	CU_ASSERT_EQUAL(c.log_level, TLOG_INFO);
	for (i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		CU_ASSERT_PTR_NULL(strchr(tu_s(*str[i]), '#'));
	config_clear(&c);
}

/* No worker may wait on the database without bound unless told to
 * (audit I4): every timeout has a default, and 0 turns one off. */
static void
test_the_database_timeouts_have_bounded_defaults(void)
{
	struct config c;
	char err[256];
	char *env[] = { "TETHER_DATABASE_URL=x", "TETHER_SIGNING_KEYS=" KEY1,
		"TETHER_DATABASE_LOCK_TIMEOUT=1s", "TETHER_DATABASE_KEEPALIVE=0", NULL };

	config_init(&c);
	CU_ASSERT_EQUAL(c.database_connect_timeout, 5);
	CU_ASSERT_EQUAL(c.database_statement_timeout, 10);
	CU_ASSERT_EQUAL(c.database_lock_timeout, 3);
	CU_ASSERT_EQUAL(c.database_keepalive, 30);
	CU_ASSERT_EQUAL(c.database_tcp_user_timeout, 15);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "database_statement_timeout = 2m\n", env, err), 0);
	CU_ASSERT_EQUAL(c.database_statement_timeout, 120);
	CU_ASSERT_EQUAL(c.database_lock_timeout, 1);
	CU_ASSERT_EQUAL(c.database_keepalive, 0);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "database_connect_timeout = soon\n", env, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "database_connect_timeout"));
	config_clear(&c);
	/* PostgreSQL takes milliseconds in an int: 30 days would not fit. */
	CU_ASSERT_EQUAL(load(&c, "database_statement_timeout = 30d\n", env, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "database_statement_timeout: must be at most 1d"));
	config_clear(&c);
}

/* Transaction pooling: a session cache needs a direct connection for
 * LISTEN, and that connection means nothing without transaction pooling. */
static void
test_a_pooler_in_transaction_mode_needs_a_way_to_hear_session_ends(void)
{
	struct config c;
	char err[256];

	config_init(&c);
	CU_ASSERT_EQUAL(c.database_pooler, POOLER_NONE);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "database_pooler = transaction\n", required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "session_cache"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "database_listen_url"));
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "database_pooler = transaction\nsession_cache = false\n",
	    required, err), 0);
	CU_ASSERT_EQUAL(c.database_pooler, POOLER_TRANSACTION);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "database_pooler = Transaction\n"
	                         "database_listen_url = host=/run/pg user=u password=a #b\n",
	    required, err), 0);
	CU_ASSERT_EQUAL(c.database_pooler, POOLER_TRANSACTION);
	/* A password may hold " #": the whole line, as database_url. */
	TU_ASSERT_STR_EQ(c.database_listen_url, "host=/run/pg user=u password=a #b");
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "database_pooler = session\ndatabase_listen_url = x\n",
	    required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "database_listen_url: only with"));
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "database_pooler = session\n", required, err), 0);
	CU_ASSERT_EQUAL(c.database_pooler, POOLER_SESSION);
	config_clear(&c);
	CU_ASSERT_EQUAL(load(&c, "database_pooler = statement\n", required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "database_pooler: must be none, session or transaction"));
	config_clear(&c);
}

/* database_listen_url may hold a password: a private file instead. */
static void
test_the_listen_url_can_come_from_a_private_file(void)
{
	struct config c;
	char err[256], *text;
	char *open_file = temp_file("host=/run/pg dbname=t password=s\n", 0644);
	char *private_file = temp_file("host=/run/pg dbname=t password=s\n", 0600);

	text = xasprintf("database_pooler = transaction\ndatabase_listen_url_file = %s\n",
	    open_file);
	CU_ASSERT_EQUAL(load(&c, text, required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "database_listen_url_file"));
	config_clear(&c);
	free(text);
	text = xasprintf("database_pooler = transaction\ndatabase_listen_url_file = %s\n",
	    private_file);
	CU_ASSERT_EQUAL(load(&c, text, required, err), 0);
	TU_ASSERT_STR_EQ(c.database_listen_url, "host=/run/pg dbname=t password=s");
	config_clear(&c);
	free(text);
	text = xasprintf("database_pooler = transaction\ndatabase_listen_url = x\n"
	                 "database_listen_url_file = %s\n",
	    private_file);
	CU_ASSERT_EQUAL(load(&c, text, required, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "give only one"));
	config_clear(&c);
	free(text);
	unlink(open_file);
	unlink(private_file);
	free(open_file);
	free(private_file);
}

static const struct tu_test tests[] = {
	{ "a pooler in transaction mode needs a way to hear session ends",
	    test_a_pooler_in_transaction_mode_needs_a_way_to_hear_session_ends },
	{ "the listen url can come from a private file",
	    test_the_listen_url_can_come_from_a_private_file },
	{ "the database timeouts have bounded defaults",
	    test_the_database_timeouts_have_bounded_defaults },
	{ "every key takes its own default", test_every_key_takes_its_own_default },
	{ "durations take units", test_durations_take_units },
	{ "a file is read with comments and values containing hashes",
	    test_a_file_is_read_with_comments_and_values_containing_hashes },
	{ "file errors name the line and key", test_file_errors_name_the_line_and_key },
	{ "the environment overrides the file", test_the_environment_overrides_the_file },
	{ "a bad environment value names the variable",
	    test_a_bad_environment_value_names_the_variable },
	{ "required keys must be given", test_required_keys_must_be_given },
	{ "signing keys must be long and unique and stay secret",
	    test_signing_keys_must_be_long_and_unique_and_stay_secret },
	{ "a secrets file must be private", test_a_secrets_file_must_be_private },
	{ "inconsistent values are refused", test_inconsistent_values_are_refused },
	{ "a bad metrics_allow stops the start naming the key",
	    test_a_bad_metrics_allow_stops_the_start_naming_the_key },
	{ "trusted proxies must be networks", test_trusted_proxies_must_be_networks },
	{ "a comment after a space or tab ends the value",
	    test_a_comment_after_a_space_or_tab_ends_the_value },
	{ "a hash right after another character stays in the value",
	    test_a_hash_right_after_another_character_stays_in_the_value },
	{ "the database url and signing keys take the whole line",
	    test_the_database_url_and_signing_keys_take_the_whole_line },
	{ "a value that is only a comment is an empty value",
	    test_a_value_that_is_only_a_comment_is_an_empty_value },
	{ "every example of the shipped file gives its value uncommented",
	    test_every_example_of_the_shipped_file_gives_its_value_uncommented },
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("config", NULL, NULL, tests);
	return tu_end("test_config");
}
