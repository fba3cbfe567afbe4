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
	CU_ASSERT_EQUAL(load(&c, "token_transport = cookie\ncookie_samesite = strict\n", required,
	    err), 0);
	CU_ASSERT_EQUAL(c.token_transport, TRANSPORT_COOKIE);
	CU_ASSERT_EQUAL(c.cookie_samesite, SAMESITE_STRICT);
	config_clear(&c);
}

static const struct tu_test tests[] = {
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
	{ NULL, NULL }
};

int
main(void)
{
	tu_begin();
	tu_suite("config", NULL, NULL, tests);
	return tu_end("test_config");
}
